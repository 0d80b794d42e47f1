"""The lifecycle's decisions (pure) and its edits of incident records (round-trip, on real files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.orgfactory import NOW, SERVICES, build_org

from watchbill.files.loader import parse
from watchbill.files.yamledit import EditError
from watchbill.lifecycle import (
    DISMISSED,
    Adopt,
    Episode,
    Forget,
    IdTaken,
    Ledger,
    Open,
    Plan,
    Recover,
    Relapse,
    Resolve,
    Unreadable,
    apply,
    apply_to_ledger,
    plan_actions,
)
from watchbill.lifecycle.plan import Found
from watchbill.maintenance import Window, suppressing
from watchbill.maintenance import occurrences as windows
from watchbill.models import Incident, Maintenance
from watchbill.organisation import Organisation
from watchbill.state.snapshot import ProbeState, Sample, Snapshot
from watchbill.validate import load_organisation, validate

STEP = timedelta(minutes=5)


def active(records: list[Maintenance], service: str, now: datetime) -> Window | None:
    """The window holding incidents back for ``service`` at ``now``, as the lifecycle sees it."""
    return next((w for w in suppressing(records, service, now, now) if w.contains(now)), None)


START = NOW - timedelta(minutes=30)


def org_with(tmp_path: Path, changes: dict[str, str | None] | None = None) -> Organisation:
    return load_organisation(build_org(tmp_path, changes), now=NOW, use_cache=False)


def failing(key: str, start: datetime, count: int, error: str = "status 503, expected 200") -> ProbeState:
    samples = tuple(Sample(start + STEP * i, False, None) for i in range(count))
    return ProbeState(
        key,
        ok=False,
        last_checked=samples[-1].at,
        consecutive_failures=count,
        first_failure_at=start,
        last_error=error,
        recent=samples,
    )


def healthy(key: str, since: datetime, count: int) -> ProbeState:
    samples = tuple(Sample(since + STEP * i, True, 80.0) for i in range(count))
    return ProbeState(
        key, ok=True, last_checked=samples[-1].at, consecutive_successes=count, first_success_at=since, recent=samples
    )


def decide(
    org: Organisation,
    *states: ProbeState,
    ledger: Ledger | None = None,
    records: dict[str, Found] | None = None,
    now: datetime = NOW,
) -> Plan:
    issued = ledger or Ledger()
    snapshot = Snapshot(probes={s.key: s for s in states}, last_run=now)
    return plan_actions(org, snapshot, issued, records or {}, now, allocate=lambda year: issued.issue(year, 2))


def opened(org: Organisation, state: ProbeState) -> Open:
    actions = decide(org, state).actions
    assert len(actions) == 1 and isinstance(actions[0], Open)
    return actions[0]


def episode_for(open_action: Open) -> Episode:
    return open_action.episode


# ---------------------------------------------------------------- opening


def test_failures_below_the_threshold_open_nothing(tmp_path: Path) -> None:
    assert decide(org_with(tmp_path), failing("api/health", START, 1)).actions == []


def test_reaching_the_threshold_opens_an_incident(tmp_path: Path) -> None:
    action = opened(org_with(tmp_path), failing("api/health", START, 3))
    incident = action.incident
    assert incident.id == "INC-2026-0002"
    assert (incident.detected_by, incident.probe, incident.status) == ("monitor", "api/health", "investigating")
    assert incident.started_at == START
    assert incident.detected_at == START + STEP  # the second failure reached failure_threshold 2
    assert incident.services[0].service == "api" and incident.services[0].impact == "major_outage"
    assert incident.updates[0].status == "investigating"
    assert incident.updates[0].message == "We are investigating a major outage of Public API."
    assert incident.timeline[0].kind == "detected"
    assert "status 503" in incident.timeline[0].message


def test_the_public_update_says_nothing_about_the_error(tmp_path: Path) -> None:
    action = opened(org_with(tmp_path), failing("api/health", START, 2, error="cannot connect to 10.1.2.3"))
    assert "10.1.2.3" not in action.incident.updates[0].message
    assert "10.1.2.3" in action.incident.timeline[0].message


def test_severity_comes_from_the_service_unless_the_probe_sets_one(tmp_path: Path) -> None:
    assert opened(org_with(tmp_path), failing("api/health", START, 2)).incident.severity == "SEV-2"
    services = SERVICES.replace("          max_latency: 2s\n", "          max_latency: 2s\n        severity: SEV-1\n")
    org = org_with(tmp_path / "sev1", {"policies/services.yaml": services})
    assert opened(org, failing("api/health", START, 2)).incident.severity == "SEV-1"


def test_visibility_follows_the_service_and_severity(tmp_path: Path) -> None:
    # SEV-2 is not public in the example severities; SEV-1 on a public service is.
    assert opened(org_with(tmp_path), failing("api/health", START, 2)).incident.visibility == "internal"
    services = SERVICES.replace("          max_latency: 2s\n", "          max_latency: 2s\n        severity: SEV-1\n")
    org = org_with(tmp_path / "sev1", {"policies/services.yaml": services})
    assert opened(org, failing("api/health", START, 2)).incident.visibility == "public"


def test_the_incident_is_proposed_on_its_own_branch(tmp_path: Path) -> None:
    action = opened(org_with(tmp_path), failing("api/health", START, 2))
    assert action.episode.branch == "watchbill/inc-2026-0002"
    assert action.episode.path == "incidents/2026/INC-2026-0002.yaml"


def test_the_removed_commit_mode_is_refused_at_its_line_and_names_pull_request_mode(tmp_path: Path) -> None:
    settings = "organisation: Example Org\nlifecycle:\n  mode: commit\n"
    report = validate(build_org(tmp_path, {"policies/settings.yaml": settings}), now=NOW, use_cache=False)
    assert [(p.path, p.line, p.column) for p in report.errors] == [("policies/settings.yaml", 3, 9)]
    assert "'commit' was removed: no machine pushes to the base branch; use 'pull_request'" in report.errors[0].message


def test_an_open_episode_is_never_opened_twice(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    first = opened(org, failing("api/health", START, 2))
    ledger = Ledger()
    apply_to_ledger(ledger, [first])
    later = decide(org, failing("api/health", START, 9), ledger=ledger, records={first.incident.id: first.incident})
    assert later.actions == []


def test_a_persons_open_incident_on_the_service_stops_a_second_one(tmp_path: Path) -> None:
    declared = (
        "id: INC-2026-0005\ntitle: API slow\nseverity: SEV-2\nstatus: investigating\nservices:\n"
        "  - service: api\n    impact: partial_outage\ndetected_by: customer\n"
        "started_at: 2026-11-23T11:00:00Z\ndetected_at: 2026-11-23T11:10:00Z\n"
    )
    org = org_with(tmp_path, {"incidents/2026/INC-2026-0005.yaml": declared})
    result = decide(org, failing("api/health", START, 3))
    assert result.actions == []
    assert result.notes == ["api/health is failing; INC-2026-0005 is already open for api, so none is opened"]


def test_an_open_monitor_record_the_ledger_lost_is_adopted(tmp_path: Path) -> None:
    record = (
        "id: INC-2026-0005\ntitle: API down\nseverity: SEV-2\nstatus: investigating\nservices:\n"
        "  - service: api\n    impact: major_outage\ndetected_by: monitor\nprobe: api/health\n"
        f"started_at: {START.isoformat()}\ndetected_at: {(START + STEP).isoformat()}\n"
    )
    org = org_with(tmp_path, {"incidents/2026/INC-2026-0005.yaml": record})
    result = decide(org, healthy("api/health", NOW - STEP, 2))
    assert isinstance(result.actions[0], Adopt)
    assert isinstance(result.actions[1], Recover)
    assert result.actions[1].episode.incident == "INC-2026-0005"


def test_a_record_a_person_resolved_during_the_failure_is_not_reopened(tmp_path: Path) -> None:
    record = (
        "id: INC-2026-0005\ntitle: API down\nseverity: SEV-2\nstatus: resolved\nservices:\n"
        "  - service: api\n    impact: major_outage\ndetected_by: monitor\nprobe: api/health\n"
        f"started_at: {START.isoformat()}\ndetected_at: {(START + STEP).isoformat()}\n"
        f"resolved_at: {(START + 3 * STEP).isoformat()}\n"
    )
    org = org_with(tmp_path, {"incidents/2026/INC-2026-0005.yaml": record})
    result = decide(org, failing("api/health", START, 6))
    assert result.actions == []
    assert "resolved by a person" in result.notes[0]


# ---------------------------------------------------------------- maintenance


def maintenance(text: str) -> dict[str, str | None]:
    return {"incidents/maintenance/MNT-2026-0002.yaml": "id: MNT-2026-0002\ntitle: Upgrade\n" + text}


def one_off(start: datetime, end: datetime) -> str:
    return f"services:\n  - api\nstart: {start.isoformat()}\nend: {end.isoformat()}\n"


def test_an_open_maintenance_window_suppresses_the_incident(tmp_path: Path) -> None:
    window = one_off(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    result = decide(org_with(tmp_path, maintenance(window)), failing("api/health", START, 6))
    assert result.actions == []
    assert result.notes == ["api/health is failing but api is in maintenance until 2026-11-23T13:00:00Z"]


def test_failures_during_a_closed_window_do_not_count(tmp_path: Path) -> None:
    end = START + 3 * STEP
    window = f"services:\n  - api\nstart: {(START - timedelta(hours=1)).isoformat()}\nend: {end.isoformat()}\n"
    org = org_with(tmp_path, maintenance(window))
    state = failing("api/health", START, 4)  # failures at +0, +5, +10 (in the window) and +15 (after)
    assert decide(org, state).actions == []
    later = failing("api/health", START, 5)
    action = decide(org, later).actions[0]
    assert isinstance(action, Open)
    assert action.incident.started_at == end
    assert action.incident.detected_at == end + STEP


def test_a_window_that_does_not_suppress_alerts_lets_the_incident_open(tmp_path: Path) -> None:
    window = (
        f"services:\n  - api\nstart: {(NOW - timedelta(hours=1)).isoformat()}\n"
        f"end: {(NOW + timedelta(hours=1)).isoformat()}\nsuppress_alerts: false\n"
    )
    assert isinstance(decide(org_with(tmp_path, maintenance(window)), failing("api/health", START, 2)).actions[0], Open)


def test_a_recurring_window_is_read_in_its_own_zone() -> None:
    nightly = Maintenance(
        id="MNT-2026-0003",
        title="Nightly backup",
        services=["api"],
        cron="0 2 * * *",
        duration=timedelta(hours=1),
        timezone="America/New_York",
    )
    inside = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 02:30 EST
    outside = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert active([nightly], "api", inside) is not None
    assert active([nightly], "api", outside) is None
    assert active([nightly], "db", inside) is None


def test_a_recurring_window_opens_once_in_a_fall_back_hour() -> None:
    # Europe/Berlin goes from 03:00 CEST back to 02:00 CET on 2026-10-25: 02:30 happens twice.
    nightly = Maintenance(
        id="MNT-2026-0004",
        title="Nightly",
        services=["api"],
        cron="30 2 * * *",
        duration=timedelta(minutes=45),
        timezone="Europe/Berlin",
    )
    night = windows(nightly, datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 25, 4, tzinfo=UTC))
    assert [(w.start, w.end) for w in night] == [
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 15, tzinfo=UTC))
    ]
    assert active([nightly], "api", datetime(2026, 10, 25, 1, 45, tzinfo=UTC)) is None


def test_a_recurring_window_still_opens_on_a_spring_forward_night() -> None:
    nightly = Maintenance(
        id="MNT-2026-0005",
        title="Nightly",
        services=["api"],
        cron="30 1 * * *",
        duration=timedelta(hours=1),
        timezone="Europe/Berlin",
    )
    night = windows(nightly, datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 3, 29, 4, tzinfo=UTC))
    assert [w.start for w in night] == [datetime(2026, 3, 29, 0, 30, tzinfo=UTC)]


# ---------------------------------------------------------------- following an open incident


def open_episode(org: Organisation, status: str = "investigating") -> tuple[Ledger, Open, Incident]:
    action = opened(org, failing("api/health", START, 2))
    ledger = Ledger()
    apply_to_ledger(ledger, [action])
    record = action.incident.model_copy(update={"status": status})
    return ledger, action, record


def test_recovery_moves_the_incident_to_monitoring(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, _action, record = open_episode(org)
    back = NOW - STEP
    result = decide(org, healthy("api/health", back, 2), ledger=ledger, records={record.id: record})
    (recover,) = result.actions
    assert isinstance(recover, Recover)
    assert recover.mitigated_at == back
    assert recover.update.status == "monitoring"
    assert recover.update.message == "Public API is working normally again. We are monitoring the recovery."


def test_one_success_is_not_yet_a_recovery(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, _, record = open_episode(org)
    assert decide(org, healthy("api/health", NOW, 1), ledger=ledger, records={record.id: record}).actions == []


def monitoring(record: Incident, since: datetime) -> Incident:
    from watchbill.models import Update

    updates = [*record.updates, Update(at=since, status="monitoring", message="Watching.")]
    return record.model_copy(update={"status": "monitoring", "updates": updates, "mitigated_at": since})


def test_monitoring_resolves_after_the_recovery_watch(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, _, record = open_episode(org)
    watched = monitoring(record, NOW)
    state = healthy("api/health", NOW - STEP, 4)
    early = decide(org, state, ledger=ledger, records={record.id: watched}, now=NOW + timedelta(minutes=10))
    assert early.actions == []
    done = decide(org, state, ledger=ledger, records={record.id: watched}, now=NOW + timedelta(minutes=15))
    resolve, forget = done.actions
    assert isinstance(resolve, Resolve) and isinstance(forget, Forget)
    assert resolve.resolved_at == NOW + timedelta(minutes=15)
    assert resolve.update.status == "resolved"


def test_a_relapse_in_monitoring_updates_the_same_incident(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, _, record = open_episode(org)
    watched = monitoring(record, NOW)
    again = failing("api/health", NOW + STEP, 2)
    result = decide(org, again, ledger=ledger, records={record.id: watched}, now=NOW + 3 * STEP)
    (relapse,) = result.actions
    assert isinstance(relapse, Relapse)
    assert relapse.episode.incident == record.id
    assert relapse.update.status == "investigating"


def test_a_relapse_returns_to_the_status_a_person_chose(tmp_path: Path) -> None:
    from watchbill.models import Update

    org = org_with(tmp_path)
    ledger, _, record = open_episode(org)
    identified = record.model_copy(
        update={"updates": [*record.updates, Update(at=NOW, status="identified", message="Found it.")]}
    )
    watched = monitoring(identified, NOW + STEP)
    again = failing("api/health", NOW + 2 * STEP, 2)
    (relapse,) = decide(org, again, ledger=ledger, records={record.id: watched}, now=NOW + 4 * STEP).actions
    assert isinstance(relapse, Relapse) and relapse.update.status == "identified"


def test_monitoring_set_by_a_person_during_a_failure_is_respected(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, _, record = open_episode(org)
    watched = monitoring(record, NOW)  # the probe has been failing since START, before NOW
    assert decide(org, failing("api/health", START, 8), ledger=ledger, records={record.id: watched}).actions == []


def test_a_record_a_person_resolved_ends_the_episode_once_healthy(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, _, record = open_episode(org)
    done = record.model_copy(update={"status": "resolved", "resolved_at": NOW})
    still_failing = decide(org, failing("api/health", START, 8), ledger=ledger, records={record.id: done})
    assert still_failing.actions == []
    assert decide(org, healthy("api/health", NOW, 1), ledger=ledger, records={record.id: done}).actions == [
        Forget("api/health")
    ]


def test_a_dismissed_pull_request_ends_the_episode_once_healthy(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, _, record = open_episode(org)
    assert decide(org, failing("api/health", START, 5), ledger=ledger, records={record.id: DISMISSED}).actions == []
    result = decide(org, healthy("api/health", NOW, 2), ledger=ledger, records={record.id: DISMISSED})
    assert result.actions == [Forget("api/health")]


def test_a_record_that_went_missing_is_proposed_again_with_the_same_id(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, action, _ = open_episode(org)
    (again,) = decide(org, failing("api/health", START, 4), ledger=ledger, records={}).actions
    assert isinstance(again, Open)
    assert again.incident.id == action.incident.id


def test_a_record_mid_edit_is_left_alone(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, _, record = open_episode(org)
    result = decide(org, healthy("api/health", NOW, 3), ledger=ledger, records={record.id: Unreadable("bad yaml")})
    assert result.actions == []
    assert "left alone" in result.notes[0]


def test_ids_are_never_reused_after_an_episode_ends() -> None:
    ledger = Ledger()
    assert ledger.issue(2026, 2) == "INC-2026-0002"
    assert ledger.issue(2026, 2) == "INC-2026-0003"
    assert ledger.issue(2026, 9) == "INC-2026-0009"


# ---------------------------------------------------------------- editing records


def test_opening_writes_a_valid_record_with_a_schema_modeline(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    action = opened(org, failing("api/health", START, 2))
    assert apply(tmp_path, action) is True
    path = tmp_path / action.episode.path
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../tooling/schemas/incident.schema.json\n")
    assert Incident.model_validate(parse(text, "x").data) == action.incident
    assert apply(tmp_path, action) is False  # a second attempt finds its own record


def test_opening_onto_another_incidents_id_is_refused(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    action = opened(org, failing("api/health", START, 2))
    taken = Open(action.episode, action.incident.model_copy(update={"probe": "db/port"}))
    apply(tmp_path, taken)
    with pytest.raises(IdTaken):
        apply(tmp_path, action)


def write_open_record(tmp_path: Path) -> tuple[Organisation, Open, Path]:
    org = org_with(tmp_path)
    action = opened(org, failing("api/health", START, 2))
    apply(tmp_path, action)
    path = tmp_path / action.episode.path
    # A person adds a comment, a role and their own update while the probe keeps failing.
    text = path.read_text().replace("status: investigating\n", "status: identified  # rollback under way\n", 1)
    text = text.replace("detected_by: monitor\n", "detected_by: monitor\nroles:\n  commander: alice\n", 1)
    text = text.replace(
        "updates:\n",
        "updates:\n# customer-facing wording agreed with support\n",
        1,
    )
    path.write_text(text)
    return org, action, path


def test_recovery_keeps_a_persons_edits_and_comments(tmp_path: Path) -> None:
    org, action, path = write_open_record(tmp_path)
    ledger = Ledger()
    apply_to_ledger(ledger, [action])
    record = Incident.model_validate(parse(path.read_text(), "x").data)
    (recover,) = decide(org, healthy("api/health", NOW - STEP, 2), ledger=ledger, records={record.id: record}).actions
    assert apply(tmp_path, recover) is True
    text = path.read_text()
    assert "# rollback under way" in text
    assert "# customer-facing wording agreed with support" in text
    assert "commander: alice" in text
    after = Incident.model_validate(parse(text, "x").data)
    assert after.status == "monitoring"
    assert after.mitigated_at == NOW - STEP
    assert [u.status for u in after.updates] == ["investigating", "monitoring"]
    assert after.timeline[-1].kind == "mitigated"
    assert apply(tmp_path, recover) is False  # replayed on the same record: nothing more


def test_resolving_writes_a_record_that_validates(tmp_path: Path) -> None:
    org, action, path = write_open_record(tmp_path)
    ledger = Ledger()
    apply_to_ledger(ledger, [action])
    record = Incident.model_validate(parse(path.read_text(), "x").data)
    (recover,) = decide(org, healthy("api/health", NOW - STEP, 2), ledger=ledger, records={record.id: record}).actions
    apply(tmp_path, recover)
    watched = Incident.model_validate(parse(path.read_text(), "x").data)
    later = NOW + timedelta(minutes=20)
    resolve = decide(org, healthy("api/health", NOW - STEP, 6), ledger=ledger, records={record.id: watched}, now=later)
    assert apply(tmp_path, resolve.actions[0]) is True
    done = Incident.model_validate(parse(path.read_text(), "x").data)
    assert (done.status, done.resolved_at) == ("resolved", later)
    assert done.mitigated_at is not None and done.started_at <= done.detected_at <= done.mitigated_at <= later


def test_a_relapse_clears_mitigated_at(tmp_path: Path) -> None:
    org, action, path = write_open_record(tmp_path)
    ledger = Ledger()
    apply_to_ledger(ledger, [action])
    record = Incident.model_validate(parse(path.read_text(), "x").data)
    (recover,) = decide(org, healthy("api/health", NOW - STEP, 2), ledger=ledger, records={record.id: record}).actions
    apply(tmp_path, recover)
    watched = Incident.model_validate(parse(path.read_text(), "x").data)
    again = failing("api/health", NOW + STEP, 2)
    (relapse,) = decide(org, again, ledger=ledger, records={record.id: watched}, now=NOW + 3 * STEP).actions
    apply(tmp_path, relapse)
    after = Incident.model_validate(parse(path.read_text(), "x").data)
    assert after.status == "investigating"  # the last published status before monitoring
    assert after.mitigated_at is None


def test_an_edit_that_would_break_the_record_is_not_written(tmp_path: Path) -> None:
    org, action, path = write_open_record(tmp_path)
    path.write_text(path.read_text().replace("severity: SEV-2", "severity: SEV-2\nbogus: 1"))
    ledger = Ledger()
    apply_to_ledger(ledger, [action])
    record = action.incident
    (recover,) = decide(org, healthy("api/health", NOW - STEP, 2), ledger=ledger, records={record.id: record}).actions
    before = path.read_text()
    with pytest.raises(EditError):
        apply(tmp_path, recover)
    assert path.read_text() == before


def test_an_episode_whose_probe_was_removed_is_forgotten(tmp_path: Path) -> None:
    org = org_with(tmp_path)
    ledger, action, record = open_episode(org)
    moved = Episode(
        probe="api/gone",
        incident=action.episode.incident,
        path=action.episode.path,
        branch=action.episode.branch,
        started_at=START,
        detected_at=START + STEP,
    )
    ledger.episodes = {"api/gone": moved}
    result = decide(org, ledger=ledger, records={record.id: record})
    assert result.actions == [Forget("api/gone")]
    assert result.notes == ["api/gone is no longer configured; INC-2026-0002 is left to people"]
