"""The loaded, cross-linked organisation: the one object every command works from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError
from .files.loader import Loc
from .models import (
    Channel,
    EscalationPolicy,
    Incident,
    Maintenance,
    Person,
    Schedule,
    Service,
    Settings,
    Severity,
)
from .problems import Problem


@dataclass(frozen=True)
class Source:
    """Where an object was defined, so any later finding about it can point at the right line."""

    path: str
    loc: Loc = ()


@dataclass
class Organisation:
    root: Path
    settings: Settings = field(default_factory=lambda: Settings(organisation="Unnamed organisation"))
    severities: dict[str, Severity] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    policies: dict[str, EscalationPolicy] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    maintenance: dict[str, Maintenance] = field(default_factory=dict)
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)
    broken: set[tuple[str, str]] = field(default_factory=set)
    """(kind, id or '*') of files that failed to load: references to them are not reported again."""

    def is_broken(self, kind: str, ident: str) -> bool:
        return (kind, "*") in self.broken or (kind, ident) in self.broken

    def source(self, kind: str, ident: str) -> Source:
        return self.sources.get((kind, ident), Source(""))

    def incident_path(self, incident_id: str) -> Path:
        """Where a loaded record's file is; a new record's place is its id's
        (:attr:`watchbill.incidents.ids.IncidentId.path`)."""
        return self.root / self.sources[("incident", incident_id)].path

    def policy_for(self, service: Service, severity: Severity | None = None) -> EscalationPolicy | None:
        """Service's own policy, else the severity's, else the organisation default."""
        for ident in (
            service.escalation,
            severity.escalation if severity else None,
            self.settings.default_escalation,
        ):
            if ident and ident in self.policies:
                return self.policies[ident]
        return None

    def open_incidents(self) -> list[Incident]:
        return sorted((i for i in self.incidents.values() if i.is_open), key=lambda i: i.started_at)


class InvalidOrganisation(DataError):
    """Raised when a command needs valid data and the files have errors; carries the problems."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(
            f"{len(problems)} error(s) in the organisation's files; run 'watchbill validate'", problems=problems
        )
