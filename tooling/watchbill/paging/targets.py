"""The severity's response targets, read: what is overdue for an incident, and whom to remind of it.

``policies/severities.yaml`` promises, per severity, measured from detection (``detected_at``), as ``metrics``
and the reliability page measure them:

- ``acknowledge``: someone acknowledges within it (escalation pages until they do);
- ``first_update``: the first public update is written within it;
- ``update_every``: after that, a public update at least this often while the incident is open;
- ``resolve``: the incident is resolved within it.

:func:`overdue` lists every target missed at ``now`` (``watchbill list`` shows them). The follower (and
``escalate run --reminders``) reminds people of the two targets only they can meet by writing: the first
update and the next update. A reminder is due once per overdue period: when the update falls due, and
again each ``update_every`` it stays missing; a reminder is identified by its kind and the start of its
period (``update@2026-11-23T12:45:00Z``), claimed and recorded in the incident's journal like a page, so it
is sent once whatever runs at the same time. It goes to the commander, or without one to whoever the first
step of the incident's escalation policy names at that moment (people only: a channel target is skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..fields import format_instant
from ..models import Incident, Severity
from ..organisation import Organisation
from . import plan

TargetName = Literal["acknowledge", "first_update", "update", "resolve"]
REMINDED: tuple[TargetName, ...] = ("first_update", "update")
"""The targets the follower reminds people of."""
NOT_A_STEP = -1
"""A reminder's ``step`` and ``round``: it is not an escalation step."""


@dataclass(frozen=True)
class Overdue:
    """A response target missed: ``due`` is when it fell due."""

    target: TargetName
    due: datetime
    late: timedelta

    def describe(self) -> str:
        what = {
            "acknowledge": "acknowledgement",
            "first_update": "first update",
            "update": "next update",
            "resolve": "resolution",
        }[self.target]
        return f"{what} overdue by {_span(self.late)}"


@dataclass(frozen=True)
class Reminder(plan.Notification):
    """A reminder to one person through one channel; ``reminder`` is its kind and period, e.g.
    ``update@2026-11-23T12:45:00Z``. Its ``step`` and ``round`` are :data:`NOT_A_STEP`."""

    reminder: str = ""
    overdue: Overdue | None = None

    @property
    def reminder_key(self) -> tuple[str, str, str]:
        return (self.reminder, self.target, self.channel)


def _span(delta: timedelta) -> str:
    """``40m``, ``4h55m``, ``2d4h``: rounded to the minute as ``human_span`` and the site round, not cut."""
    minutes = round(max(0, round(delta.total_seconds())) / 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"


def update_due(severity: Severity, incident: Incident) -> tuple[TargetName, datetime]:
    """The next public update the incident owes: the first one, or the one after the latest."""
    if not incident.updates:
        return "first_update", incident.detected_at + severity.targets.first_update
    latest = max(update.at for update in incident.updates)
    return "update", latest + severity.targets.update_every


def overdue(org: Organisation, incident: Incident, now: datetime) -> list[Overdue]:
    """Every target of the incident's severity missed at ``now``; nothing for a resolved incident."""
    severity = org.severities.get(incident.severity)
    if severity is None or not incident.is_open:
        return []
    found: list[Overdue] = []
    promises = severity.targets
    if incident.acknowledged_at is None:
        found.append(Overdue("acknowledge", incident.detected_at + promises.acknowledge, timedelta(0)))
    found.append(Overdue(*update_due(severity, incident), late=timedelta(0)))
    found.append(Overdue("resolve", incident.detected_at + promises.resolve, timedelta(0)))
    return [Overdue(o.target, o.due, now - o.due) for o in found if o.due < now]


def _period(severity: Severity, incident: Incident, now: datetime) -> tuple[TargetName, datetime, datetime]:
    """The update owed, the start of the current overdue period (or its first start, if not yet due), and
    the start of the next period."""
    kind, due = update_due(severity, incident)
    every = severity.targets.update_every
    if now < due or every <= timedelta(0):
        return kind, due, due
    periods = int((now - due) / every)
    start = due + every * periods
    return kind, start, start + every


def next_reminder(org: Organisation, incident: Incident, now: datetime) -> datetime | None:
    """When the next reminder after ``now`` falls due for an open incident; None for a resolved one."""
    severity = org.severities.get(incident.severity)
    if severity is None or not incident.is_open:
        return None
    _, start, following = _period(severity, incident, now)
    return start if start > now else following


def reminders_due(
    org: Organisation, incident: Incident, now: datetime, done: set[tuple[str, str, str]]
) -> list[Reminder]:
    """The reminders due at ``now`` that ``done`` (sent or in flight) does not already hold."""
    severity = org.severities.get(incident.severity)
    if severity is None or not incident.is_open:
        return []
    kind, start, _ = _period(severity, incident, now)
    if start > now:
        return []
    period = f"{kind}@{format_instant(start)}"
    late = Overdue(kind, start, now - start)
    reminders = [r for r in recipients(org, incident, period, late, now) if r.reminder_key not in done]
    return sorted(reminders, key=lambda r: (r.target, r.channel))


def recipients(org: Organisation, incident: Incident, period: str, late: Overdue, at: datetime) -> list[Reminder]:
    """The commander through every channel they have a contact on; else the people the policy's first step
    names at ``at``."""
    commander = incident.roles.commander
    targets = [f"person:{commander}"] if commander else _on_call_targets(org, incident)
    found: list[Reminder] = []
    for target in targets:

        def make(channel: str, person: str | None, target: str = target) -> plan.Notification:
            return Reminder(incident.id, NOT_A_STEP, NOT_A_STEP, target, channel, person, at, period, late)

        reached, _ = plan.people_reached(org, target, at, make)
        found.extend(r for r in reached if isinstance(r, Reminder))
    return found


def _on_call_targets(org: Organisation, incident: Incident) -> list[str]:
    policy = plan.policy_for(org, incident)
    return plan.first_step_targets(policy, incident.severity) if policy is not None else []


__all__ = ["Overdue", "Reminder", "next_reminder", "overdue", "reminders_due"]
