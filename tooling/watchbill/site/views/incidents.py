"""Incident and postmortem views: what a reader sees of each record, with internal facts kept apart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from markupsafe import Markup

from ... import metrics
from ...models import Incident, Update
from ...models.service import runbooks
from ..audience import incident_visible, postmortem_visible
from ..markdown import render, render_inline
from .base import IMPACT_LABEL, UPDATE_LABEL, Scope


@dataclass(frozen=True)
class IncidentRef:
    id: str
    title: str
    impact: str
    src: str


@dataclass(frozen=True)
class StatusChange:
    """One service's status set by an update (Statuspage's ``affected_components`` entry)."""

    service_id: str
    name: str
    old_status: str
    new_status: str


@dataclass(frozen=True)
class UpdateView:
    at: datetime
    status: str
    status_label: str
    message: Markup
    message_text: str
    changes: tuple[StatusChange, ...] | None = None
    """What this update changed; None when it changed no service's status."""


@dataclass(frozen=True)
class ActionItemView:
    title: str
    type: str
    priority: str
    due: date
    status: str
    owner: str | None
    link: str | None


@dataclass(frozen=True)
class PostmortemView:
    status: str
    published_on: date | None
    summary: Markup
    impact: Markup
    trigger: Markup
    root_cause: Markup
    root_cause_category: str | None
    resolution: Markup
    detection: Markup
    contributing_factors: tuple[Markup, ...]
    went_well: tuple[Markup, ...]
    to_improve: tuple[Markup, ...]
    got_lucky: tuple[Markup, ...]
    action_items: tuple[ActionItemView, ...]
    authors: tuple[str, ...]
    timeline: tuple[tuple[datetime, Markup], ...] = ()
    """The engineering timeline, oldest first."""
    review_at: datetime | None = None
    reviewed_at: datetime | None = None


@dataclass(frozen=True)
class TimelineView:
    at: datetime
    kind: str
    message: Markup
    by: str | None


@dataclass(frozen=True)
class IncidentInternal:
    visibility: str
    detected_by_probe: str | None
    roles: tuple[tuple[str, str], ...]
    labels: tuple[str, ...]
    timeline: tuple[TimelineView, ...]
    targets: tuple[metrics.TargetCheck, ...] = ()
    """The severity's targets against what happened (acknowledge, first update, cadence, resolve)."""
    channel: str | None = None
    """Where responders meet: a chat channel name or a link."""
    runbooks: tuple[tuple[str, str], ...] = ()
    """(service id, URL) for each affected service with a runbook; the fired probe's own first."""


@dataclass(frozen=True)
class AffectedView:
    service_id: str
    name: str
    impact: str
    impact_label: str


@dataclass(frozen=True)
class IncidentView:
    id: str
    title: str
    severity: str
    severity_name: str
    impact: str
    """Statuspage impact of the severity: none, minor, major or critical."""
    status: str
    status_label: str
    started_at: datetime
    detected_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    detected_by: str
    services: tuple[AffectedView, ...]
    summary: Markup
    updates: tuple[UpdateView, ...]
    """Newest first."""
    related: tuple[IncidentRef, ...]
    postmortem: PostmortemView | None
    src: str
    postmortem_src: str | None
    internal: IncidentInternal | None = None

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"

    @property
    def duration(self) -> timedelta | None:
        return None if self.resolved_at is None else self.resolved_at - self.started_at

    @property
    def ref(self) -> IncidentRef:
        return IncidentRef(self.id, self.title, self.impact, self.src)


@dataclass(frozen=True)
class MonthView:
    month: date
    incidents: tuple[IncidentView, ...]


def incident_src(incident_id: str) -> str:
    return f"incidents/{incident_id}.md"


def postmortem_src(incident_id: str) -> str:
    return f"postmortems/{incident_id}.md"


def impact_of(scope: Scope, incident: Incident) -> str:
    severity = scope.org.severities.get(incident.severity)
    return severity.statuspage_impact if severity else "none"


def incident_ref(scope: Scope, incident: Incident) -> IncidentRef:
    return IncidentRef(incident.id, incident.title, impact_of(scope, incident), incident_src(incident.id))


def _updated_at(incident: Incident) -> datetime:
    moments = [incident.started_at, incident.detected_at] + [u.at for u in incident.updates]
    moments += [m for m in (incident.acknowledged_at, incident.mitigated_at, incident.resolved_at) if m]
    return max(moments)


def _affected(scope: Scope, incident: Incident) -> tuple[AffectedView, ...]:
    shown = scope.service_ids
    return tuple(
        AffectedView(a.service, scope.org.services[a.service].name, a.impact, IMPACT_LABEL[a.impact])
        for a in incident.services
        if a.service in shown
    )


def _related(scope: Scope, incident: Incident) -> tuple[IncidentRef, ...]:
    known = scope.org.incidents
    return tuple(
        incident_ref(scope, known[r])
        for r in incident.related
        if r in known and incident_visible(scope.org, known[r], scope.audience)
    )


def _declared(incident: Incident, update: Update, first: bool) -> dict[str, str]:
    """The statuses an update sets: its own list, else (older records) the peak impact first, back at the end."""
    if update.services:
        return {a.service: a.status for a in update.services}
    if any(u.services for u in incident.updates):
        return {}
    if update.status == "resolved":
        return {a.service: "operational" for a in incident.services}
    return {a.service: a.impact for a in incident.services} if first else {}


def status_changes(scope: Scope, incident: Incident) -> dict[int, tuple[StatusChange, ...]]:
    """Per update (by object id), the services whose status it changed, walking the updates oldest first."""
    shown = scope.service_ids
    current: dict[str, str] = {}
    out: dict[int, tuple[StatusChange, ...]] = {}
    for index, update in enumerate(sorted(incident.updates, key=lambda u: u.at)):
        changed = []
        for service, status in _declared(incident, update, index == 0).items():
            old = current.get(service, "operational")
            current[service] = status
            if service in shown and old != status:
                changed.append(StatusChange(service, scope.org.services[service].name, old, status))
        if changed:
            out[id(update)] = tuple(changed)
    return out


def incident_view(scope: Scope, incident: Incident) -> IncidentView:
    severity = scope.org.severities.get(incident.severity)
    changes = status_changes(scope, incident)
    updates = tuple(
        UpdateView(u.at, u.status, UPDATE_LABEL[u.status], render(u.message), u.message, changes.get(id(u)))
        for u in sorted(incident.updates, key=lambda u: u.at, reverse=True)
    )
    pm_visible = postmortem_visible(incident, scope.audience)
    return IncidentView(
        id=incident.id,
        title=incident.title,
        severity=incident.severity,
        severity_name=severity.name if severity else incident.severity,
        impact=impact_of(scope, incident),
        status=incident.status,
        status_label=UPDATE_LABEL[incident.status],
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        updated_at=_updated_at(incident),
        detected_by=incident.detected_by,
        services=_affected(scope, incident),
        summary=render(incident.summary),
        updates=updates,
        related=_related(scope, incident),
        postmortem=postmortem_view(scope, incident) if pm_visible else None,
        src=incident_src(incident.id),
        postmortem_src=postmortem_src(incident.id) if pm_visible else None,
        internal=incident_internal(scope, incident) if scope.internal else None,
    )


def _action_items(scope: Scope, incident: Incident) -> tuple[ActionItemView, ...]:
    assert incident.postmortem is not None
    inside = scope.internal
    return tuple(
        ActionItemView(
            title=a.title,
            type=a.type,
            priority=a.priority,
            due=a.due,
            status=a.status,
            owner=scope.person(a.owner) if inside else None,
            link=a.link if inside else None,
        )
        for a in incident.postmortem.action_items
    )


def postmortem_view(scope: Scope, incident: Incident) -> PostmortemView:
    pm = incident.postmortem
    assert pm is not None
    return PostmortemView(
        status=pm.status,
        published_on=pm.published_on,
        summary=render(pm.summary),
        impact=render(pm.impact),
        trigger=render(pm.trigger),
        root_cause=render(pm.root_cause),
        root_cause_category=pm.root_cause_category,
        resolution=render(pm.resolution),
        detection=render(pm.detection),
        contributing_factors=tuple(render_inline(x) for x in pm.contributing_factors),
        went_well=tuple(render_inline(x) for x in pm.went_well),
        to_improve=tuple(render_inline(x) for x in pm.to_improve),
        got_lucky=tuple(render_inline(x) for x in pm.got_lucky),
        action_items=_action_items(scope, incident),
        authors=tuple(scope.person(a) for a in pm.authors) if scope.internal else (),
        timeline=tuple((e.at, render_inline(e.message)) for e in sorted(pm.timeline, key=lambda e: e.at)),
        review_at=pm.review_at if scope.internal else None,
        reviewed_at=pm.reviewed_at if scope.internal else None,
    )


def incident_internal(scope: Scope, incident: Incident) -> IncidentInternal:
    roles = tuple(
        (role.replace("_", " "), scope.person(who)) for role, who in incident.roles.model_dump().items() if who
    )
    timeline = tuple(
        TimelineView(e.at, e.kind, render(e.message), scope.person(e.by) if e.by else None)
        for e in sorted(incident.timeline, key=lambda e: e.at)
    )
    severity = scope.org.severities.get(incident.severity)
    targets = tuple(metrics.target_checks(incident, severity.targets, scope.now)) if severity else ()
    affected = [a.service for a in incident.services]
    return IncidentInternal(
        incident.visibility,
        incident.probe,
        roles,
        tuple(incident.labels),
        timeline,
        targets,
        channel=incident.channel,
        runbooks=tuple(runbooks(scope.org.services, affected, incident.probe)),
    )


def months_of(incidents: Sequence[IncidentView]) -> tuple[MonthView, ...]:
    """Incidents grouped by the UTC month they started in, newest month first."""
    grouped: dict[date, list[IncidentView]] = defaultdict(list)
    for view in incidents:
        grouped[metrics.month_start(view.started_at.astimezone(UTC))].append(view)
    return tuple(MonthView(m, tuple(grouped[m])) for m in sorted(grouped, reverse=True))


def recent_months(months: Sequence[MonthView], now: datetime, count: int) -> tuple[MonthView, ...]:
    """The last ``count`` months including empty ones, so the home page says 'no incidents' out loud."""
    known = {m.month: m for m in months}
    wanted = reversed(metrics.previous_months(now, count))
    return tuple(known.get(m, MonthView(m, ())) for m in wanted)
