"""Who would be on call differently after a change: the review aid for schedule pull requests.

Editing a rotation (adding a member, moving a hand-off) easily reshuffles weeks that people have already
planned around. Comparing the rendered timelines before and after makes that visible in the pull request
instead of on the night it happens.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import Schedule
from .render import shifts


@dataclass(frozen=True)
class Change:
    schedule: str
    start: datetime
    end: datetime
    before: str | None
    """Who was on call in this stretch before the change (None: nobody)."""
    after: str | None


def _timeline(schedule: Schedule | None, start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
    if schedule is None:
        return []
    return [(s.start, s.end, s.person) for s in shifts(schedule, start, end)]


def _who(timeline: list[tuple[datetime, datetime, str]], at: datetime) -> str | None:
    for begin, finish, person in timeline:
        if begin <= at < finish:
            return person
    return None


def changes(
    before: Mapping[str, Schedule], after: Mapping[str, Schedule], start: datetime, end: datetime
) -> list[Change]:
    """Stretches in [start, end) where the person on call differs, merged where they run on unchanged."""
    found: list[Change] = []
    for ident in sorted(set(before) | set(after)):
        old = _timeline(before.get(ident), start, end)
        new = _timeline(after.get(ident), start, end)
        cuts = sorted({start, end} | {t for b, e, _ in old + new for t in (b, e) if start <= t <= end})
        for begin, finish in itertools.pairwise(cuts):
            was, now = _who(old, begin), _who(new, begin)
            if was == now:
                continue
            last = found[-1] if found else None
            if last and last.schedule == ident and last.end == begin and (last.before, last.after) == (was, now):
                found[-1] = Change(ident, last.start, finish, was, now)
            else:
                found.append(Change(ident, begin, finish, was, now))
    return found


@dataclass(frozen=True)
class Review:
    """What a schedule change does to the next ``days`` days from ``at``."""

    at: datetime
    days: int
    changes: list[Change]


def review(before: Mapping[str, Schedule], after: Mapping[str, Schedule], *, now: datetime, days: int) -> Review:
    return Review(now, days, changes(before, after, now, now + timedelta(days=days)))
