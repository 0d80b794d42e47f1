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
from typing import Any, Literal, TypeAlias, get_args

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import RequestError
from ..fields import format_instant, zone
from ..files.yamledit import append_item, set_value
from ..models import (
    ActionItem,
    AffectedService,
    Incident,
    Postmortem,
    Roles,
    Severity,
    TimelineEvent,
    Update,
)
from ..models.incident import (
    IMPACT_RANK,
    AffectedComponent,
    DetectedBy,
    Impact,
    PostmortemEvent,
    ServiceStatus,
    Status,
    Visibility,
)
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
    probe: str | None = None
    """With ``detected_by="monitor"``: the probe that fired (``service/probe``); none for an outside monitor."""
    started_at: datetime | None = None
    message: str | None = None
    by: str | None = None
    labels: tuple[str, ...] = ()
    detected_at: datetime | None = None
    """When someone or something first noticed; the declaration (``now``) may come later."""
    drill: bool = False
    """An exercise (``watchbill drill start``): paged as usual, marked DRILL, never published or counted."""


@dataclass
class RecordEdit:
    """Keys to set (a path of keys, so ``("roles", "commander")`` sets one role) and items to append."""

    sets: list[tuple[tuple[str | int, ...], Any]] = field(default_factory=list)
    appends: list[tuple[str, BaseModel]] = field(default_factory=list)
    extends: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)
    """Items appended to a nested list (e.g. the postmortem's action items), created if missing."""
    removes: list[str] = field(default_factory=list)
    """Top-level keys to delete (a relapse takes ``mitigated_at`` back)."""
    comments: dict[str, str] = field(default_factory=dict)
    """Top-level key -> comment line written above it (e.g. the postmortem's due date)."""
    summary: str = ""
    """One line for the person and the commit message: what this change does."""

    def __bool__(self) -> bool:
        """False when there is nothing to write (e.g. a role handed to the person who holds it)."""
        return bool(self.sets or self.appends or self.extends or self.removes)

    def apply(self, data: CommentedMap) -> None:
        for path, value in self.sets:
            _set_path(data, path, value)
        for key, item in self.appends:
            append_item(data, key, item)
        for path, value in self.extends:
            _extend_path(data, path, value)
        for key in self.removes:
            data.pop(key, None)
        for key, text in self.comments.items():
            if key in data:
                data.yaml_set_comment_before_after_key(key, before=text, indent=0)


def _set_path(data: CommentedMap, path: tuple[str | int, ...], value: Any) -> None:
    """Set a nested key without rewriting its parent, so comments inside the parent stay put."""
    head, rest = path[0], path[1:]
    if len(path) == 3 and isinstance(path[1], int) and path[0] in _KEY_ORDER:
        # an item of a list, e.g. ("action_items", 2, "status"): new keys in the item model's order
        _insert_ordered(data[head][path[1]], _KEY_ORDER[path[0]], str(path[2]), value)
        return
    if not isinstance(head, str):
        raise TypeError(f"a list index must follow a list's key: {path}")
    if len(path) == 1:
        set_value(data, head, value)
        return
    child = data.get(head)
    if not isinstance(child, CommentedMap | CommentedSeq):
        child = CommentedMap()
        set_value(data, head, child)
    key = rest[0]
    if len(rest) == 1 and head in _KEY_ORDER and isinstance(child, CommentedMap) and isinstance(key, str):
        _insert_ordered(child, _KEY_ORDER[head], key, value)
        return
    _set_path(child, rest, value)


def _insert_ordered(mapping: CommentedMap, order: list[str], key: str, value: Any) -> None:
    """Set ``key``; a new key goes after the nearest earlier field of ``order``, as a person would write it."""
    if key in mapping:
        mapping[key] = value
        return
    earlier = [k for k in order[: order.index(key)] if k in mapping]
    position = list(mapping.keys()).index(earlier[-1]) + 1 if earlier else 0
    mapping.insert(position, key, value)


_KEY_ORDER: dict[str | int, list[str]] = {
    "roles": list(Roles.model_fields),
    "postmortem": list(Postmortem.model_fields),
    "action_items": list(ActionItem.model_fields),
}
"""Nested mappings whose new keys go in the model's field order, as a person would write them."""


def _extend_path(data: CommentedMap, path: tuple[str, ...], value: Any) -> None:
    """Append ``value`` (a model or plain data) to the list at ``path``, creating the list if needed."""
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if parent.get(path[-1]) is None:
        _set_path(data, path, CommentedSeq())
    parent[path[-1]].append(_plain_item(value) if isinstance(value, BaseModel) else value)


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
    if request.probe is not None:
        _probe(org, request)
    started = request.started_at or now
    if started > now:
        raise OperationError(f"the start ({format_instant(started)}) is in the future; check --started-at")
    try:
        return _record(org, request, severity, services, title, now=now, ident=ident)
    except ValidationError as exc:
        where = ".".join(str(part) for part in exc.errors()[0]["loc"])
        raise OperationError(f"the new record would not be valid: {where}: {exc.errors()[0]['msg']}") from None


def _probe(org: Organisation, request: Declaration) -> None:
    """A named probe must exist and belong to an affected service; it says which check caught the problem."""
    if request.detected_by != "monitor":
        raise OperationError("--probe names the probe that caught it; give it with --detected-by monitor")
    service_id, _, probe_id = (request.probe or "").partition("/")
    service = org.services.get(service_id)
    if service is None or all(p.id != probe_id for p in service.probes):
        known = ", ".join(f"{s.id}/{p.id}" for s in org.services.values() for p in s.probes) or "none defined"
        raise OperationError(f"unknown probe '{request.probe}'; known: {known}")
    if all(service_id != name for name, _ in request.services):
        raise OperationError(f"probe '{request.probe}' checks {service_id}, which is not among the affected services")


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
    detected = _detected(request, started, now)
    visibility = request.visibility or ("public" if severity.public else "internal")
    roles = Roles(commander=request.commander) if request.commander else Roles()
    who = request.by or request.commander
    events = [
        TimelineEvent(at=now, kind="declared", message=f"Declared {severity.id} ({severity.name}).", by=who),
    ]
    if detected < now:
        events.insert(0, TimelineEvent(at=detected, kind="detected", message="Detected.", by=who))
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
        probe=request.probe,
        started_at=started,
        detected_at=detected,
        roles=roles,
        labels=list(request.labels),
        drill=request.drill,
        updates=[
            Update(
                at=now,
                status="investigating",
                message=(request.message or "").strip() or default_message(org, services),
                services=[AffectedComponent(service=a.service, status=a.impact) for a in services],
            )
        ],
        timeline=events,
    )


def _detected(request: Declaration, started: datetime, now: datetime) -> datetime:
    """Detection lies between the start of impact and the declaration (Rootly's order)."""
    detected = request.detected_at or now
    if detected > now:
        raise OperationError(f"detection ({format_instant(detected)}) is after the declaration; check --detected-at")
    if detected < started:
        raise OperationError(
            f"detection ({format_instant(detected)}) is before the start ({format_instant(started)}); "
            "check --detected-at and --started-at"
        )
    return detected


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
    if incident.status == "monitoring" and new_status in ("investigating", "identified"):
        _relapse(incident, change, now=now, by=by)
    if new_status == "monitoring" and incident.mitigated_at is None:
        change.sets.append((("mitigated_at",), now))
        change.appends.append(("timeline", TimelineEvent(at=now, kind="mitigated", message="Mitigated.", by=by)))
    return change


def _relapse(incident: Incident, change: RecordEdit, *, now: datetime, by: str | None) -> None:
    """The impact came back after monitoring: it was not mitigated after all, so ``mitigated_at`` goes,
    as on the probe path (a later mitigation sets it again); the timeline keeps when it was thought so."""
    if incident.mitigated_at is None:
        return
    change.removes.append("mitigated_at")
    was = format_instant(incident.mitigated_at)
    text = f"Relapsed: the mitigation at {was} did not hold."
    change.appends.append(("timeline", TimelineEvent(at=now, kind="status", message=text, by=by)))


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
    back = [AffectedComponent(service=a.service, status="operational") for a in incident.services]
    if not any(u.services for u in incident.updates):
        back = []  # an older record without impact history: the site infers "back to operational" itself
    change.appends.append(("updates", Update(at=now, status="resolved", message=text, services=back)))
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
    """``10 days``, ``2d 4h``, ``3h 20m``, ``45m``, ``40s``: the two largest units a person reads at a glance.

    Rounded, not truncated, as the site's durations are (``site.render.duration``): to the second, then to
    the minute (59.5 s reads ``1m``, 89 min 30 s ``1h 30m``), and from a day on to the hour (``1d 4h`` for
    1 day 3 h 40 min)."""
    seconds = max(0, round(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s" if seconds else "0m"
    minutes = round(seconds / 60)
    if minutes >= 1440:
        minutes = round(minutes / 60) * 60
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


EditRequest: TypeAlias = "StatusUpdate | RoleAssignment | Resolution | PostmortemDraft | PracticeRequest"
"""Everything a person can ask of an existing record; :func:`edit_for` turns it into a :class:`RecordEdit`."""


def edit_for(org: Organisation, incident: Incident, request: EditRequest, *, now: datetime) -> RecordEdit:
    """The one dispatch from a request to its operation, whoever asks (the CLI, a workflow, a comment)."""
    if isinstance(request, _PRACTICE):
        return request.edit(org, incident, now=now)
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


# ---------------------------------------------------------------- the rest of a responder's changes
# Impact with history, rename, related incidents, situation reports, action items and the postmortem's own
# fields: each a request that knows its operation, so a person never edits the YAML during an incident.

SERVICE_STATUSES: tuple[str, ...] = get_args(ServiceStatus)
REVIEW_WITHIN = timedelta(hours=48)
"""The postmortem review meeting is due within this of resolution unless ``review_at`` names a date."""


def parse_service_status(text: str) -> tuple[str, str]:
    """``api:partial_outage`` or ``api:operational``; a bare ``api`` means major_outage."""
    service, sep, status = text.strip().partition(":")
    status = status.strip() if sep else "major_outage"
    if status not in SERVICE_STATUSES:
        raise OperationError(f"status '{status}' for '{service}' is not one of {', '.join(SERVICE_STATUSES)}")
    return service.strip(), status


def _peak(incident: Incident, changes: Mapping[str, str]) -> list[AffectedService] | None:
    """The affected services at their worst so far, or None when the new statuses raise no peak."""
    peaks: dict[str, str] = {a.service: a.impact for a in incident.services}
    raised = False
    for service, status in changes.items():
        if status != "operational" and IMPACT_RANK[status] > IMPACT_RANK.get(peaks.get(service, "operational"), 0):
            peaks[service] = status
            raised = True
    if not raised:
        return None
    return [AffectedService(service=s, impact=i) for s, i in peaks.items()]  # type: ignore[arg-type]


def _current_statuses(incident: Incident) -> dict[str, str]:
    """Each service's status as the latest update that named it says, else its declared impact."""
    current = {a.service: str(a.impact) for a in incident.services}
    first = {c.service: c.status for u in incident.updates for c in u.services}
    current.update({s: v for s, v in first.items() if s not in current})
    for update in sorted(incident.updates, key=lambda u: u.at):
        current.update({c.service: c.status for c in update.services})
    return current


def change_impact(
    org: Organisation,
    incident: Incident,
    services: Iterable[tuple[str, str]],
    *,
    now: datetime,
    message: str | None = None,
    by: str | None = None,
) -> RecordEdit:
    """A public update carrying the services' new statuses (Statuspage's affected components).

    The update keeps the history; ``services`` keeps each service's peak impact for metrics."""
    _still_open(incident, "changed")
    _not_before_last(incident, now)
    changes: dict[str, str] = {}
    for service, status in services:
        if service not in org.services:
            raise OperationError(f"unknown service '{service}'; known: {', '.join(sorted(org.services))}")
        if status not in SERVICE_STATUSES:
            raise OperationError(f"status '{status}' is not one of {', '.join(SERVICE_STATUSES)}")
        changes[service] = status
    if not changes:
        raise OperationError("name at least one service and its status, e.g. --service api:partial_outage")
    before = _current_statuses(incident)
    moved = {s: v for s, v in changes.items() if before.get(s, "operational") != v}
    if not moved:
        return RecordEdit(summary=f"{incident.id}: impact unchanged")
    words = "; ".join(f"{org.services[s].name}: {v.replace('_', ' ')}" for s, v in moved.items())
    text = (message or "").strip() or f"Impact update: {words}."
    components = [AffectedComponent(service=s, status=v) for s, v in changes.items()]  # type: ignore[arg-type]
    change = RecordEdit(summary=f"{incident.id}: impact: {words}")
    change.appends.append(("updates", Update(at=now, status=incident.status, message=text, services=components)))
    history = ", ".join(f"{s} {before.get(s, 'operational')} -> {v}" for s, v in moved.items())
    change.appends.append(("timeline", TimelineEvent(at=now, kind="impact", message=f"Impact {history}.", by=by)))
    peak = _peak(incident, changes)
    if peak is not None:
        change.sets.append((("services",), CommentedSeq(_plain_item(a) for a in peak)))
    return change


def _plain_item(model: BaseModel) -> CommentedMap:
    item = CommentedMap()
    for key, value in model.model_dump(mode="python", exclude_defaults=True, exclude_none=True).items():
        raw = getattr(model, key)
        item[key] = raw if isinstance(raw, date) else value  # dates and instants unquoted, as people write them
    return item


def rename(incident: Incident, title: str, *, now: datetime, by: str | None = None) -> RecordEdit:
    """A new title (also after resolution: postmortems often find the real name of what happened)."""
    new = _title(title)
    if new == incident.title:
        return RecordEdit(summary=f"{incident.id}: title unchanged")
    change = RecordEdit(summary=f"{incident.id}: renamed to {_first_line(new)}")
    change.sets.append((("title",), new))
    message = f"Renamed from '{incident.title}'."
    change.appends.append(("timeline", TimelineEvent(at=now, kind="renamed", message=message, by=by)))
    return change


def relate(org: Organisation, incident: Incident, other: str, *, now: datetime, by: str | None = None) -> RecordEdit:
    """List ``other`` under ``related``; :func:`watchbill.incidents.usecases.relate` does both records."""
    target = find(org, other)
    if target.id == incident.id:
        raise OperationError(f"{incident.id} cannot be related to itself")
    if target.id in incident.related:
        return RecordEdit(summary=f"{incident.id}: already related to {target.id}")
    change = RecordEdit(summary=f"{incident.id}: related to {target.id}")
    change.extends.append((("related",), target.id))
    message = f"Related to {target.id}: {target.title}."
    change.appends.append(("timeline", TimelineEvent(at=now, kind="related", message=message, by=by)))
    return change


def situation_report(
    incident: Incident,
    *,
    now: datetime,
    scope: str | None = None,
    tried: str | None = None,
    working: Iterable[str] = (),
    next_update_at: datetime | None = None,
    by: str | None = None,
) -> RecordEdit:
    """The commander's internal status: scope, what was tried, who is on what, when the next report is."""
    _still_open(incident, "reported on")
    lines = [f"Scope: {scope.strip()}" if scope and scope.strip() else ""]
    lines.append(f"Tried: {tried.strip()}" if tried and tried.strip() else "")
    lines += [f"Working: {w.strip()}" for w in working if w.strip()]
    lines = [line for line in lines if line]
    if next_update_at is not None and next_update_at <= now:
        raise OperationError(f"the next update ({format_instant(next_update_at)}) must be after now")
    if not lines and next_update_at is None:
        raise OperationError("say something: --scope, --tried, --working or --next-update")
    if next_update_at is not None:
        lines.append(f"Next update by {format_instant(next_update_at)}.")
    event = TimelineEvent(at=now, kind="situation", message="\n".join(lines), by=by, next_update_at=next_update_at)
    change = RecordEdit(summary=f"{incident.id}: situation report")
    change.appends.append(("timeline", event))
    return change


def _postmortem_of(incident: Incident) -> Postmortem:
    if incident.postmortem is None:
        raise OperationError(f"{incident.id} has no postmortem yet; start it with 'watchbill postmortem {incident.id}'")
    return incident.postmortem


def add_action_item(org: Organisation, incident: Incident, item: ActionItem, *, now: datetime) -> RecordEdit:
    """A postmortem action item with owner, due date, type and priority."""
    _postmortem_of(incident)
    _person(org, item.owner, "the action item's owner")
    change = RecordEdit(summary=f"{incident.id}: action item: {_first_line(item.title)}")
    change.extends.append((("postmortem", "action_items"), item))
    return change


def close_action_item(
    org: Organisation,
    incident: Incident,
    number: int,
    *,
    now: datetime,
    status: str = "done",
    by: str | None = None,
) -> RecordEdit:
    """Mark action item ``number`` (1 is the first) done or wont_do, with the day it closed."""
    items = _postmortem_of(incident).action_items
    if not 1 <= number <= len(items):
        raise OperationError(f"{incident.id} has {len(items)} action item(s); choose 1 to {len(items)}")
    if status not in ("done", "wont_do", "open", "in_progress"):
        raise OperationError(f"status '{status}' is not one of done, wont_do, in_progress, open")
    item = items[number - 1]
    if item.status == status:
        return RecordEdit(summary=f"{incident.id}: action item {number} is already {status}")
    change = RecordEdit(summary=f"{incident.id}: action item {number} {status}: {_first_line(item.title)}")
    path: tuple[str | int, ...] = ("postmortem", "action_items", number - 1)
    change.sets.append(((*path, "status"), status))
    closed = now.astimezone(zone(org.settings.timezone)).date() if status in ("done", "wont_do") else None
    if closed is not None or item.closed_on is not None:
        change.sets.append(((*path, "closed_on"), closed))
    message = f"Action item {number} ({item.title}) {item.status} -> {status}."
    change.appends.append(("timeline", TimelineEvent(at=now, kind="action", message=message, by=by)))
    return change


POSTMORTEM_TEXTS: tuple[str, ...] = (
    "summary",
    "impact",
    "trigger",
    "root_cause",
    "root_cause_category",
    "resolution",
    "detection",
)
POSTMORTEM_LISTS: tuple[str, ...] = ("contributing_factors", "went_well", "to_improve", "got_lucky")


@dataclass(frozen=True)
class PostmortemChange:
    """Fields of the postmortem to set (``texts``), lines to add (``lists``), engineering-timeline entries,
    the review meeting (``review_at``, ``reviewed`` = held now) and the status (``published`` dates it)."""

    texts: Mapping[str, str] = field(default_factory=dict)
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timeline: tuple[tuple[datetime, str], ...] = ()
    authors: tuple[str, ...] = ()
    review_at: datetime | None = None
    reviewed: bool = False
    status: str | None = None

    def __bool__(self) -> bool:
        return bool(self.texts or self.lists or self.timeline or self.authors or self.review_at or self.reviewed) or (
            self.status is not None
        )

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return edit_postmortem(org, incident, self, now=now)


def _postmortem_sets(org: Organisation, pm: Postmortem | None, request: PostmortemChange, now: datetime) -> RecordEdit:
    change = RecordEdit()
    for key, text in request.texts.items():
        if key not in POSTMORTEM_TEXTS:
            raise OperationError(f"'{key}' is not a postmortem text; one of {', '.join(POSTMORTEM_TEXTS)}")
        change.sets.append((("postmortem", key), text.strip() or None))
    if request.review_at is not None:
        change.sets.append((("postmortem", "review_at"), request.review_at))
    if request.reviewed:
        change.sets.append((("postmortem", "reviewed_at"), now))
    if request.status is not None:
        change.sets.append((("postmortem", "status"), request.status))
        if request.status == "published" and (pm is None or pm.published_on is None):
            change.sets.append((("postmortem", "published_on"), now.astimezone(zone(org.settings.timezone)).date()))
    return change


def edit_postmortem(org: Organisation, incident: Incident, request: PostmortemChange, *, now: datetime) -> RecordEdit:
    """Write the postmortem from the command line; a missing postmortem is scaffolded first."""
    if not request:
        raise OperationError("name what to change, e.g. --root-cause '…' or --timeline '2026-03-02T10:00Z Deploy'")
    pm = incident.postmortem
    change = RecordEdit(summary=f"{incident.id}: postmortem")
    if pm is None:
        scaffold = postmortem(org, incident, now=now)
        change.sets += scaffold.sets
        change.comments.update(scaffold.comments)
    edits = _postmortem_sets(org, pm, request, now)
    change.sets += edits.sets
    known = set(pm.authors) if pm else set()
    for person in request.authors:
        if person not in known:
            change.extends.append((("postmortem", "authors"), _person(org, person, "--author")))
    for key, lines in request.lists.items():
        if key not in POSTMORTEM_LISTS:
            raise OperationError(f"'{key}' is not a postmortem list; one of {', '.join(POSTMORTEM_LISTS)}")
        change.extends += [(("postmortem", key), line.strip()) for line in lines if line.strip()]
    for at, message in sorted(request.timeline):
        change.extends.append((("postmortem", "timeline"), PostmortemEvent(at=at, message=message.strip())))
    return change


def review_due(incident: Incident) -> datetime | None:
    """When the postmortem review meeting is (or was) due: its date, else 48 hours after resolution."""
    if incident.postmortem is not None and incident.postmortem.review_at is not None:
        return incident.postmortem.review_at
    return incident.resolved_at + REVIEW_WITHIN if incident.resolved_at else None


@dataclass(frozen=True)
class MissedReview:
    incident: Incident
    due: datetime


def missed_reviews(org: Organisation, now: datetime) -> list[MissedReview]:
    """Resolved incidents whose postmortem needs a review meeting that has not been held by its date (a
    published postmortem counts as reviewed)."""
    missed: list[MissedReview] = []
    for incident in org.incidents.values():
        due = review_due(incident)
        required = postmortem_due(org, incident) is not None or incident.postmortem is not None
        pm = incident.postmortem
        held = pm is not None and (pm.reviewed_at is not None or pm.status == "published")  # published: reviewed
        if due is not None and required and not held and now > due:
            missed.append(MissedReview(incident, due))
    return sorted(missed, key=lambda m: (m.due, m.incident.id))


@dataclass(frozen=True)
class ImpactChange:
    """Services' new statuses as a public update (``watchbill impact``)."""

    services: tuple[tuple[str, str], ...]
    message: str | None = None
    by: str | None = None

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return change_impact(org, incident, self.services, now=now, message=self.message, by=self.by)


@dataclass(frozen=True)
class Rename:
    title: str
    by: str | None = None

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return rename(incident, self.title, now=now, by=self.by)


@dataclass(frozen=True)
class Relation:
    other: str
    by: str | None = None

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return relate(org, incident, self.other, now=now, by=self.by)


@dataclass(frozen=True)
class SituationReport:
    scope: str | None = None
    tried: str | None = None
    working: tuple[str, ...] = ()
    next_update_at: datetime | None = None
    by: str | None = None

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return situation_report(
            incident,
            now=now,
            scope=self.scope,
            tried=self.tried,
            working=self.working,
            next_update_at=self.next_update_at,
            by=self.by,
        )


@dataclass(frozen=True)
class NewActionItem:
    item: ActionItem

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return add_action_item(org, incident, self.item, now=now)


@dataclass(frozen=True)
class ActionItemStatus:
    number: int
    status: str = "done"
    by: str | None = None

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return close_action_item(org, incident, self.number, now=now, status=self.status, by=self.by)


# ---------------------------------------------------------------- severity, mitigation, notes (W-B)

MITIGATED_MESSAGE = "A fix has been applied and we are monitoring the results."
"""The public update ``/mitigated`` posts when the responder wrote none (Statuspage's wording for monitoring)."""


def change_severity(
    org: Organisation, incident: Incident, severity: str, *, now: datetime, by: str | None = None
) -> RecordEdit:
    """A new severity with a timeline event naming the old one; the same severity again changes nothing.

    Visibility is not changed: making an internal incident public is its own decision."""
    _still_open(incident, "re-classified")
    new = _severity(org, severity.strip().upper())
    change = RecordEdit(summary=f"{incident.id}: severity {incident.severity} -> {new.id}")
    if new.id == incident.severity:
        return change
    _not_before_last(incident, now)
    change.sets.append((("severity",), new.id))
    message = f"Severity {incident.severity} -> {new.id} ({new.name})."
    change.appends.append(("timeline", TimelineEvent(at=now, kind="severity", message=message, by=by)))
    return change


def mark_mitigated(
    incident: Incident, *, now: datetime, message: str | None = None, by: str | None = None
) -> RecordEdit:
    """The impact stopped: ``mitigated_at`` is set and the status moves to monitoring with a public update
    (``message``, else :data:`MITIGATED_MESSAGE`); refused when it was mitigated already."""
    _still_open(incident, "mitigated")
    if incident.mitigated_at is not None:
        raise OperationError(f"{incident.id} was already mitigated at {format_instant(incident.mitigated_at)}")
    text = (message or "").strip()
    if incident.status != "monitoring" or text:
        change = status_update(incident, now=now, message=text or MITIGATED_MESSAGE, status="monitoring", by=by)
        change.summary = f"{incident.id}: mitigated"
        return change
    _not_before_last(incident, now)
    change = RecordEdit(summary=f"{incident.id}: mitigated")
    change.sets.append((("mitigated_at",), now))
    change.appends.append(("timeline", TimelineEvent(at=now, kind="mitigated", message="Mitigated.", by=by)))
    return change


def add_note(
    incident: Incident,
    message: str,
    *,
    now: datetime,
    by: str | None = None,
    kind: NoteKind = "note",
    target: str | None = None,
    via: str | None = None,
) -> RecordEdit:
    """One internal timeline entry, never shown on the public site. Kind ``notified`` with ``target`` and
    ``via`` records a page sent by hand (``/page``); it has no step, so escalation never counts it as its own."""
    text = message.strip()
    if not text:
        raise OperationError("the note is empty; write what the other responders should know")
    event = TimelineEvent(at=now, kind=kind, message=text, by=by, target=target, via=via)
    what = "page" if kind == "notified" else "note"
    change = RecordEdit(summary=f"{incident.id}: {what}: {_first_line(text)}")
    change.appends.append(("timeline", event))
    return change


NoteKind = Literal["note", "notified"]


@dataclass(frozen=True)
class SeverityChange:
    """Move the incident to another severity (``/severity SEV-1`` on the pull request)."""

    severity: str
    by: str | None = None

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return change_severity(org, incident, self.severity, now=now, by=self.by)


@dataclass(frozen=True)
class Mitigation:
    """The impact has stopped (``/mitigated``); ``message`` is the public update, a default one when empty."""

    message: str | None = None
    by: str | None = None

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return mark_mitigated(incident, now=now, message=self.message, by=self.by)


@dataclass(frozen=True)
class InternalNote:
    """An internal timeline entry (``/note``), or a page sent by hand (``/page``, kind notified)."""

    message: str
    by: str | None = None
    kind: NoteKind = "note"
    target: str | None = None
    via: str | None = None

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return add_note(incident, self.message, now=now, by=self.by, kind=self.kind, target=self.target, via=self.via)


@dataclass(frozen=True)
class ChannelLink:
    """Where responders meet (``watchbill channel``): a link or ``#name``; None names one from the settings'
    ``war_room`` templates."""

    link: str | None = None
    by: str | None = None

    def edit(self, org: Organisation, incident: Incident, *, now: datetime) -> RecordEdit:
        return set_channel(org, incident, self.link, now=now, by=self.by)


def set_channel(
    org: Organisation, incident: Incident, link: str | None, *, now: datetime, by: str | None = None
) -> RecordEdit:
    """Record the incident's war room (a chat channel or call link); the change is a timeline event."""
    _still_open(incident, "given a channel")
    text = (link or "").strip() or org.settings.war_room.link_for(incident.id, incident.title)
    if text == incident.channel:
        return RecordEdit(summary=f"{incident.id}: channel is already {text}")
    try:
        Incident.model_validate({**incident.model_dump(), "channel": text}, strict=False)
    except ValidationError:
        raise OperationError(
            f"'{text}' is not a channel: give a link (https://…) or a chat channel name such as #inc-2026-0007-api"
        ) from None
    change = RecordEdit(summary=f"{incident.id}: channel {text}")
    change.sets.append((("channel",), text))
    was = f" (was {incident.channel})" if incident.channel else ""
    change.appends.append(("timeline", TimelineEvent(at=now, kind="note", message=f"War room: {text}{was}.", by=by)))
    return change


PracticeRequest = (
    ImpactChange
    | Rename
    | Relation
    | SituationReport
    | NewActionItem
    | ActionItemStatus
    | PostmortemChange
    | SeverityChange
    | Mitigation
    | InternalNote
    | ChannelLink
)
"""Requests that carry their own operation (``request.edit(org, incident, now=now)``)."""
_PRACTICE = (
    ImpactChange,
    Rename,
    Relation,
    SituationReport,
    NewActionItem,
    ActionItemStatus,
    PostmortemChange,
    SeverityChange,
    Mitigation,
    InternalNote,
    ChannelLink,
)
