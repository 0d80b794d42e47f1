"""Back-dating and questions about the past concern the record being changed, not the whole organisation.

With ``--at`` in March, an incident that started in November used to stop every command ("started_at ... is
in the future"): nobody could ask who was on call in March, or enter a past incident with its real dates.
Time checks now concern the record a command changes; ``validate`` still judges every record against the
present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.org_repo import make_repo
from support.orgfactory import NOW
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.validate import load_organisation, validate

LATER = """\
id: INC-2026-0002
title: Slow API responses
severity: SEV-2
status: investigating
services:
  - service: api
    impact: degraded_performance
detected_by: customer
started_at: 2026-11-20T09:00:00Z
detected_at: 2026-11-20T09:10:00Z
"""
MARCH = "2026-03-10T12:00:00Z"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return make_repo(tmp_path, {"incidents/2026/INC-2026-0002.yaml": LATER})[0]


def run(work: Path, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--root", str(work)], env={"COLUMNS": "200"})


def test_who_was_on_call_in_march_is_answered_despite_a_later_incident(work: Path) -> None:
    result = run(work, "oncall", "--schedule", "primary", "--at", MARCH, "--format", "json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)["schedules"]
    assert entry["on_call"]["person"]["id"] in ("alice", "bob")


def test_an_escalation_in_march_is_simulated_despite_a_later_incident(work: Path) -> None:
    result = run(work, "escalate", "simulate", "--service", "api", "--at", MARCH, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["firings"]


def test_a_past_incident_is_declared_with_its_real_dates(work: Path) -> None:
    result = run(
        work,
        "declare",
        "--title",
        "Checkout fails",
        "--severity",
        "SEV-2",
        "--service",
        "api",
        "--detected-by",
        "customer",
        "--started-at",
        "2026-03-10T11:40:00Z",
        "--at",
        MARCH,
    )
    assert result.exit_code == 0, result.output
    assert "Declared INC-2026-0003" in result.output


def test_the_record_being_changed_is_still_checked_against_the_instant_acted_at(work: Path) -> None:
    result = run(
        work, "update", "INC-2026-0002", "--message", "Looking.", "--at", MARCH
    )  # before the record's own entries
    assert result.exit_code == 1
    assert "before the record's latest entry" in result.output


def test_validate_still_reports_a_record_dated_after_the_present(work: Path) -> None:
    report = validate(work, now=NOW.replace(month=3), use_cache=False)
    assert [(p.rule, p.message.split(" (")[0]) for p in report.errors] == [("timestamps-order", "started_at")]
    load_organisation(work, now=NOW.replace(month=3), use_cache=False)  # commands still act
