"""One layer's rotation: hand-offs, member turns, restriction windows, as pieces of covered time.

Semantics (PagerDuty's, with GoAlert's DST and fairness rules):

- The first member is on call from the layer's ``start`` until the first hand-off strictly after it, then
  the next member, and so on round the list. Daily rotations hand off every local day at ``handoff.time``,
  weekly ones on ``handoff.weekday`` at that time, custom ones every ``shift_length`` of absolute time
  counted from ``start`` (so a 12h custom rotation drifts by an hour in local time across a DST change,
  while daily and weekly ones stay at their wall-clock time and last 23/25 or 167/169 hours).
- Each dated change re-anchors the rotation exactly as ``start`` does: the new list's first member is on
  call from ``effective`` until the next hand-off after it.
- Restrictions keep only the parts of shifts inside their weekly windows, in the schedule's zone. A shift
  left entirely empty by them does not use up a turn, so every member still gets shifts (GoAlert #55).
- The layer covers nothing before ``start`` or from ``end`` on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ..models import WEEKDAYS, Layer, Restriction
from .localtime import first_of_day, last_of_day, local_date

_DAY = timedelta(days=1)
_MARGIN = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Piece:
    """Covered time from one shift; ``key`` (version, shift number) tells fragments of one shift apart."""

    start: datetime
    end: datetime
    person: str
    key: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Version:
    """A stretch of a layer with one member list, anchored at ``start``."""

    start: datetime
    end: datetime | None
    members: tuple[str, ...]


def versions(layer: Layer) -> list[Version]:
    anchors = [(layer.start, tuple(layer.members))] + [(c.effective, tuple(c.members)) for c in layer.changes]
    result = []
    for index, (start, members) in enumerate(anchors):
        end = anchors[index + 1][0] if index + 1 < len(anchors) else layer.end
        result.append(Version(start.astimezone(UTC), end.astimezone(UTC) if end else None, members))
    return result


class HandoffClock:
    """The layer's hand-off instants, in order, as UTC datetimes."""

    def __init__(self, layer: Layer, zone_name: str) -> None:
        self.zone = zone_name
        self.custom = layer.shift_length if layer.rotation == "custom" else None
        handoff = layer.handoff
        self.time = handoff.time if handoff is not None else None
        self.step = 7 if layer.rotation == "weekly" else 1
        self.weekday = WEEKDAYS.index(handoff.weekday) if handoff is not None and handoff.weekday else None

    def _at(self, day: date) -> datetime:
        assert self.time is not None
        return first_of_day(self.zone, day, self.time)

    def _aligned(self, day: date) -> date:
        """The nearest hand-off day on or before ``day``."""
        if self.weekday is None:
            return day
        return day - timedelta(days=(day.weekday() - self.weekday) % 7)

    def after(self, anchor: datetime) -> Iterator[datetime]:
        """Hand-offs strictly after ``anchor``, forever."""
        if self.custom is not None:
            k = 1
            while True:
                yield anchor + k * self.custom
                k += 1
        day = self._aligned(local_date(self.zone, anchor)) - timedelta(days=self.step)
        previous = anchor
        step = timedelta(days=self.step)
        while True:
            instant = self._at(day)
            if instant > previous:
                yield instant
                previous = instant
            day += step

    def count_between(self, anchor: datetime, instant: datetime) -> tuple[int, datetime]:
        """How many hand-offs fall in (anchor, instant], and the last of them (or ``anchor`` if none).

        Lets a layer without restrictions jump straight to the shift in progress instead of walking
        every shift since its anchor.
        """
        if instant <= anchor:
            return 0, anchor
        if self.custom is not None:
            count = int((instant - anchor) // self.custom)
            return count, anchor + count * self.custom
        first_instant = next(iter(self.after(anchor)))
        if first_instant > instant:
            return 0, anchor
        first_day = self._aligned(local_date(self.zone, first_instant))
        step = timedelta(days=self.step)
        day = self._aligned(local_date(self.zone, instant)) + step
        while self._at(day) > instant:
            day -= step
        count = (day - first_day).days // self.step + 1
        return count, self._at(day)


def windows(
    restrictions: list[Restriction], zone_name: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The restrictions' windows between ``start`` and ``end``, merged, sorted and clipped."""
    raw: list[tuple[datetime, datetime]] = []
    day = local_date(zone_name, start) - _MARGIN
    last = local_date(zone_name, end) + _DAY
    while day <= last:
        weekday = WEEKDAYS[day.weekday()]
        for restriction in restrictions:
            if weekday not in restriction.days:
                continue
            opens = first_of_day(zone_name, day, restriction.start)
            end_day = day + _DAY if restriction.end <= restriction.start else day
            closes = last_of_day(zone_name, end_day, restriction.end)
            if closes > opens and closes > start and opens < end:
                raw.append((max(opens, start), min(closes, end)))
        day += _DAY
    raw.sort()
    merged: list[tuple[datetime, datetime]] = []
    for opens, closes in raw:
        if merged and opens <= merged[-1][1]:
            if closes > merged[-1][1]:
                merged[-1] = (merged[-1][0], closes)
        else:
            merged.append((opens, closes))
    return merged


def _longest_shift(layer: Layer) -> timedelta:
    if layer.shift_length is not None:
        return layer.shift_length
    return timedelta(days=8 if layer.rotation == "weekly" else 2)


def layer_pieces(layer: Layer, zone_name: str, start: datetime, end: datetime) -> list[Piece]:
    """Covered time of ``layer`` within [start, end), sorted; each piece names its member."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    clock = HandoffClock(layer, zone_name)
    pieces: list[Piece] = []
    for vi, version in enumerate(versions(layer)):
        if version.start >= end or (version.end is not None and version.end <= start):
            continue
        pieces.extend(_version_pieces(layer, zone_name, clock, vi, version, start, end))
    return pieces


def _version_pieces(
    layer: Layer, zone_name: str, clock: HandoffClock, vi: int, version: Version, start: datetime, end: datetime
) -> Iterator[Piece]:
    members = version.members
    stop = end if version.end is None else min(end, version.end)
    limit = stop + _longest_shift(layer) + _MARGIN
    if version.end is not None:
        limit = min(limit, version.end)
    if layer.restrictions:
        open_windows = windows(layer.restrictions, zone_name, version.start, limit)
        turns, shift_start, number = 0, version.start, 0
    else:
        open_windows = []
        number, shift_start = clock.count_between(version.start, start)
        turns = number
    handoffs = clock.after(shift_start)
    pointer = 0
    while shift_start < stop:
        shift_end = next(handoffs)
        if version.end is not None:
            shift_end = min(shift_end, version.end)
        if layer.restrictions:
            while pointer < len(open_windows) and open_windows[pointer][1] <= shift_start:
                pointer += 1
            covered: list[tuple[datetime, datetime]] = []
            index = pointer
            while index < len(open_windows) and open_windows[index][0] < shift_end:
                opens, closes = open_windows[index]
                covered.append((max(opens, shift_start), min(closes, shift_end)))
                index += 1
        else:
            covered = [(shift_start, shift_end)]
        if covered:
            person = members[turns % len(members)]
            turns += 1
            for opens, closes in covered:
                if closes > start and opens < end:
                    yield Piece(max(opens, start), min(closes, end), person, (vi, number))
        number += 1
        shift_start = shift_end
