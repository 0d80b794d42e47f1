"""What people do to an incident record, as pure functions over the organisation and the record.

Each operation checks its request against the organisation (known people, services, severities) and
returns either a new :class:`~watchbill.models.Incident` (declare) or a :class:`RecordEdit`: the keys to set
and the items to append. A RecordEdit is applied to the round-trip YAML by :func:`RecordEdit.apply`, so the
person's comments, key order and quoting survive; nothing here reads the clock, the disk or git.
:func:`edit_for` turns one of the edit requests (:data:`EditRequest`) into its RecordEdit, so the CLI, a
workflow step and a pull-request comment all ask for an edit the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import RequestError
from ..fields import format_instant, zone
from ..files.yamledit import append_item, set_value
from ..models import (
    ActionItem,
    AffectedService,
    Incident,
    Roles,
    Severity,
    TimelineEvent,
    Update,
)
from ..models.incident import DetectedBy, Impact, Status, Visibility
from ..organisation import Organisation

ROLE_NAMES: tuple[str, ...] = tuple(Roles.model_fields)
ROLE_LABELS: dict[str, str] = {
    "commander": "incident commander",
    "communications": "communications lead",
    "technical_lead": "technical lead",
    "scribe": "scribe",
}
DETECTION_WORDS: dict[str, str] = {
    "monitor": "a probe",
    "customer": "a customer's report",
    "internal": "someone inside the company",
}
IMPACTS: tuple[str, ...] = get_args(Impact)
OPEN_STATUSES: tuple[Status, ...] = ("investigating", "identified", "monitoring")
DETECTION_SOURCES: tuple[str, ...] = get_args(DetectedBy)
VISIBILITIES: tuple[str, ...] = get_args(Visibility)
MAX_TITLE_CHARS = 200
"""What the record's ``title`` holds; it is also the commit subject and the pull request's title."""
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
PLACEHOLDER = "TODO: "
"""Scaffolded postmortem text starts with this, so a reviewer (and a grep) sees what is still unwritten."""


class OperationError(RequestError):
    """A request that cannot apply; the message says what is wrong and what would be right."""


@dataclass(frozen=True)
class Declaration:
    """Everything a person says when declaring an incident; optional parts get sensible defaults."""

    title: str
    severity: str
    services: tuple[tuple[str, str], ...]
    summary: str | None = None
    commander: str | None = None
    visibility: Visibility | None = None
    detected_by: DetectedBy = "internal"
    started_at: datetime | None = None
    message: str | None = None
    by: str | None = None
    labels: tuple[str, ...] = ()


@dataclass
class RecordEdit:
    """Keys to set (a path of keys, so ``("roles", "commander")`` sets one role) and items to append."""

    sets: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)
    appends: list[tuple[str, BaseModel]] = field(default_factory=list)
    comments: dict[str, str] = field(default_factory=dict)
    """Top-level key -> comment line written above it (e.g. the postmortem's due date)."""
    summary: str = ""
    """One line for the person and the commit message: what this change does."""

    def __bool__(self) -> bool:
        """False when there is nothing to write (e.g. a role handed to the person who holds it)."""
        return bool(self.sets or self.appends)

    def apply(self, data: CommentedMap) -> None:
        for path, value in self.sets:
            _set_path(data, path, value)
        for key, item in self.appends:
            append_item(data, key, item)
        for key, text in self.comments.items():
            if key in data:
                data.yaml_set_comment_before_after_key(key, before=text, indent=0)


def _set_path(data: CommentedMap, path: tuple[str, ...], value: Any) -> None:
    """Set a nested key without rewriting its parent, so comments inside the parent stay put."""
    if len(path) == 1:
        set_value(data, path[0], value)
        return
    head, rest = path[0], path[1:]
    child = data.get(head)
    if not isinstance(child, CommentedMap):
        child = CommentedMap()
        set_value(data, head, child)
    if len(rest) == 1 and rest[0] not in child and head == "roles":
        order = list(Roles.model_fields)
        earlier = [k for k in order[: order.index(rest[0])] if k in child]
        position = list(child.keys()).index(earlier[-1]) + 1 if earlier else 0
        child.insert(position, rest[0], value)
        return
    _set_path(child, rest, value)


# ---------------------------------------------------------------- checks against the organisation


def _severity(org: Organisation, ident: str) -> Severity:
    severity = org.severities.get(ident)
    if severity is None:
        known = ", ".join(sorted(org.severities)) or "none defined"
        raise OperationError(f"unknown severity '{ident}'; known: {known}")
    return severity


def _person(org: Organisation, ident: str, what: str) -> str:
    if ident not in org.people:
        known = ", ".join(sorted(org.people)) or "nobody in schedules/people.yaml"
        raise OperationError(f"unknown person '{ident}' for {what}; known: {known}")
    return ident


def parse_service(text: str, default_impact: str = "major_outage") -> tuple[str, str]:
    """``api:partial_outage`` -> ("api", "partial_outage"); a bare ``api`` takes the default impact."""
    service, sep, impact = text.strip().partition(":")
    impact = impact.strip() if sep else default_impact
    if impact not in IMPACTS:
        raise OperationError(f"impact '{impact}' for '{service}' is not one of {', '.join(IMPACTS)}")
    return service.strip(), impact


def _services(org: Organisation, services: Iterable[tuple[str, str]]) -> list[AffectedService]:
    result: list[AffectedService] = []
    seen: set[str] = set()
    for service, impact in services:
        if service not in org.services:
            known = ", ".join(sorted(org.services)) or "none defined"
            raise OperationError(f"unknown service '{service}'; known: {known}")
        if impact not in IMPACTS:
            raise OperationError(f"impact '{impact}' for '{service}' is not one of {', '.join(IMPACTS)}")
        if service in seen:
            raise OperationError(f"service '{service}' is named twice; name each affected service once")
        seen.add(service)
        result.append(AffectedService(service=service, impact=impact))  # type: ignore[arg-type]
    if not result:
        raise OperationError("name at least one affected service, e.g. --service api:partial_outage")
    return result


def find(org: Organisation, ident: str) -> Incident:
    incident = org.incidents.get(ident.strip().upper())
    if incident is None:
        open_ids = ", ".join(i.id for i in org.open_incidents()) or "none"
        raise OperationError(f"there is no incident '{ident}'; open incidents: {open_ids}")
    return incident


def _not_before_last(incident: Incident, now: datetime) -> None:
    """Updates are kept oldest first; an older instant means a wrong --at or a skewed clock."""
    latest = max([incident.detected_at, *(u.at for u in incident.updates), *(m for _, m in incident.milestones() if m)])
    if now < latest:
        raise OperationError(
            f"{format_instant(now)} is before the record's latest entry ({format_instant(latest)}); check --at"
        )


def _still_open(incident: Incident, verb: str) -> None:
    if not incident.is_open:
        when = format_instant(incident.resolved_at) if incident.resolved_at else "some point"
        raise OperationError(
            f"{incident.id} was resolved at {when}; it cannot be {verb}. "
            f"If it is back, declare a new incident and list {incident.id} under related"
        )


# ---------------------------------------------------------------- operations


def default_message(org: Organisation, services: Iterable[AffectedService]) -> str:
    names = [org.services[s.service].name for s in services]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"We are investigating problems with {listed}. We will post an update as soon as we know more."


def declare(org: Organisation, request: Declaration, *, now: datetime, ident: str) -> Incident:
    """A new incident record, status investigating, with its first public update and a 'declared' event."""
    severity = _severity(org, request.severity)
    services = _services(org, request.services)
    title = _title(request.title)
    if request.commander:
        _person(org, request.commander, "commander")
    if request.by:
        _person(org, request.by, "--by")
    if request.detected_by == "monitor":
        raise OperationError("detected_by: monitor is for incidents a probe opens; use customer or internal")
    started = request.started_at or now
    if started > now:
        raise OperationError(f"the start ({format_instant(started)}) is in the future; check --started-at")
    try:
        return _record(org, request, severity, services, title, now=now, ident=ident)
    except ValidationError as exc:
        where = ".".join(str(part) for part in exc.errors()[0]["loc"])
        raise OperationError(f"the new record would not be valid: {where}: {exc.errors()[0]['msg']}") from None


def _title(text: str) -> str:
    """One short line: the title is also the commit subject and the pull request's title."""
    title = text.strip()
    if not title:
        raise OperationError("the title is empty; say in a few words what is broken, e.g. 'Checkout fails'")
    if any(char in _LINE_BREAKS for char in title):
        raise OperationError("the title must be one line: it becomes the commit subject and the pull request's title")
    if len(title) > MAX_TITLE_CHARS:
        raise OperationError(
            f"the title is {len(title):,} characters long; keep it under {MAX_TITLE_CHARS} "
            "(a few words saying what is broken; details go in --summary or --message)"
        )
    return title


def _record(
    org: Organisation,
    request: Declaration,
    severity: Severity,
    services: list[AffectedService],
    title: str,
    *,
    now: datetime,
    ident: str,
) -> Incident:
    started = request.started_at or now
    visibility = request.visibility or ("public" if severity.public else "internal")
    roles = Roles(commander=request.commander) if request.commander else Roles()
    who = request.by or request.commander
    events = [
        TimelineEvent(at=now, kind="declared", message=f"Declared {severity.id} ({severity.name}).", by=who),
    ]
    if request.commander:
        events.append(TimelineEvent(at=now, kind="role", message=f"{request.commander} is incident commander.", by=who))
    return Incident(
        id=ident,
        title=title,
        severity=severity.id,
        status="investigating",
        visibility=visibility,
        summary=(request.summary or "").strip() or None,
        services=services,
        detected_by=request.detected_by,
        started_at=started,
        detected_at=now,
        roles=roles,
        labels=list(request.labels),
        updates=[
            Update(
                at=now,
                status="investigating",
                message=(request.message or "").strip() or default_message(org, services),
            )
        ],
        timeline=events,
    )


def status_update(
    incident: Incident,
    *,
    now: datetime,
    message: str,
    status: Status | None = None,
    by: str | None = None,
) -> RecordEdit:
    """A public update; 'monitoring' also records when the impact was mitigated, if nobody had yet."""
    _still_open(incident, "updated")
    new_status = status or incident.status
    if new_status == "resolved":
        raise OperationError("use 'watchbill resolve' to resolve: it also sets resolved_at and the final update")
    if not message.strip():
        raise OperationError("the update's message is empty; write what customers should know now")
    _not_before_last(incident, now)
    change = RecordEdit(summary=f"{incident.id}: {new_status}: {_first_line(message)}")
    change.appends.append(("updates", Update(at=now, status=new_status, message=message.strip())))
    change.sets.append((("status",), new_status))
    if new_status != incident.status:
        change.appends.append(
            (
                "timeline",
                TimelineEvent(at=now, kind="status", message=f"Status {incident.status} -> {new_status}.", by=by),
            )
        )
    if new_status == "monitoring" and incident.mitigated_at is None:
        change.sets.append((("mitigated_at",), now))
        change.appends.append(("timeline", TimelineEvent(at=now, kind="mitigated", message="Mitigated.", by=by)))
    return change


def assign(
    org: Organisation, incident: Incident, roles: Mapping[str, str], *, now: datetime, by: str | None = None
) -> RecordEdit:
    """Hand roles to people; each hand-over is a timeline event naming who held the role before."""
    if not roles:
        raise OperationError(
            f"name at least one role to assign: {', '.join('--' + r.replace('_', '-') for r in ROLE_NAMES)}"
        )
    _still_open(incident, "reassigned")
    change = RecordEdit(summary=f"{incident.id}: " + ", ".join(f"{r.replace('_', ' ')} {p}" for r, p in roles.items()))
    for role, person in roles.items():
        if role not in ROLE_NAMES:
            raise OperationError(f"unknown role '{role}'; roles are {', '.join(ROLE_NAMES)}")
        _person(org, person, role.replace("_", " "))
        previous = getattr(incident.roles, role)
        if previous == person:
            continue
        change.sets.append((("roles", role), person))
        was = f" (was {previous})" if previous else ""
        label = ROLE_LABELS.get(role, role.replace("_", " "))
        change.appends.append(
            ("timeline", TimelineEvent(at=now, kind="role", message=f"{person} is {label}{was}.", by=by))
        )
    return change


def resolve(incident: Incident, *, now: datetime, message: str | None = None, by: str | None = None) -> RecordEdit:
    """Resolved: resolved_at, mitigated_at if it was never set, and the final public update."""
    _still_open(incident, "resolved again")
    _not_before_last(incident, now)
    text = (message or "").strip() or "This incident has been resolved. Thank you for your patience."
    change = RecordEdit(summary=f"{incident.id}: resolved")
    change.sets.append((("status",), "resolved"))
    if incident.mitigated_at is None:
        change.sets.append((("mitigated_at",), now))
    change.sets.append((("resolved_at",), now))
    change.appends.append(("updates", Update(at=now, status="resolved", message=text)))
    change.appends.append(("timeline", TimelineEvent(at=now, kind="resolved", message="Resolved.", by=by)))
    return change


def postmortem_due(org: Organisation, incident: Incident) -> datetime | None:
    """When the severity wants the postmortem published, counted from resolution; None if not required."""
    severity = org.severities.get(incident.severity)
    if severity is None or not severity.postmortem.required or severity.postmortem.due_within is None:
        return None
    if incident.resolved_at is None:
        return None
    return incident.resolved_at + severity.postmortem.due_within


def postmortem(org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
    """The Google SRE template, pre-filled from the record (impact, detection, timeline of roles).

    Free-text fields start with ``TODO:`` so the draft validates yet plainly reads as unfinished.
    """
    if incident.postmortem is not None:
        raise OperationError(
            f"{incident.id} already has a postmortem ({incident.postmortem.status}); edit it in the file"
        )
    severity = _severity(org, incident.severity)
    end = incident.resolved_at or now
    lasted = human_span(end - incident.started_at)
    affected = ", ".join(
        f"{org.services[s.service].name} ({s.impact.replace('_', ' ')})"
        for s in incident.services
        if s.service in org.services
    )
    impact = f"{PLACEHOLDER}who was affected and how. Record: {affected} for {lasted}"
    if incident.resolved_at is None:
        impact += " so far (still open)"
    took = human_span(incident.detected_at - incident.started_at)
    detection = f"{PLACEHOLDER}how we found out. Record: detected by {DETECTION_WORDS[incident.detected_by]}"
    if incident.probe:
        detection += f" (probe {incident.probe})"
    detection += f", {took} after it started."
    authors = [p for p in (incident.roles.commander, incident.roles.scribe) if p]
    scaffold = CommentedMap()
    scaffold["status"] = "draft"
    scaffold["authors"] = CommentedSeq(dict.fromkeys(authors))
    scaffold["summary"] = f"{PLACEHOLDER}two or three sentences: what happened, for how long, and why."
    scaffold["impact"] = impact + "."
    scaffold["trigger"] = f"{PLACEHOLDER}the change or event that set it off."
    scaffold["root_cause"] = f"{PLACEHOLDER}why it could happen at all; ask 'why' until it is about the system."
    scaffold["root_cause_category"] = None
    scaffold["resolution"] = f"{PLACEHOLDER}what stopped the impact and what fixed it for good."
    scaffold["detection"] = detection
    for key in ("contributing_factors", "went_well", "to_improve", "got_lucky", "action_items"):
        scaffold[key] = CommentedSeq()
    scaffold.yaml_add_eol_comment("e.g. config-change, capacity, dependency", "root_cause_category")
    scaffold.yaml_add_eol_comment(
        "- {title, owner, type: mitigate|prevent|process, priority, due, link}", "action_items"
    )
    due = postmortem_due(org, incident)
    change = RecordEdit(summary=f"{incident.id}: postmortem draft")
    change.sets.append((("postmortem",), scaffold))
    if due is not None:
        change.comments["postmortem"] = (
            f"Postmortem due {format_instant(due)}: {severity.id} wants it published within "
            f"{human_span(severity.postmortem.due_within or timedelta())} of resolution."
        )
    return change


def human_span(delta: timedelta) -> str:
    """``10 days``, ``2d 4h``, ``3h 20m``, ``45m``: the two largest units a person reads at a glance."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days and not rest:
        return f"{days} day" + ("s" if days != 1 else "")
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def _first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


# ---------------------------------------------------------------- what needs attention


@dataclass(frozen=True)
class PendingPostmortem:
    incident: Incident
    due: datetime
    overdue: bool
    state: str
    """'missing', 'draft' or 'in_review'."""


@dataclass(frozen=True)
class OverdueAction:
    incident: Incident
    index: int
    item: ActionItem
    days_late: int


def open_incidents(org: Organisation) -> list[Incident]:
    return org.open_incidents()


def pending_postmortems(org: Organisation, now: datetime) -> list[PendingPostmortem]:
    """Required postmortems not yet published, oldest due first; ``overdue`` once the due time has passed."""
    pending: list[PendingPostmortem] = []
    for incident in org.incidents.values():
        due = postmortem_due(org, incident)
        if due is None:
            continue
        pm = incident.postmortem
        if pm is not None and pm.status == "published":
            continue
        pending.append(PendingPostmortem(incident, due, now > due, "missing" if pm is None else pm.status))
    return sorted(pending, key=lambda p: (p.due, p.incident.id))


def overdue_action_items(org: Organisation, now: datetime) -> list[OverdueAction]:
    """Open action items past their due day, counted in the organisation's time zone."""
    today: date = now.astimezone(zone(org.settings.timezone)).date()
    late: list[OverdueAction] = []
    for incident in org.incidents.values():
        if incident.postmortem is None:
            continue
        for index, item in enumerate(incident.postmortem.action_items):
            if item.status in ("open", "in_progress") and item.due < today:
                late.append(OverdueAction(incident, index, item, (today - item.due).days))
    return sorted(late, key=lambda a: (a.item.due, a.incident.id, a.index))


# ---------------------------------------------------------------- edit requests


@dataclass(frozen=True)
class StatusUpdate:
    """A public update, optionally moving the status (``watchbill update``, ``/update`` on the pull request)."""

    message: str
    status: Status | None = None
    by: str | None = None


@dataclass(frozen=True)
class RoleAssignment:
    """Roles handed to people, role name -> person id (``watchbill assign``)."""

    roles: Mapping[str, str]
    by: str | None = None


@dataclass(frozen=True)
class Resolution:
    """The incident is over; ``message`` is the final public update (a default one when empty)."""

    message: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class PostmortemDraft:
    """Scaffold the postmortem from the record (``watchbill postmortem``)."""


EditRequest = StatusUpdate | RoleAssignment | Resolution | PostmortemDraft
"""Everything a person can ask of an existing record; :func:`edit_for` turns it into a :class:`RecordEdit`."""


def edit_for(org: Organisation, incident: Incident, request: EditRequest, *, now: datetime) -> RecordEdit:
    """The one dispatch from a request to its operation, whoever asks (the CLI, a workflow, a comment)."""
    if isinstance(request, StatusUpdate):
        return status_update(incident, now=now, message=request.message, status=request.status, by=request.by)
    if isinstance(request, RoleAssignment):
        return assign(org, incident, request.roles, now=now, by=request.by)
    if isinstance(request, Resolution):
        return resolve(incident, now=now, message=request.message, by=request.by)
    return postmortem(org, incident, now=now)


def unwritten_sections(incident: Incident) -> int:
    """Postmortem sections still starting with :data:`PLACEHOLDER`."""
    values = incident.postmortem.model_dump().values() if incident.postmortem else []
    return sum(1 for value in values if isinstance(value, str) and value.startswith(PLACEHOLDER))


def roles_from(options: Mapping[str, str | None]) -> dict[str, str]:
    """Keep the roles a person actually named, in the template's order."""
    return {role: person for role in ROLE_NAMES if (person := options.get(role))}
