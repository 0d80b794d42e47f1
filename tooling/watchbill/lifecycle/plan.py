"""Thresholds -> what should happen to incident records: a pure function of the organisation, the probe
state, the ledger of open episodes and the records as they stand now (a person may have edited them).

Rules, per probe:

- ``failure_threshold`` consecutive failures with no episode open -> open an incident (unless a
  maintenance window covers the service now, or a person's incident is already open for the service).
  Failures inside a window that has since closed do not count; the streak starts again at its end.
- An open record whose probe recovered (``success_threshold`` successes) -> ``monitoring``; once it has been
  in ``monitoring`` for the severity's ``recovery_watch`` with the probe still healthy -> ``resolved``.
- A record in ``monitoring`` whose probe fails again (a new streak, started after the record entered
  monitoring) -> back to the status it had before, on the same record: never a second incident.
- A record a person resolved while the probe still fails stays resolved; the episode ends when the probe
  is healthy again, so the next failure opens a new incident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..fields import format_instant
from ..incidents.branches import Dismissed, Found, Unreadable
from ..incidents.ids import IncidentId
from ..maintenance import suppressing
from ..models import AffectedService, Incident, Maintenance, Probe, Service, TimelineEvent, Update
from ..models.incident import Status
from ..organisation import Organisation
from ..state.snapshot import ProbeState, Snapshot
from .episodes import Episode, Ledger

IMPACT_WORDS = {
    "degraded_performance": "degraded performance",
    "partial_outage": "a partial outage",
    "major_outage": "a major outage",
}


@dataclass(frozen=True)
class Open:
    episode: Episode
    incident: Incident


@dataclass(frozen=True)
class Adopt:
    """An open monitor-detected record on the base branch that the ledger did not know (e.g. a lost ledger)."""

    episode: Episode


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


Action = Open | Adopt | Recover | Relapse | Resolve | Forget


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def of(self, kind: type[Action]) -> list[Action]:
        return [a for a in self.actions if isinstance(a, kind)]


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
    result = Plan()
    prefix = org.settings.lifecycle.branch_prefix
    maintenance = list(org.maintenance.values())
    for service in sorted(org.services.values(), key=lambda s: s.id):
        for probe in service.probes:
            key = f"{service.id}/{probe.id}"
            state = snapshot.probes.get(key)
            episode = ledger.episodes.get(key)
            if episode is None:
                adopted = _adoptable(org, key, prefix)
                if adopted is not None:
                    result.actions.append(Adopt(adopted))
                    episode = adopted
                    records = {**records, adopted.incident: org.incidents[adopted.incident]}
            if episode is not None:
                _follow(org, service, probe, state, episode, records.get(episode.incident), now, result)
            elif state is not None:
                _maybe_open(org, service, probe, state, maintenance, now, result, allocate)
    configured = {f"{s.id}/{p.id}" for s in org.services.values() for p in s.probes}
    for key, episode in sorted(ledger.episodes.items()):
        if key not in configured:
            result.notes.append(f"{key} is no longer configured; {episode.incident} is left to people")
            result.actions.append(Forget(key))
    return result


def _adoptable(org: Organisation, key: str, prefix: str) -> Episode | None:
    for incident in org.open_incidents():
        if incident.detected_by == "monitor" and incident.probe == key:
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
    org: Organisation,
    service: Service,
    probe: Probe,
    state: ProbeState,
    maintenance: list[Maintenance],
    now: datetime,
    result: Plan,
    allocate: Callable[[int], str],
) -> None:
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
    incident_id = allocate(now.year)
    ident = IncidentId.parse(incident_id)
    detail = f" ({state.consecutive_failures} failed checks in a row)"
    detail += f"; last error: {state.last_error}" if state.last_error else ""
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


def _held_back(org: Organisation, service: str, key: str, started: datetime) -> tuple[bool, str | None]:
    """Whether a record that already exists stops a new one for this failure, and the note that says so."""
    for incident in org.open_incidents():
        if any(s.service == service for s in incident.services) and incident.detected_by != "monitor":
            return True, f"{key} is failing; {incident.id} is already open for {service}, so none is opened"
        if incident.probe == key:
            return True, None  # a monitor record for this probe that is being adopted elsewhere
    for incident in org.incidents.values():
        if incident.probe == key and incident.resolved_at is not None and incident.resolved_at >= started:
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


def _follow(
    org: Organisation,
    service: Service,
    probe: Probe,
    state: ProbeState | None,
    episode: Episode,
    found: Found,
    now: datetime,
    result: Plan,
) -> None:
    key = episode.probe
    if isinstance(found, Unreadable):
        result.notes.append(f"{key}: {found.reason}; left alone until it validates")
        return
    if found is None:
        detail = f"; last error: {state.last_error}" if state is not None and state.last_error else ""
        incident = new_record(
            org, service, probe, episode.incident, episode.started_at, episode.detected_at, now, detail
        )
        result.notes.append(f"{episode.incident} for {key} was not found; proposing it again")
        result.actions.append(Open(episode, incident))
        return
    if isinstance(found, Dismissed) or found.status == "resolved":
        if state is None or state.ok is not False:
            result.actions.append(Forget(key))
        return
    if state is not None:
        result.actions.extend(_next_steps(org, service, probe, state, episode, found, now))


def _next_steps(
    org: Organisation,
    service: Service,
    probe: Probe,
    state: ProbeState,
    episode: Episode,
    record: Incident,
    now: datetime,
) -> list[Action]:
    """An open record follows its probe: recovered -> monitoring; failing again -> back; watched -> resolved."""
    healthy = state.ok is True and state.consecutive_successes >= probe.success_threshold
    if record.status in ("investigating", "identified"):
        return [_recover(service, state, episode, record, now)] if healthy else []
    if record.status != "monitoring":
        return []
    since = _monitoring_since(record)
    failing = state.ok is False and state.consecutive_failures >= probe.failure_threshold
    if failing and state.first_failure_at is not None and state.first_failure_at > since:
        return [_relapse(service, state, episode, record, now)]
    severity = org.severities.get(record.severity)
    watch = severity.recovery_watch if severity is not None else timedelta(minutes=15)
    if healthy and now - since >= watch:
        return [_resolution(service, state, episode, record, since, watch, now), Forget(episode.probe)]
    return []


def _recover(service: Service, state: ProbeState, episode: Episode, record: Incident, now: datetime) -> Recover:
    back = state.first_success_at or now
    mitigated = max([back, *[m for _, m in record.milestones()[:3] if m is not None]])
    return Recover(
        episode,
        mitigated_at=mitigated,
        update=Update(
            at=_after_updates(record, now),
            status="monitoring",
            message=f"{service.name} is working normally again. We are monitoring the recovery.",
        ),
        event=TimelineEvent(
            at=_after_updates(record, now),
            kind="mitigated",
            message=f"Probe {episode.probe} healthy for {state.consecutive_successes} check(s) since "
            f"{format_instant(back)}.",
        ),
    )


def _relapse(service: Service, state: ProbeState, episode: Episode, record: Incident, now: datetime) -> Relapse:
    assert state.first_failure_at is not None
    return Relapse(
        episode,
        update=Update(
            at=_after_updates(record, now),
            status=_status_before_monitoring(record),
            message=f"The problem with {service.name} has returned. We are investigating.",
        ),
        event=TimelineEvent(
            at=_after_updates(record, now),
            kind="status",
            message=f"Probe {episode.probe} failing again since {format_instant(state.first_failure_at)}"
            + (f": {state.last_error}" if state.last_error else "."),
        ),
    )


def _resolution(
    service: Service,
    state: ProbeState,
    episode: Episode,
    record: Incident,
    since: datetime,
    watch: timedelta,
    now: datetime,
) -> Resolve:
    resolved_at = max([now, *[m for _, m in record.milestones()[:4] if m is not None]])
    at = _after_updates(record, resolved_at)
    return Resolve(
        episode,
        resolved_at=resolved_at,
        update=Update(
            at=at,
            status="resolved",
            message=f"{service.name} has been working normally since {_clock(state, since)}. "
            "This incident is resolved.",
        ),
        event=TimelineEvent(
            at=at,
            kind="resolved",
            message=f"Probe {episode.probe} stayed healthy through the {_words(watch)} recovery watch.",
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
        title=f"{service.name}: {IMPACT_WORDS[probe.impact].removeprefix('a ')}",
        severity=severity_id,
        status="investigating",
        visibility="public" if public else "internal",
        services=[AffectedService(service=service.id, impact=probe.impact)],
        detected_by="monitor",
        probe=key,
        started_at=started,
        detected_at=detected,
        updates=[
            Update(
                at=max(now, detected),
                status="investigating",
                message=f"We are investigating {IMPACT_WORDS[probe.impact]} of {service.name}.",
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


def _clock(state: ProbeState | None, fallback: datetime) -> str:
    moment = state.first_success_at if state is not None and state.first_success_at is not None else fallback
    return f"{moment:%H:%M} UTC"


def _words(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}-minute"


def apply_to_ledger(ledger: Ledger, actions: Iterable[Action]) -> None:
    for action in actions:
        if isinstance(action, Open | Adopt):
            ledger.episodes[action.episode.probe] = action.episode
        elif isinstance(action, Forget):
            ledger.episodes.pop(action.probe, None)
