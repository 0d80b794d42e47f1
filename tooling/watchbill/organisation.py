"""The loaded, cross-linked organisation: the one object every command works from."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TypeVar

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
from .problems import Level, Problem


@dataclass(frozen=True)
class Source:
    """Where an object was defined, so any later finding about it can point at the right line."""

    path: str
    loc: Loc = ()


_NOWHERE = Source("")

Reference = tuple[str, str, Loc, str]
"""(kind of record, id, where in the file, rule): one id a record names, to be found in the kind's table."""
OwnFinding = tuple[Loc, Level, str, str]
"""(where in the file, level, message, rule): a finding about a record that no other file can change."""


class IncidentFacts(NamedTuple):
    """What the cross-file rules need from one incident file: small, so validation can keep it for every
    record (in memory and in its cache) instead of the record itself, which is built only when asked for."""

    id: str
    severity: str
    status: str
    started_at: str
    resolved_at: str | None
    postmortem_status: str | None
    """None when the record has no postmortem."""
    probe: str | None
    references: tuple[Reference, ...]
    own: tuple[OwnFinding, ...]


M = TypeVar("M")


class LazyRecords(Mapping[str, M]):
    """Records by id, each built from its file the first time it is asked for, then kept.

    Validation knows every id and where it lives without building the records: a command that asks for
    one incident builds one, and ``validate`` builds none.
    """

    def __init__(self, paths: Mapping[str, str], build: Callable[[str], M]) -> None:
        self._paths = paths
        self._build = build
        self._built: dict[str, M] = {}

    def __getitem__(self, ident: str) -> M:
        record = self._built.get(ident)
        if record is None:
            record = self._built[ident] = self._build(self._paths[ident])
        return record

    def __contains__(self, ident: object) -> bool:
        return ident in self._paths

    def unbuilt(self) -> Iterator[tuple[str, str]]:
        """(id, file) of each record not built yet, for a caller that builds them all in one go."""
        return ((ident, path) for ident, path in self._paths.items() if ident not in self._built)

    def adopt(self, ident: str, record: M) -> None:
        """Keep a record its caller built from this id's file by other means (see ``validate.records``)."""
        if ident not in self._paths:
            raise KeyError(ident)
        self._built[ident] = record

    def materialize(self) -> None:
        """Build every record now, for an organisation read from a folder that will not outlive it (a
        scratch tree of another revision): later reads must not reach for files that are gone or changed."""
        for ident in self._paths:
            self[ident]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


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
    incidents: Mapping[str, Incident] = field(default_factory=dict)
    """Built lazily from their files when the organisation comes from validation (see :class:`LazyRecords`)."""
    maintenance: dict[str, Maintenance] = field(default_factory=dict)
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)
    broken: set[tuple[str, str]] = field(default_factory=set)
    """(kind, id or '*') of files that failed to load: references to them are not reported again."""
    incident_facts: dict[str, IncidentFacts] = field(default_factory=dict)
    """What the cross-file rules check for each incident; filled by validation."""
    digests: dict[str, str] = field(default_factory=dict)
    """Content digest of each file validation read or found unchanged, by path; empty without its cache."""

    def is_broken(self, kind: str, ident: str) -> bool:
        return (kind, "*") in self.broken or (kind, ident) in self.broken

    def source(self, kind: str, ident: str) -> Source:
        return self.sources.get((kind, ident), _NOWHERE)

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
        records = self.incidents
        if isinstance(records, LazyRecords) and len(self.incident_facts) == len(records):
            # Build only the open records: the facts know every record's status.
            records = {i: records[i] for i, facts in self.incident_facts.items() if facts.status != "resolved"}
        return sorted((i for i in records.values() if i.is_open), key=lambda i: i.started_at)


class InvalidOrganisation(DataError):
    """Raised when a command needs valid data and the files have errors; carries the problems."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(
            f"{len(problems)} error(s) in the organisation's files; run 'watchbill validate'", problems=problems
        )
