"""Maintenance views: one-off windows as written, recurring ones by their current or next occurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from markupsafe import Markup

from ... import maintenance as windows
from ...fields import format_duration
from ...models import Maintenance
from ..markdown import render
from .base import Scope

UPCOMING_HORIZON = timedelta(days=30)
CALENDAR_HORIZON = timedelta(days=90)
"""How far ahead a calendar lists the occurrences of a recurring window it cannot write as a rule."""
MaintenanceState = Literal["scheduled", "in_progress", "completed"]


@dataclass(frozen=True)
class MaintenanceView:
    id: str
    title: str
    description: Markup
    description_text: str
    services: tuple[tuple[str, str], ...]
    """(service id, name)"""
    start: datetime
    end: datetime
    state: MaintenanceState
    recurrence: str | None
    created_at: datetime


def _state(occurrence: windows.Window, now: datetime) -> MaintenanceState:
    if occurrence.contains(now):
        return "in_progress"
    return "scheduled" if occurrence.start > now else "completed"


def maintenance_view(scope: Scope, window: Maintenance, occurrence: windows.Window) -> MaintenanceView:
    recurrence = None
    if window.cron is not None and window.duration is not None:
        recurrence = f"Repeats on cron '{window.cron}' ({window.timezone}) for {format_duration(window.duration)}"
    shown = scope.service_ids
    return MaintenanceView(
        id=window.id,
        title=window.title,
        description=render(window.description),
        description_text=window.description or "",
        services=tuple((s, scope.org.services[s].name) for s in window.services if s in shown),
        start=occurrence.start,
        end=occurrence.end,
        state=_state(occurrence, scope.now),
        recurrence=recurrence,
        created_at=window.announced_at or window.start or occurrence.start,
    )


def _occurrence(window: Maintenance, now: datetime) -> windows.Window | None:
    """The occurrence the page shows: a one-off as written, a recurring one now or next."""
    if windows.is_recurring(window):
        return windows.current(window, now) or windows.upcoming(window, now, UPCOMING_HORIZON)
    if window.start is not None and window.end is not None:
        return windows.Window(window.start, window.end)
    return None


def maintenance_views(scope: Scope) -> list[MaintenanceView]:
    """Newest first."""
    found = [(w, _occurrence(w, scope.now)) for w in scope.maintenance]
    views = [maintenance_view(scope, w, o) for w, o in found if o is not None]
    return sorted(views, key=lambda m: (m.start, m.id), reverse=True)


@dataclass(frozen=True)
class CalendarEntry:
    """A maintenance record as a calendar sees it: a one-off window, or a recurring series.

    A series keeps its cron and zone (so a calendar can write it as a rule), a stable first occurrence
    (``start``: the first at or after ``announced_at``, else after the start of the year of the build) and its
    occurrences over the next ``CALENDAR_HORIZON`` for calendars that need them spelled out.
    """

    id: str
    title: str
    description_text: str
    services: tuple[tuple[str, str], ...]
    start: datetime
    end: datetime
    created_at: datetime
    cron: str | None = None
    timezone: str = "UTC"
    occurrences: tuple[windows.Window, ...] = ()


def _series_start(window: Maintenance, now: datetime) -> windows.Window | None:
    anchor = window.announced_at or datetime(now.year, 1, 1, tzinfo=now.tzinfo)
    found = windows.occurrences(window, anchor, anchor + timedelta(days=400))
    return next((w for w in found if w.start >= anchor), None)


def calendar_entry(scope: Scope, window: Maintenance) -> CalendarEntry | None:
    shown = scope.service_ids
    services = tuple((s, scope.org.services[s].name) for s in window.services if s in shown)
    if window.start is not None and window.end is not None:
        first: windows.Window | None = windows.Window(window.start, window.end)
        ahead: tuple[windows.Window, ...] = ()
    else:
        ahead = tuple(windows.occurrences(window, scope.now, scope.now + CALENDAR_HORIZON))
        first = _series_start(window, scope.now) or (ahead[0] if ahead else None)
    if first is None or not services:
        return None
    return CalendarEntry(
        id=window.id,
        title=window.title,
        description_text=window.description or "",
        services=services,
        start=first.start,
        end=first.end,
        created_at=window.announced_at or first.start,
        cron=window.cron,
        timezone=window.timezone,
        occurrences=ahead,
    )


def calendar_entries(scope: Scope) -> tuple[CalendarEntry, ...]:
    """Every maintenance record the audience may see, oldest first."""
    found = (calendar_entry(scope, w) for w in scope.maintenance)
    return tuple(sorted((e for e in found if e is not None), key=lambda e: (e.start, e.id)))
