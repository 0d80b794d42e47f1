"""``escalate simulate``, ``escalate run`` and ``ack`` with ``--format json``, and their use cases called directly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.orgfactory import NOW, build_org
from support.paging_org import paging_org
from support.receivers import Receiver
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.errors import RequestError
from watchbill.paging.usecases import acknowledge_incident, run_escalation, simulate_escalation
from watchbill.validate import load_organisation

AT = "2026-11-23T12:00:00Z"


def invoke_json(root: Path, *args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, [*args, "--format", "json", "--root", str(root)], env={"WATCHBILL_NOW": AT})
    assert result.stdout.startswith("{"), result.output
    return result.exit_code, json.loads(result.stdout)


def test_simulate_as_json_lists_every_firing_with_its_recipients(tmp_path: Path) -> None:
    code, data = invoke_json(
        build_org(tmp_path),
        "escalate",
        "simulate",
        "--service",
        "api",
        "--severity",
        "SEV-1",
        "--at",
        "2026-12-25T03:00Z",
    )
    assert code == 0
    assert (data["at"], data["service"], data["severity"], data["policy"]) == (
        "2026-12-25T03:00:00Z",
        "api",
        "SEV-1",
        "standard",
    )
    offsets = [(f["offset_seconds"], len(f["notifications"])) for f in data["firings"]]
    assert offsets == [(0, 1), (900, 2), (1800, 1), (2700, 2)]  # the text prints a line per notification
    first = data["firings"][0]
    assert (first["step"], first["round"], first["at"], first["skipped"]) == (0, 0, "2026-12-25T03:00:00Z", False)
    assert {"person": "alice", "channel": "email", "target": "schedule:primary"} in first["notifications"]


def test_escalate_run_as_json_reports_each_send(tmp_path: Path, receiver: Receiver) -> None:
    code, data = invoke_json(paging_org(tmp_path, receiver.port), "escalate", "run", "--backoff", "0")
    assert code == 0
    assert (data["at"], data["dry_run"], data["failed"], data["errors"]) == (AT, False, 0, [])
    [incident] = data["incidents"]
    assert incident["incident"] == "INC-2026-0002"
    sent = sorted((s["step"], s["round"], s["target"], s["channel"], s["ok"], s["attempts"]) for s in incident["sent"])
    assert sent == [
        (0, 0, "schedule:primary", "hook", True, 1),
        (1, 0, "channel:room", "room", True, 1),
        (1, 0, "person:bob", "hook", True, 1),
    ]
    assert sorted(receiver.paths) == ["/person/alice", "/person/bob", "/room"]


def test_escalate_dry_run_as_json_lists_what_is_planned_and_sends_nothing(tmp_path: Path, receiver: Receiver) -> None:
    code, data = invoke_json(paging_org(tmp_path, receiver.port), "escalate", "run", "--dry-run")
    assert code == 0 and data["dry_run"] is True
    [incident] = data["incidents"]
    assert incident["sent"] == []
    assert {"person": "alice", "channel": "hook", "target": "schedule:primary", "step": 0, "round": 0} in incident[
        "planned"
    ]
    assert receiver.paths == []


def test_ack_as_json_says_who_when_and_whether_it_changed(tmp_path: Path, receiver: Receiver) -> None:
    root = paging_org(tmp_path, receiver.port)
    code, data = invoke_json(root, "ack", "INC-2026-0002", "--by", "alice", "--at", "2026-11-23T11:45:00Z")
    assert code == 0
    assert data == {
        "at": "2026-11-23T11:45:00Z",
        "incident": "INC-2026-0002",
        "acknowledged_at": "2026-11-23T11:45:00Z",
        "by": "alice",
        "changed": True,
        "branch": None,
    }
    code, again = invoke_json(root, "ack", "INC-2026-0002", "--by", "bob", "--at", "2026-11-23T11:50:00Z")
    assert code == 0
    assert (again["changed"], again["acknowledged_at"], again["by"]) == (False, "2026-11-23T11:45:00Z", "alice")


def test_the_use_cases_need_no_command_line(tmp_path: Path, receiver: Receiver) -> None:
    org = load_organisation(paging_org(tmp_path, receiver.port), now=NOW, use_cache=False)
    assert simulate_escalation(org, "api", None, NOW).policy == "standard"
    dry = run_escalation(org, NOW, env={}, dry_run=True)
    assert dry.failed == 0 and not dry.quiet and receiver.paths == []
    ack = acknowledge_incident(org, "INC-2026-0002", NOW, by="bob")
    assert ack.changed and ack.acknowledged_at == NOW and ack.by == "bob"


def test_simulating_an_unknown_service_is_a_request_error(tmp_path: Path) -> None:
    org = load_organisation(build_org(tmp_path), now=NOW, use_cache=False)
    with pytest.raises(RequestError, match="unknown service 'nope' \\(known: api"):
        simulate_escalation(org, "nope", None, NOW)
