"""``escalate run`` and ``ack`` as library calls: escalation, notify and round-trip edits tied together.

Exactly once: each incident's due notifications are worked out, sent and recorded while holding the
incident file's lock, from the record as it is on disk under that lock. A second run, even one started
at the same moment on the same machine, waits for the lock and then finds the steps already recorded.
A send that fails is not recorded, so the next run tries it again; a crash between sending and
recording can therefore repeat a page (at least once beats at most once for paging).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from ..errors import RequestError
from ..models import Incident, TimelineEvent
from ..organisation import Organisation
from ..yamledit import append_item, check_text, edit_record, set_value
from . import notify
from . import plan as escalation


@dataclass
class IncidentRun:
    incident: str
    sent: list[notify.SendRecord] = field(default_factory=list)
    skipped: list[escalation.Firing] = field(default_factory=list)
    planned: list[escalation.Notification] = field(default_factory=list)
    note: str | None = None

    @property
    def failed(self) -> list[notify.SendRecord]:
        return [r for r in self.sent if not r.ok]


def message_for(org: Organisation, incident: Incident) -> Callable[[escalation.Notification], notify.Message]:
    """Only what the responder needs; no contacts, no URLs."""

    def build(notification: escalation.Notification) -> notify.Message:
        services = ", ".join(s.service for s in incident.services)
        title = f"[{incident.severity}] {incident.id}: {incident.title}"
        body = (
            f"{incident.title}\nSeverity: {incident.severity}; services: {services}; status: {incident.status}\n"
            f"Detected at {incident.detected_at.isoformat()}. Escalation step {notification.step + 1}, "
            f"round {notification.round + 1}.\nAcknowledge with: watchbill ack {incident.id}"
        )
        return notify.Message(title, body)

    return build


def page(
    org: Organisation,
    incident: Incident,
    now: datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    send_options: Mapping[str, Any] | None = None,
) -> tuple[IncidentRun, list[TimelineEvent]]:
    """Send the incident's due steps; returns what happened and the timeline events that record it.

    Wherever the record lives (the checkout, or an incident branch still waiting on its pull request), the
    caller writes the events back; the next run reads them and does not page again."""
    outcome = IncidentRun(incident.id)
    policy = escalation.policy_for(org, incident)
    if policy is None:
        outcome.note = "no escalation policy applies"
        return outcome, []
    plan = escalation.due(policy, incident, org, now)
    outcome.planned, outcome.skipped = plan.notifications, plan.skipped
    if dry_run:
        return outcome, []
    outcome.sent = notify.send(
        plan.notifications, org, message_for(org, incident), env=env, now=now, **(send_options or {})
    )
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
        for n in (record.notification for record in outcome.sent if record.ok)
    ]
    for firing in plan.skipped:
        reasons = "; ".join(firing.unreachable) or "no target"
        events.append(
            TimelineEvent(
                at=now,
                kind="escalated",
                message=f"Step {firing.step + 1} (round {firing.round + 1}) reached nobody: {reasons}. "
                "Escalated to the next step at once.",
                step=firing.step,
                round=firing.round,
            )
        )
    return outcome, events


def record_events(data: CommentedMap, events: list[TimelineEvent]) -> None:
    for event in events:
        append_item(data, "timeline", event)


def run_incident(
    org: Organisation,
    incident_id: str,
    now: datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    send_options: Mapping[str, Any] | None = None,
) -> IncidentRun:
    path = org.incident_path(incident_id)
    display = str(path.relative_to(org.root)) if path.is_relative_to(org.root) else path.name
    if dry_run:
        incident = check_text(path.read_text(encoding="utf-8"), display, Incident)
        return page(org, incident, now, env=env, dry_run=True)[0]

    def work(data: CommentedMap) -> IncidentRun:
        incident = check_text(path.read_text(encoding="utf-8"), display, Incident)  # fresh, under the lock
        outcome, events = page(org, incident, now, env=env, send_options=send_options)
        record_events(data, events)
        return outcome

    return edit_record(path, Incident, work, display=display)[1]


def run(
    org: Organisation,
    now: datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    send_options: Mapping[str, Any] | None = None,
) -> list[IncidentRun]:
    """One pass over every open, unacknowledged incident."""
    return [
        run_incident(org, incident.id, now, env=env, dry_run=dry_run, send_options=send_options)
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


def acknowledge_file(
    org: Organisation, path: Path, incident_id: str, now: datetime, by: str | None
) -> tuple[Incident, bool]:
    """Acknowledge the record at ``path``: the checkout's, or a scratch copy of its incident branch."""
    if by is not None and by not in org.people:
        raise AckError(f"unknown person '{by}' (known: {', '.join(sorted(org.people))})")

    def change(data: CommentedMap) -> bool:
        incident = check_text(path.read_text(encoding="utf-8"), path.name, Incident)
        if incident.acknowledged_at is not None:
            return False
        if not incident.is_open:
            raise AckError(f"{incident_id} is resolved; there is nothing left to acknowledge")
        if now < incident.detected_at:
            raise AckError(f"{incident_id} was detected at {incident.detected_at.isoformat()}, after {now.isoformat()}")
        if incident.mitigated_at is not None and now > incident.mitigated_at:
            raise AckError(
                f"{incident_id} was already mitigated at {incident.mitigated_at.isoformat()}; "
                "pass --at with the time it was acknowledged"
            )
        set_value(data, "acknowledged_at", now)
        who = f" by {by}" if by else ""
        append_item(data, "timeline", TimelineEvent(at=now, kind="acknowledged", message=f"Acknowledged{who}.", by=by))
        return True

    return edit_record(path, Incident, change)
