"""A service's status right now, from three signals: open incidents, maintenance, and the latest probe runs.

Probes speak within one run, before anyone has merged an incident record: a probe that failed once reads as
degraded performance, one that has failed ``failure_threshold`` times in a row reads as its own ``impact``.
Probe data that is too old to trust is never shown as green: the service reads as unknown instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from croniter import croniter

from ..models import Incident, Probe, Service
from ..state.snapshot import ProbeState, Snapshot

ComponentStatus = Literal[
    "operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage", "unknown"
]
COMPONENT_STATUS_ORDER: tuple[ComponentStatus, ...] = (
    "unknown",
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
"""Component statuses from least to most alarming; ``worst`` picks by it."""
STATUS_LABEL: dict[ComponentStatus, str] = {
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "unknown": "No recent data",
}
STALE_FACTOR = 3
"""Probe data older than this many probe intervals is stale (GitHub's cron can be hours late)."""


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    return max(statuses, key=COMPONENT_STATUS_ORDER.index, default="operational")


def probe_interval(probe: Probe, after: datetime) -> timedelta:
    """Gap between the two runs that follow ``after``; irregular crons are judged where they are."""
    cursor = croniter(probe.schedule, after)
    first: datetime = cursor.get_next(datetime)
    second: datetime = cursor.get_next(datetime)
    return second - first


def probe_fresh(probe: Probe, state: ProbeState | None, now: datetime) -> bool:
    if state is None or state.last_checked is None:
        return False
    return now - state.last_checked <= STALE_FACTOR * probe_interval(probe, state.last_checked)


def snapshot_stale(snapshot: Snapshot | None, probes: Sequence[Probe], now: datetime) -> bool:
    """The page-wide warning: no probe has run for several of the shortest probe intervals."""
    if snapshot is None or not probes:
        return False
    if snapshot.last_run is None:
        return True
    shortest = min(probe_interval(p, snapshot.last_run) for p in probes)
    return now - snapshot.last_run > STALE_FACTOR * shortest


@dataclass(frozen=True)
class Reading:
    status: ComponentStatus
    source: Literal["incident", "probe", "maintenance", "none", "stale"]
    failing_since: datetime | None = None
    """Start of the oldest current probe failure, when probes are what say so."""


def probe_status(probe: Probe, state: ProbeState) -> ComponentStatus:
    if state.ok is not False:
        return "operational"
    if state.consecutive_failures >= probe.failure_threshold:
        return probe.impact
    return "degraded_performance"


ProbeReading = tuple[Probe, ProbeState | None]


def _incident_status(service: Service, open_incidents: Iterable[Incident]) -> ComponentStatus:
    return worst(a.impact for i in open_incidents if i.is_open for a in i.services if a.service == service.id)


def _probe_readings(service: Service, snapshot: Snapshot | None) -> list[ProbeReading]:
    if snapshot is None:
        return []
    return [(p, snapshot.probes.get(f"{service.id}/{p.id}")) for p in service.probes]


def _failing_since(failing: Sequence[tuple[Probe, ProbeState]]) -> datetime | None:
    return min((s.first_failure_at for _, s in failing if s.first_failure_at), default=None)


def _all_stale(readings: Sequence[ProbeReading], fresh: Sequence[tuple[Probe, ProbeState]]) -> bool:
    """Some probe's data is missing or old, and no fresh probe says the service is up."""
    return bool(readings) and len(fresh) < len(readings) and not any(s.ok for _, s in fresh)


def read_service(
    service: Service,
    *,
    open_incidents: Iterable[Incident],
    in_maintenance: bool,
    snapshot: Snapshot | None,
    now: datetime,
) -> Reading:
    """Incidents decide first; probes can only make things look worse; maintenance explains planned failures."""
    incident_status = _incident_status(service, open_incidents)
    readings = _probe_readings(service, snapshot)
    fresh = [(p, s) for p, s in readings if s is not None and probe_fresh(p, s, now)]
    failing = [] if in_maintenance else [(p, s) for p, s in fresh if s.ok is False]
    status = worst((incident_status, *(probe_status(p, s) for p, s in failing)))
    if status == incident_status != "operational":
        return Reading(status, "incident")
    if status != "operational":
        return Reading(status, "probe", _failing_since(failing))
    if in_maintenance:
        return Reading("under_maintenance", "maintenance")
    if _all_stale(readings, fresh):
        return Reading("unknown", "stale")
    return Reading("operational", "none")


Indicator = Literal["none", "minor", "major", "critical", "maintenance"]


@dataclass(frozen=True)
class Overall:
    """Statuspage's page-level rollup: an indicator and the words for it."""

    indicator: Indicator
    description: str


_RANK: tuple[Indicator, ...] = ("none", "minor", "major", "critical")
_FROM_STATUS: dict[ComponentStatus, Overall] = {
    "major_outage": Overall("critical", "Major System Outage"),
    "partial_outage": Overall("major", "Partial System Outage"),
    "degraded_performance": Overall("minor", "Partially Degraded Service"),
}
_FROM_IMPACT: dict[str, Overall] = {
    "critical": Overall("critical", "Major System Outage"),
    "major": Overall("major", "Partial System Outage"),
    "minor": Overall("minor", "Minor Service Outage"),
}


def overall(statuses: Sequence[ComponentStatus], incident_impacts: Sequence[str]) -> Overall:
    """The worse of what the components show and what the open incidents' severities declare."""
    candidates = [_FROM_STATUS[s] for s in statuses if s in _FROM_STATUS]
    candidates += [_FROM_IMPACT[i] for i in incident_impacts if i in _FROM_IMPACT]
    if candidates:
        return max(candidates, key=lambda o: _RANK.index(o.indicator))
    if "under_maintenance" in statuses:
        return Overall("maintenance", "Service Under Maintenance")
    return Overall("none", "All Systems Operational")
