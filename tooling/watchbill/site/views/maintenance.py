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
