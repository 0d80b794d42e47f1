"""Paging decided record by record: escalation, notify and the events that record a pass; and ``ack``.

``plan_pages``, ``send_pages`` and ``events_for`` are the steps every path shares: the data branch's journal
(``claims``), incident branches (``branches``) and, for a folder that is no clone of a remote, the record
files themselves. In that last case (``page_incident``) each incident's due notifications are worked out,
sent and recorded while holding the incident file's lock, from the record as it is on disk under that lock,
so a second run on the same machine waits and then finds the steps recorded. A send that fails is not
recorded, so the next run tries it again; a crash between sending and recording can therefore repeat a page
(at least once beats at most once for paging).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from ..errors import RequestError
from ..fields import format_instant
from ..files.yamledit import append_item, check_text, edit_record, set_value
from ..models import Incident, TimelineEvent
from ..organisation import Organisation
from . import notify
from . import plan as escalation
from .targets import Reminder


@dataclass
class IncidentPaging:
    """What one pass did for one incident: sent (or, in a dry run, only planned) and skipped steps."""

    incident: str
    sent: list[notify.SendRecord] = field(default_factory=list)
    skipped: list[escalation.Firing] = field(default_factory=list)
    planned: list[escalation.Notification] = field(default_factory=list)
    note: str | None = None
    reminders: list[Reminder] = field(default_factory=list)
    """Reminders of an overdue update due (as planned)."""
    reminded: list[notify.SendRecord] = field(default_factory=list)
    """Reminders of an overdue update (``targets``), sent or failed."""

    @property
    def failed(self) -> list[notify.SendRecord]:
        return [r for r in (*self.sent, *self.reminded) if not r.ok]


@dataclass(frozen=True)
class Links:
    """Where a responder acts on an incident: its open pull request (where ``/ack`` and the other comment
    commands work), or the record on the base branch once merged. None when unknown (no GitHub access)."""

    pull: str | None = None
    record: str | None = None


def message_for(
    org: Organisation, incident: Incident, links: Links | None = None
) -> Callable[[escalation.Notification], notify.Message]:
    """What the responder needs to act, and nothing else (no contacts, no secrets): title, severity, services,
    the link to the pull request (or the record), and the exact reply or command that acknowledges."""
    links = links or Links()

    def build(notification: escalation.Notification) -> notify.Message:
        if isinstance(notification, Reminder):
            return _reminder_message(incident, notification, links)
        severity = org.severities.get(incident.severity)
        named = f"{incident.severity} ({severity.name})" if severity else incident.severity
        services = ", ".join(f"{s.service} ({s.impact.replace('_', ' ')})" for s in incident.services)
        lines = [
            incident.title,
            f"Severity: {named}; services: {services}; status: {incident.status}",
            f"Detected at {format_instant(incident.detected_at)}. Escalation step {notification.step + 1}, "
            f"round {notification.round + 1}.",
            *_where(links),
            *_acknowledge(incident, links),
        ]
        return notify.Message(f"[{incident.severity}] {incident.id}: {incident.title}", "\n".join(lines))

    return build


def _where(links: Links) -> list[str]:
    if links.pull:
        return [f"Pull request: {links.pull}"]
    return [f"Record: {links.record}"] if links.record else []


def _acknowledge(incident: Incident, links: Links) -> list[str]:
    command = f"watchbill ack {incident.id}"
    if links.pull:
        return [f"To acknowledge, reply /ack on {links.pull}", f"or run: {command}"]
    return [f"To acknowledge, run: {command}"]


def _reminder_message(incident: Incident, reminder: Reminder, links: Links) -> notify.Message:
    late = reminder.overdue.describe() if reminder.overdue else "update overdue"
    what = "first public update" if reminder.reminder.startswith("first_update") else "next public update"
    lines = [
        f"{incident.title} ({incident.severity}, {incident.status}): the {what} is overdue.",
        f"{late[0].upper()}{late[1:]}; customers are waiting to hear.",
        *_where(links),
        f"Post it: reply /update <text> on {links.pull}" if links.pull else "Post it:",
        f"{'or run' if links.pull else 'run'}: watchbill update {incident.id} -m '<text>' --pr",
    ]
    title = f"[{incident.severity}] {incident.id}: {what} overdue"
    return notify.Message(title, "\n".join(lines))


def plan_pages(org: Organisation, incident: Incident, now: datetime) -> tuple[IncidentPaging, escalation.Due | None]:
    """What is due for ``incident`` at ``now`` (as planned, nothing sent); no ``Due`` without a policy."""
    paging = IncidentPaging(incident.id)
    policy = escalation.policy_for(org, incident)
    if policy is None:
        paging.note = "no escalation policy applies"
        return paging, None
    due = escalation.due(policy, incident, org, now)
    paging.planned, paging.skipped = due.notifications, due.skipped
    return paging, due


def send_pages(
    org: Organisation,
    incident: Incident,
    notifications: list[escalation.Notification],
    now: datetime,
    *,
    env: Mapping[str, str],
    send_options: Mapping[str, Any] | None = None,
    links: Links | None = None,
) -> list[notify.SendRecord]:
    if not notifications:
        return []
    build = message_for(org, incident, links)

    def message(notification: escalation.Notification) -> notify.Message:
        return notify.with_context(build(notification), org, incident)

    return notify.send(notifications, org, message, env=env, now=now, **(send_options or {}))


def skipped_message(firing: escalation.Firing) -> str:
    reasons = "; ".join(firing.unreachable) or "no target"
    return (
        f"Step {firing.step + 1} (round {firing.round + 1}) reached nobody: {reasons}. "
        "Escalated to the next step at once."
    )


def events_for(sent: list[notify.SendRecord], skipped: list[escalation.Firing], now: datetime) -> list[TimelineEvent]:
    """The timeline events that record a pass: each successful send, and each step that reached nobody."""
    events = [
        TimelineEvent(
            at=now,
            kind="notified",
            message=f"Notified {n.describe()} (step {n.step + 1}, round {n.round + 1}).",
            step=n.step,
            round=n.round,
            target=n.target,
            via=n.channel,
        )
        for n in (record.notification for record in sent if record.ok)
    ]
    for firing in skipped:
        message = skipped_message(firing)
        events.append(TimelineEvent(at=now, kind="escalated", message=message, step=firing.step, round=firing.round))
    return events


def send_due_pages(
    org: Organisation,
    incident: Incident,
    now: datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    send_options: Mapping[str, Any] | None = None,
) -> tuple[IncidentPaging, list[TimelineEvent]]:
    """Send the incident's due steps; returns what happened and the timeline events that record it, for the
    caller to write back where the record lives (the next run reads them and does not page again)."""
    paging, due = plan_pages(org, incident, now)
    if due is None or dry_run:
        return paging, []
    paging.sent = send_pages(org, incident, due.notifications, now, env=env, send_options=send_options)
    return paging, events_for(paging.sent, due.skipped, now)


def record_events(data: CommentedMap, events: list[TimelineEvent]) -> None:
    """Append to the record's timeline, round-trip: these events are what stops the next pass paging again."""
    for event in events:
        append_item(data, "timeline", event)


def page_incident(
    org: Organisation,
    incident_id: str,
    now: datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    send_options: Mapping[str, Any] | None = None,
) -> IncidentPaging:
    """Page one record of the checkout, deciding and recording under its file's lock (see the module docstring)."""
    path = org.incident_path(incident_id)
    display = str(path.relative_to(org.root)) if path.is_relative_to(org.root) else path.name
    if dry_run:
        incident = check_text(path.read_text(encoding="utf-8"), display, Incident)
        return send_due_pages(org, incident, now, env=env, dry_run=True)[0]

    def work(data: CommentedMap) -> IncidentPaging:
        incident = check_text(path.read_text(encoding="utf-8"), display, Incident)  # fresh, under the lock
        paging, events = send_due_pages(org, incident, now, env=env, send_options=send_options)
        record_events(data, events)
        return paging

    return edit_record(path, Incident, work, display=display)[1]


def page_open_incidents(
    org: Organisation,
    now: datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    send_options: Mapping[str, Any] | None = None,
) -> list[IncidentPaging]:
    """One pass over every open, unacknowledged incident."""
    return [
        page_incident(org, incident.id, now, env=env, dry_run=dry_run, send_options=send_options)
        for incident in org.open_incidents()
        if incident.acknowledged_at is None
    ]


class AckError(RequestError):
    """The acknowledgement cannot be recorded; the message says why and what to do."""


def acknowledge(org: Organisation, incident_id: str, now: datetime, by: str | None) -> tuple[Incident, bool]:
    """Record the acknowledgement once; returns the record and whether this call changed it."""
    if incident_id not in org.incidents:
        raise AckError(f"unknown incident {incident_id}")
    return acknowledge_file(org, org.incident_path(incident_id), incident_id, now, by)


def check_acknowledgeable(incident: Incident, now: datetime) -> None:
    """An unacknowledged record may be acknowledged at ``now``, or the ``AckError`` says why not."""
    if not incident.is_open:
        raise AckError(f"{incident.id} is resolved; there is nothing left to acknowledge")
    if now < incident.detected_at:
        raise AckError(f"{incident.id} was detected at {incident.detected_at.isoformat()}, after {now.isoformat()}")
    if incident.mitigated_at is not None and now > incident.mitigated_at:
        raise AckError(
            f"{incident.id} was already mitigated at {incident.mitigated_at.isoformat()}; "
            "pass --at with the time it was acknowledged"
        )


def check_person(org: Organisation, by: str | None) -> None:
    if by is not None and by not in org.people:
        raise AckError(f"unknown person '{by}' (known: {', '.join(sorted(org.people))})")


def acknowledge_file(
    org: Organisation, path: Path, incident_id: str, now: datetime, by: str | None
) -> tuple[Incident, bool]:
    """Acknowledge the record at ``path``: the checkout's, or a scratch copy of its incident branch."""
    check_person(org, by)

    def change(data: CommentedMap) -> bool:
        incident = check_text(path.read_text(encoding="utf-8"), path.name, Incident)
        if incident.acknowledged_at is not None:
            return False
        check_acknowledgeable(incident, now)
        set_value(data, "acknowledged_at", now)
        who = f" by {by}" if by else ""
        append_item(data, "timeline", TimelineEvent(at=now, kind="acknowledged", message=f"Acknowledged{who}.", by=by))
        return True

    return edit_record(path, Incident, change)
