"""View models: what each page may show, built once from the organisation for one audience.

Templates, the JSON API, the feed and the badges all read these objects and nothing else. Internal-only
facts (people, roles, timelines, schedules, probe errors) live in ``internal`` fields that stay None for
the public audience, so the public build cannot show them even by a template mistake.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from markupsafe import Markup

from .. import maintenance as windows
from .. import metrics, oncall
from ..fields import format_duration
from ..models import EscalationPolicy, Handoff, Incident, Maintenance, Schedule, Service, split_target
from ..organisation import Organisation
from ..state.snapshot import ProbeState, Snapshot
from . import status as st
from .audience import Audience, incident_visible, maintenance_visible, postmortem_visible, service_visible
from .markdown import render, render_inline

DayLevel = Literal["ok", "minor", "major", "critical", "nodata"]
UPDATE_LABEL = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
IMPACT_LABEL = {
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
HOME_MONTHS = 3
UPCOMING_HORIZON = timedelta(days=30)
SPARK_SAMPLES = 48
CALENDAR_DAYS = 14


# --- view models ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentRef:
    id: str
    title: str
    impact: str
    src: str


@dataclass(frozen=True)
class DayView:
    day: date
    level: DayLevel
    uptime: float | None
    note: str
    """Tooltip text: the date, the uptime and what happened."""


@dataclass(frozen=True)
class Sparkline:
    values: tuple[float, ...]
    average: float
    maximum: float
    first: datetime
    last: datetime


@dataclass(frozen=True)
class ProbeView:
    id: str
    kind: str
    ok: bool | None
    last_checked: datetime | None
    fresh: bool
    last_error: str | None


@dataclass(frozen=True)
class ServiceInternal:
    owner: str
    escalation: str | None
    probes: tuple[ProbeView, ...]


@dataclass(frozen=True)
class ServiceView:
    id: str
    name: str
    description: str | None
    group: str
    position: int
    status: st.ComponentStatus
    status_label: str
    source: str
    failing_since: datetime | None
    days: tuple[DayView, ...]
    uptime: float | None
    sparkline: Sparkline | None
    slo: metrics.SloStatus | None
    internal: ServiceInternal | None = None


@dataclass(frozen=True)
class GroupView:
    name: str
    status: st.ComponentStatus
    services: tuple[ServiceView, ...]


@dataclass(frozen=True)
class UpdateView:
    at: datetime
    status: str
    status_label: str
    message: Markup
    message_text: str


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
class MaintenanceView:
    id: str
    title: str
    description: Markup
    description_text: str
    services: tuple[tuple[str, str], ...]
    """(service id, name)"""
    start: datetime
    end: datetime
    state: Literal["scheduled", "in_progress", "completed"]
    recurrence: str | None
    created_at: datetime


@dataclass(frozen=True)
class MonthView:
    month: date
    incidents: tuple[IncidentView, ...]


@dataclass(frozen=True)
class ResponseRow:
    severity: str
    name: str
    times: metrics.ResponseTimes


@dataclass(frozen=True)
class RepeatView:
    category: str
    incidents: tuple[IncidentRef, ...]


@dataclass(frozen=True)
class SloView:
    service: str
    name: str
    slo: metrics.SloStatus


@dataclass(frozen=True)
class ReliabilityView:
    incident_count: int
    response: tuple[ResponseRow, ...]
    overall: metrics.ResponseTimes | None
    frequency: tuple[metrics.MonthCount, ...]
    severities: tuple[tuple[str, str], ...]
    repeats: tuple[RepeatView, ...]
    detection: metrics.DetectionMix
    slos: tuple[SloView, ...]


@dataclass(frozen=True)
class LayerView:
    name: str
    rotation: str
    handoff: str
    start: datetime
    end: datetime | None
    members: tuple[str, ...]
    restrictions: tuple[str, ...]


@dataclass(frozen=True)
class OverrideView:
    person: str
    start: datetime
    end: datetime
    reason: str | None


@dataclass(frozen=True)
class ShiftView:
    person: str
    start: datetime
    end: datetime
    layer: str


@dataclass(frozen=True)
class ScheduleView:
    id: str
    name: str
    description: str | None
    timezone: str
    layers: tuple[LayerView, ...]
    overrides: tuple[OverrideView, ...]
    services: tuple[str, ...]
    current: ShiftView | None = None
    """Who is on call at the build instant, with the shift's true end; None during a gap."""
    upcoming: tuple[ShiftView, ...] = ()
    """The calendar for the next ``CALENDAR_DAYS`` days."""


@dataclass(frozen=True)
class StepView:
    after: str
    targets: tuple[str, ...]
    via: tuple[str, ...]
    severities: tuple[str, ...]


@dataclass(frozen=True)
class PolicyView:
    id: str
    name: str
    description: str | None
    steps: tuple[StepView, ...]
    repeat: str | None


@dataclass(frozen=True)
class StatusView:
    overall: st.Overall
    stale: bool
    last_run: datetime | None
    groups: tuple[GroupView, ...]
    active: tuple[IncidentView, ...]
    maintenance_now: tuple[MaintenanceView, ...]
    maintenance_next: tuple[MaintenanceView, ...]
    recent_months: tuple[MonthView, ...]


@dataclass(frozen=True)
class SiteView:
    audience: Audience
    now: datetime
    organisation: str
    title: str
    description: str | None
    site_url: str | None
    support_url: str | None
    history_days: int
    status: StatusView
    services: tuple[ServiceView, ...]
    incidents: tuple[IncidentView, ...]
    """Newest first."""
    months: tuple[MonthView, ...]
    maintenance: tuple[MaintenanceView, ...]
    reliability: ReliabilityView
    schedules: tuple[ScheduleView, ...] = ()
    policies: tuple[PolicyView, ...] = ()
    page_id: str = field(default="")


# --- building ---------------------------------------------------------------------------------------------


def incident_src(incident_id: str) -> str:
    return f"incidents/{incident_id}.md"


def postmortem_src(incident_id: str) -> str:
    return f"postmortems/{incident_id}.md"


class _Builder:
    def __init__(self, org: Organisation, snapshot: Snapshot | None, audience: Audience, now: datetime) -> None:
        self.org = org
        self.snapshot = snapshot
        self.audience = audience
        self.internal = audience == "internal"
        self.now = now.astimezone(UTC)
        self.incidents = sorted(
            (i for i in org.incidents.values() if incident_visible(org, i, audience)),
            key=lambda i: (i.started_at, i.id),
            reverse=True,
        )
        self.services = [s for s in org.services.values() if service_visible(s, audience)]
        self.service_ids = {s.id for s in self.services}
        self.maintenance = [m for m in org.maintenance.values() if maintenance_visible(org, m, audience)]

    def person(self, ident: str) -> str:
        person = self.org.people.get(ident)
        return person.name if person else ident

    # incidents

    def ref(self, incident: Incident) -> IncidentRef:
        severity = self.org.severities.get(incident.severity)
        return IncidentRef(
            incident.id, incident.title, severity.statuspage_impact if severity else "none", incident_src(incident.id)
        )

    def incident(self, incident: Incident) -> IncidentView:
        severity = self.org.severities.get(incident.severity)
        affected = tuple(
            AffectedView(a.service, self.org.services[a.service].name, a.impact, IMPACT_LABEL[a.impact])
            for a in incident.services
            if a.service in self.service_ids
        )
        updates = tuple(
            UpdateView(u.at, u.status, UPDATE_LABEL[u.status], render(u.message), u.message)
            for u in sorted(incident.updates, key=lambda u: u.at, reverse=True)
        )
        related = tuple(
            self.ref(self.org.incidents[r])
            for r in incident.related
            if r in self.org.incidents and incident_visible(self.org, self.org.incidents[r], self.audience)
        )
        pm_visible = postmortem_visible(incident, self.audience)
        moments = [incident.started_at, incident.detected_at] + [u.at for u in incident.updates]
        moments += [m for m in (incident.acknowledged_at, incident.mitigated_at, incident.resolved_at) if m]
        return IncidentView(
            id=incident.id,
            title=incident.title,
            severity=incident.severity,
            severity_name=severity.name if severity else incident.severity,
            impact=severity.statuspage_impact if severity else "none",
            status=incident.status,
            status_label=UPDATE_LABEL[incident.status],
            started_at=incident.started_at,
            detected_at=incident.detected_at,
            acknowledged_at=incident.acknowledged_at,
            mitigated_at=incident.mitigated_at,
            resolved_at=incident.resolved_at,
            updated_at=max(moments),
            detected_by=incident.detected_by,
            services=affected,
            summary=render(incident.summary),
            updates=updates,
            related=related,
            postmortem=self.postmortem(incident) if pm_visible else None,
            src=incident_src(incident.id),
            postmortem_src=postmortem_src(incident.id) if pm_visible else None,
            internal=self.incident_internal(incident) if self.internal else None,
        )

    def postmortem(self, incident: Incident) -> PostmortemView:
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
            action_items=tuple(
                ActionItemView(
                    title=a.title,
                    type=a.type,
                    priority=a.priority,
                    due=a.due,
                    status=a.status,
                    owner=self.person(a.owner) if self.internal else None,
                    link=a.link if self.internal else None,
                )
                for a in pm.action_items
            ),
            authors=tuple(self.person(a) for a in pm.authors) if self.internal else (),
        )

    def incident_internal(self, incident: Incident) -> IncidentInternal:
        roles = tuple(
            (role.replace("_", " "), self.person(who)) for role, who in incident.roles.model_dump().items() if who
        )
        timeline = tuple(
            TimelineView(e.at, e.kind, render(e.message), self.person(e.by) if e.by else None)
            for e in sorted(incident.timeline, key=lambda e: e.at)
        )
        return IncidentInternal(incident.visibility, incident.probe, roles, tuple(incident.labels), timeline)

    # services

    def service(self, service: Service, position: int) -> ServiceView:
        own = [i for i in self.incidents if any(a.service == service.id for a in i.services)]
        in_maintenance = any(
            windows.current(m, self.now) is not None for m in self.maintenance if service.id in m.services
        )
        reading = st.read_service(
            service, open_incidents=own, in_maintenance=in_maintenance, snapshot=self.snapshot, now=self.now
        )
        states = self.probe_states(service)
        probe_days = [d for s in states if s is not None for d in s.days]
        needs_probe_data = bool(states) and any(s is not None for s in states)
        outages = metrics.outages(own, service.id, self.now)
        days = metrics.daily_uptime(
            outages,
            probe_days,
            days=self.org.settings.status_page.history_days,
            now=self.now,
            needs_probe_data=needs_probe_data,
        )
        day_views = tuple(self.day(d, own, service.id) for d in days)
        return ServiceView(
            id=service.id,
            name=service.name,
            description=service.description,
            group=service.group,
            position=position,
            status=reading.status,
            status_label=st.STATUS_LABEL[reading.status],
            source=reading.source,
            failing_since=reading.failing_since,
            days=day_views,
            uptime=metrics.uptime_ratio(days),
            sparkline=self.sparkline([s for s in states if s is not None]),
            slo=metrics.slo_status(service, days, now=self.now),
            internal=self.service_internal(service, states) if self.internal else None,
        )

    def probe_states(self, service: Service) -> list[ProbeState | None]:
        if self.snapshot is None:
            return []
        return [self.snapshot.probes.get(f"{service.id}/{p.id}") for p in service.probes]

    def service_internal(self, service: Service, states: list[ProbeState | None]) -> ServiceInternal:
        schedule = self.org.schedules.get(service.owner)
        policy = self.org.policy_for(service, self.org.severities.get(service.severity))
        probes = []
        for index, probe in enumerate(service.probes):
            state = states[index] if index < len(states) else None
            probes.append(
                ProbeView(
                    probe.id,
                    probe.kind,
                    state.ok if state else None,
                    state.last_checked if state else None,
                    st.probe_fresh(probe, state, self.now),
                    state.last_error if state else None,
                )
            )
        return ServiceInternal(
            schedule.name if schedule else service.owner, policy.name if policy else None, tuple(probes)
        )

    def sparkline(self, states: Sequence[ProbeState]) -> Sparkline | None:
        best = max(states, key=lambda s: sum(1 for x in s.recent if x.latency_ms is not None), default=None)
        if best is None:
            return None
        samples = [x for x in best.recent if x.latency_ms is not None][-SPARK_SAMPLES:]
        if len(samples) < 2:
            return None
        values = tuple(float(x.latency_ms or 0.0) for x in samples)
        return Sparkline(values, sum(values) / len(values), max(values), samples[0].at, samples[-1].at)

    def day(self, day: metrics.DayUptime, own: Sequence[Incident], service_id: str) -> DayView:
        start, end = metrics.day_bounds(day.day, self.now)
        touching = [
            i
            for i in own
            if i.started_at < end and metrics.impact_end(i, self.now) >= start and i.started_at <= self.now
        ]
        label = f"{day.day.strftime('%a')} {day.day.day} {day.day.strftime('%b %Y')}"
        if day.uptime is None:
            return DayView(day.day, "nodata", None, f"{label}: no data recorded")
        down = 1.0 - day.uptime
        if down <= 0:
            level: DayLevel = "minor" if touching else "ok"
        elif down < 0.01:
            level = "minor"
        elif down < 0.05:
            level = "major"
        else:
            level = "critical"
        parts = [f"{label}: {format_percent(day.uptime)} uptime"]
        down_minutes = round(down * day.seconds / 60)
        if down_minutes:
            parts.append(f"{down_minutes} min down")
        if day.failures:
            parts.append(f"{day.failures} of {day.checks} checks failed")
        for incident in touching:
            impact = next((a.impact for a in incident.services if a.service == service_id), "degraded_performance")
            parts.append(f"{IMPACT_LABEL[impact]}: {incident.title}")
        if len(parts) == 1:
            parts.append("no incidents")
        return DayView(day.day, level, day.uptime, "; ".join(parts))

    # maintenance

    def maintenance_view(self, window: Maintenance, occurrence: windows.Window) -> MaintenanceView:
        if occurrence.contains(self.now):
            state: Literal["scheduled", "in_progress", "completed"] = "in_progress"
        elif occurrence.start > self.now:
            state = "scheduled"
        else:
            state = "completed"
        recurrence = None
        if window.cron is not None and window.duration is not None:
            recurrence = f"Repeats on cron '{window.cron}' ({window.timezone}) for {format_duration(window.duration)}"
        return MaintenanceView(
            id=window.id,
            title=window.title,
            description=render(window.description),
            description_text=window.description or "",
            services=tuple((s, self.org.services[s].name) for s in window.services if s in self.service_ids),
            start=occurrence.start,
            end=occurrence.end,
            state=state,
            recurrence=recurrence,
            created_at=window.start or occurrence.start,
        )

    def maintenance_views(self) -> list[MaintenanceView]:
        out: list[MaintenanceView] = []
        for window in self.maintenance:
            if windows.is_recurring(window):
                found = windows.current(window, self.now) or windows.upcoming(window, self.now, UPCOMING_HORIZON)
                if found is not None:
                    out.append(self.maintenance_view(window, found))
            elif window.start is not None and window.end is not None:
                out.append(self.maintenance_view(window, windows.Window(window.start, window.end)))
        return sorted(out, key=lambda m: (m.start, m.id), reverse=True)

    # on-call (internal only)

    def schedules(self) -> tuple[ScheduleView, ...]:
        owners: dict[str, list[str]] = defaultdict(list)
        for service in self.org.services.values():
            owners[service.owner].append(service.name)
        return tuple(
            self.schedule(s, owners.get(s.id, [])) for s in sorted(self.org.schedules.values(), key=lambda s: s.name)
        )

    def schedule(self, schedule: Schedule, services: list[str]) -> ScheduleView:
        layers = tuple(
            LayerView(
                name=layer.name,
                rotation=layer.rotation
                if layer.shift_length is None
                else f"every {format_duration(layer.shift_length)}",
                handoff=handoff_text(layer.handoff),
                start=layer.start,
                end=layer.end,
                members=tuple(self.person(m) for m in layer.members),
                restrictions=tuple(
                    f"{', '.join(d[:3] for d in r.days)} {r.start.strftime('%H:%M')}–{r.end.strftime('%H:%M')}"
                    for r in layer.restrictions
                ),
            )
            for layer in schedule.layers
        )
        overrides = tuple(
            OverrideView(self.person(o.person), o.start, o.end, o.reason)
            for o in sorted(schedule.overrides, key=lambda o: o.start)
            if o.end > self.now
        )
        calendar = tuple(
            ShiftView(self.person(s.person), s.start, s.end, "override" if s.override else s.layer)
            for s in oncall.shifts(schedule, self.now, self.now + timedelta(days=CALENDAR_DAYS))
        )
        current = calendar[0] if calendar and calendar[0].start <= self.now else None
        shift = oncall.current_shift(schedule, self.now)
        if current is not None and shift is not None:
            current = replace(current, end=shift.end)
        return ScheduleView(
            schedule.id,
            schedule.name,
            schedule.description,
            schedule.timezone,
            layers,
            overrides,
            tuple(services),
            current,
            calendar,
        )

    def policies(self) -> tuple[PolicyView, ...]:
        return tuple(self.policy(p) for p in sorted(self.org.policies.values(), key=lambda p: p.name))

    def target(self, target: str) -> str:
        kind, ident = split_target(target)
        if kind == "schedule":
            schedule = self.org.schedules.get(ident)
            return f"On call for {schedule.name if schedule else ident}"
        if kind == "person":
            return self.person(ident)
        channel = self.org.channels.get(ident)
        return f"Channel {channel.name if channel else ident}"

    def policy(self, policy: EscalationPolicy) -> PolicyView:
        steps = tuple(
            StepView(
                after=format_duration(step.after),
                targets=tuple(self.target(t) for t in step.targets),
                via=tuple(self.org.channels[c].name if c in self.org.channels else c for c in step.via),
                severities=tuple(step.severities or ()),
            )
            for step in policy.steps
        )
        repeat = None
        if policy.repeat is not None and policy.repeat.times:
            repeat = f"Repeats {policy.repeat.times} more time(s), every {format_duration(policy.repeat.every)}"
        return PolicyView(policy.id, policy.name, policy.description, steps, repeat)

    # the whole site

    def reliability(self, services: Sequence[ServiceView]) -> ReliabilityView:
        rows = tuple(
            ResponseRow(
                r.severity, self.org.severities[r.severity].name if r.severity in self.org.severities else "", r
            )
            for r in metrics.response_times(self.incidents)
        )
        with_postmortem = [i for i in self.incidents if postmortem_visible(i, self.audience)]
        refs = {i.id: self.ref(i) for i in self.incidents}
        return ReliabilityView(
            incident_count=len(self.incidents),
            response=rows,
            overall=metrics.summarise("all", self.incidents) if self.incidents else None,
            frequency=tuple(metrics.frequency_by_month(self.incidents, now=self.now, months=12)),
            severities=tuple(
                (s.id, s.name)
                for s in sorted(self.org.severities.values(), key=lambda s: s.id)
                if self.internal or s.public
            ),
            repeats=tuple(
                RepeatView(r.category, tuple(refs[i] for i in r.incidents))
                for r in metrics.repeat_causes(with_postmortem)
            ),
            detection=metrics.detection_mix(self.incidents),
            slos=tuple(SloView(s.id, s.name, s.slo) for s in services if s.slo is not None),
        )

    def build(self) -> SiteView:
        incident_views = [self.incident(i) for i in self.incidents]
        services = tuple(self.service(s, n) for n, s in enumerate(self.services))
        groups: dict[str, list[ServiceView]] = {}
        for view in services:
            groups.setdefault(view.group, []).append(view)
        group_views = tuple(
            GroupView(name, st.worst(s.status for s in members), tuple(members)) for name, members in groups.items()
        )
        months = months_of(incident_views)
        maintenance = self.maintenance_views()
        active = tuple(sorted((v for v in incident_views if v.is_open), key=lambda v: v.started_at, reverse=True))
        all_probes = [p for s in self.org.services.values() for p in s.probes]
        recent = recent_months(months, self.now, HOME_MONTHS)
        settings = self.org.settings
        status = StatusView(
            overall=st.overall([s.status for s in services], [v.impact for v in active]),
            stale=st.snapshot_stale(self.snapshot, all_probes, self.now),
            last_run=self.snapshot.last_run if self.snapshot else None,
            groups=group_views,
            active=active,
            maintenance_now=tuple(m for m in reversed(maintenance) if m.state == "in_progress"),
            maintenance_next=tuple(
                m for m in reversed(maintenance) if m.state == "scheduled" and m.start - self.now <= UPCOMING_HORIZON
            ),
            recent_months=recent,
        )
        return SiteView(
            audience=self.audience,
            now=self.now,
            organisation=settings.organisation,
            title=settings.status_page.title,
            description=settings.status_page.description,
            site_url=settings.status_page.url,
            support_url=settings.status_page.support_url,
            history_days=settings.status_page.history_days,
            status=status,
            services=services,
            incidents=tuple(incident_views),
            months=months,
            maintenance=tuple(maintenance),
            reliability=self.reliability(services),
            schedules=self.schedules() if self.internal else (),
            policies=self.policies() if self.internal else (),
            page_id=slug(settings.organisation),
        )


def handoff_text(handoff: Handoff | None) -> str:
    if handoff is None:
        return "every shift"
    return " ".join(x for x in (handoff.weekday or "", handoff.time.strftime("%H:%M")) if x)


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


def slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in out.split("-") if part) or "status"


def format_percent(value: float | None) -> str:
    """Uptime with enough digits to tell 99.9 from 99.99, without claiming 100 % for a lossy day."""
    if value is None:
        return "no data"
    percent = value * 100
    if percent >= 100:
        return "100%"
    text = f"{percent:.2f}"
    if text == "100.00":
        text = "99.99"
    return f"{text}%"


def build(org: Organisation, snapshot: Snapshot | None, audience: Audience, now: datetime) -> SiteView:
    """The whole site's content for one audience at one instant."""
    return _Builder(org, snapshot, audience, now).build()
