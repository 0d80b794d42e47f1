"""On-call resolution against an independent brute-force reference, over random schedules.

The reference knows nothing of folds, offsets or hand-off arithmetic: it walks the timeline minute by
minute, reads the wall clock in the schedule's zone, and applies the rules as a person would state them:

- a hand-off happens when the wall clock first reaches the hand-off time (the clock's high-water mark
  crosses it), so a skipped time hands off at the first minute after the gap and a repeated time at
  its first occurrence;
- a restriction window opens when the clock first reaches its start and closes at the last minute the
  clock shows its end (or, if the clock skips the end, when it first passes it);
- a shift that no window touches does not use up a turn; a change re-anchors the rotation;
- overrides beat layers, later layers beat earlier ones, later overrides beat earlier ones.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchbill.models import WEEKDAYS, Layer, Schedule
from watchbill.oncall import on_call, shifts

MINUTE = timedelta(minutes=1)
ZONES = {
    "America/New_York": [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)],
    "Europe/Berlin": [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)],
    "Australia/Sydney": [datetime(2026, 4, 4, 16, tzinfo=UTC), datetime(2026, 10, 3, 16, tzinfo=UTC)],
    "Asia/Kolkata": [datetime(2026, 6, 1, 0, tzinfo=UTC)],
}
PEOPLE = ["ann", "ben", "cat", "dan", "eve"]


class Clockface:
    """Wall-clock readings for every minute of a stretch, read once from zoneinfo."""

    def __init__(self, zone: str, first: datetime, last: datetime) -> None:
        tz = ZoneInfo(zone)
        self.first = first
        count = int((last - first) / MINUTE) + 1
        self.wall = [(first + i * MINUTE).astimezone(tz).replace(tzinfo=None) for i in range(count)]
        self.high: list[datetime] = []
        top = datetime.min
        for reading in self.wall:
            top = max(top, reading)
            self.high.append(top)

    def index(self, instant: datetime) -> int:
        return int((instant - self.first) / MINUTE)

    def first_reaching(self, wall: datetime) -> int:
        index = bisect_left(self.high, wall)
        if index == len(self.high):
            raise StopIteration
        return index

    def closing(self, wall: datetime) -> int:
        first = self.first_reaching(wall)
        shown = [i for i in range(first, min(first + 300, len(self.wall))) if self.wall[i] == wall]
        return shown[-1] if shown else first

    def crosses(self, i: int, day_ok: Any, clock: Any) -> bool:
        """Does the clock's high-water mark first reach a hand-off time at minute i?"""
        before, now = self.high[i - 1], self.high[i]
        for back in range(3):
            day = now.date() - timedelta(days=back)
            target = datetime.combine(day, clock)
            if day_ok(day) and before < target <= now:
                return True
        return False


def _open_minutes(layer: Layer, face: Clockface) -> set[int] | None:
    if not layer.restrictions:
        return None
    open_minutes: set[int] = set()
    first_day = face.wall[0].date() - timedelta(days=1)
    last_day = face.wall[-1].date()
    day = first_day
    while day <= last_day:
        for r in layer.restrictions:
            if WEEKDAYS[day.weekday()] not in r.days:
                continue
            end_day = day + timedelta(days=1) if r.end <= r.start else day
            try:
                opens = face.first_reaching(datetime.combine(day, r.start))
                closes = face.closing(datetime.combine(end_day, r.end))
            except StopIteration:
                continue
            open_minutes.update(range(opens, closes))
        day += timedelta(days=1)
    return open_minutes


def reference_layer(layer: Layer, face: Clockface, upto: int) -> dict[int, str]:
    """Minute index -> member on call for this layer, minute by minute from the layer's start."""
    result: dict[int, str] = {}
    open_minutes = _open_minutes(layer, face)
    anchors = {face.index(layer.start): list(layer.members)}
    for change in layer.changes:
        anchors[face.index(change.effective)] = list(change.members)
    stop = face.index(layer.end) if layer.end else upto
    members: list[str] = []
    turns, covered, anchor = 0, False, 0
    handoff = layer.handoff
    for i in range(face.index(layer.start), min(stop, upto)):
        if i in anchors:
            if covered:
                turns += 1
            members, turns, covered, anchor = anchors[i], 0, False, i
        else:
            if layer.rotation == "custom":
                assert layer.shift_length is not None
                boundary = (i - anchor) % int(layer.shift_length / MINUTE) == 0
            else:
                assert handoff is not None
                weekday = handoff.weekday

                def day_ok(day: date, weekday: str | None = weekday) -> bool:
                    return weekday is None or WEEKDAYS[day.weekday()] == weekday

                boundary = face.crosses(i, day_ok, handoff.time)
            if boundary:
                if covered:
                    turns += 1
                covered = False
        if open_minutes is None or i in open_minutes:
            covered = True
            result[i] = members[turns % len(members)]
    return result


def reference(schedule: Schedule, start: datetime, end: datetime, earliest: datetime) -> list[str | None]:
    face = Clockface(schedule.timezone, earliest - timedelta(days=3), end + timedelta(days=12))
    upto = face.index(end + timedelta(days=10))
    layers = [reference_layer(layer, face, upto) for layer in schedule.layers]
    answer: list[str | None] = []
    for i in range(face.index(start), face.index(end)):
        instant = face.first + i * MINUTE
        who: str | None = None
        for layer in layers:
            who = layer.get(i, who)
        for override in schedule.overrides:
            if override.start <= instant < override.end:
                who = override.person
        answer.append(who)
    return answer


def rendered(schedule: Schedule, start: datetime, end: datetime) -> list[str | None]:
    minutes: list[str | None] = [None] * int((end - start) / MINUTE)
    for shift in shifts(schedule, start, end):
        for i in range(int((shift.start - start) / MINUTE), int((shift.end - start) / MINUTE)):
            assert minutes[i] is None, "shifts overlap"
            minutes[i] = shift.person
    return minutes


CLOCKS = [f"{h:02d}:{m:02d}" for h in (0, 1, 2, 3, 9, 17, 23) for m in (0, 30)]
EDGE_CLOCKS = {
    # The local times each zone skips or repeats, and their borders.
    "America/New_York": ["01:00", "01:30", "01:59", "02:00", "02:30", "02:59", "03:00"],
    "Europe/Berlin": ["01:59", "02:00", "02:30", "02:59", "03:00"],
    "Australia/Sydney": ["01:59", "02:00", "02:30", "02:59", "03:00"],
    "Asia/Kolkata": ["00:00", "05:30", "23:59"],
}


def clocks(zone: str, edge: bool) -> st.SearchStrategy[str]:
    if edge:
        return st.sampled_from(EDGE_CLOCKS[zone])
    return st.one_of(st.sampled_from(EDGE_CLOCKS[zone]), st.sampled_from(CLOCKS))


@st.composite
def restrictions(draw: st.DrawFn, zone: str, edge: bool) -> dict[str, Any]:
    return {
        "days": draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)),
        "start": draw(clocks(zone, edge)),
        "end": draw(clocks(zone, edge)),
    }


@st.composite
def layers(draw: st.DrawFn, window_start: datetime, zone: str, edge: bool) -> dict[str, Any]:
    rotation = draw(st.sampled_from(["daily", "weekly", "custom"]))
    start = window_start - draw(st.integers(-2 * 24 * 60, 16 * 24 * 60)) * MINUTE
    layer: dict[str, Any] = {
        "name": draw(st.text("xyz", min_size=1, max_size=4)),
        "start": start.isoformat(),
        "members": draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True)),
        "rotation": rotation,
    }
    if rotation == "custom":
        layer["shift_length"] = f"{draw(st.sampled_from([90, 300, 720, 1440, 2160, 10080]))}m"
    else:
        handoff: dict[str, Any] = {"time": draw(clocks(zone, edge))}
        if rotation == "weekly":
            handoff["weekday"] = draw(st.sampled_from(["sunday", *WEEKDAYS]))  # DST changes on Sundays
        layer["handoff"] = handoff
    layer["restrictions"] = draw(st.one_of(st.just([]), st.lists(restrictions(zone, edge), min_size=1, max_size=2)))
    moment = start
    changes = []
    for _ in range(draw(st.integers(0, 2))):
        moment += draw(st.integers(1, 6 * 24 * 60)) * MINUTE
        changes.append(
            {
                "effective": moment.isoformat(),
                "members": draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3)),
            }
        )
    layer["changes"] = changes
    if draw(st.booleans()) and draw(st.booleans()):
        layer["end"] = (moment + draw(st.integers(1, 20 * 24 * 60)) * MINUTE).isoformat()
    return layer


@st.composite
def cases(draw: st.DrawFn, edge: bool = False) -> tuple[Schedule, datetime, datetime]:
    """A random schedule and range; ``edge`` keeps every clock time and range on a DST change."""
    zone = draw(st.sampled_from(sorted(z for z in ZONES if z != "Asia/Kolkata") if edge else sorted(ZONES)))
    focus = draw(st.sampled_from(ZONES[zone]))
    if edge:
        start = focus - draw(st.integers(24 * 60, 36 * 60)) * MINUTE
        end = focus + draw(st.integers(24 * 60, 36 * 60)) * MINUTE
    else:
        start = focus - draw(st.one_of(st.integers(0, 2 * 24 * 60), st.integers(-2 * 24 * 60, 6 * 24 * 60))) * MINUTE
        end = start + draw(st.one_of(st.integers(3 * 24 * 60, 5 * 24 * 60), st.integers(60, 5 * 24 * 60))) * MINUTE
    drawn = draw(st.lists(layers(start, zone, edge), min_size=1, max_size=2 if edge else 3))
    for index, layer in enumerate(drawn):
        layer["name"] = f"{layer['name']}{index}"
    overrides = []
    for _ in range(draw(st.integers(0, 2))):
        opens = start + draw(st.integers(-600, 5 * 24 * 60)) * MINUTE
        overrides.append(
            {
                "person": draw(st.sampled_from(PEOPLE)),
                "start": opens.isoformat(),
                "end": (opens + draw(st.integers(1, 2000)) * MINUTE).isoformat(),
            }
        )
    schedule = Schedule.model_validate(
        {"id": "s", "name": "S", "timezone": zone, "layers": drawn, "overrides": overrides}
    )
    return schedule, start, end


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_rendered_timeline_matches_minute_by_minute_reference(case: tuple[Schedule, datetime, datetime]) -> None:
    schedule, start, end = case
    earliest = min(layer.start for layer in schedule.layers)
    assert rendered(schedule, start, end) == reference(schedule, start, end, min(earliest, start))


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases(edge=True))
def test_every_dst_edge_rule_matches_the_reference_on_transition_days(
    case: tuple[Schedule, datetime, datetime],
) -> None:
    schedule, start, end = case
    earliest = min(layer.start for layer in schedule.layers)
    assert rendered(schedule, start, end) == reference(schedule, start, end, min(earliest, start))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases(), st.integers(0, 10_000_000))
def test_on_call_at_an_instant_matches_the_rendered_timeline(
    case: tuple[Schedule, datetime, datetime], micros: int
) -> None:
    schedule, start, _end = case
    at = start + timedelta(microseconds=micros) * 3
    timeline = shifts(schedule, at - timedelta(days=1), at + timedelta(days=1))
    expected = [s.person for s in timeline if s.start <= at < s.end]
    assert on_call(schedule, at) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases(), st.integers(1, 3 * 24 * 60))
def test_splitting_the_range_never_changes_who_is_on_call(
    case: tuple[Schedule, datetime, datetime], cut_minutes: int
) -> None:
    schedule, start, end = case
    cut = min(start + cut_minutes * MINUTE, end - MINUTE)
    whole = rendered(schedule, start, end)
    assert rendered(schedule, start, cut) + rendered(schedule, cut, end) == whole
