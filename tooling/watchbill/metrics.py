"""Reliability figures from incident records and probe history.

Response times follow Rootly's milestones (started <= detected <= acknowledged <= mitigated <= resolved) and
are averaged per severity, rounded to the second. The definitions, stated on the reliability page:

- MTTD, time to detect: ``detected_at - started_at``.
- MTTA, time to acknowledge: ``acknowledged_at - detected_at`` (PagerDuty's: from the alert, not the impact).
- MTTM, time to mitigate (service restored) and MTTR, time to resolve: from detection by default (what the
  responders controlled), or from the start of impact with ``origin="started"`` (what customers lived through);
  the page shows MTTR both ways.

Severity targets (acknowledge, first update, resolve) are compared with the same measures from detection; the
update cadence is the longest gap between public updates while the incident was open.

Uptime follows Statuspage's rule: a major outage counts fully as downtime, a partial outage as 30 %, degraded
performance not at all, each phase at the status the updates gave the service then (the impact history), not
the incident's worst. Where probe history exists for a day, the day's uptime is
the worse of what the probes saw and what the incident records say, so neither source can hide the other.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Literal

from .models import Incident, Service, SeverityTargets
from .state.snapshot import DayStat

IMPACT_WEIGHT: Mapping[str, float] = {"major_outage": 1.0, "partial_outage": 0.3, "degraded_performance": 0.0}
DAY = timedelta(days=1)


def counted(incidents: Iterable[Incident]) -> list[Incident]:
    """The incidents figures are made of: drills are exercises, never part of a reliability figure."""
    return [incident for incident in incidents if not incident.drill]


# --- response times ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mean:
    """A mean duration and how many incidents it is over; ``value`` is None when none had the milestone."""

    value: timedelta | None
    count: int


def mean(durations: Iterable[timedelta]) -> Mean:
    """The mean, rounded (not truncated) to the second."""
    values = list(durations)
    if not values:
        return Mean(None, 0)
    seconds = sum(v.total_seconds() for v in values) / len(values)
    return Mean(timedelta(seconds=round(seconds)), len(values))


Origin = Literal["detected", "started"]
ORIGINS: tuple[Origin, ...] = ("detected", "started")


@dataclass(frozen=True)
class ResponseTimes:
    severity: str
    incidents: int
    mttd: Mean
    """From the start of impact to detection."""
    mtta: Mean
    """From detection to acknowledgement."""
    mttm: Mean
    """From ``origin`` to mitigation (service restored)."""
    mttr: Mean
    """From ``origin`` to resolution."""
    origin: Origin = "detected"
    mttr_other: Mean = Mean(None, 0)
    """MTTR from the other origin, so both readings are on the page."""


def _between(incidents: Sequence[Incident], start: str, end: str) -> list[timedelta]:
    out: list[timedelta] = []
    for incident in incidents:
        first: datetime | None = getattr(incident, start)
        last: datetime | None = getattr(incident, end)
        if first is not None and last is not None:
            out.append(last - first)
    return out


def response_times(incidents: Iterable[Incident], *, origin: Origin = "detected") -> list[ResponseTimes]:
    """Means per severity, ordered SEV-1 first; unresolved incidents count only for the milestones they reached."""
    by_severity: dict[str, list[Incident]] = defaultdict(list)
    for incident in counted(incidents):
        by_severity[incident.severity].append(incident)
    return [summarise(severity, by_severity[severity], origin=origin) for severity in sorted(by_severity)]


def summarise(label: str, incidents: Iterable[Incident], *, origin: Origin = "detected") -> ResponseTimes:
    """Means over one group of incidents, labelled as the caller likes (a severity, or 'all')."""
    group = counted(incidents)
    start = f"{origin}_at"
    other = "started_at" if origin == "detected" else "detected_at"
    return ResponseTimes(
        severity=label,
        incidents=len(group),
        mttd=mean(_between(group, "started_at", "detected_at")),
        mtta=mean(_between(group, "detected_at", "acknowledged_at")),
        mttm=mean(_between(group, start, "mitigated_at")),
        mttr=mean(_between(group, start, "resolved_at")),
        origin=origin,
        mttr_other=mean(_between(group, other, "resolved_at")),
    )


# --- severity targets -------------------------------------------------------------------------------------

TARGET_NAMES: tuple[str, ...] = ("acknowledge", "first_update", "update_every", "resolve")


@dataclass(frozen=True)
class TargetCheck:
    """One severity target against what happened; ``met`` is None while it can still be met."""

    name: str
    target: timedelta
    actual: timedelta | None
    met: bool | None


def _check(name: str, target: timedelta, actual: timedelta | None, waited: timedelta) -> TargetCheck:
    if actual is not None:
        return TargetCheck(name, target, actual, actual <= target)
    return TargetCheck(name, target, None, False if waited > target else None)


def _longest_gap(incident: Incident, now: datetime) -> timedelta | None:
    moments = sorted(u.at for u in incident.updates)
    if incident.is_open and moments:
        moments.append(now)
    gaps = [b - a for a, b in pairwise(moments)]
    return max(gaps) if gaps else None


def target_checks(incident: Incident, targets: SeverityTargets, now: datetime) -> list[TargetCheck]:
    """Acknowledge, first update and resolve from detection; cadence as the longest gap between updates."""
    waited = (incident.resolved_at or now) - incident.detected_at
    first = min((u.at for u in incident.updates), default=None)
    gap = _longest_gap(incident, now)
    end = incident.resolved_at
    return [
        _check("acknowledge", targets.acknowledge, _after(incident.detected_at, incident.acknowledged_at), waited),
        _check("first_update", targets.first_update, _after(incident.detected_at, first), waited),
        TargetCheck("update_every", targets.update_every, gap, None if gap is None else gap <= targets.update_every),
        _check("resolve", targets.resolve, _after(incident.detected_at, end), waited),
    ]


def _after(start: datetime, end: datetime | None) -> timedelta | None:
    return None if end is None else max(end - start, timedelta())


@dataclass(frozen=True)
class TargetRow:
    """Per severity and target: incidents measured and how many met it."""

    severity: str
    met: Mapping[str, int]
    measured: Mapping[str, int]

    def share(self, name: str) -> float | None:
        return self.met[name] / self.measured[name] if self.measured.get(name) else None


def target_attainment(
    incidents: Iterable[Incident], targets: Mapping[str, SeverityTargets], now: datetime
) -> list[TargetRow]:
    """How often each severity kept each of its targets; targets still open to be met are not counted."""
    met: dict[str, Counter[str]] = defaultdict(Counter)
    measured: dict[str, Counter[str]] = defaultdict(Counter)
    for incident in incidents:
        if incident.severity not in targets:
            continue
        for check in target_checks(incident, targets[incident.severity], now):
            if check.met is not None:
                measured[incident.severity][check.name] += 1
                met[incident.severity][check.name] += check.met
    return [TargetRow(s, dict(met[s]), dict(measured[s])) for s in sorted(measured)]


# --- learning: repeats, action items, per service ----------------------------------------------------------

REPEAT_WINDOW = timedelta(days=30)
"""An incident is a repeat when a service it affected had another incident start within this before it."""


@dataclass(frozen=True)
class RepeatRate:
    window: timedelta
    total: int
    repeats: tuple[tuple[str, str], ...]
    """(incident, the earlier incident on the same service) pairs."""

    @property
    def share(self) -> float | None:
        return None if self.total == 0 else len(self.repeats) / self.total


def repeat_rate(incidents: Iterable[Incident], *, window: timedelta = REPEAT_WINDOW) -> RepeatRate:
    ordered = sorted(incidents, key=lambda i: i.started_at)
    last_on: dict[str, Incident] = {}
    repeats: list[tuple[str, str]] = []
    for incident in ordered:
        earlier = [
            last_on[a.service]
            for a in incident.services
            if a.service in last_on and incident.started_at - last_on[a.service].started_at <= window
        ]
        if earlier:
            repeats.append((incident.id, max(earlier, key=lambda i: i.started_at).id))
        for affected in incident.services:
            last_on[affected.service] = incident
    return RepeatRate(window, len(ordered), tuple(repeats))


@dataclass(frozen=True)
class ActionItemCompletion:
    done: int = 0
    wont_do: int = 0
    open: int = 0
    overdue: int = 0
    on_time: int = 0
    """Done on or before their due day (closed_on known)."""

    @property
    def total(self) -> int:
        return self.done + self.wont_do + self.open

    @property
    def rate(self) -> float | None:
        """Done out of those not dropped: the share of what we promised that we did."""
        counted = self.done + self.open
        return None if counted == 0 else self.done / counted


def action_item_completion(incidents: Iterable[Incident], today: date) -> ActionItemCompletion:
    counts: Counter[str] = Counter()
    for incident in incidents:
        for item in incident.postmortem.action_items if incident.postmortem else ():
            if item.status == "done":
                counts["done"] += 1
                counts["on_time"] += item.closed_on is not None and item.closed_on <= item.due
            elif item.status == "wont_do":
                counts["wont_do"] += 1
            else:
                counts["open"] += 1
                counts["overdue"] += item.due < today
    return ActionItemCompletion(**counts)


def quarter_of(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f"{utc.year}-Q{(utc.month - 1) // 3 + 1}"


def previous_quarters(now: datetime, count: int) -> list[str]:
    utc = now.astimezone(UTC)
    index = utc.year * 4 + (utc.month - 1) // 3
    return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count + 1, index + 1)]


def per_service_quarter(
    incidents: Iterable[Incident], *, now: datetime, quarters: int = 4
) -> tuple[list[str], dict[str, list[int]]]:
    """Incidents started per affected service per UTC quarter, over the last ``quarters`` quarters."""
    wanted = previous_quarters(now, quarters)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for incident in incidents:
        for affected in incident.services:
            counts[affected.service][quarter_of(incident.started_at)] += 1
    table = {s: [c[q] for q in wanted] for s, c in sorted(counts.items()) if any(c[q] for q in wanted)}
    return wanted, table


# --- frequency, causes, detection ------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCount:
    month: date
    """First day of the month."""
    total: int
    by_severity: Mapping[str, int]


def month_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def previous_months(now: datetime, months: int) -> list[date]:
    """The first days of the last ``months`` months up to and including the current one, oldest first."""
    current = month_start(now.astimezone(UTC))
    out: list[date] = []
    year, month = current.year, current.month
    for _ in range(months):
        out.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def frequency_by_month(incidents: Iterable[Incident], *, now: datetime, months: int = 12) -> list[MonthCount]:
    """Incidents started per UTC month over the last ``months`` months, including months with none."""
    wanted = previous_months(now, months)
    counts: dict[date, Counter[str]] = {m: Counter() for m in wanted}
    for incident in counted(incidents):
        key = month_start(incident.started_at.astimezone(UTC))
        if key in counts:
            counts[key][incident.severity] += 1
    return [MonthCount(m, sum(counts[m].values()), dict(sorted(counts[m].items()))) for m in wanted]


@dataclass(frozen=True)
class RepeatCause:
    category: str
    incidents: tuple[str, ...]


def repeat_causes(incidents: Iterable[Incident]) -> list[RepeatCause]:
    """Root-cause categories named by two or more postmortems: the causes the action items did not fix."""
    groups: dict[str, list[Incident]] = defaultdict(list)
    for incident in counted(incidents):
        if incident.postmortem is not None and incident.postmortem.root_cause_category:
            groups[incident.postmortem.root_cause_category].append(incident)
    repeats = [
        RepeatCause(category, tuple(i.id for i in sorted(group, key=lambda i: i.started_at)))
        for category, group in groups.items()
        if len(group) >= 2
    ]
    return sorted(repeats, key=lambda r: (-len(r.incidents), r.category))


@dataclass(frozen=True)
class DetectionMix:
    monitor: int = 0
    customer: int = 0
    internal: int = 0

    @property
    def total(self) -> int:
        return self.monitor + self.customer + self.internal

    @property
    def monitor_share(self) -> float | None:
        """Share of incidents our own monitoring caught first; customers finding outages is the failure."""
        return None if self.total == 0 else self.monitor / self.total

    @property
    def customer_share(self) -> float | None:
        return None if self.total == 0 else self.customer / self.total

    @property
    def internal_share(self) -> float | None:
        return None if self.total == 0 else self.internal / self.total


def detection_mix(incidents: Iterable[Incident]) -> DetectionMix:
    counts = Counter(i.detected_by for i in counted(incidents))
    return DetectionMix(counts["monitor"], counts["customer"], counts["internal"])


# --- downtime and uptime ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outage:
    """A stretch during which a service's downtime weight was constant and above zero."""

    start: datetime
    end: datetime
    weight: float


def impact_end(incident: Incident, now: datetime) -> datetime:
    """Impact ends at mitigation; an incident still open is still hurting now."""
    return incident.mitigated_at or incident.resolved_at or now


def impact_phases(incident: Incident, service_id: str) -> list[tuple[datetime, str]]:
    """When the service's status changed during the incident, as (from, status), in time order.

    From the start of impact the service had the status the first update gave it (what ``declare`` wrote);
    each later update naming it changes it (Statuspage's affected components). A record whose updates name no
    service at all (written before the history was kept, or by hand) has its peak impact throughout; a
    service the first update left out was operational until an update named it."""
    named = sorted(
        ((u.at, c.status) for u in incident.updates for c in u.services if c.service == service_id),
        key=lambda pair: pair[0],
    )
    peak = next((str(a.impact) for a in incident.services if a.service == service_id), "operational")
    first = min(incident.updates, key=lambda u: u.at, default=None)
    if first is None or not any(u.services for u in incident.updates):
        return [(incident.started_at, peak)]
    declared = next((str(c.status) for c in first.services if c.service == service_id), None)
    if declared is None:
        # a first update naming no service predates the history: what the record says is all we know;
        # one naming others means this service joined later, operational until then
        declared = "operational" if first.services else peak
    phases = [(incident.started_at, declared)]
    for at, status in named:
        phases.append((max(at, incident.started_at), str(status)))
    return phases


def _intervals(incidents: Iterable[Incident], service_id: str, now: datetime) -> list[tuple[datetime, datetime, float]]:
    """(start, end, weight) of every phase in which an incident took ``service_id`` down, cut at ``now``.

    Each phase weighs what the service's status was then, not the incident's worst: ten minutes of major
    outage followed by five hours of degraded performance is ten minutes of downtime."""
    intervals: list[tuple[datetime, datetime, float]] = []
    for incident in counted(incidents):
        if not any(a.service == service_id for a in incident.services):
            continue
        end = min(impact_end(incident, now), now)
        phases = impact_phases(incident, service_id)
        for (start, status), following in zip(phases, [*phases[1:], (end, "")], strict=True):
            weight = IMPACT_WEIGHT.get(status, 0.0)
            stop = min(following[0], end)
            if weight > 0 and stop > start:
                intervals.append((start, stop, weight))
    return intervals


def outages(incidents: Iterable[Incident], service_id: str, now: datetime) -> list[Outage]:
    """Weighted downtime of one service; overlapping incidents count once, at the heavier weight."""
    intervals = _intervals(incidents, service_id, now)
    bounds = sorted({moment for start, end, _ in intervals for moment in (start, end)})
    out: list[Outage] = []
    for left, right in pairwise(bounds):
        weight = max((w for start, end, w in intervals if start <= left and end >= right), default=0.0)
        if weight <= 0:
            continue
        if out and out[-1].end == left and out[-1].weight == weight:
            out[-1] = Outage(out[-1].start, right, weight)
        else:
            out.append(Outage(left, right, weight))
    return out


@dataclass(frozen=True)
class DayUptime:
    day: date
    uptime: float | None
    """Fraction of the day the service was up; None when nothing is known about the day."""
    seconds: float
    """Length of the day counted (today only up to now)."""
    downtime_seconds: float = 0.0
    checks: int = 0
    failures: int = 0


def day_bounds(day: date, now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, min(start + DAY, now)


def daily_uptime(
    outage_list: Sequence[Outage],
    probe_days: Sequence[DayStat],
    *,
    days: int,
    now: datetime,
    needs_probe_data: bool,
) -> list[DayUptime]:
    """One entry per UTC day, oldest first, ending today.

    ``needs_probe_data`` says the service is watched by probes whose history we have: a day with neither
    probe data nor incident downtime is then unknown, not silently perfect.
    """
    today = now.astimezone(UTC).date()
    checks: dict[date, tuple[int, int]] = {}
    for stat in probe_days:
        total, failed = checks.get(stat.day, (0, 0))
        checks[stat.day] = (total + stat.checks, failed + stat.failures)
    out: list[DayUptime] = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        start, end = day_bounds(day, now)
        seconds = max((end - start).total_seconds(), 1.0)
        down = 0.0
        for outage in outage_list:
            overlap = (min(outage.end, end) - max(outage.start, start)).total_seconds()
            if overlap > 0:
                down += overlap * outage.weight
        incident_uptime = max(0.0, 1.0 - down / seconds)
        total, failed = checks.get(day, (0, 0))
        if total:
            uptime: float | None = min(incident_uptime, (total - failed) / total)
        elif needs_probe_data and down == 0:
            uptime = None
        else:
            uptime = incident_uptime
        out.append(DayUptime(day, uptime, seconds, down, total, failed))
    return out


def uptime_ratio(days: Iterable[DayUptime]) -> float | None:
    """Time-weighted uptime over the days with data."""
    measured = [d for d in days if d.uptime is not None]
    seconds = sum(d.seconds for d in measured)
    if not measured or seconds <= 0:
        return None
    return sum((d.uptime or 0.0) * d.seconds for d in measured) / seconds


# --- service level objectives ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SloStatus:
    service: str
    target: float
    """Percent, e.g. 99.9."""
    window: timedelta
    availability: float | None
    """Fraction over the window's measured time."""
    budget: timedelta
    """Downtime the objective allows over the whole window."""
    consumed: timedelta
    measured: timedelta = field(default=timedelta())

    @property
    def remaining(self) -> timedelta:
        return self.budget - self.consumed

    @property
    def remaining_share(self) -> float | None:
        """Share of the error budget left; negative once the objective is missed."""
        if self.budget <= timedelta():
            return None
        return self.remaining / self.budget

    @property
    def met(self) -> bool | None:
        return None if self.availability is None else self.availability * 100 >= self.target


def slo_status(service: Service, days: Sequence[DayUptime], *, now: datetime) -> SloStatus | None:
    """The service's objective over its window, from the same daily figures the uptime bars show."""
    if service.slo is None:
        return None
    window = service.slo.window
    window_start = now - window
    measured = 0.0
    up = 0.0
    for day in days:
        start, end = day_bounds(day.day, now)
        overlap = (min(end, now) - max(start, window_start)).total_seconds()
        if day.uptime is None or overlap <= 0:
            continue
        share = overlap / day.seconds
        measured += overlap
        up += day.uptime * day.seconds * share
    availability = None if measured <= 0 else up / measured
    budget = window * (1 - service.slo.target / 100)
    consumed = timedelta(seconds=max(0.0, measured - up))
    return SloStatus(
        service=service.id,
        target=service.slo.target,
        window=window,
        availability=availability,
        budget=budget,
        consumed=consumed,
        measured=timedelta(seconds=measured),
    )
