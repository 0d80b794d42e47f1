"""Escalation as a pure function: what is due, when, for whom, and exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watchbill.models import Channel, EscalationPolicy, Incident, Person, Schedule, TimelineEvent
from watchbill.organisation import Organisation
from watchbill.paging.plan import all_firings, due

DETECTED = datetime(2026, 12, 25, 3, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def organisation(schedule_layers: list[dict[str, Any]] | None = None) -> Organisation:
    org = Organisation(root=Path("."))
    org.channels = {
        "email": Channel(id="email", name="Email", kind="email", url="mailto://x?to={address}", personal=True),
        "sms": Channel(id="sms", name="SMS", kind="sms", url="json://h/{address}", personal=True),
        "room": Channel(id="room", name="Room", kind="slack", url="json://h/room"),
    }
    org.people = {
        "ann": Person(id="ann", name="Ann", timezone="UTC", contacts={"email": "ann@x", "sms": "${ANN_PHONE}"}),
        "ben": Person(id="ben", name="Ben", timezone="UTC", contacts={"email": "ben@x"}),
        "cat": Person(id="cat", name="Cat", timezone="UTC"),
    }
    layers = schedule_layers or [
        {
            "name": "Daily",
            "start": "2026-12-01T00:00:00Z",
            "members": ["ann", "ben"],
            "rotation": "daily",
            "handoff": {"time": "03:10"},
        }
    ]
    org.schedules = {
        "primary": Schedule.model_validate({"id": "primary", "name": "Primary", "timezone": "UTC", "layers": layers})
    }
    return org


def policy(steps: list[dict[str, Any]], repeat: dict[str, Any] | None = None) -> EscalationPolicy:
    data: dict[str, Any] = {"id": "p", "name": "P", "steps": steps}
    if repeat:
        data["repeat"] = repeat
    return EscalationPolicy.model_validate(data)


def incident(**changes: Any) -> Incident:
    data: dict[str, Any] = {
        "id": "INC-2026-0042",
        "title": "API down",
        "severity": "SEV-1",
        "status": "investigating",
        "services": [{"service": "api", "impact": "major_outage"}],
        "detected_by": "customer",
        "started_at": DETECTED.isoformat(),
        "detected_at": DETECTED.isoformat(),
        **changes,
    }
    return Incident.model_validate(data)


TWO_STEPS = [
    {"after": "0m", "targets": ["schedule:primary"], "via": ["email"]},
    {"after": "15m", "targets": ["person:ben", "channel:room"]},
]


def test_a_step_is_due_once_its_after_has_passed_since_detection() -> None:
    org, pol = organisation(), policy(TWO_STEPS)
    assert [n.step for n in due(pol, incident(), org, DETECTED + 14 * MIN).notifications] == [0]
    assert {n.step for n in due(pol, incident(), org, DETECTED + 15 * MIN).notifications} == {0, 1}


def test_schedule_targets_resolve_to_whoever_is_on_call_when_the_step_fires() -> None:
    org = organisation()
    firings = all_firings(
        policy([TWO_STEPS[0], {"after": "15m", "targets": ["schedule:primary"], "via": ["email"]}]),
        org,
        incident_id="INC-2026-0042",
        severity="SEV-1",
        detected_at=DETECTED,
    )
    assert [n.person for f in firings for n in f.notifications] == ["ann", "ben"]  # hand-off at 03:10


def test_via_limits_the_channels_used_to_reach_people() -> None:
    notifications = due(policy(TWO_STEPS), incident(), organisation(), DETECTED).notifications
    assert [(n.person, n.channel) for n in notifications] == [("ann", "email")]


def test_empty_via_reaches_people_on_every_channel_they_have() -> None:
    pol = policy([{"after": "0m", "targets": ["person:ann"]}])
    assert {n.channel for n in due(pol, incident(), organisation(), DETECTED).notifications} == {"email", "sms"}


def test_steps_filtered_out_by_severity_never_fire() -> None:
    steps = [TWO_STEPS[0], {**TWO_STEPS[1], "severities": ["SEV-1"]}]
    notifications = due(policy(steps), incident(severity="SEV-2"), organisation(), DETECTED + timedelta(hours=1))
    assert {n.step for n in notifications.notifications} == {0}


def test_rounds_repeat_every_interval_from_detection() -> None:
    firings = all_firings(
        policy(TWO_STEPS, {"times": 2, "every": "30m"}),
        organisation(),
        incident_id="INC-2026-0042",
        severity="SEV-1",
        detected_at=DETECTED,
    )
    assert [(f.round, f.step, f.at - DETECTED) for f in firings] == [
        (0, 0, 0 * MIN),
        (0, 1, 15 * MIN),
        (1, 0, 30 * MIN),
        (1, 1, 45 * MIN),
        (2, 0, 60 * MIN),
        (2, 1, 75 * MIN),
    ]


def test_a_step_with_nobody_on_call_is_skipped_at_once_and_the_next_fires_without_waiting() -> None:
    gap = [
        {
            "name": "Days",
            "start": "2026-12-01T09:00:00Z",
            "members": ["ann"],
            "rotation": "daily",
            "handoff": {"time": "09:00"},
            "restrictions": [{"days": ["monday"], "start": "09:00", "end": "17:00"}],
        }
    ]
    steps = [TWO_STEPS[0], {"after": "15m", "targets": ["person:ben"]}, {"after": "40m", "targets": ["person:ann"]}]
    firings = all_firings(
        policy(steps), organisation(gap), incident_id="INC-2026-0042", severity="SEV-1", detected_at=DETECTED
    )
    assert firings[0].skipped and "nobody is on call" in firings[0].unreachable[0]
    assert [(f.step, f.at - DETECTED) for f in firings] == [(0, 0 * MIN), (1, 0 * MIN), (2, 25 * MIN)]


def test_a_skipped_step_is_reported_until_recorded() -> None:
    steps = [{"after": "0m", "targets": ["person:cat"]}, {"after": "5m", "targets": ["person:ben"]}]
    result = due(policy(steps), incident(), organisation(), DETECTED)
    assert [(f.step, f.round) for f in result.skipped] == [(0, 0)]
    assert [n.person for n in result.notifications] == ["ben"]
    reported = TimelineEvent(at=DETECTED, kind="escalated", message="skipped", step=0, round=0)
    assert (
        due(policy(steps), incident(timeline=[reported.model_dump(mode="json")]), organisation(), DETECTED).skipped
        == []
    )


def test_a_personal_channel_cannot_be_a_target_on_its_own() -> None:
    firing = all_firings(
        policy([{"after": "0m", "targets": ["channel:email"]}]),
        organisation(),
        incident_id="INC-2026-0042",
        severity="SEV-1",
        detected_at=DETECTED,
    )[0]
    assert firing.skipped and "needs a person's address" in firing.unreachable[0]


def test_a_recorded_notification_is_never_due_again() -> None:
    org, pol = organisation(), policy(TWO_STEPS)
    sent = TimelineEvent(
        at=DETECTED, kind="notified", message="paged", step=0, round=0, target="schedule:primary", via="email"
    )
    record = incident(timeline=[sent.model_dump(mode="json")])
    assert due(pol, record, org, DETECTED + MIN).notifications == []


def test_nothing_is_due_once_acknowledged() -> None:
    acked = incident(acknowledged_at=(DETECTED + MIN).isoformat())
    assert due(policy(TWO_STEPS), acked, organisation(), DETECTED + timedelta(hours=2)).notifications == []


def test_nothing_is_due_once_resolved() -> None:
    resolved = incident(status="resolved", resolved_at=(DETECTED + MIN).isoformat())
    assert due(policy(TWO_STEPS), resolved, organisation(), DETECTED + timedelta(hours=2)).notifications == []


def test_a_late_run_sends_only_the_latest_round_of_each_notification() -> None:
    pol = policy([{"after": "0m", "targets": ["person:ben"]}], {"times": 3, "every": "10m"})
    notifications = due(pol, incident(), organisation(), DETECTED + 25 * MIN).notifications
    assert [(n.step, n.round) for n in notifications] == [(0, 2)]


def test_an_earlier_round_is_not_due_after_a_later_one_was_sent() -> None:
    pol = policy([{"after": "0m", "targets": ["person:ben"]}], {"times": 3, "every": "10m"})
    sent = TimelineEvent(at=DETECTED, kind="notified", message="p", step=0, round=2, target="person:ben", via="email")
    record = incident(timeline=[sent.model_dump(mode="json")])
    assert due(pol, record, organisation(), DETECTED + 25 * MIN).notifications == []
