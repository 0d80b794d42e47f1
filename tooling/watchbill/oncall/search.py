"""Whole shifts and whole stretches on call, however long: search outward until something changes.

:func:`~watchbill.oncall.render.shifts` cuts at the range it is asked about. A quarterly rotation, a
three-month override or a layer that starts next year make a fixed look-around window (the old ±31 or
±62 days) invent an end, lose the next person and move an exported event's start (and so its UID) with the
range. Here the range grows until the answer is no longer touching its edges, bounded by the schedule's
structure rather than by a number of days:

- nothing is on call before the earliest layer or override starts, nor after the last one ends;
- when nothing is on call, the next coverage begins either within a fortnight (a layer is running, and
  every layer covers some time each week) or where the next layer or override starts;
- a person still on call one full rotation cycle after the schedule's last dated change (a start, an
  end, a membership change, an override) is on call for good: the pattern only repeats from there.

A *stretch* is one person's continuous time on call across layers and overrides: "on call until" is the
end of the stretch, which is exactly when the next person's stretch starts (or, after a gap, the gap's
start), so the answer to "until when, and who is next" is one coherent pair of instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..models import Layer, Schedule
from .render import Shift, shifts

FIRST_LOOK = timedelta(days=16)
"""The first range looked at on each side; longer than any daily or weekly shift, so one pass usually does."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9100, 1, 1, tzinfo=UTC)
"""Instants are kept to the years 1970-9000 and durations to 100 years: the search never needs to go further."""
_WEEKS = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Stretch:
    """One person's continuous time on call for a schedule, across layers and overrides."""

    schedule: str
    person: str
    start: datetime
    end: datetime | None
    """None: no hand-off ahead (the person is on call for as long as the schedule runs as it stands)."""
    layer: str
    """What puts them on call at the instant asked about (the layer's name, or ``override``)."""
    override: bool = False

    @property
    def duration(self) -> timedelta | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True, slots=True)
class Bounds:
    """What the schedule's structure says about where to look."""

    first: datetime
    """Nothing is on call before this."""
    last: datetime
    """Nothing is on call from this on (:data:`LATEST` when a layer runs without end)."""
    starts: tuple[datetime, ...]
    """Where coverage can begin after a stretch of nobody: layer starts and override starts, in order."""
    changed: datetime
    """The schedule's last dated change (a start, an end, a membership change, an override's edges)."""
    cycle: timedelta
    """Longer than one full round of any layer: after ``changed``, the timeline repeats within it."""


def _cycle(layer: Layer) -> timedelta:
    """A generous length of one round of the layer's members (restrictions can skip turns for a week)."""
    if layer.shift_length is not None:
        shift = layer.shift_length
    else:
        shift = timedelta(days=7 if layer.rotation == "weekly" else 1)
    members = max([len(layer.members), *(len(change.members) for change in layer.changes)])
    return members * shift * (7 if layer.restrictions else 1) + _WEEKS


def bounds(schedule: Schedule) -> Bounds:
    def utc(moment: datetime) -> datetime:
        return moment.astimezone(UTC)

    starts = sorted({utc(layer.start) for layer in schedule.layers} | {utc(o.start) for o in schedule.overrides})
    ends = [utc(o.end) for o in schedule.overrides]
    open_ended = any(layer.end is None for layer in schedule.layers)
    ends += [utc(layer.end) for layer in schedule.layers if layer.end is not None]
    dated = starts + ends + [utc(c.effective) for layer in schedule.layers for c in layer.changes]
    cycle = max(_cycle(layer) for layer in schedule.layers)
    last = LATEST if open_ended else min(max(ends), LATEST)
    return Bounds(max(starts[0], EARLIEST), last, tuple(starts), max(dated), cycle)


def _plus(moment: datetime, span: timedelta) -> datetime:
    try:
        return min(moment + span, LATEST)
    except OverflowError:
        return LATEST


def _minus(moment: datetime, span: timedelta) -> datetime:
    try:
        return max(moment - span, EARLIEST)
    except OverflowError:
        return EARLIEST


def shift_at(schedule: Schedule, at: datetime, limits: Bounds | None = None) -> Shift | None:
    """The shift in progress at ``at`` with its true start and end, however far away they are."""
    at = at.astimezone(UTC)
    limits = limits or bounds(schedule)
    if not limits.first <= at < limits.last:
        return None
    span = FIRST_LOOK
    while True:
        low, high = max(_minus(at, span), limits.first), min(_plus(at, span), limits.last)
        found = next((s for s in shifts(schedule, low, high) if s.start <= at < s.end), None)
        if found is None:
            return None
        whole_start = found.start > low or low == limits.first
        whole_end = found.end < high or high == limits.last
        if whole_start and whole_end:
            return found
        span *= 4


def whole(schedule: Schedule, timeline: list[Shift], start: datetime, end: datetime) -> list[Shift]:
    """``timeline`` (rendered for ``[start, end)``) with its first and last shifts made whole, when the range
    cut them: what an export needs so that an event's start (and UID) never depends on the range."""
    if not timeline:
        return timeline
    limits = bounds(schedule)
    result = list(timeline)
    if result[0].start <= start.astimezone(UTC):
        result[0] = shift_at(schedule, result[0].start, limits) or result[0]
    if result[-1].end >= end.astimezone(UTC):
        result[-1] = shift_at(schedule, result[-1].end - timedelta(microseconds=1), limits) or result[-1]
    return result


def _active(schedule: Schedule, moment: datetime) -> bool:
    return any(
        layer.start.astimezone(UTC) <= moment and (layer.end is None or moment < layer.end.astimezone(UTC))
        for layer in schedule.layers
    )


def first_from(schedule: Schedule, moment: datetime, limits: Bounds | None = None) -> Shift | None:
    """The first shift in progress at or starting after ``moment``, whole, or None: nobody ever again."""
    limits = limits or bounds(schedule)
    cursor = max(moment.astimezone(UTC), limits.first)
    while cursor < limits.last:
        high = min(_plus(cursor, FIRST_LOOK), limits.last)
        found = shifts(schedule, cursor, high)
        if found:
            return shift_at(schedule, found[0].start, limits) or found[0]
        if _active(schedule, high):
            cursor = high  # a running layer covers some time every week: keep looking just past here
            continue
        later = [s for s in limits.starts if s >= high]
        if not later:
            return None
        cursor = later[0]  # nothing runs until the next layer or override starts: jump there
    return None


def stretch_end(schedule: Schedule, person: str, moment: datetime, limits: Bounds | None = None) -> datetime | None:
    """When ``person``, on call at ``moment``, stops being on call; None if they never do."""
    limits = limits or bounds(schedule)
    cursor = moment.astimezone(UTC)
    settled = _plus(max(limits.changed, cursor), limits.cycle)
    span = FIRST_LOOK
    while True:
        high = min(_plus(cursor, span), limits.last)
        for piece in shifts(schedule, cursor, high):
            if piece.start > cursor or piece.person != person:
                return cursor
            cursor = piece.end
        if cursor < high or high == limits.last:
            return None if cursor >= LATEST else cursor
        if cursor > settled:
            return None  # on call a whole cycle past the last change: the pattern never hands over
        span *= 2


def stretch_start(schedule: Schedule, person: str, moment: datetime, limits: Bounds | None = None) -> datetime:
    """Since when ``person``, on call at ``moment``, has been on call without a break."""
    limits = limits or bounds(schedule)
    cursor = moment.astimezone(UTC)
    span = FIRST_LOOK
    while True:
        low = max(_minus(cursor, span), limits.first)
        for piece in reversed(shifts(schedule, low, cursor)):
            if piece.end < cursor or piece.person != person:
                return cursor
            cursor = piece.start
        if cursor > low or low == limits.first:
            return cursor
        span *= 2


def _stretch(schedule: Schedule, shift: Shift, moment: datetime, limits: Bounds) -> Stretch:
    return Stretch(
        schedule.id,
        shift.person,
        stretch_start(schedule, shift.person, moment, limits),
        stretch_end(schedule, shift.person, moment, limits),
        shift.layer,
        shift.override,
    )


def on_call_stretches(schedule: Schedule, at: datetime) -> tuple[Stretch | None, Stretch | None]:
    """Who is on call at ``at`` (their whole stretch) and who comes next (theirs).

    The current stretch's end is the next one's start, unless nobody is on call in between; with nobody
    on call now, the next stretch is the first coverage to come.
    """
    at = at.astimezone(UTC)
    limits = bounds(schedule)
    shift = shift_at(schedule, at, limits)
    current = _stretch(schedule, shift, at, limits) if shift is not None else None
    if current is not None and current.end is None:
        return current, None
    following = first_from(schedule, current.end if current is not None and current.end else at, limits)
    if following is None:
        return current, None
    return current, _stretch(schedule, following, following.start, limits)


def current_shift(schedule: Schedule, at: datetime) -> Shift | None:
    """The shift in progress at ``at`` with its true start and end (see :func:`shift_at`)."""
    return shift_at(schedule, at)


def next_shift(schedule: Schedule, at: datetime) -> Shift | None:
    """The first shift after the stretch in progress at ``at``: someone else's, or anyone's after a gap."""
    limits = bounds(schedule)
    shift = shift_at(schedule, at, limits)
    if shift is None:
        return first_from(schedule, at, limits)
    end = stretch_end(schedule, shift.person, at, limits)
    return None if end is None else first_from(schedule, end, limits)
