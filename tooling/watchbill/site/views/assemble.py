"""The whole site's content for one audience: every view family built once and put together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from ...organisation import Organisation
from ...state.snapshot import Snapshot
from ..audience import Audience
from .base import Scope, by_service, slug
from .incidents import IncidentView, MonthView, incident_view, months_of
from .maintenance import CalendarEntry, MaintenanceView, calendar_entries, maintenance_views
from .oncall import PolicyView, ScheduleView, policy_views, schedule_views
from .reliability import ReliabilityView, reliability_view
from .services import ServiceView, service_view
from .status import StatusView, status_view


@dataclass(frozen=True)
class SiteView:
    audience: Audience
    now: datetime
    organisation: str
    title: str
    description: str | None
    site_url: str | None
    support_url: str | None
    history_days: int
    status: StatusView
    services: tuple[ServiceView, ...]
    incidents: tuple[IncidentView, ...]
    """Newest first."""
    months: tuple[MonthView, ...]
    maintenance: tuple[MaintenanceView, ...]
    reliability: ReliabilityView
    schedules: tuple[ScheduleView, ...] = ()
    policies: tuple[PolicyView, ...] = ()
    page_id: str = field(default="")
    time_zone: str = "UTC"
    """The organisation's zone (settings ``timezone``): pages state it, the API names it."""
    calendar: tuple[CalendarEntry, ...] = ()
    """Every maintenance record the audience may see, for the iCal subscriptions."""

    @cached_property
    def _by_service(self) -> dict[str, tuple[IncidentView, ...]]:
        return by_service(self.incidents, lambda view: (a.service_id for a in view.services))

    def incidents_of(self, service_id: str) -> tuple[IncidentView, ...]:
        """The incidents touching one service, newest first (service pages and feeds ask once per service)."""
        return self._by_service.get(service_id, ())


def build(org: Organisation, snapshot: Snapshot | None, audience: Audience, now: datetime) -> SiteView:
    """The whole site's content for one audience at one instant."""
    scope = Scope.of(org, snapshot, audience, now)
    incidents = tuple(incident_view(scope, i) for i in scope.incidents)
    services = tuple(service_view(scope, s, n) for n, s in enumerate(scope.services))
    months = months_of(incidents)
    maintenance = tuple(maintenance_views(scope))
    page = org.settings.status_page
    return SiteView(
        audience=audience,
        now=scope.now,
        organisation=org.settings.organisation,
        title=page.title,
        description=page.description,
        site_url=page.url,
        support_url=page.support_url,
        history_days=page.history_days,
        status=status_view(scope, services, incidents, maintenance, months),
        services=services,
        incidents=incidents,
        months=months,
        maintenance=maintenance,
        reliability=reliability_view(scope, services),
        schedules=schedule_views(scope) if scope.internal else (),
        policies=policy_views(scope) if scope.internal else (),
        page_id=slug(org.settings.organisation),
        time_zone=org.settings.timezone,
        calendar=calendar_entries(scope),
    )
