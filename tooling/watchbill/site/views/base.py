"""What every view family shares: one filtered scope of the organisation, the labels, and number formats.

The scope is cut once per build for one audience, so no family can reach a record that audience may not see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import TypeVar

from ...models import Incident, Maintenance, Service
from ...organisation import Organisation
from ...state.snapshot import Snapshot
from ..audience import Audience, incident_visible, maintenance_visible, service_visible

T = TypeVar("T")

UPDATE_LABEL = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
IMPACT_LABEL = {
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}


@dataclass(frozen=True)
class Scope:
    """The records one audience may see at one instant; incidents newest first."""

    org: Organisation
    snapshot: Snapshot | None
    audience: Audience
    now: datetime
    incidents: tuple[Incident, ...]
    services: tuple[Service, ...]
    maintenance: tuple[Maintenance, ...]

    @classmethod
    def of(cls, org: Organisation, snapshot: Snapshot | None, audience: Audience, now: datetime) -> Scope:
        incidents = sorted(
            (i for i in org.incidents.values() if incident_visible(org, i, audience)),
            key=lambda i: (i.started_at, i.id),
            reverse=True,
        )
        return cls(
            org=org,
            snapshot=snapshot,
            audience=audience,
            now=now.astimezone(UTC),
            incidents=tuple(incidents),
            services=tuple(s for s in org.services.values() if service_visible(s, audience)),
            maintenance=tuple(m for m in org.maintenance.values() if maintenance_visible(org, m, audience)),
        )

    @cached_property
    def _by_service(self) -> dict[str, tuple[Incident, ...]]:
        return by_service(self.incidents, lambda incident: (a.service for a in incident.services))

    def incidents_of(self, service_id: str) -> tuple[Incident, ...]:
        """The incidents touching one service, newest first."""
        return self._by_service.get(service_id, ())

    @property
    def internal(self) -> bool:
        return self.audience == "internal"

    @cached_property
    def service_ids(self) -> frozenset[str]:
        return frozenset(s.id for s in self.services)

    def person(self, ident: str) -> str:
        person = self.org.people.get(ident)
        return person.name if person else ident


def by_service(items: Iterable[T], services: Callable[[T], Iterable[str]]) -> dict[str, tuple[T, ...]]:
    """Items grouped by each service they name, in their own order (an item naming one twice counts once)."""
    grouped: dict[str, list[T]] = defaultdict(list)
    for item in items:
        for service in dict.fromkeys(services(item)):
            grouped[service].append(item)
    return {service: tuple(found) for service, found in grouped.items()}


def slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in out.split("-") if part) or "status"


def format_percent(value: float | None) -> str:
    """Uptime with enough digits to tell 99.9 from 99.99, without claiming 100 % for a lossy day."""
    if value is None:
        return "no data"
    percent = value * 100
    if percent >= 100:
        return "100%"
    text = f"{percent:.2f}"
    if text == "100.00":
        text = "99.99"
    return f"{text}%"
