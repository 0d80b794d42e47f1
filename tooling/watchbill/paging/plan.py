"""Escalation as a pure function: (policy, incident, organisation, now) -> what is due to be sent.

Semantics (PagerDuty's, stated for ``after`` measured from detection):

- Only steps whose ``severities`` include the incident's severity (or that have no filter) take part;
  a step keeps its index in the policy as its number, so records stay stable when filters change.
- Round ``r`` starts at ``detected_at + r * repeat.every``; a step fires at its round's start plus its
  ``after``. ``repeat.times`` rounds follow the first.
- A step that reaches nobody (its schedule has a gap, its people have no contact on its channels) is
  skipped at once and reported: every later step of that round fires earlier by the wait that step
  would have had (``after`` of the next step minus its own), instead of waiting it out.
- Schedules are resolved at the instant the step fires; ``via`` limits the channels used to reach
  people (empty = every channel they have a contact for); a ``channel:`` target posts to the channel
  itself, which must not be personal (a personal channel needs a person's address).
- Once an incident is acknowledged or resolved nothing more is due.
- A notification is identified by (step, round, target, channel); one already recorded in the
  incident's timeline is never due again. If a late run finds several rounds of the same notification
  due, only the latest is sent: paging someone twice in one breath helps nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..models import EscalationPolicy, Incident, split_target
from ..oncall import on_call
from ..organisation import Organisation

Key = tuple[int, int, str, str]


@dataclass(frozen=True)
class Notification:
    """One message to one recipient through one channel, due at ``at``."""

    incident: str
    step: int
    round: int
    target: str
    channel: str
    person: str | None
    at: datetime

    @property
    def key(self) -> Key:
        return (self.step, self.round, self.target, self.channel)

    @property
    def recipient(self) -> str:
        return self.person or f"channel {self.channel}"

    def describe(self) -> str:
        """``alice via sms`` or ``channel slack``: how a person reads who was reached."""
        return f"{self.person} via {self.channel}" if self.person else f"channel {self.channel}"


@dataclass(frozen=True)
class Firing:
    """A step firing in one round: whom it notifies, or why it reached nobody."""

    step: int
    round: int
    at: datetime
    offset_seconds: float
    notifications: tuple[Notification, ...]
    unreachable: tuple[str, ...] = ()

    @property
    def skipped(self) -> bool:
        return not self.notifications


@dataclass(frozen=True)
class Due:
    notifications: list[Notification]
    skipped: list[Firing]


def policy_for(org: Organisation, incident: Incident) -> EscalationPolicy | None:
    """The first affected service's policy, else its severity's, else the organisation default."""
    service = org.services.get(incident.services[0].service)
    if service is None:
        return None
    return org.policy_for(service, org.severities.get(incident.severity))


def _resolve(
    org: Organisation, incident_id: str, step: int, round_: int, target: str, via: list[str], at: datetime
) -> tuple[list[Notification], str | None]:
    kind, ident = split_target(target)

    def make(channel: str, person: str | None) -> Notification:
        return Notification(incident_id, step, round_, target, channel, person, at)

    if kind == "channel":
        return _post_to_channel(org, ident, make)
    people, reason = _people(org, kind, ident, at)
    if reason is not None:
        return [], reason
    return _reach_people(org, people, via, make)


def _post_to_channel(
    org: Organisation, ident: str, make: Callable[[str, str | None], Notification]
) -> tuple[list[Notification], str | None]:
    channel = org.channels.get(ident)
    if channel is None:
        return [], f"channel {ident} is not defined"
    if channel.personal:
        return [], f"channel {ident} needs a person's address; name people or a schedule instead"
    return [make(ident, None)], None


def _people(org: Organisation, kind: str, ident: str, at: datetime) -> tuple[list[str], str | None]:
    """Who a ``schedule:`` or ``person:`` target names at ``at``, or why nobody."""
    if kind != "schedule":
        return [ident], None
    schedule = org.schedules.get(ident)
    if schedule is None:
        return [], f"schedule {ident} is not defined"
    people = on_call(schedule, at)
    return people, None if people else f"nobody is on call for schedule {ident}"


def people_reached(
    org: Organisation, target: str, at: datetime, make: Callable[[str, str | None], Notification]
) -> tuple[list[Notification], str | None]:
    """Every person a ``schedule:`` or ``person:`` target names at ``at``, through each channel they have a
    contact on; a ``channel:`` target reaches no person (used for reminders, which go to people only)."""
    kind, ident = split_target(target)
    if kind == "channel":
        return [], f"{target} is a channel, not a person"
    people, reason = _people(org, kind, ident, at)
    if reason is not None:
        return [], reason
    return _reach_people(org, people, [], make)


def first_step_targets(policy: EscalationPolicy, severity: str) -> list[str]:
    """The targets of the policy's first step that applies to ``severity``: who is on call for an incident."""
    steps = [s for s in policy.steps if s.severities is None or severity in s.severities]
    return list(steps[0].targets) if steps else []


def next_firing(policy: EscalationPolicy, incident: Incident, org: Organisation, now: datetime) -> datetime | None:
    """When the next step after ``now`` fires for an unacknowledged open incident; None when none is left."""
    if incident.acknowledged_at is not None or not incident.is_open:
        return None
    firings = all_firings(
        policy, org, incident_id=incident.id, severity=incident.severity, detected_at=incident.detected_at
    )
    return min((f.at for f in firings if f.at > now), default=None)


def _reach_people(
    org: Organisation, people: list[str], via: list[str], make: Callable[[str, str | None], Notification]
) -> tuple[list[Notification], str | None]:
    found: list[Notification] = []
    reasons = []
    for person_id in people:
        person = org.people.get(person_id)
        if person is None:
            reasons.append(f"person {person_id} is not in the roster")
            continue
        channels = [c for c in person.contacts if c in org.channels and (not via or c in via)]
        if not channels:
            allowed = ", ".join(via) if via else "any channel"
            reasons.append(f"{person_id} has no contact on {allowed}")
        found.extend(make(channel, person_id) for channel in channels)
    return found, (None if found else "; ".join(reasons))


def all_firings(
    policy: EscalationPolicy, org: Organisation, *, incident_id: str, severity: str, detected_at: datetime
) -> list[Firing]:
    """Every firing of the policy for an incident nobody acknowledges, in order."""
    detected_at = detected_at.astimezone(UTC)
    steps = [(i, s) for i, s in enumerate(policy.steps) if s.severities is None or severity in s.severities]
    rounds = 1 + (policy.repeat.times if policy.repeat else 0)
    firings: list[Firing] = []
    for round_ in range(rounds):
        round_start = detected_at + (policy.repeat.every * round_ if policy.repeat else detected_at - detected_at)
        saved = round_start - round_start
        for position, (index, step) in enumerate(steps):
            at = round_start + step.after - saved
            found: list[Notification] = []
            reasons: list[str] = []
            for target in step.targets:
                notifications, reason = _resolve(org, incident_id, index, round_, target, step.via, at)
                found.extend(notifications)
                if reason:
                    reasons.append(reason)
            firings.append(
                Firing(
                    index, round_, at, (at - detected_at).total_seconds(), tuple(found), () if found else tuple(reasons)
                )
            )
            if not found and position + 1 < len(steps):
                saved += steps[position + 1][1].after - step.after
    return firings


def due(policy: EscalationPolicy, incident: Incident, org: Organisation, now: datetime) -> Due:
    """What ``escalate run`` must send (and which skipped steps it must report) at ``now``."""
    if incident.acknowledged_at is not None or not incident.is_open:
        return Due([], [])
    sent, reported = _recorded(incident)
    latest_sent: dict[tuple[int, str, str], int] = {}
    for step, round_, target, channel in sent:
        latest_sent[(step, target, channel)] = max(round_, latest_sent.get((step, target, channel), -1))
    firings = [
        f
        for f in all_firings(
            policy, org, incident_id=incident.id, severity=incident.severity, detected_at=incident.detected_at
        )
        if f.at <= now
    ]
    chosen: dict[tuple[int, str, str], Notification] = {}
    for notification in (n for firing in firings for n in firing.notifications):
        series = (notification.step, notification.target, notification.channel)
        if notification.key in sent or latest_sent.get(series, -1) > notification.round:
            continue
        chosen[series] = notification  # later rounds replace earlier ones
    skipped = [f for f in firings if f.skipped and (f.step, f.round) not in reported]
    return Due(sorted(chosen.values(), key=lambda n: (n.at, n.step, n.target, n.channel)), skipped)


def _recorded(incident: Incident) -> tuple[set[Key], set[tuple[int, int]]]:
    """The notifications the timeline says were sent, and the skipped (step, round)s it already reports."""
    sent: set[Key] = set()
    reported: set[tuple[int, int]] = set()
    for event in incident.timeline:
        if event.step is None or event.round is None:
            continue
        if event.kind == "notified" and event.target and event.via:
            sent.add((event.step, event.round, event.target, event.via))
        elif event.kind == "escalated":
            reported.add((event.step, event.round))
    return sent, reported
