"""A schedule's final timeline: layers painted in order (later wins), overrides on top.

At any instant at most one person is on call for a schedule: the override listed last that covers the
instant, else the member of the last layer that covers it, else nobody (a coverage gap).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..models import Schedule
from .rotation import Piece, layer_pieces

OVERRIDE = "override"
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Shift:
    """A stretch of the final timeline: who, when, and which layer (or override) put them there."""

    schedule: str
    person: str
    start: datetime
    end: datetime
    layer: str
    override: bool = False

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch in which nobody is on call for the schedule."""

    schedule: str
    start: datetime
    end: datetime


def _sources(schedule: Schedule, start: datetime, end: datetime) -> tuple[list[list[Piece]], list[str]]:
    """Piece lists in painting order (lowest priority first) and the label of each."""
    sources = [layer_pieces(layer, schedule.timezone, start, end) for layer in schedule.layers]
    labels = [layer.name for layer in schedule.layers]
    for index, override in enumerate(schedule.overrides):
        opens, closes = override.start.astimezone(UTC), override.end.astimezone(UTC)
        if closes > start and opens < end:
            sources.append([Piece(max(opens, start), min(closes, end), override.person, (index, 0))])
            labels.append(OVERRIDE)
    return sources, labels


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The final on-call timeline within [start, end), in order, never overlapping.

    Fragments of one underlying shift that another layer or an override cut apart stay separate
    entries; contiguous parts of the same shift are joined.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    sources, labels = _sources(schedule, start, end)
    layer_count = len(schedule.layers)
    edges = sorted({p.start for src in sources for p in src} | {p.end for src in sources for p in src})
    pointers = [0] * len(sources)
    result: list[Shift] = []
    last_key: tuple[int, tuple[int, int]] | None = None
    for left, right in itertools.pairwise(edges):
        for si in range(len(sources) - 1, -1, -1):
            source = sources[si]
            index = pointers[si]
            while index < len(source) and source[index].end <= left:
                index += 1
            pointers[si] = index
            if index < len(source) and source[index].start <= left:
                piece = source[index]
                key = (si, piece.key)
                if result and last_key == key and result[-1].end == left:
                    previous = result[-1]
                    result[-1] = Shift(
                        previous.schedule, previous.person, previous.start, right, previous.layer, previous.override
                    )
                else:
                    result.append(Shift(schedule.id, piece.person, left, right, labels[si], si >= layer_count))
                last_key = key
                break
    return result


def on_call(schedule: Schedule, at: datetime) -> list[str]:
    """Who is on call at ``at``: one person id, or none during a gap (a list, so callers never guess)."""
    return [shift.person for shift in shifts(schedule, at, at + _TICK)]


def coverage_gaps(schedule: Schedule, start: datetime, end: datetime) -> list[Gap]:
    """Stretches of [start, end) in which nobody is on call."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    return gaps_between(schedule.id, shifts(schedule, start, end), start, end)


def gaps_between(schedule: str, timeline: list[Shift], start: datetime, end: datetime) -> list[Gap]:
    """The gaps of a timeline ``shifts`` computed for [start, end) (UTC), without computing it again."""
    gaps: list[Gap] = []
    cursor = start
    for shift in timeline:
        if shift.start > cursor:
            gaps.append(Gap(schedule, cursor, shift.start))
        cursor = max(cursor, shift.end)
    if cursor < end:
        gaps.append(Gap(schedule, cursor, end))
    return gaps


def first_gap(schedule: Schedule, now: datetime, within: timedelta = timedelta(days=28)) -> Gap | None:
    """The first coverage gap between ``now`` and ``now + within``, for validation warnings."""
    gaps = coverage_gaps(schedule, now, now + within)
    return gaps[0] if gaps else None
