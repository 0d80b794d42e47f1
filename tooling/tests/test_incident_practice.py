"""A responder's other changes as verbs: impact with history, rename, relate, situation reports, action items,
the postmortem's own fields and review meeting, and what ``list`` reminds of."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.orgfactory import build_org
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.files.loader import parse
from watchbill.models import Incident

DECLARED = "2026-11-23T09:00:00Z"


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--root", str(root)], catch_exceptions=False)
    return result.exit_code, result.output


def record(root: Path, ident: str) -> Incident:
    path = f"incidents/{ident[4:8]}/{ident}.yaml"
    return Incident.model_validate(parse((root / path).read_text(), path).data)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    home = build_org(tmp_path)
    code, output = run(
        home, "declare", "-t", "Slow API", "-s", "SEV-2", "--service", "api:degraded_performance",
        "--started-at", "2026-11-23T08:40:00Z", "--detected-at", "2026-11-23T08:50:00Z", "--at", DECLARED,
    )  # fmt: skip
    assert code == 0, output
    return home


def test_declare_records_detection_apart_from_the_declaration(root: Path) -> None:
    incident = record(root, "INC-2026-0002")
    assert (incident.detected_at.isoformat(), incident.updates[0].at.isoformat()) == (
        "2026-11-23T08:50:00+00:00",
        "2026-11-23T09:00:00+00:00",
    )
    assert [e.kind for e in incident.timeline][:2] == ["detected", "declared"]


def test_declare_refuses_a_detection_before_the_start(tmp_path: Path) -> None:
    home = build_org(tmp_path)
    code, output = run(
        home, "declare", "-t", "x", "-s", "SEV-2", "--service", "api", "--started-at", "2026-11-23T09:00:00Z",
        "--detected-at", "2026-11-23T08:00:00Z", "--at", "2026-11-23T10:00:00Z",
    )  # fmt: skip
    assert code == 1
    assert "is before the start" in output


def test_impact_keeps_history_in_updates_and_the_peak_on_the_record(root: Path) -> None:
    assert run(root, "impact", "INC-2026-0002", "--service", "api:major_outage", "--at", "2026-11-23T09:10:00Z")[0] == 0
    code, output = run(
        root, "impact", "INC-2026-0002", "--service", "api:partial_outage", "--service", "db:degraded_performance",
        "-m", "Partly back.", "--at", "2026-11-23T09:20:00Z", "--format", "json",
    )  # fmt: skip
    assert code == 0, output
    assert json.loads(output)["changed"] is True
    incident = record(root, "INC-2026-0002")
    assert [(a.service, a.impact) for a in incident.services] == [
        ("api", "major_outage"),
        ("db", "degraded_performance"),
    ]
    assert [[(c.service, c.status) for c in u.services] for u in incident.updates] == [
        [("api", "degraded_performance")],
        [("api", "major_outage")],
        [("api", "partial_outage"), ("db", "degraded_performance")],
    ]
    assert incident.updates[1].message == "Impact update: Public API: major outage."
    assert next(e.message for e in incident.timeline if e.kind == "impact") == (
        "Impact api degraded_performance -> major_outage."
    )


def test_impact_refuses_an_unknown_status(root: Path) -> None:
    code, output = run(root, "impact", "INC-2026-0002", "--service", "api:down", "--at", "2026-11-23T09:10:00Z")
    assert code == 1
    assert "status 'down' for 'api' is not one of operational" in output


def test_rename_and_situation_report_go_to_the_timeline(root: Path) -> None:
    assert run(root, "rename", "INC-2026-0002", "-t", "API latency", "--at", "2026-11-23T09:05:00Z")[0] == 0
    code, output = run(
        root, "situation", "INC-2026-0002", "--scope", "EU customers", "--tried", "Restarted the cache",
        "--working", "bob: database", "--next-update", "30m", "--at", "2026-11-23T09:06:00Z",
    )  # fmt: skip
    assert code == 0, output
    incident = record(root, "INC-2026-0002")
    assert incident.title == "API latency"
    situation = incident.timeline[-1]
    assert situation.kind == "situation"
    assert situation.message == (
        "Scope: EU customers\nTried: Restarted the cache\nWorking: bob: database\nNext update by 2026-11-23T09:36:00Z."
    )
    assert situation.next_update_at is not None
    assert run(root, "situation", "INC-2026-0002", "--at", "2026-11-23T09:07:00Z")[0] == 1


def test_relate_updates_both_records(root: Path) -> None:
    code, output = run(root, "relate", "INC-2026-0002", "INC-2026-0001", "--at", "2026-11-23T09:05:00Z")
    assert code == 0, output
    assert record(root, "INC-2026-0002").related == ["INC-2026-0001"]
    assert record(root, "INC-2026-0001").related == ["INC-2026-0002"]
    assert run(root, "relate", "INC-2026-0002", "INC-2026-0002", "--at", "2026-11-23T09:06:00Z")[0] == 1


def test_postmortem_fields_action_items_and_review_by_verbs(root: Path) -> None:
    assert run(root, "resolve", "INC-2026-0002", "--at", "2026-11-23T10:00:00Z")[0] == 0
    code, output = run(
        root, "postmortem", "INC-2026-0002", "--summary", "Cache eviction storm.", "--root-cause", "A TTL bug.",
        "--went-well", "Fast detection", "--timeline", "2026-11-23T08:40:00Z Deploy of the TTL change",
        "--at", "2026-11-23T11:00:00Z",
    )  # fmt: skip
    assert code == 0, output
    code, output = run(
        root, "action", "add", "INC-2026-0002", "-t", "Cap the TTL", "--owner", "bob", "--due", "2026-12-01",
        "--at", "2026-11-23T11:05:00Z",
    )  # fmt: skip
    assert code == 0, output
    assert run(root, "action", "close", "INC-2026-0002", "1", "--at", "2026-11-24T11:00:00Z")[0] == 0
    assert run(root, "action", "close", "INC-2026-0002", "2", "--at", "2026-11-24T11:00:00Z")[0] == 1
    pm = record(root, "INC-2026-0002").postmortem
    assert pm is not None
    assert (pm.summary, pm.root_cause, pm.went_well) == ("Cache eviction storm.", "A TTL bug.", ["Fast detection"])
    assert [(e.at.isoformat(), e.message) for e in pm.timeline] == [
        ("2026-11-23T08:40:00+00:00", "Deploy of the TTL change")
    ]
    item = pm.action_items[0]
    assert (item.status, str(item.closed_on)) == ("done", "2026-11-24")


def test_list_reminds_of_a_missed_review_meeting(root: Path) -> None:
    run(root, "severity", "INC-2026-0002", "SEV-1", "--at", "2026-11-23T09:01:00Z")
    assert run(root, "resolve", "INC-2026-0002", "--at", "2026-11-23T10:00:00Z")[0] == 0
    code, output = run(root, "list", "--at", "2026-11-25T10:01:00Z", "--format", "json")
    assert code == 0, output
    assert json.loads(output)["missed_reviews"] == [{"id": "INC-2026-0002", "due": "2026-11-25T10:00:00Z"}]
    run(root, "postmortem", "INC-2026-0002", "--reviewed", "--at", "2026-11-25T10:02:00Z")
    code, output = run(root, "list", "--at", "2026-11-25T10:03:00Z")
    assert "Missed postmortem reviews (0)" in output


def test_list_names_targets_an_open_incident_has_missed(root: Path) -> None:
    code, output = run(root, "list", "--at", "2026-11-23T10:00:00Z", "--format", "json")
    assert code == 0, output
    checks = {c["name"]: c["met"] for c in json.loads(output)["targets"]["INC-2026-0002"]}
    assert checks == {"acknowledge": False, "first_update": True, "update_every": True, "resolve": None}
