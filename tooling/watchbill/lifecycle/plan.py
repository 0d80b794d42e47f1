"""Thresholds -> what should happen to incident records: a pure function of the organisation, the probe
state, the ledger of open episodes and the records as they stand now (a person may have edited them).

One alert, not ten: an incident is one outage of one *service*, however many of its probes see it.

- ``failure_threshold`` consecutive failures of a probe with no episode open -> the probe joins the open
  incident of its service (one its other probes opened), or opens one (unless a maintenance window covers
  the service now, or a person's incident is already open for the service). Probes of one service that
  cross their thresholds in the same run open one incident together. Failures inside a window that has
  since closed do not count; the streak starts again at its end.
- Each probe keeps its own episode in the ledger (its own start and detection), pointing at the shared
  incident; the record lists them all in ``probes`` and says in its timeline when each was detected.
- An open record whose probes have all recovered (each by its own ``success_threshold``) -> ``monitoring``;
  once it has been in ``monitoring`` for the severity's ``recovery_watch`` with every probe still healthy
  -> ``resolved``, and all its episodes end.
- A record in ``monitoring`` with any of its probes failing again (a new streak, started after the record
  entered monitoring) -> back to the status it had before, on the same record: never a second incident.
- A record a person resolved while a probe still fails stays resolved; that probe's episode ends when it
  is healthy again, so its next failure opens a new incident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..fields import format_instant
from ..incidents.branches import Dismissed, Found, Unreadable
from ..incidents.ids import IncidentId
from ..maintenance import suppressing
from ..models import AffectedService, Incident, Maintenance, Probe, Service, TimelineEvent, Update
from ..models.incident import Impact, Status
from ..organisation import Organisation
from ..state.snapshot import ProbeState, Snapshot
from .episodes import Episode, Ledger

IMPACT_WORDS = {
    "degraded_performance": "degraded performance",
    "partial_outage": "a partial outage",
    "major_outage": "a major outage",
}
IMPACT_RANK: tuple[Impact, ...] = ("degraded_performance", "partial_outage", "major_outage")


@dataclass(frozen=True)
class Open:
    episode: Episode
    incident: Incident
    joined: tuple[Episode, ...] = ()
    """Episodes of the service's other probes that failed in the same run: the record lists them too."""

    @property
    def episodes(self) -> tuple[Episode, ...]:
        return (self.episode, *self.joined)


@dataclass(frozen=True)
class Adopt:
    """An open monitor-detected record on the base branch that the ledger did not know (e.g. a lost ledger)."""

    episode: Episode


@dataclass(frozen=True)
class Join:
    """A probe of a service whose incident is already open failed too: its episode points at that incident,
    and the record lists the probe (an internal timeline event; no public update, no new page)."""

    episode: Episode
    event: TimelineEvent
    impact: Impact
    """The probe's impact: the record's impact on the service is raised to it, never lowered."""
    service: str


@dataclass(frozen=True)
class Recover:
    episode: Episode
    mitigated_at: datetime
    update: Update
    event: TimelineEvent


@dataclass(frozen=True)
class Relapse:
    episode: Episode
    update: Update
    event: TimelineEvent


@dataclass(frozen=True)
class Resolve:
    episode: Episode
    resolved_at: datetime
    update: Update
    event: TimelineEvent


@dataclass(frozen=True)
class Forget:
    """The episode is over: drop it from the ledger."""

    probe: str


Action = Open | Adopt | Join | Recover | Relapse | Resolve | Forget


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def of(self, kind: type[Action]) -> list[Action]:
        return [a for a in self.actions if isinstance(a, kind)]


@dataclass(frozen=True)
class Member:
    """One probe of an incident's group: its configuration, its state now and its episode."""

    service: Service
    probe: Probe
    state: ProbeState | None
    episode: Episode

    @property
    def healthy(self) -> bool:
        state = self.state
        return state is not None and state.ok is True and state.consecutive_successes >= self.probe.success_threshold

    def failing_since(self, since: datetime) -> bool:
        """Failing (past its threshold) in a streak that started after ``since``."""
        state = self.state
        if state is None or state.ok is not False or state.first_failure_at is None:
            return False
        return state.consecutive_failures >= self.probe.failure_threshold and state.first_failure_at > since


@dataclass
class _Planning:
    """What one plan is working from, and the groups (incident id -> members) it builds up."""

    org: Organisation
    records: dict[str, Found]
    now: datetime
    allocate: Callable[[int], str]
    result: Plan = field(default_factory=Plan)
    groups: dict[str, list[Member]] = field(default_factory=dict)


def plan_actions(
    org: Organisation,
    snapshot: Snapshot,
    ledger: Ledger,
    records: Mapping[str, Found],
    now: datetime,
    *,
    allocate: Callable[[int], str],
) -> Plan:
    """``records`` maps each ledger episode's incident id to its record as found; ``allocate(year)`` hands
    out a new incident id (the caller makes that atomic)."""
    planning = _Planning(org, dict(records), now, allocate)
    prefix = org.settings.lifecycle.branch_prefix
    maintenance = list(org.maintenance.values())
    candidates: list[tuple[Service, Probe, ProbeState]] = []
    for service in sorted(org.services.values(), key=lambda s: s.id):
        for probe in service.probes:
            key = f"{service.id}/{probe.id}"
            state = snapshot.probes.get(key)
            episode = ledger.episodes.get(key)
            if episode is None:
                adopted = _adoptable(org, key, prefix)
                if adopted is not None:
                    planning.result.actions.append(Adopt(adopted))
                    episode = adopted
                    planning.records[adopted.incident] = org.incidents[adopted.incident]
            if episode is not None:
                planning.groups.setdefault(episode.incident, []).append(Member(service, probe, state, episode))
            elif state is not None:
                candidates.append((service, probe, state))
    for service, probe, state in candidates:
        _maybe_open(planning, service, probe, state, maintenance)
    for incident_id, members in planning.groups.items():
        _follow(planning, members, planning.records.get(incident_id))
    configured = {f"{s.id}/{p.id}" for s in org.services.values() for p in s.probes}
    for key, episode in sorted(ledger.episodes.items()):
        if key not in configured:
            planning.result.notes.append(f"{key} is no longer configured; {episode.incident} is left to people")
            planning.result.actions.append(Forget(key))
    return planning.result


def probes_of(incident: Incident) -> list[str]:
    """Every probe a record was opened or joined by, first one first (records from before ``probes`` name one)."""
    listed = list(incident.probes)
    if incident.probe is not None and incident.probe not in listed:
        listed.insert(0, incident.probe)
    return listed


def _adoptable(org: Organisation, key: str, prefix: str) -> Episode | None:
    for incident in org.open_incidents():
        if incident.detected_by == "monitor" and key in probes_of(incident):
            path = org.incident_path(incident.id).relative_to(org.root).as_posix()
            return Episode(
                probe=key,
                incident=incident.id,
                path=path,
                branch=IncidentId.parse(incident.id).branch(prefix),
                started_at=incident.started_at,
                detected_at=incident.detected_at,
            )
    return None


def _maybe_open(
    planning: _Planning, service: Service, probe: Probe, state: ProbeState, maintenance: list[Maintenance]
) -> None:
    """A probe with no episode that crossed its threshold joins its service's open incident, or opens one."""
    org, now, result = planning.org, planning.now, planning.result
    key = f"{service.id}/{probe.id}"
    if state.ok is not False or state.first_failure_at is None:
        return
    windows = suppressing(maintenance, service.id, state.first_failure_at, now)
    current = next((w for w in windows if w.contains(now)), None)
    if current is not None:
        if state.consecutive_failures >= probe.failure_threshold:
            until = format_instant(current.end)
            result.notes.append(f"{key} is failing but {service.id} is in maintenance until {until}")
        return
    ended = max((w.end for w in windows if w.end <= now), default=None)
    started, detected = _streak_bounds(state, probe.failure_threshold, after=ended)
    if started is None or detected is None:
        return
    held, note = _held_back(org, service.id, key, started)
    if note is not None:
        result.notes.append(note)
    if held:
        return
    detail = f" ({state.consecutive_failures} failed checks in a row)"
    detail += f"; last error: {state.last_error}" if state.last_error else ""
    if _join(planning, service, probe, state, started, detected, detail):
        return
    incident_id = planning.allocate(now.year)
    ident = IncidentId.parse(incident_id)
    incident = new_record(org, service, probe, incident_id, started, detected, now, detail)
    episode = Episode(
        probe=key,
        incident=incident_id,
        path=ident.path,
        branch=ident.branch(org.settings.lifecycle.branch_prefix),
        started_at=started,
        detected_at=detected,
    )
    result.actions.append(Open(episode, incident))
    planning.records[incident_id] = None
    planning.groups[incident_id] = [Member(service, probe, state, episode)]


def _join(
    planning: _Planning,
    service: Service,
    probe: Probe,
    state: ProbeState,
    started: datetime,
    detected: datetime,
    detail: str,
) -> bool:
    """Join the service's incident that is open (or being opened by this plan); False when there is none."""
    key = f"{service.id}/{probe.id}"
    for incident_id, members in planning.groups.items():
        if not any(m.service.id == service.id for m in members):
            continue
        opening = next(
            (a for a in planning.result.actions if isinstance(a, Open) and a.incident.id == incident_id), None
        )
        record = planning.records.get(incident_id)
        if isinstance(record, Unreadable):
            planning.result.notes.append(f"{key} is failing; it joins {incident_id} once that record validates")
            return True
        if opening is None and (isinstance(record, Dismissed) or (isinstance(record, Incident) and not record.is_open)):
            continue
        lead = members[0].episode
        episode = replace(lead, probe=key, started_at=started, detected_at=detected)
        event = TimelineEvent(
            at=detected, kind="detected", message=f"Probe {key} failing since {format_instant(started)}{detail}."
        )
        if opening is not None:
            index = planning.result.actions.index(opening)
            planning.result.actions[index] = _fold(planning.org, opening, episode, event, service, probe)
        elif isinstance(record, Incident):
            planning.result.actions.append(Join(episode, event, probe.impact, service.id))
        # else: no branch holds the record; it is proposed again below with every member, this one too
        members.append(Member(service, probe, state, episode))
        return True
    return False


def _fold(
    org: Organisation, opening: Open, episode: Episode, event: TimelineEvent, service: Service, probe: Probe
) -> Open:
    """The record being opened, with one more probe of its service: every probe listed and detected in the
    timeline, the earliest start, the worst impact and the most severe severity among them."""
    record = opening.incident
    impact = max([probe.impact, *(a.impact for a in record.services if a.service == service.id)], key=IMPACT_RANK.index)
    severity = _more_severe(org, record.severity, probe.severity or service.severity)
    public = service.public and ((level := org.severities.get(severity)) is None or level.public)
    first = record.updates[0].model_copy(update={"message": _investigating(service, impact)})
    incident = record.model_copy(
        update={
            "title": _title(service, impact),
            "severity": severity,
            "visibility": "public" if public else "internal",
            "probes": [*probes_of(record), episode.probe],
            "started_at": min(record.started_at, episode.started_at),
            "detected_at": min(record.detected_at, episode.detected_at),
            "services": [
                a.model_copy(update={"impact": impact}) if a.service == service.id else a for a in record.services
            ],
            "updates": [first, *record.updates[1:]],
            "timeline": sorted([*record.timeline, event], key=lambda e: e.at),
        }
    )
    return Open(opening.episode, Incident.model_validate(incident.model_dump()), (*opening.joined, episode))


def _more_severe(org: Organisation, first: str, second: str) -> str:
    order = list(org.severities)
    if first not in order or second not in order:
        return first
    return min(first, second, key=order.index)


def _title(service: Service, impact: Impact) -> str:
    return f"{service.name}: {IMPACT_WORDS[impact].removeprefix('a ')}"


def _investigating(service: Service, impact: Impact) -> str:
    return f"We are investigating {IMPACT_WORDS[impact]} of {service.name}."


def worse(first: Impact, second: Impact) -> Impact:
    """The more serious of two impacts."""
    return max(first, second, key=IMPACT_RANK.index)


def _held_back(org: Organisation, service: str, key: str, started: datetime) -> tuple[bool, str | None]:
    """Whether a record that already exists stops a new one for this failure, and the note that says so."""
    for incident in org.open_incidents():
        # A record a person declared (even one saying monitoring caught it) holds back a probe's own.
        by_person = incident.detected_by != "monitor" or incident.probe is None
        if any(s.service == service for s in incident.services) and by_person:
            return True, f"{key} is failing; {incident.id} is already open for {service}, so none is opened"
        if key in probes_of(incident):
            return True, None  # a monitor record for this probe that is being adopted elsewhere
    for incident in org.incidents.values():
        if key in probes_of(incident) and incident.resolved_at is not None and incident.resolved_at >= started:
            return True, f"{key} is still failing; {incident.id} was resolved by a person during this failure"
    return False, None


def _streak_bounds(
    state: ProbeState, threshold: int, after: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """(first failure, the failure that reached the threshold) of the current streak, counting only
    failures at or after ``after`` (the end of a maintenance window)."""
    first = state.first_failure_at
    if first is None:
        return None, None
    failing = sorted(s.at for s in state.recent if not s.ok and s.at >= first and (after is None or s.at >= after))
    if after is not None and after > first:
        if len(failing) < threshold:
            return None, None
        return failing[0], failing[threshold - 1]
    if state.consecutive_failures < threshold:
        return None, None
    if len(failing) >= threshold and failing[0] == first:
        return first, failing[threshold - 1]
    return first, state.last_checked or first


def _follow(planning: _Planning, members: list[Member], found: Found) -> None:
    """An incident's probes, followed together: the record moves when all of them say so."""
    result, now = planning.result, planning.now
    lead = members[0]
    if isinstance(found, Unreadable):
        result.notes.append(f"{lead.episode.probe}: {found.reason}; left alone until it validates")
        return
    if found is None:
        if any(isinstance(a, Open) and a.episode.incident == lead.episode.incident for a in result.actions):
            return  # opened by this plan
        result.notes.append(f"{lead.episode.incident} for {lead.episode.probe} was not found; proposing it again")
        result.actions.append(_propose_again(planning.org, members, now))
        return
    if isinstance(found, Dismissed) or found.status == "resolved":
        for member in members:
            if member.state is None or member.state.ok is not False:
                result.actions.append(Forget(member.episode.probe))
        return
    result.actions.extend(_next_steps(planning.org, members, found, now))


def _propose_again(org: Organisation, members: list[Member], now: datetime) -> Open:
    """The record of a ledger episode that no branch holds (lost, or never pushed): proposed again, with all
    the probes its episodes name."""
    lead = members[0]
    state = lead.state
    detail = f"; last error: {state.last_error}" if state is not None and state.last_error else ""
    episode = lead.episode
    incident = new_record(
        org, lead.service, lead.probe, episode.incident, episode.started_at, episode.detected_at, now, detail
    )
    opening = Open(episode, incident)
    for member in members[1:]:
        joined = member.episode
        since = format_instant(joined.started_at)
        event = TimelineEvent(
            at=joined.detected_at, kind="detected", message=f"Probe {joined.probe} failing since {since}."
        )
        opening = _fold(org, opening, joined, event, member.service, member.probe)
    return opening


def _next_steps(org: Organisation, members: list[Member], record: Incident, now: datetime) -> list[Action]:
    """An open record follows its probes: all recovered -> monitoring; any failing again -> back; all watched
    healthy -> resolved."""
    known = [m for m in members if m.state is not None]
    healthy = bool(known) and all(m.healthy for m in known)
    if record.status in ("investigating", "identified"):
        return [_recover(known, record, now)] if healthy else []
    if record.status != "monitoring":
        return []
    since = _monitoring_since(record)
    relapsed = [m for m in known if m.failing_since(since)]
    if relapsed:
        return [_relapse(relapsed[0], members[0].episode, record, now)]
    severity = org.severities.get(record.severity)
    watch = severity.recovery_watch if severity is not None else timedelta(minutes=15)
    if healthy and now - since >= watch:
        return [
            _resolution(known, members[0].episode, record, since, watch, now),
            *(Forget(m.episode.probe) for m in members),
        ]
    return []


def _recover(members: list[Member], record: Incident, now: datetime) -> Recover:
    states = [m.state for m in members if m.state is not None]
    back = max((s.first_success_at or now for s in states), default=now)
    mitigated = max([back, *[m for _, m in record.milestones()[:3] if m is not None]])
    service = members[0].service
    at = _after_updates(record, now)
    checks = "; ".join(
        f"{m.episode.probe} for {m.state.consecutive_successes} check(s)" for m in members if m.state is not None
    )
    message = (
        f"Probe {members[0].episode.probe} healthy for {states[0].consecutive_successes} check(s) since "
        f"{format_instant(back)}."
        if len(members) == 1
        else f"Probes healthy since {format_instant(back)}: {checks}."
    )
    return Recover(
        members[0].episode,
        mitigated_at=mitigated,
        update=Update(
            at=at,
            status="monitoring",
            message=f"{service.name} is working normally again. We are monitoring the recovery.",
        ),
        event=TimelineEvent(at=at, kind="mitigated", message=message),
    )


def _relapse(member: Member, episode: Episode, record: Incident, now: datetime) -> Relapse:
    state = member.state
    assert state is not None and state.first_failure_at is not None
    return Relapse(
        episode,
        update=Update(
            at=_after_updates(record, now),
            status=_status_before_monitoring(record),
            message=f"The problem with {member.service.name} has returned. We are investigating.",
        ),
        event=TimelineEvent(
            at=_after_updates(record, now),
            kind="status",
            message=f"Probe {member.episode.probe} failing again since {format_instant(state.first_failure_at)}"
            + (f": {state.last_error}" if state.last_error else "."),
        ),
    )


def _resolution(
    members: list[Member],
    episode: Episode,
    record: Incident,
    since: datetime,
    watch: timedelta,
    now: datetime,
) -> Resolve:
    resolved_at = max([now, *[m for _, m in record.milestones()[:4] if m is not None]])
    at = _after_updates(record, resolved_at)
    states = [m.state for m in members if m.state is not None]
    back = max((s.first_success_at for s in states if s.first_success_at is not None), default=None)
    clock = f"{(back or since):%H:%M} UTC"
    keys = [m.episode.probe for m in members]
    who = f"Probe {keys[0]}" if len(keys) == 1 else f"Probes {', '.join(keys)}"
    return Resolve(
        episode,
        resolved_at=resolved_at,
        update=Update(
            at=at,
            status="resolved",
            message=f"{members[0].service.name} has been working normally since {clock}. This incident is resolved.",
        ),
        event=TimelineEvent(
            at=at,
            kind="resolved",
            message=f"{who} stayed healthy through the {_words(watch)} recovery watch.",
        ),
    )


def new_record(
    org: Organisation,
    service: Service,
    probe: Probe,
    incident_id: str,
    started: datetime,
    detected: datetime,
    now: datetime,
    detail: str = "",
) -> Incident:
    """The record a probe opens: severity from the probe or else its service, a first public update that
    says no more than which service is affected, and the details in the internal timeline."""
    key = f"{service.id}/{probe.id}"
    severity_id = probe.severity or service.severity
    severity = org.severities.get(severity_id)
    public = service.public and (severity.public if severity else True)
    return Incident(
        id=incident_id,
        title=_title(service, probe.impact),
        severity=severity_id,
        status="investigating",
        visibility="public" if public else "internal",
        services=[AffectedService(service=service.id, impact=probe.impact)],
        detected_by="monitor",
        probe=key,
        probes=[key],
        started_at=started,
        detected_at=detected,
        updates=[
            Update(
                at=max(now, detected),
                status="investigating",
                message=_investigating(service, probe.impact),
            )
        ],
        timeline=[
            TimelineEvent(
                at=detected,
                kind="detected",
                message=f"Probe {key} failing since {format_instant(started)}{detail}.",
            )
        ],
    )


def _after_updates(record: Incident, at: datetime) -> datetime:
    """Updates are listed oldest first; never date a new one before the last (e.g. a person's, written late)."""
    latest = max((u.at for u in record.updates), default=at)
    return max(at, latest)


def _monitoring_since(record: Incident) -> datetime:
    for update in reversed(record.updates):
        if update.status == "monitoring":
            return update.at
    return record.mitigated_at or record.detected_at


def _status_before_monitoring(record: Incident) -> Status:
    for update in reversed(record.updates):
        if update.status in ("investigating", "identified"):
            return update.status
    return "investigating"


def _words(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}-minute"


def apply_to_ledger(ledger: Ledger, actions: Iterable[Action]) -> None:
    for action in actions:
        if isinstance(action, Open):
            for episode in action.episodes:
                ledger.episodes[episode.probe] = episode
        elif isinstance(action, Adopt | Join):
            ledger.episodes[action.episode.probe] = action.episode
        elif isinstance(action, Forget):
            ledger.episodes.pop(action.probe, None)
