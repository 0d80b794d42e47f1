"""The status page's own view: the overall rollup, service groups, what is open and what is planned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .. import status as st
from .base import Scope
from .incidents import IncidentView, MonthView, recent_months
from .maintenance import UPCOMING_HORIZON, MaintenanceView
from .services import ServiceView

HOME_MONTHS = 3


@dataclass(frozen=True)
class GroupView:
    name: str
    status: st.ComponentStatus
    services: tuple[ServiceView, ...]


@dataclass(frozen=True)
class StatusView:
    overall: st.Overall
    stale: bool
    last_run: datetime | None
    groups: tuple[GroupView, ...]
    active: tuple[IncidentView, ...]
    maintenance_now: tuple[MaintenanceView, ...]
    maintenance_next: tuple[MaintenanceView, ...]
    recent_months: tuple[MonthView, ...]


def group_views(services: Sequence[ServiceView]) -> tuple[GroupView, ...]:
    """Groups in the order their first service appears, each as bad as its worst service."""
    groups: dict[str, list[ServiceView]] = {}
    for view in services:
        groups.setdefault(view.group, []).append(view)
    return tuple(
        GroupView(name, st.worst(s.status for s in members), tuple(members)) for name, members in groups.items()
    )


def status_view(
    scope: Scope,
    services: Sequence[ServiceView],
    incidents: Sequence[IncidentView],
    maintenance: Sequence[MaintenanceView],
    months: Sequence[MonthView],
) -> StatusView:
    """``maintenance`` comes newest first, as the maintenance page lists it; the home page wants soonest first."""
    now = scope.now
    active = tuple(sorted((v for v in incidents if v.is_open), key=lambda v: v.started_at, reverse=True))
    soonest = list(reversed(maintenance))
    all_probes = [p for s in scope.org.services.values() for p in s.probes]
    return StatusView(
        overall=st.overall([s.status for s in services], [v.impact for v in active]),
        stale=st.snapshot_stale(scope.snapshot, all_probes, now),
        last_run=scope.snapshot.last_run if scope.snapshot else None,
        groups=group_views(services),
        active=active,
        maintenance_now=tuple(m for m in soonest if m.state == "in_progress"),
        maintenance_next=tuple(m for m in soonest if m.state == "scheduled" and m.start - now <= UPCOMING_HORIZON),
        recent_months=recent_months(months, now, HOME_MONTHS),
    )
