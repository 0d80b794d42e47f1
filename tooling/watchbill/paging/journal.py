"""The paging journal: what was sent for a record that lives on the base branch, kept on the data branch.

No machine pushes to the base branch (people protect it), so the pages sent for a merged or declared record,
and its acknowledgements, are appended to one small file per incident on the data branch, beside the probe
data::

    paging/INC-2026-0007.jsonl

One JSON object per line, appended and never rewritten; ``at`` is an instant with ``Z``:

    {"at":"…","kind":"claimed","run":"5c0f…","step":0,"round":0,"target":"schedule:primary","via":"sms"}
    {"at":"…","kind":"notified","run":"5c0f…","step":0,"round":0,"target":"schedule:primary","via":"sms"}
    {"at":"…","kind":"failed","run":"5c0f…","step":0,"round":0,"target":"schedule:primary","via":"sms"}
    {"at":"…","kind":"escalated","step":1,"round":0,"message":"Step 2 (round 1) reached nobody: …"}
    {"at":"…","kind":"acknowledged","by":"alice"}
    {"at":"…","kind":"reminder-claimed","run":"5c0f…","reminder":"update@2026-11-23T12:45:00Z","target":…,"via":…}
    {"at":"…","kind":"reminded","run":"5c0f…","reminder":"update@2026-11-23T12:45:00Z","target":…,"via":…}
    {"at":"…","kind":"reminder-failed","run":"5c0f…","reminder":"update@2026-11-23T12:45:00Z","target":…,"via":…}

A pass claims what it is about to send (pushed before anything is sent, so of two passes at once only one
claims a step), then says how each claimed send ended. A claim with no outcome is a send in flight until
:data:`CLAIM_LEASE` has passed; after that the pass is taken to have died and the step is due again (paging
twice beats never paging). A failed send releases its claim at once, so the next pass retries it.
Reminders of overdue updates (``targets``) are claimed and recorded the same way, by their period.
Damaged lines are reported as ``path:line`` and skipped; the rest of the file is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..fields import format_instant, parse_instant
from ..models import Incident, TimelineEvent
from ..problems import Problem
from ..state.logfile import ends_a_line, text_lines
from .plan import Key, Notification

FOLDER = "paging"
CLAIM_LEASE = timedelta(minutes=15)
"""Longer than one pass's sends may take (each attempt times out, retries are few): a claim this old was never
finished, its pass died (a follower sleeps between passes, never with a claim open)."""
KINDS = (
    "claimed",
    "notified",
    "failed",
    "escalated",
    "acknowledged",
    "reminder-claimed",
    "reminded",
    "reminder-failed",
)
RemindKey = tuple[str, str, str]
"""(reminder period, target, channel)."""


def path_of(incident_id: str) -> str:
    """The journal's path on the data branch, relative to its root."""
    return f"{FOLDER}/{incident_id}.jsonl"


@dataclass
class Journal:
    """One incident's journal as read; ``problems`` are the damaged lines that were skipped."""

    incident: str
    sent: set[Key] = field(default_factory=set)
    reported: set[tuple[int, int]] = field(default_factory=set)
    claims: dict[tuple[str, Key], datetime] = field(default_factory=dict)
    """Claims without an outcome yet, by (run, notification), with the time each was made."""
    reminded: set[RemindKey] = field(default_factory=set)
    reminder_claims: dict[tuple[str, RemindKey], datetime] = field(default_factory=dict)
    acknowledged: tuple[datetime, str | None] | None = None
    events: list[TimelineEvent] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def in_flight(self, now: datetime) -> set[Key]:
        return {key for (_, key), at in self.claims.items() if now < at + CLAIM_LEASE}

    def reminders_done(self, now: datetime) -> set[RemindKey]:
        """Reminders sent, or claimed by a pass still within its lease: not due again."""
        live = {key for (_, key), at in self.reminder_claims.items() if now < at + CLAIM_LEASE}
        return self.reminded | live

    def view(self, incident: Incident, now: datetime) -> Incident:
        """The record as escalation must see it: its own timeline plus what this journal says was sent,
        reported, claimed (in flight) and acknowledged. Used to decide, never written back."""
        extra = [e for e in self.events if e.kind != "acknowledged" or incident.acknowledged_at is None]
        for step, round_, target, via in self.in_flight(now) - self.sent:
            claimed = TimelineEvent(at=now, kind="notified", message="claimed", step=step, round=round_)
            extra.append(claimed.model_copy(update={"target": target, "via": via}))
        update: dict[str, Any] = {"timeline": [*incident.timeline, *extra]}
        if incident.acknowledged_at is None and self.acknowledged is not None:
            update["acknowledged_at"] = self.acknowledged[0]
        return incident.model_copy(update=update)


def parse(incident_id: str, raw: bytes | None) -> Journal:
    journal = Journal(incident_id)
    if raw is None:
        return journal
    relative = path_of(incident_id)
    for number, line in text_lines(raw):
        if line is None:
            journal.problems.append(_problem(relative, number, "damaged line skipped: not UTF-8 text"))
            continue
        if not line.strip():
            continue
        try:
            _read_line(journal, json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            journal.problems.append(_problem(relative, number, f"damaged line skipped: {exc}"))
    return journal


def load(directory: Path, incident_id: str) -> Journal:
    """The journal in a checkout of the data branch (empty if the incident has none yet)."""
    path = directory / path_of(incident_id)
    return parse(incident_id, path.read_bytes() if path.is_file() else None)


def _read_line(journal: Journal, data: Any) -> None:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    kind, at = data["kind"], parse_instant(data["at"])
    if kind not in KINDS:
        raise ValueError(f"unknown kind {str(kind)[:30]!r}")
    if kind == "acknowledged":
        by = None if data.get("by") is None else str(data["by"])
        if journal.acknowledged is None:
            journal.acknowledged = (at, by)
            who = f" by {by}" if by else ""
            journal.events.append(TimelineEvent(at=at, kind="acknowledged", message=f"Acknowledged{who}.", by=by))
        return
    if kind.startswith("remind"):
        _read_reminder(journal, kind, at, data)
        return
    step, round_ = _count(data, "step"), _count(data, "round")
    if kind == "escalated":
        journal.reported.add((step, round_))
        message = str(data.get("message") or f"Step {step + 1} (round {round_ + 1}) reached nobody.")
        journal.events.append(TimelineEvent(at=at, kind="escalated", message=message, step=step, round=round_))
        return
    key: Key = (step, round_, str(data["target"]), str(data["via"]))
    run = str(data["run"])
    if kind == "claimed":
        journal.claims[(run, key)] = at
        return
    journal.claims.pop((run, key), None)
    if kind == "notified":
        journal.sent.add(key)
        message = f"Notified {data.get('person') or 'channel ' + key[3]} (step {step + 1}, round {round_ + 1})."
        journal.events.append(
            TimelineEvent(at=at, kind="notified", message=message, step=step, round=round_, target=key[2], via=key[3])
        )


def _read_reminder(journal: Journal, kind: str, at: datetime, data: dict[str, Any]) -> None:
    key: RemindKey = (str(data["reminder"]), str(data["target"]), str(data["via"]))
    run = str(data["run"])
    if kind == "reminder-claimed":
        journal.reminder_claims[(run, key)] = at
        return
    journal.reminder_claims.pop((run, key), None)
    if kind == "reminded":
        journal.reminded.add(key)


def _count(data: dict[str, Any], name: str) -> int:
    value = data[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"'{name}' must be a whole number from 0")
    return value


def _problem(path: str, line: int, message: str) -> Problem:
    return Problem(path, line, 1, "warning", message, "paging-data")


# ---------------------------------------------------------------------------------------------- writing


def claim_line(
    at: datetime, run: str, notification: Notification, kind: str = "claimed", error: str | None = None
) -> dict[str, Any]:
    """A claim, or (``kind`` notified/failed) the outcome of the claimed send; a failure keeps its (scrubbed)
    reason, for drill reports and people reading why a page did not arrive."""
    line: dict[str, Any] = {"at": format_instant(at), "kind": kind, "run": run}
    line.update(step=notification.step, round=notification.round, target=notification.target)
    line["via"] = notification.channel
    if kind in ("notified", "failed") and notification.person:
        line["person"] = notification.person
    if kind == "failed" and error:
        line["error"] = error
    return line


def reminder_line(at: datetime, run: str, reminder: str, target: str, via: str, kind: str) -> dict[str, Any]:
    """A reminder's claim (``reminder-claimed``) or how its send ended (``reminded``, ``reminder-failed``)."""
    line: dict[str, Any] = {"at": format_instant(at), "kind": kind, "run": run, "reminder": reminder}
    line.update(target=target, via=via)
    return line


def escalated_line(at: datetime, step: int, round_: int, message: str) -> dict[str, Any]:
    return {"at": format_instant(at), "kind": "escalated", "step": step, "round": round_, "message": message}


def ack_line(at: datetime, by: str | None) -> dict[str, Any]:
    return {"at": format_instant(at), "kind": "acknowledged", "by": by}


def append(directory: Path, incident_id: str, lines: Iterable[dict[str, Any]]) -> None:
    """Append to the incident's journal in a checkout of the data branch (a file cut short mid-line keeps
    its damaged line to itself)."""
    text = "".join(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n" for line in lines)
    if not text:
        return
    path = directory / path_of(incident_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = "" if ends_a_line(path) else "\n"
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(prefix + text)
