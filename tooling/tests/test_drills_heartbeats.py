"""Runbooks and war rooms, heartbeat checks and drills (issue 13, items 5-7), against real parts: a clone with a
bare remote, the data branch, real webhook receivers (one answering 500) and an explicit clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from support.org_repo import git, make_repo
from support.orgfactory import NOW, build_org
from support.paging_org import PAGING_PEOPLE
from support.receivers import Receiver
from typer.testing import CliRunner

from watchbill import metrics
from watchbill.cli import app
from watchbill.models import Incident, Probe
from watchbill.models.settings import WarRoomSettings
from watchbill.paging import notify
from watchbill.probes.heartbeat import verdict
from watchbill.probes.target import Target
from watchbill.site.views.base import Scope
from watchbill.state.heartbeats import Heartbeat
from watchbill.validate import load_organisation

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

HEARTBEAT_SERVICES = """\
services:
  - id: api
    name: Public API
    owner: primary
    runbook: https://runbooks.example.com/api
    probes:
      - id: health
        runbook: https://runbooks.example.com/api-health
        http:
          url: https://api.example.com/health
  - id: batch
    name: Nightly batch
    owner: primary
    public: false
    probes:
      - id: export
        heartbeat:
          every: 1h
          grace: 10m
  - id: db
    name: Database
    owner: primary
    public: false
"""


def run(root: Path, *args: str, at: datetime) -> Any:
    result = CliRunner().invoke(app, [*args, "--format", "json", "--root", str(root), "--at", at.isoformat()], env={})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ------------------------------------------------------------------ runbooks and war rooms


def test_a_probes_runbook_overrides_its_services_and_every_page_names_it_and_the_war_room(tmp_path: Path) -> None:
    org = load_organisation(build_org(tmp_path, {"policies/services.yaml": HEARTBEAT_SERVICES}), now=NOW)
    record = Incident.model_validate(
        {
            "id": "INC-2026-0009",
            "title": "API down",
            "severity": "SEV-1",
            "status": "investigating",
            "services": [{"service": "api", "impact": "major_outage"}],
            "detected_by": "monitor",
            "probe": "api/health",
            "started_at": NOW,
            "detected_at": NOW,
            "channel": "#inc-2026-0009-api-down",
        },
        strict=False,
    )
    page = notify.with_context(notify.Message("[SEV-1] INC-2026-0009: API down", "API down"), org, record)
    assert page.title == "[SEV-1] INC-2026-0009: API down"
    assert page.body.splitlines()[1:] == [
        "War room: #inc-2026-0009-api-down",
        "Runbook (api): https://runbooks.example.com/api-health",
    ]
    assert org.services["api"].runbook_for(None) == "https://runbooks.example.com/api"


def test_the_war_room_name_follows_the_settings_template_and_fits_slack() -> None:
    rooms = WarRoomSettings()
    assert (
        rooms.name_for("INC-2026-0007", "Checkout fails: 502 from EU edge!")
        == "inc-2026-0007-checkout-fails-502-from-eu-edge"
    )
    assert len(rooms.name_for("INC-2026-0007", "x" * 300)) == 80
    linked = WarRoomSettings(url="https://acme.slack.com/app_redirect?channel={channel}")
    assert linked.link_for("INC-2026-0007", "DB") == "https://acme.slack.com/app_redirect?channel=inc-2026-0007-db"
    with pytest.raises(ValidationError, match="unknown placeholder"):
        WarRoomSettings(channel="inc-{ticket}")


def test_channel_sets_the_war_room_from_the_template_or_a_link_and_records_it(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    declared = run(root, "declare", "-t", "Checkout fails", "-s", "SEV-2", "--service", "api", at=NOW)
    ident = declared["incident"]
    named = run(root, "channel", ident, "--by", "alice", at=NOW + timedelta(minutes=1))
    assert named["channel"] == f"#{ident.lower()}-checkout-fails" and named["changed"] is True
    linked = run(root, "channel", ident, "https://meet.example.com/abc-defg", at=NOW + timedelta(minutes=2))
    assert linked["channel"] == "https://meet.example.com/abc-defg"
    record = load_organisation(root, now=NOW + timedelta(minutes=3), use_cache=False).incidents[ident]
    assert (
        record.timeline[-1].message
        == f"War room: https://meet.example.com/abc-defg (was #{ident.lower()}-checkout-fails)."
    )
    refused = CliRunner().invoke(app, ["channel", ident, "not a link", "--root", str(root)], env={})
    assert refused.exit_code == 1 and "is not a channel" in refused.output


# ------------------------------------------------------------------ heartbeats


def heartbeat_target() -> Target:
    probe = Probe.model_validate({"id": "export", "heartbeat": {"every": "1h", "grace": "10m"}}, strict=False)
    return Target("batch/export", probe)


def test_a_heartbeat_fails_once_its_last_ping_is_older_than_every_plus_grace() -> None:
    target = heartbeat_target()
    assert (target.probe.failure_threshold, target.probe.success_threshold) == (1, 1)
    pinged = Heartbeat("batch/export", last_ping=T0, pings=1)
    assert verdict(target, None, T0).ok is None  # waiting for the first ping: opens nothing
    assert verdict(target, pinged, T0 + timedelta(minutes=70)).ok is True
    late = verdict(target, pinged, T0 + timedelta(minutes=71))
    assert (late.ok, late.error) == (False, "no ping since 2026-11-23T09:00:00Z (expected every 1h, grace 10m)")
    failed = Heartbeat("batch/export", last_ping=T0, pings=1, last_fail=T0 + timedelta(minutes=5), message="exit 3")
    said = verdict(target, failed, T0 + timedelta(minutes=6))
    assert (said.ok, said.error) == (False, "the job reported a failure at 2026-11-23T09:05:00Z: exit 3")


def test_a_heartbeat_cannot_ask_for_regional_confirmation() -> None:
    with pytest.raises(ValidationError, match="remove confirm"):
        Probe.model_validate(
            {"id": "x", "heartbeat": {"every": "1h"}, "confirm": {"regions": ["eu"], "min": 1}}, strict=False
        )


@pytest.mark.slow
def test_a_silent_job_opens_an_incident_and_its_next_ping_recovers_and_resolves_it(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path, {"policies/services.yaml": HEARTBEAT_SERVICES})
    ping = run(work, "heartbeat", "ping", "batch/export", at=T0)
    assert (ping["pings"], ping["late_after"], ping["branch"]) == (1, "2026-11-23T10:10:00Z", "watchbill-data")
    stored = json.loads(git(work, "show", "origin/watchbill-data:heartbeats.json"))
    assert stored["probes"]["batch/export"] == {"last_ping": "2026-11-23T09:00:00Z", "pings": 1}

    def probe_and_lifecycle(at: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        out = tmp_path / f"r-{at:%H%M}.json"
        checked = run(work, "probe", "--only", "batch/export", "--out", str(out), at=at)
        return checked, run(work, "lifecycle", str(out), at=at)

    fine, _ = probe_and_lifecycle(T0 + timedelta(minutes=30))
    assert fine["results"][0]["ok"] is True
    late, opened = probe_and_lifecycle(T0 + timedelta(hours=2))
    assert late["results"][0]["ok"] is False and "no ping since 2026-11-23T09:00:00Z" in late["results"][0]["error"]
    assert [(p["action"], p["probe"]) for p in opened["planned"]] == [("open", "batch/export")]
    run(work, "heartbeat", "ping", "batch/export", at=T0 + timedelta(hours=2, minutes=3))
    _, recovered = probe_and_lifecycle(T0 + timedelta(hours=2, minutes=5))
    assert [p["action"] for p in recovered["planned"]] == ["recover"]
    run(work, "heartbeat", "ping", "batch/export", at=T0 + timedelta(hours=2, minutes=20))
    _, resolved = probe_and_lifecycle(T0 + timedelta(hours=2, minutes=25))
    assert [p["action"] for p in resolved["planned"]] == ["resolve"]


def test_a_ping_for_a_probe_that_is_no_heartbeat_is_refused_with_the_heartbeats_listed(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path, {"policies/services.yaml": HEARTBEAT_SERVICES})
    result = CliRunner().invoke(app, ["heartbeat", "ping", "api/health", "--root", str(work)], env={})
    assert result.exit_code == 2
    assert "api/health is a http probe, not a heartbeat (heartbeats: batch/export)" in result.output


# ------------------------------------------------------------------ drills


def drill_org(tmp_path: Path, port: int) -> tuple[Path, Path]:
    """Every personal page goes to /person/<id>; the incident room answers 500."""
    channels = f"""\
channels:
  - id: hook
    name: Personal webhook
    kind: webhook
    url: json://127.0.0.1:{port}/person/{{address}}
    personal: true
  - id: room
    name: Incident room
    kind: webhook
    url: json://127.0.0.1:{port}/fail/room
"""
    people = PAGING_PEOPLE
    policy = """\
id: standard
name: Standard
steps:
  - after: 0m
    targets:
      - schedule:primary
  - after: 15m
    targets:
      - person:bob
      - channel:room
"""
    return make_repo(
        tmp_path,
        {
            "policies/channels.yaml": channels,
            "schedules/people.yaml": people,
            "policies/escalation/standard.yaml": policy,
            "policies/services.yaml": HEARTBEAT_SERVICES,
        },
    )


@pytest.mark.slow
def test_a_drill_pages_for_real_says_drill_and_its_report_times_each_responder(
    tmp_path: Path, receiver: Receiver
) -> None:
    work, _ = drill_org(tmp_path, receiver.port)
    declared = run(work, "drill", "start", "--service", "api", "--severity", "SEV-1", at=NOW)
    ident = declared["incident"]
    record = load_organisation(work, now=NOW, use_cache=False).incidents[ident]
    assert (record.drill, record.visibility, record.labels) == (True, "internal", ["drill"])

    run(work, "escalate", "run", "--backoff", "0", at=NOW)
    [first] = receiver.requests
    assert first.path == "/person/alice"
    assert first.json["title"].startswith("DRILL [SEV-1]")
    assert first.json["message"].splitlines()[0].startswith("DRILL: this is an exercise")
    assert "Runbook (api): https://runbooks.example.com/api" in first.json["message"]

    later = NOW + timedelta(minutes=15)
    result = CliRunner().invoke(
        app, ["escalate", "run", "--backoff", "0", "--root", str(work), "--at", later.isoformat()], env={}
    )
    assert result.exit_code == 1  # the room's 500 is a failed send
    assert sorted(r.path for r in receiver.requests) == ["/fail/room"] * 3 + ["/person/alice", "/person/bob"]
    run(work, "ack", ident, "--by", "bob", at=NOW + timedelta(minutes=19))

    report = run(work, "drill", "report", ident, at=NOW + timedelta(hours=1))
    assert (report["acknowledged_by"], report["time_to_acknowledge_seconds"]) == ("bob", 19 * 60)
    assert (report["target_seconds"], report["target_met"]) == (300, False)
    responders = [
        (r["person"], r["pages"], r["acknowledged"], r["time_to_acknowledge_seconds"]) for r in report["responders"]
    ]
    assert responders == [("alice", 1, False, None), ("bob", 1, True, 4 * 60)]
    [failure] = report["failures"]
    assert (failure["kind"], failure["channel"], failure["step"]) == ("send_failed", "room", 1)
    assert failure["detail"].startswith("channel room: ")

    text = CliRunner().invoke(
        app, ["drill", "report", ident, "--root", str(work)], env={"WATCHBILL_NOW": "2026-11-23T13:00:00Z"}
    )
    assert "bob          first paged 2026-11-23T12:15:00Z via hook; 1 page(s); acknowledged after 4m" in text.stdout
    assert "send_failed  channel room: " in text.stdout


def test_a_drill_reaches_no_site_audience_and_no_reliability_figure(tmp_path: Path) -> None:
    drill = """\
id: INC-2026-0005
title: "Drill: Public API outage"
severity: SEV-1
status: resolved
drill: true
services:
  - service: api
    impact: major_outage
detected_by: internal
started_at: 2026-11-20T10:00:00Z
detected_at: 2026-11-20T10:00:00Z
acknowledged_at: 2026-11-20T10:30:00Z
mitigated_at: 2026-11-20T11:00:00Z
resolved_at: 2026-11-20T11:00:00Z
"""
    org = load_organisation(build_org(tmp_path, {"incidents/2026/INC-2026-0005.yaml": drill}), now=NOW)
    assert org.incidents["INC-2026-0005"].drill is True
    for audience in ("public", "internal"):
        assert [i.id for i in Scope.of(org, None, audience, NOW).incidents] == ["INC-2026-0001"]
    everything = list(org.incidents.values())
    assert [i.id for i in metrics.counted(everything)] == ["INC-2026-0001"]
    assert metrics.summarise("all", everything).incidents == 1
    assert metrics.detection_mix(everything).monitor == 1


def test_the_internal_incident_page_shows_the_war_room_and_runbooks_and_the_public_one_does_not(
    tmp_path: Path,
) -> None:
    from watchbill.site.views.incidents import incident_view

    record = """\
id: INC-2026-0006
title: API errors
severity: SEV-1
status: investigating
channel: https://meet.example.com/abc-defg
services:
  - service: api
    impact: major_outage
detected_by: monitor
probe: api/health
started_at: 2026-11-23T11:00:00Z
detected_at: 2026-11-23T11:00:00Z
"""
    changes = {"policies/services.yaml": HEARTBEAT_SERVICES, "incidents/2026/INC-2026-0006.yaml": record}
    org = load_organisation(build_org(tmp_path, changes), now=NOW)
    incident = org.incidents["INC-2026-0006"]
    inside = incident_view(Scope.of(org, None, "internal", NOW), incident).internal
    assert inside is not None
    assert inside.channel == "https://meet.example.com/abc-defg"
    assert inside.runbooks == (("api", "https://runbooks.example.com/api-health"),)
    assert incident_view(Scope.of(org, None, "public", NOW), incident).internal is None
