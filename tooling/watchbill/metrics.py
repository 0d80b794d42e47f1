"""Reliability figures from incident records and probe history.

Response times follow Rootly's milestones, each measured from ``started_at`` (TTD, TTA, TTM, TTR) and
averaged per severity. Uptime follows Statuspage's rule: a major outage counts fully as downtime, a partial
outage as 30 %, degraded performance not at all. Where probe history exists for a day, the day's uptime is
the worse of what the probes saw and what the incident records say, so neither source can hide the other.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

from .models import Incident, Service
from .state.snapshot import DayStat

IMPACT_WEIGHT: Mapping[str, float] = {"major_outage": 1.0, "partial_outage": 0.3, "degraded_performance": 0.0}
DAY = timedelta(days=1)


# --- response times ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mean:
    """A mean duration and how many incidents it is over; ``value`` is None when none had the milestone."""

    value: timedelta | None
    count: int


def mean(durations: Iterable[timedelta]) -> Mean:
    values = list(durations)
    if not values:
        return Mean(None, 0)
    return Mean(sum(values, timedelta()) / len(values), len(values))


@dataclass(frozen=True)
class ResponseTimes:
    severity: str
    incidents: int
    mttd: Mean
    mtta: Mean
    mttm: Mean
    mttr: Mean


def _since_start(incidents: Sequence[Incident], attribute: str) -> list[timedelta]:
    out: list[timedelta] = []
    for incident in incidents:
        moment: datetime | None = getattr(incident, attribute)
        if moment is not None:
            out.append(moment - incident.started_at)
    return out


def response_times(incidents: Iterable[Incident]) -> list[ResponseTimes]:
    """Means per severity, ordered SEV-1 first; unresolved incidents count only for the milestones they reached."""
    by_severity: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        by_severity[incident.severity].append(incident)
    return [summarise(severity, by_severity[severity]) for severity in sorted(by_severity)]


def summarise(label: str, incidents: Iterable[Incident]) -> ResponseTimes:
    """Means over one group of incidents, labelled as the caller likes (a severity, or 'all')."""
    group = list(incidents)
    return ResponseTimes(
        severity=label,
        incidents=len(group),
        mttd=mean(_since_start(group, "detected_at")),
        mtta=mean(_since_start(group, "acknowledged_at")),
        mttm=mean(_since_start(group, "mitigated_at")),
        mttr=mean(_since_start(group, "resolved_at")),
    )


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
    for incident in incidents:
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
    for incident in incidents:
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


def detection_mix(incidents: Iterable[Incident]) -> DetectionMix:
    counts = Counter(i.detected_by for i in incidents)
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


def _intervals(incidents: Iterable[Incident], service_id: str, now: datetime) -> list[tuple[datetime, datetime, float]]:
    """(start, end, weight) of every incident that took ``service_id`` down, cut at ``now``."""
    intervals: list[tuple[datetime, datetime, float]] = []
    for incident in incidents:
        end = min(impact_end(incident, now), now)
        for affected in incident.services:
            weight = IMPACT_WEIGHT[affected.impact]
            if affected.service == service_id and weight > 0 and end > incident.started_at:
                intervals.append((incident.started_at, end, weight))
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
