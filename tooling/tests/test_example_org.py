"""The repository's own policies/, schedules/ and incidents/ are the demo: they must validate clean and
show every feature the way a real team would use it (issue 2, part 6)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import jsonschema  # type: ignore[import-untyped]
import pytest
from support.orgfactory import NOW

from watchbill.files.kinds import KINDS, discover
from watchbill.files.loader import load
from watchbill.models import STATUS_ORDER, Incident
from watchbill.oncall import coverage_gaps, on_call, shifts
from watchbill.organisation import Organisation
from watchbill.validate import validate

REPO = Path(__file__).resolve().parents[2]
WATCHBILL = Path(sys.executable).parent / "watchbill"
_ENV_REF = re.compile(r"\$\{[A-Z][A-Z0-9_]*\}")


@pytest.fixture(scope="module")
def org() -> Organisation:
    report = validate(REPO, now=NOW, use_cache=False)
    assert report.problems == []
    return report.organisation


def resolved(org: Organisation) -> list[Incident]:
    return [incident for incident in org.incidents.values() if not incident.is_open]


@pytest.mark.parametrize(
    "at",
    ["2026-11-23T09:10:00+00:00", "2026-11-23T12:00:00+00:00", "2027-01-01T00:00:00+00:00"],
    ids=["after-the-last-update", "pinned-now", "new-year"],
)
def test_example_organisation_validates_clean(at: str) -> None:
    report = validate(REPO, now=datetime.fromisoformat(at), use_cache=False)
    assert [p.text() for p in report.problems] == []
    assert report.files_checked >= 25


def test_validate_command_exits_0_on_the_repository(tmp_path: Path) -> None:
    env = {**os.environ, "WATCHBILL_CACHE_DIR": str(tmp_path)}
    result = subprocess.run(
        [str(WATCHBILL), "validate", "--at", NOW.isoformat()],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "")
    assert ": 0 error(s), 0 warning(s)" in result.stderr


def test_committed_schemas_match_the_models() -> None:
    result = subprocess.run(
        [str(WATCHBILL), "schema", "--check"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_file_starts_with_a_modeline_pointing_at_its_schema() -> None:
    files, problems = discover(REPO)
    assert problems == []
    for found in files:
        first = found.path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), found.relative
        target = (found.path.parent / first.split("$schema=", 1)[1]).resolve()
        assert target == REPO / "tooling" / "schemas" / KINDS[found.kind].schema_file, found.relative


def test_every_file_satisfies_the_json_schema_editors_use() -> None:
    files, _ = discover(REPO)
    for found in files:
        schema = json.loads((REPO / "tooling" / "schemas" / KINDS[found.kind].schema_file).read_text("utf-8"))
        data = load(found.path, found.relative).data
        errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]
        assert errors == [], found.relative


def test_severities_one_and_two_are_public_and_need_postmortems(org: Organisation) -> None:
    assert sorted(org.severities) == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    rules = {sid: (sev.public, sev.postmortem.required) for sid, sev in org.severities.items()}
    assert rules == {"SEV-1": (True, True), "SEV-2": (True, True), "SEV-3": (False, False), "SEV-4": (False, False)}


def test_targets_get_stricter_with_severity(org: Organisation) -> None:
    ordered = [org.severities[sid].targets for sid in ("SEV-1", "SEV-2", "SEV-3", "SEV-4")]
    for field in ("acknowledge", "first_update", "update_every", "resolve"):
        values = [getattr(targets, field) for targets in ordered]
        assert values == sorted(values), field


def test_every_channel_secret_is_an_environment_reference(org: Organisation) -> None:
    assert {channel.kind for channel in org.channels.values()} >= {
        "slack",
        "email",
        "webhook",
        "pagerduty",
        "teams",
        "sms",
    }
    for channel in org.channels.values():
        assert _ENV_REF.search(channel.url), channel.id
        assert not re.search(r"hooks\.slack\.com|xox[abp]-|[0-9a-f]{32}", channel.url), channel.id
    assert org.channels["teams-leadership"].url.startswith("workflows://")
    assert "{address}" in org.channels["email"].url


def test_phone_numbers_are_environment_references(org: Organisation) -> None:
    phones = [person.contacts["sms"] for person in org.people.values() if "sms" in person.contacts]
    assert phones
    assert all(_ENV_REF.fullmatch(phone) for phone in phones)


def test_people_span_at_least_three_time_zones(org: Organisation) -> None:
    assert len(org.people) >= 8
    assert len({person.timezone.split("/")[0] for person in org.people.values()}) >= 3
    assert all(person.contacts for person in org.people.values())


def test_primary_and_secondary_never_page_the_same_person_at_once(org: Organisation) -> None:
    start, end = datetime(2025, 12, 1, 9, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC)
    primary = shifts(org.schedules["primary"], start, end)
    secondary = shifts(org.schedules["secondary"], start, end)
    assert {s.person for s in primary} == {s.person for s in secondary}
    clashes = [
        (a, b) for a in primary for b in secondary if a.person == b.person and a.start < b.end and b.start < a.end
    ]
    assert clashes == []


def test_follow_the_sun_covers_every_hour_with_three_regional_layers(org: Organisation) -> None:
    schedule = org.schedules["follow-the-sun"]
    assert [layer.name for layer in schedule.layers] == ["APAC", "EMEA", "Americas"]
    assert all(layer.restrictions for layer in schedule.layers)
    assert coverage_gaps(schedule, datetime(2025, 12, 2, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC)) == []
    day = shifts(schedule, NOW.replace(hour=0), NOW.replace(hour=0) + timedelta(days=1))
    assert {shift.layer for shift in day} == {"APAC", "EMEA", "Americas"}


def test_a_dated_membership_change_adds_a_member_without_moving_earlier_shifts(org: Organisation) -> None:
    layer = org.schedules["follow-the-sun"].layers[2]
    (change,) = layer.changes
    assert set(change.members) - set(layer.members) == {"diego-alvarez"}
    schedule = org.schedules["follow-the-sun"]
    before = shifts(schedule, change.effective - timedelta(days=30), change.effective)
    after = shifts(schedule, change.effective, change.effective + timedelta(days=30))
    assert "diego-alvarez" not in {s.person for s in before}
    assert "diego-alvarez" in {s.person for s in after}


def test_overrides_give_reasons_and_cover_someone_else(org: Organisation) -> None:
    overrides = [(schedule, o) for schedule in org.schedules.values() for o in schedule.overrides]
    assert len(overrides) >= 4
    for schedule, override in overrides:
        assert override.reason
        layers_only = schedule.model_copy(update={"overrides": []})
        assert on_call(layers_only, override.start) != [override.person], override.reason


def test_two_escalation_policies_with_a_repeating_three_step_critical(org: Organisation) -> None:
    assert sorted(org.policies) == ["critical", "standard"]
    critical = org.policies["critical"]
    assert len(critical.steps) == 3
    assert critical.repeat is not None and critical.repeat.times >= 1


def test_services_use_every_probe_kind_and_check(org: Organisation) -> None:
    probes = [probe for service in org.services.values() for probe in service.probes]
    assert len(org.services) >= 6
    assert len({service.group for service in org.services.values()}) >= 6
    assert all(service.slo for service in org.services.values())
    assert {probe.kind for probe in probes} == {"http", "tcp", "dns", "tls"}
    http = [probe.http for probe in probes if probe.http]
    assert any(check.json_conditions for check in http)
    assert any(check.body_contains for check in http)
    assert any(check.max_latency for check in http)
    assert any(check.method == "POST" and check.body for check in http)
    assert len({probe.schedule for probe in probes}) >= 5


def test_a_year_of_resolved_incidents_with_every_detection_source(org: Organisation) -> None:
    past = resolved(org)
    assert len(past) >= 12
    months = {(i.started_at.year, i.started_at.month) for i in past}
    assert (2025, 12) in months and (2026, 11) in months and len(months) >= 10
    assert {i.severity for i in past} == {"SEV-1", "SEV-2", "SEV-3", "SEV-4"}
    assert {i.detected_by for i in past} == {"monitor", "customer", "internal"}
    assert sum(i.visibility == "internal" for i in past) >= 2


def test_exactly_one_incident_is_open_a_sev2_partial_outage_from_today(org: Organisation) -> None:
    (incident,) = org.open_incidents()
    assert (incident.severity, incident.status, incident.postmortem) == ("SEV-2", "identified", None)
    assert [s.impact for s in incident.services] == ["partial_outage"]
    assert incident.started_at.date() == NOW.date()
    assert incident.updates and incident.updates[-1].at <= datetime(2026, 11, 23, 9, 10, tzinfo=UTC)


def test_resolved_sev1_and_sev2_have_full_published_postmortems(org: Organisation) -> None:
    major = [i for i in resolved(org) if i.severity in ("SEV-1", "SEV-2")]
    assert len(major) >= 6
    for incident in major:
        pm = incident.postmortem
        assert pm is not None and pm.status == "published", incident.id
        assert pm.trigger and pm.resolution and pm.detection and pm.root_cause_category, incident.id
        assert pm.contributing_factors and pm.went_well and pm.to_improve and pm.got_lucky, incident.id
        assert pm.action_items, incident.id
        assert {item.type for item in pm.action_items} >= {"prevent"}, incident.id
        due_within = org.severities[incident.severity].postmortem.due_within
        assert pm.published_on is not None and incident.resolved_at is not None and due_within is not None
        assert pm.published_on <= (incident.resolved_at + due_within).date(), incident.id


def test_root_cause_categories_repeat_so_the_report_has_something_to_show(org: Organisation) -> None:
    categories = Counter(i.postmortem.root_cause_category for i in resolved(org) if i.postmortem)
    assert max(categories.values()) >= 2


def test_public_updates_move_forward_and_end_resolved(org: Organisation) -> None:
    for incident in org.incidents.values():
        steps = [STATUS_ORDER.index(update.status) for update in incident.updates]
        assert steps == sorted(steps), incident.id
        if incident.visibility == "public" and not incident.is_open:
            assert incident.updates[-1].status == "resolved", incident.id
            assert incident.updates[-1].at == incident.resolved_at, incident.id


def test_whoever_acknowledged_was_on_call_at_the_time(org: Organisation) -> None:
    for incident in org.incidents.values():
        event = next(e for e in incident.timeline if e.kind == "acknowledged")
        assert incident.acknowledged_at is not None and event.at == incident.acknowledged_at, incident.id
        on_duty = {p for s in org.schedules.values() for p in on_call(s, event.at)}
        assert event.by in on_duty, incident.id


def test_monitor_detected_incidents_name_a_real_probe(org: Organisation) -> None:
    monitored = [i for i in org.incidents.values() if i.detected_by == "monitor"]
    assert len(monitored) >= 5
    for incident in monitored:
        assert incident.probe is not None
        service, _, probe = incident.probe.partition("/")
        assert service in {s.service for s in incident.services}, incident.id
        assert probe in {p.id for p in org.services[service].probes}


def test_maintenance_has_an_upcoming_window_and_a_weekly_one(org: Organisation) -> None:
    windows = list(org.maintenance.values())
    one_off = [w for w in windows if w.start is not None]
    recurring = [w for w in windows if w.cron is not None]
    assert one_off and all(w.start is not None and w.start > NOW for w in one_off)
    assert recurring and recurring[0].cron is not None and recurring[0].cron.split()[2:4] == ["*", "*"]


def test_incident_files_live_under_their_year(org: Organisation) -> None:
    for ident, source in org.sources.items():
        if ident[0] == "incident":
            assert PurePosixPath(source.path).parts[1] == ident[1][4:8]
