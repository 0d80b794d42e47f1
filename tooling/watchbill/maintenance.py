"""When a maintenance window is open: one-off windows as written, recurring ones from cron in their own zone.

The status page lists windows and the probe lifecycle lets them suppress incidents; both ask here, so a
window the page shows as open is the window that holds an incident back.

croniter fires twice in a fall-back hour when given a zone-aware start; occurrences are de-duplicated by
local wall time so a nightly 01:30 window opens once on the night the clocks go back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

from .fields import zone
from .models import Maintenance

MAX_OCCURRENCES = 2_000
"""Bound on how many recurring windows one question may walk, so a per-minute cron cannot stall a build."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def occurrences(window: Maintenance, start: datetime, end: datetime) -> list[Window]:
    """Windows of ``window`` that overlap ``[start, end)``, in order, as UTC instants."""
    if window.start is not None and window.end is not None:
        one = Window(window.start.astimezone(UTC), window.end.astimezone(UTC))
        return [one] if one.end > start and one.start < end else []
    if window.cron is None or window.duration is None:
        return []
    tz = zone(window.timezone)
    duration: timedelta = window.duration
    cursor = croniter(window.cron, (start - duration).astimezone(tz) - timedelta(seconds=1))
    out: list[Window] = []
    seen_local: set[datetime] = set()
    for _ in range(MAX_OCCURRENCES):
        fire: datetime = cursor.get_next(datetime)
        local = fire.replace(tzinfo=None)
        if local in seen_local:
            continue
        seen_local.add(local)
        opened = fire.astimezone(UTC)
        if opened >= end:
            break
        closed = opened + duration
        if closed > start:
            out.append(Window(opened, closed))
    return out


def current(window: Maintenance, now: datetime) -> Window | None:
    found = occurrences(window, now, now + timedelta(seconds=1))
    return next((w for w in found if w.contains(now)), None)


def upcoming(window: Maintenance, now: datetime, horizon: timedelta) -> Window | None:
    """The next window opening after ``now`` within ``horizon``."""
    found = occurrences(window, now, now + horizon)
    return next((w for w in found if w.start > now), None)


def is_recurring(window: Maintenance) -> bool:
    return window.cron is not None


def suppressing(records: Iterable[Maintenance], service: str, start: datetime, end: datetime) -> list[Window]:
    """Windows that suppress incidents for ``service`` and overlap ``[start, end]``, earliest first."""
    found: list[Window] = []
    for record in records:
        if record.suppress_alerts and service in record.services:
            found.extend(occurrences(record, start, end + timedelta(microseconds=1)))
    return sorted(found, key=lambda w: w.start)
