"""Service views: status now, the daily uptime bars with their tooltips, latency sparkline and objective."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from ... import maintenance as windows
from ... import metrics
from ...models import Incident, Maintenance, Service
from ...state.snapshot import ProbeState, Sample
from .. import status as st
from .base import IMPACT_LABEL, Scope, format_percent

DayLevel = Literal["ok", "minor", "major", "critical", "nodata"]
SPARK_SAMPLES = 48
CHART_SAMPLES = 288
"""Samples a probe's response-time chart shows: a day of five-minute checks, or as many as the state keeps."""
DAY_INCIDENTS = 3
"""Incidents named in one day's tooltip; a busy day says how many more, so 90 bars stay light."""


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
class ResponseChart:
    """One probe's recent checks for its response-time chart; a failed check has no latency.

    Only the probe's id and kind are public, never its target (a URL, host or record name).
    """

    probe: str
    kind: str
    samples: tuple[Sample, ...]
    p50: float | None
    p95: float | None
    maximum: float | None
    failures: int

    @property
    def first(self) -> datetime:
        return self.samples[0].at

    @property
    def last(self) -> datetime:
        return self.samples[-1].at

    def points(self) -> list[tuple[float, float | None]]:
        """(share of the time span, latency); a failed check has None, and the chart marks it."""
        span = (self.last - self.first).total_seconds() or 1.0
        return [((x.at - self.first).total_seconds() / span, x.latency_ms if x.ok else None) for x in self.samples]


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
    changed_at: datetime | None = None
    """When the records last said something about this service (incident, maintenance, probe streak)."""
    uptime_recent: float | None = None
    """Uptime over the last ``RECENT_DAYS``: the figure beside the bars a narrow screen shows."""
    charts: tuple[ResponseChart, ...] = ()
    """One response-time chart per probe that has recorded samples."""

    @property
    def src(self) -> str:
        """The service's own page: its bars, response times, feeds and maintenance calendar."""
        return service_src(self.id)


def service_src(ident: str) -> str:
    return f"services/{ident}.md"


RECENT_DAYS = 30
"""Days of bars a phone shows (the CSS hides older ones below 600 px); their figure is labelled apart."""


def _reading(scope: Scope, service: Service, own: Sequence[Incident]) -> st.Reading:
    in_maintenance = any(
        windows.current(m, scope.now) is not None for m in scope.maintenance if service.id in m.services
    )
    return st.read_service(
        service, open_incidents=own, in_maintenance=in_maintenance, snapshot=scope.snapshot, now=scope.now
    )


def _history(
    scope: Scope, service: Service, own: Sequence[Incident], states: Sequence[ProbeState | None]
) -> list[metrics.DayUptime]:
    known = [s for s in states if s is not None]
    return metrics.daily_uptime(
        metrics.outages(own, service.id, scope.now),
        [d for s in known for d in s.days],
        days=scope.org.settings.status_page.history_days,
        now=scope.now,
        needs_probe_data=bool(known),
    )


def service_view(scope: Scope, service: Service, position: int) -> ServiceView:
    own = scope.incidents_of(service.id)
    reading = _reading(scope, service, own)
    states = probe_states(scope, service)
    shown = in_window(scope, own)
    days = _history(scope, service, shown, states)
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
        days=tuple(day_view(scope, d, shown, service.id) for d in days),
        uptime=metrics.uptime_ratio(days),
        sparkline=sparkline([s for s in states if s is not None]),
        slo=metrics.slo_status(service, days, now=scope.now),
        internal=service_internal(scope, service, states) if scope.internal else None,
        changed_at=changed_at(scope, service, own, states),
        uptime_recent=metrics.uptime_ratio(days[-RECENT_DAYS:]),
        charts=response_charts(service, states),
    )


def changed_at(
    scope: Scope, service: Service, own: Sequence[Incident], states: Sequence[ProbeState | None]
) -> datetime | None:
    """The latest moment, up to now, at which the data changed what this service shows."""
    moments = [*_incident_moments(own), *_maintenance_moments(scope, service), *_probe_moments(states)]
    return max((m for m in moments if m <= scope.now), default=None)


def _incident_moments(own: Sequence[Incident]) -> list[datetime]:
    moments: list[datetime] = []
    for incident in own:
        moments += [incident.started_at, *(u.at for u in incident.updates)]
        moments += [m for m in (incident.mitigated_at, incident.resolved_at) if m is not None]
    return moments


def _maintenance_moments(scope: Scope, service: Service) -> list[datetime]:
    moments: list[datetime] = []
    for window in scope.maintenance:
        shown = windows.current(window, scope.now) or _last_one_off(window) if service.id in window.services else None
        if shown is not None:
            moments += [shown.start, shown.end]
    return moments


def _probe_moments(states: Sequence[ProbeState | None]) -> list[datetime]:
    found = [(s.first_failure_at, s.first_success_at) for s in states if s is not None]
    return [m for pair in found for m in pair if m is not None]


def _last_one_off(window: Maintenance) -> windows.Window | None:
    if window.start is None or window.end is None:
        return None
    return windows.Window(window.start, window.end)


def probe_states(scope: Scope, service: Service) -> list[ProbeState | None]:
    if scope.snapshot is None:
        return []
    return [scope.snapshot.probes.get(f"{service.id}/{p.id}") for p in service.probes]


def service_internal(scope: Scope, service: Service, states: Sequence[ProbeState | None]) -> ServiceInternal:
    org = scope.org
    schedule = org.schedules.get(service.owner)
    policy = org.policy_for(service, org.severities.get(service.severity))
    probes = []
    for index, probe in enumerate(service.probes):
        state = states[index] if index < len(states) else None
        probes.append(
            ProbeView(
                probe.id,
                probe.kind,
                state.ok if state else None,
                state.last_checked if state else None,
                st.probe_fresh(probe, state, scope.now),
                state.last_error if state else None,
            )
        )
    return ServiceInternal(schedule.name if schedule else service.owner, policy.name if policy else None, tuple(probes))


def sparkline(states: Sequence[ProbeState]) -> Sparkline | None:
    best = max(states, key=lambda s: sum(1 for x in s.recent if x.latency_ms is not None), default=None)
    if best is None:
        return None
    samples = [x for x in best.recent if x.latency_ms is not None][-SPARK_SAMPLES:]
    if len(samples) < 2:
        return None
    values = tuple(float(x.latency_ms or 0.0) for x in samples)
    return Sparkline(values, sum(values) / len(values), max(values), samples[0].at, samples[-1].at)


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (the value below which ``share`` of the checks fall), as Gatus and Grafana read."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * share)) - 1]


def response_chart(probe: str, kind: str, state: ProbeState) -> ResponseChart | None:
    samples = state.recent[-CHART_SAMPLES:]
    latencies = [x.latency_ms for x in samples if x.latency_ms is not None]
    if not latencies:
        return None
    return ResponseChart(
        probe=probe,
        kind=kind,
        samples=samples,
        p50=percentile(latencies, 0.5),
        p95=percentile(latencies, 0.95),
        maximum=max(latencies),
        failures=sum(1 for x in samples if not x.ok),
    )


def response_charts(service: Service, states: Sequence[ProbeState | None]) -> tuple[ResponseChart, ...]:
    found = (
        response_chart(probe.id, probe.kind, state)
        for probe, state in zip(service.probes, states, strict=False)
        if state is not None
    )
    return tuple(chart for chart in found if chart is not None)


def day_level(down: float, touched: bool) -> DayLevel:
    """Statuspage's bar colours: any incident marks a day, downtime past 1 % and 5 % darkens it."""
    if down <= 0:
        return "minor" if touched else "ok"
    if down < 0.01:
        return "minor"
    return "major" if down < 0.05 else "critical"


def in_window(scope: Scope, own: Sequence[Incident]) -> list[Incident]:
    """The incidents that can touch a day of the history bars: the bars and their figures then look at a
    season's incidents, not at every year's (the same figures: the others overlap no day shown)."""
    days = scope.org.settings.status_page.history_days
    start, _ = metrics.day_bounds(scope.now.astimezone(UTC).date() - timedelta(days=days - 1), scope.now)
    return [i for i in own if i.started_at <= scope.now and metrics.impact_end(i, scope.now) >= start]


def day_view(scope: Scope, day: metrics.DayUptime, own: Sequence[Incident], service_id: str) -> DayView:
    start, end = metrics.day_bounds(day.day, scope.now)
    touching = [
        i for i in own if i.started_at < end and metrics.impact_end(i, scope.now) >= start and i.started_at <= scope.now
    ]
    label = f"{day.day.strftime('%a')} {day.day.day} {day.day.strftime('%b %Y')}"
    if day.uptime is None:
        return DayView(day.day, "nodata", None, f"{label}: no data recorded")
    down = 1.0 - day.uptime
    parts = [f"{label}: {format_percent(day.uptime)} uptime"]
    parts += _day_facts(day, down, touching, service_id)
    return DayView(day.day, day_level(down, bool(touching)), day.uptime, "; ".join(parts))


def _day_facts(day: metrics.DayUptime, down: float, touching: Sequence[Incident], service_id: str) -> list[str]:
    facts = []
    down_minutes = round(down * day.seconds / 60)
    if down_minutes:
        facts.append(f"{down_minutes} min down")
    if day.failures:
        facts.append(f"{day.failures} of {day.checks} checks failed")
    for incident in touching[:DAY_INCIDENTS]:
        impact = next((a.impact for a in incident.services if a.service == service_id), "degraded_performance")
        facts.append(f"{IMPACT_LABEL[impact]}: {incident.title}")
    if len(touching) > DAY_INCIDENTS:
        facts.append(f"{len(touching) - DAY_INCIDENTS} more incidents (see the history)")
    return facts or ["no incidents"]
