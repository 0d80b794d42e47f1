"""On-call load: hours per person (night and weekend apart), longest stretch, night hand-offs, fairness, and
the pages that reached each person at night.

Night is 22:00-07:00 and the weekend is Saturday and Sunday, both in the person's own zone (a hand-off
at 09:00 New York is 15:00 in Berlin). Night and weekend hours overlap on purpose: each column answers
its own question ("how much sleep did this cost", "how many weekends").

Night-time paging load (PagerDuty's "sleep-hour interruptions"): the pages that reached the person, counted
per night (a night is named by the date it begins: a page at 02:00 on Wednesday belongs to Tuesday's night),
and the nights with more than :data:`BAD_NIGHT` pages. The pages are the person's, whatever schedule or step
sent them (``paging.pages`` gathers them from the records and the paging journals), so someone in two
schedules shows the same pages in both reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from ..fields import zone as zone_info
from ..models import Person, Schedule
from .localtime import first_of_day, local_date
from .render import Gap, Shift, gaps_between, shifts
from .rotation import versions

NIGHT_START = time(22, 0)
NIGHT_END = time(7, 0)
_MIDNIGHT = time(0, 0)
_DAY = timedelta(days=1)
BAD_NIGHT = 2
"""A night with more pages than this is a bad night: the report lists each one."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page that reached a person (several channels of one send count once)."""

    person: str
    at: datetime
    incident: str


@dataclass
class NightPaging:
    """A person's pages over the report's range: all of them, and the night ones per night."""

    pages: int = 0
    nights: dict[date, int] = field(default_factory=dict)
    """Pages per night, for the nights with any; a night is named by the local date it begins."""

    @property
    def night_pages(self) -> int:
        return sum(self.nights.values())

    @property
    def most_in_a_night(self) -> int:
        return max(self.nights.values(), default=0)

    @property
    def bad_nights(self) -> list[tuple[date, int]]:
        """Nights with more than :data:`BAD_NIGHT` pages, oldest first."""
        return sorted((night, count) for night, count in self.nights.items() if count > BAD_NIGHT)


@dataclass
class PersonLoad:
    person: str
    shifts: int = 0
    total: timedelta = timedelta(0)
    night: timedelta = timedelta(0)
    weekend: timedelta = timedelta(0)
    longest_stretch: timedelta = timedelta(0)
    night_handoffs: int = 0
    paging: NightPaging = field(default_factory=NightPaging)


@dataclass
class LayerShare:
    """Each member's hours in one layer; ``balance`` is least/most (1.0 fair, 0.0 someone got nothing)."""

    layer: str
    hours: dict[str, timedelta]

    @property
    def balance(self) -> float:
        values = list(self.hours.values())
        if len(values) < 2 or max(values) == timedelta(0):
            return 1.0
        return min(values) / max(values)


@dataclass
class ScheduleReport:
    schedule: str
    start: datetime
    end: datetime
    gaps: list[Gap]
    people: list[PersonLoad]
    layers: list[LayerShare] = field(default_factory=list)


def overlap(start: datetime, end: datetime, zone: str, windows: list[tuple[date, time, date, time]]) -> timedelta:
    total = timedelta(0)
    for open_day, open_time, close_day, close_time in windows:
        opens = first_of_day(zone, open_day, open_time)
        closes = first_of_day(zone, close_day, close_time)
        if closes > start and opens < end:
            total += min(closes, end) - max(opens, start)
    return total


def _days(zone: str, start: datetime, end: datetime) -> list[date]:
    first, last = local_date(zone, start) - _DAY, local_date(zone, end)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def night_time(start: datetime, end: datetime, zone: str) -> timedelta:
    windows = [(d, NIGHT_START, d + _DAY, NIGHT_END) for d in _days(zone, start, end)]
    return overlap(start, end, zone, windows)


def weekend_time(start: datetime, end: datetime, zone: str) -> timedelta:
    windows = [(d, _MIDNIGHT, d + 2 * _DAY, _MIDNIGHT) for d in _days(zone, start, end) if d.weekday() == 5]
    return overlap(start, end, zone, windows)


def at_night(instant: datetime, zone: str) -> bool:
    return night_time(instant, instant + timedelta(seconds=1), zone) > timedelta(0)


def night_of(instant: datetime, zone: str) -> date | None:
    """The night ``instant`` falls in, named by the local date it begins; None during the day."""
    local = instant.astimezone(zone_info(zone))
    if local.time() >= NIGHT_START:
        return local.date()
    if local.time() < NIGHT_END:
        return local.date() - _DAY
    return None


def night_paging(pages: Iterable[Page], zone: str, start: datetime, end: datetime) -> NightPaging:
    """The pages within ``[start, end)``, and the night ones counted per night in ``zone``."""
    paging = NightPaging()
    for page in pages:
        if not start <= page.at < end:
            continue
        paging.pages += 1
        night = night_of(page.at, zone)
        if night is not None:
            paging.nights[night] = paging.nights.get(night, 0) + 1
    paging.nights = dict(sorted(paging.nights.items()))
    return paging


def _stretches(timeline: list[Shift]) -> dict[str, timedelta]:
    """Longest unbroken time on call per person, joining back-to-back shifts across layers."""
    longest: dict[str, timedelta] = {}
    run_person, run_start, run_end = None, None, None
    for shift in [*timeline, None]:
        if shift is not None and shift.person == run_person and shift.start == run_end:
            run_end = shift.end
            continue
        if run_person is not None and run_start is not None and run_end is not None:
            longest[run_person] = max(longest.get(run_person, timedelta(0)), run_end - run_start)
        if shift is not None:
            run_person, run_start, run_end = shift.person, shift.start, shift.end
    return longest


def _night_handoffs(timeline: list[Shift], index: int, start: datetime, end: datetime, zone: str) -> int:
    """Hand-overs at night that this shift causes: taking over from someone else, or handing over to them.

    Edges of the report's range and back-to-back shifts of the same person are no hand-off."""
    shift = timeline[index]
    before = timeline[index - 1] if index else None
    after = timeline[index + 1] if index + 1 < len(timeline) else None
    takes_over = shift.start > start and (before is None or before.person != shift.person or before.end != shift.start)
    hands_over = shift.end < end and (after is None or after.person != shift.person or after.start != shift.end)
    moments = [m for m, happens in ((shift.start, takes_over), (shift.end, hands_over)) if happens]
    return sum(1 for moment in moments if at_night(moment, zone))


def _loads(timeline: list[Shift], zone_of: Callable[[str], str], start: datetime, end: datetime) -> list[PersonLoad]:
    """Per person, most hours first."""
    loads: dict[str, PersonLoad] = {}
    for index, shift in enumerate(timeline):
        load = loads.setdefault(shift.person, PersonLoad(shift.person))
        zone = zone_of(shift.person)
        load.shifts += 1
        load.total += shift.duration
        load.night += night_time(shift.start, shift.end, zone)
        load.weekend += weekend_time(shift.start, shift.end, zone)
        load.night_handoffs += _night_handoffs(timeline, index, start, end, zone)
    for person, stretch in _stretches(timeline).items():
        loads[person].longest_stretch = stretch
    return sorted(loads.values(), key=lambda load: (-load.total, load.person))


def _layer_shares(schedule: Schedule, timeline: list[Shift], start: datetime, end: datetime) -> list[LayerShare]:
    """Each layer's members' own hours (overrides aside), counting members of any version in the range."""
    layers = []
    for layer in schedule.layers:
        members = {m for v in versions(layer) if v.start < end and (v.end is None or v.end > start) for m in v.members}
        if not members:
            continue
        hours = dict.fromkeys(sorted(members), timedelta(0))
        for shift in timeline:
            if shift.layer == layer.name and not shift.override and shift.person in hours:
                hours[shift.person] += shift.duration
        layers.append(LayerShare(layer.name, hours))
    return layers


def schedule_report(
    schedule: Schedule,
    people: Mapping[str, Person],
    start: datetime,
    end: datetime,
    pages: Mapping[str, Sequence[Page]] | None = None,
) -> ScheduleReport:
    """The schedule's load over ``[start, end)``; ``pages`` (by person) adds each person's night paging."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    timeline = shifts(schedule, start, end)

    def zone_of(person: str) -> str:
        known = people.get(person)
        return known.timezone if known else schedule.timezone

    loads = _loads(timeline, zone_of, start, end)
    for load in loads:
        load.paging = night_paging((pages or {}).get(load.person, ()), zone_of(load.person), start, end)
    return ScheduleReport(
        schedule.id,
        start,
        end,
        gaps_between(schedule.id, timeline, start, end),  # the timeline above, not computed again
        loads,
        _layer_shares(schedule, timeline, start, end),
    )
