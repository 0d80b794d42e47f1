"""Drills: a marked exercise incident that goes through the real path, and what it showed.

``start`` declares through the normal declare path (the same checks, id and file, or pull request) with
``drill: true``: escalation pages it like any other incident (each page says DRILL in its title and first
line), while the status site, its API and feeds, and every reliability figure leave it out.

``report`` reads what really happened: the record's timeline and, in a clone, the incident's paging journal
on the data branch (``paging.journal``), and gives each responder's time to acknowledge (from their first
page) and what failed: sends a provider refused or that never got through (with the scrubbed reason), and
escalation steps that reached nobody (a missing contact, a schedule gap).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import RequestError
from ..fields import parse_instant
from ..forge.git import GitError, Repository
from ..models import Incident
from ..organisation import Organisation
from ..paging import journal
from . import ops, usecases

_NOTIFIED = re.compile(r"^Notified (?P<person>\S+) via ")
DRILL_LABEL = "drill"


def start(
    root: Path,
    *,
    service: str,
    severity: str,
    now: datetime,
    title: str | None = None,
    impact: str = "major_outage",
    commander: str | None = None,
    by: str | None = None,
    remote: usecases.Remote | None = None,
) -> usecases.RecordResult:
    """Declare a drill for ``service``: internal, labelled ``drill``, marked ``drill: true``."""
    org = usecases.load(root, now)
    name = org.services[service].name if service in org.services else service
    request = ops.Declaration(
        title=(title or "").strip() or f"Drill: {name} outage",
        severity=severity.strip().upper(),
        services=((service, impact),),
        visibility="internal",
        commander=commander,
        message="DRILL: this is an exercise, not a real incident.",
        by=by,
        labels=(DRILL_LABEL,),
        drill=True,
    )
    return usecases.declare(root, request, now=now, remote=remote)


@dataclass(frozen=True)
class Responder:
    """One person the drill paged (or who acknowledged it)."""

    person: str
    first_paged_at: datetime | None
    pages: int
    channels: tuple[str, ...]
    acknowledged: bool
    time_to_acknowledge: timedelta | None
    """From this person's first page to their acknowledgement; None if someone else acknowledged, or nobody."""


@dataclass(frozen=True)
class Failure:
    """Something that did not work: ``kind`` is ``send_failed`` (the channel refused or could not be reached) or
    ``unreachable`` (an escalation step reached nobody, e.g. a missing contact)."""

    at: datetime
    kind: str
    detail: str
    person: str | None = None
    channel: str | None = None
    step: int | None = None


@dataclass(frozen=True)
class DrillReport:
    at: datetime
    incident: Incident
    detected_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    time_to_acknowledge: timedelta | None
    """From detection to the first acknowledgement."""
    target: timedelta | None
    """The severity's acknowledge target."""
    responders: tuple[Responder, ...]
    failures: tuple[Failure, ...]
    notes: tuple[str, ...] = ()

    @property
    def target_met(self) -> bool | None:
        if self.target is None or self.time_to_acknowledge is None:
            return None
        return self.time_to_acknowledge <= self.target


@dataclass
class _Seen:
    pages: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    ack: tuple[datetime, str | None] | None = None

    def page(self, person: str, at: datetime, channel: str) -> None:
        if (at, channel) not in self.pages.setdefault(person, []):
            self.pages[person].append((at, channel))

    def fail(self, failure: Failure) -> None:
        if failure not in self.failures:
            self.failures.append(failure)

    def acknowledged(self, at: datetime, by: str | None) -> None:
        if self.ack is None or at < self.ack[0]:
            self.ack = (at, by)


def report(root: Path, incident_id: str, *, now: datetime, remote: str = "origin") -> DrillReport:
    """What the drill ``incident_id`` showed, from its record and (in a clone) its paging journal."""
    org = usecases.load(root, now)
    incident = ops.find(org, incident_id)
    if not incident.drill:
        raise RequestError(f"{incident.id} is not a drill (drill: true); start one with 'watchbill drill start'")
    seen, notes = _Seen(), []
    _from_timeline(seen, incident)
    raw, note = _journal_text(org, incident.id, remote)
    notes.extend([note] if note else [])
    if raw is not None:
        notes.extend(_from_journal(seen, incident.id, raw))
    return _report(org, incident, seen, now, tuple(notes))


def _from_timeline(seen: _Seen, incident: Incident) -> None:
    for event in incident.timeline:
        if event.kind == "notified" and event.via:
            match = _NOTIFIED.match(event.message)
            target = event.target or ""
            person = target.partition(":")[2] if target.startswith("person:") else None
            who = person or (match.group("person") if match and match.group("person") != "channel" else None)
            if who:
                seen.page(who, event.at, event.via)
        elif event.kind == "escalated":
            seen.fail(Failure(event.at, "unreachable", event.message, step=event.step))
        elif event.kind == "acknowledged":
            seen.acknowledged(event.at, event.by)
    if incident.acknowledged_at is not None and seen.ack is None:
        seen.acknowledged(incident.acknowledged_at, None)


def _journal_text(org: Organisation, incident_id: str, remote: str) -> tuple[bytes | None, str | None]:
    try:
        repo = Repository(org.root, remote=remote)
    except GitError:
        return None, "not a clone: only the record's own timeline was read (no paging journal)"
    try:
        head = repo.fetch(org.settings.data_branch)
    except GitError as exc:
        return None, f"the paging journal could not be read ({exc}); only the record's timeline was"
    return (repo.read(head, journal.path_of(incident_id)) if head else None), None


def _from_journal(seen: _Seen, incident_id: str, raw: bytes) -> list[str]:
    """Sends, failures, skipped steps and the acknowledgement, from the journal's lines (damaged ones noted)."""
    notes = [problem.text() for problem in journal.parse(incident_id, raw).problems]
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            data = json.loads(line)
            at = parse_instant(str(data["at"]))
        except (ValueError, KeyError, TypeError):
            continue
        _journal_line(seen, data, at)
    return notes


def _journal_line(seen: _Seen, data: dict[str, object], at: datetime) -> None:
    kind, person, via = data.get("kind"), data.get("person"), data.get("via")
    if kind == "notified" and isinstance(person, str) and isinstance(via, str):
        seen.page(person, at, via)
    elif kind == "failed":
        who = person if isinstance(person, str) else None
        reason = str(data.get("error") or "delivery failed")
        target = f"{who} via {via}" if who else f"channel {via}"
        step = data.get("step")
        seen.fail(
            Failure(
                at,
                "send_failed",
                f"{target}: {reason}",
                person=who,
                channel=str(via),
                step=step if isinstance(step, int) else None,
            )
        )
    elif kind == "escalated":
        step = data.get("step")
        seen.fail(Failure(at, "unreachable", str(data.get("message")), step=step if isinstance(step, int) else None))
    elif kind == "acknowledged":
        by = data.get("by")
        seen.acknowledged(at, by if isinstance(by, str) else None)


def _report(org: Organisation, incident: Incident, seen: _Seen, now: datetime, notes: tuple[str, ...]) -> DrillReport:
    ack_at, ack_by = seen.ack if seen.ack is not None else (None, None)
    people = list(seen.pages) + ([ack_by] if ack_by and ack_by not in seen.pages else [])
    responders = []
    for person in people:
        pages = sorted(seen.pages.get(person, []))
        first = pages[0][0] if pages else None
        acked = ack_by == person and ack_at is not None
        took = ack_at - first if acked and ack_at is not None and first is not None else None
        channels = tuple(dict.fromkeys(channel for _, channel in pages))
        responders.append(Responder(person, first, len(pages), channels, acked, took))
    responders.sort(key=lambda r: (r.first_paged_at is None, r.first_paged_at or now, r.person))
    severity = org.severities.get(incident.severity)
    return DrillReport(
        at=now,
        incident=incident,
        detected_at=incident.detected_at,
        acknowledged_at=ack_at,
        acknowledged_by=ack_by,
        time_to_acknowledge=None if ack_at is None else ack_at - incident.detected_at,
        target=severity.targets.acknowledge if severity is not None else None,
        responders=tuple(responders),
        failures=tuple(sorted(seen.failures, key=lambda f: (f.at, f.kind, f.detail))),
        notes=notes,
    )


__all__ = ["DRILL_LABEL", "DrillReport", "Failure", "Responder", "report", "start"]
