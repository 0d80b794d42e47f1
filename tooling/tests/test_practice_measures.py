"""Measures kept honest: downtime weighed per impact phase, durations rounded alike everywhere, and ``list``'s
overdue line agreeing with its missed targets (both from detection)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.orgfactory import build_org
from typer.testing import CliRunner

from watchbill import metrics
from watchbill.cli import app
from watchbill.incidents import ops
from watchbill.models import Incident
from watchbill.site.render import duration
from watchbill.validate import load_organisation

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def run(root: Path, *args: str, at: datetime) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--root", str(root), "--at", at.isoformat(), "--format", "json"])
    assert result.exit_code == 0, (args, result.output)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# --- downtime by impact phase (metrics.py) ----------------------------------------------------------------


def test_downtime_weighs_each_phase_of_the_impact_history_entered_with_the_impact_verb(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    declared = run(
        root,
        "declare",
        "--title",
        "API and database errors",
        "--severity",
        "SEV-2",
        "--service",
        "api:major_outage",
        "--service",
        "db:partial_outage",
        at=START,
    )
    ident = str(declared["incident"])
    run(root, "impact", ident, "--service", "api:degraded_performance", at=START + 10 * MINUTE)
    run(root, "impact", ident, "--service", "db:major_outage", at=START + 60 * MINUTE)
    run(root, "impact", ident, "--service", "db:operational", at=START + 120 * MINUTE)
    run(root, "mitigated", ident, at=START + timedelta(hours=5, minutes=10))
    run(root, "resolve", ident, at=START + timedelta(hours=5, minutes=30))

    org = load_organisation(root, now=NOW, use_cache=False)
    incident = org.incidents[ident]
    assert {a.service: a.impact for a in incident.services} == {"api": "major_outage", "db": "major_outage"}
    # 10 minutes of major outage, then 5 hours of degraded performance (no downtime), not 5 h 10 min down
    assert metrics.outages([incident], "api", NOW) == [metrics.Outage(START, START + 10 * MINUTE, 1.0)]
    assert metrics.outages([incident], "db", NOW) == [
        metrics.Outage(START, START + 60 * MINUTE, 0.3),
        metrics.Outage(START + 60 * MINUTE, START + 120 * MINUTE, 1.0),
    ]
    days = metrics.daily_uptime(metrics.outages([incident], "api", NOW), [], days=4, now=NOW, needs_probe_data=False)
    assert [d.downtime_seconds for d in days] == [600.0, 0.0, 0.0, 0.0]


def test_a_record_without_impact_history_keeps_its_impact_throughout() -> None:
    record = {
        "id": "INC-2026-0001",
        "title": "Old record",
        "severity": "SEV-1",
        "status": "resolved",
        "services": [{"service": "api", "impact": "major_outage"}],
        "detected_by": "customer",
        "started_at": "2026-11-20T10:00:00Z",
        "detected_at": "2026-11-20T10:00:00Z",
        "mitigated_at": "2026-11-20T11:00:00Z",
        "resolved_at": "2026-11-20T11:00:00Z",
        "updates": [{"at": "2026-11-20T10:05:00Z", "status": "investigating", "message": "Looking."}],
    }
    incident = Incident.model_validate(record)
    assert metrics.outages([incident], "api", NOW) == [metrics.Outage(START, START + 60 * MINUTE, 1.0)]


def test_a_service_added_later_was_operational_until_an_update_named_it(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    ident = str(
        run(root, "declare", "--title", "API errors", "--severity", "SEV-2", "--service", "api", at=START)["incident"]
    )
    run(root, "impact", ident, "--service", "db:major_outage", at=START + 30 * MINUTE)
    run(root, "resolve", ident, at=START + 90 * MINUTE)
    incident = load_organisation(root, now=NOW, use_cache=False).incidents[ident]
    assert metrics.outages([incident], "db", NOW) == [metrics.Outage(START + 30 * MINUTE, START + 90 * MINUTE, 1.0)]


# --- durations rounded, not truncated (ops.human_span, as the site's duration) ----------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0m"),
        (29, "29s"),
        (59.4, "59s"),
        (59.5, "1m"),
        (89, "1m"),
        (90, "2m"),
        (59 * 60 + 29, "59m"),
        (59 * 60 + 30, "1h"),
        (89 * 60 + 29, "1h 29m"),
        (89 * 60 + 30, "1h 30m"),
        (3 * 3600 + 5 * 60 + 40, "3h 6m"),
        (23 * 3600 + 59 * 60 + 30, "1 day"),
        (27 * 3600 + 29 * 60, "1d 3h"),
        (27 * 3600 + 40 * 60, "1d 4h"),
        (10 * 86400 + 20 * 60, "10 days"),
    ],
)
def test_list_durations_round_at_the_boundaries(seconds: float, text: str) -> None:
    assert ops.human_span(timedelta(seconds=seconds)) == text


UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "day": 86400, "days": 86400}


def _seconds(text: str) -> int:
    return sum(int(n) * UNITS[u] for n, u in re.findall(r"(\d+) ?(days|day|min|s|m|h|d)\b", text))


@pytest.mark.parametrize(
    "seconds",
    [0, 1, 30, 59.5, 60, 89, 90, 150, 3570, 5370, 11140, 86370, 49 * 3600 + 29 * 60, 49 * 3600 + 30 * 60, 5 * 86400],
)
def test_list_and_the_site_round_a_duration_to_the_same_figure(seconds: float) -> None:
    span = timedelta(seconds=seconds)
    assert _seconds(ops.human_span(span)) == _seconds(duration(span))


# --- targets: list's overdue line and its missed targets measure from detection ---------------------------


def test_list_overdue_and_targets_missed_agree_when_start_and_detection_differ(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    started, detected, declared = START, START + 60 * MINUTE, START + 62 * MINUTE
    ident = run(
        root,
        "declare",
        "--title",
        "Slow checkout",
        "--severity",
        "SEV-1",
        "--service",
        "api",
        "--started-at",
        started.isoformat(),
        "--detected-at",
        detected.isoformat(),
        at=declared,
    )["incident"]
    # SEV-1: acknowledge within 5m, first update 15m, an update every 30m, resolve within 4h, all from detection
    expected = {
        detected + 4 * MINUTE: set(),  # an hour after the start, but 4 minutes after detection: nothing missed
        detected + 6 * MINUTE: {"acknowledge"},
        started + timedelta(hours=4, minutes=1): {"acknowledge", "update_every"},  # not yet resolve
        detected + timedelta(hours=4, minutes=1): {"acknowledge", "update_every", "resolve"},
    }
    for at, missed in expected.items():
        data = run(root, "list", at=at)
        [incident] = [i for i in data["open_incidents"] if i["id"] == ident]
        overdue = {"update_every" if o["target"] == "update" else o["target"] for o in incident["overdue"]}
        failed = {t["name"] for t in data["targets"][ident] if t["met"] is False}
        assert overdue == failed == missed, at
        text = CliRunner().invoke(app, ["list", "--root", str(root), "--at", at.isoformat()]).stdout
        if missed:
            assert f"  {ident}  targets missed: " in text and "    overdue: " in text
        else:
            assert "targets missed" not in text and "overdue: " not in text
    text = CliRunner().invoke(app, ["list", "--root", str(root), "--at", (detected + 6 * MINUTE).isoformat()])
    assert "    overdue: acknowledgement overdue by 1m\n" in text.stdout
    assert f"  {ident}  targets missed: acknowledge (5m)\n" in text.stdout


# --- the reliability page: targets, learning, detection, both MTTRs ---------------------------------------

REPEAT = """\
id: INC-2026-0002
title: API errors again
severity: SEV-1
status: resolved
services:
  - service: api
    impact: partial_outage
detected_by: customer
started_at: 2026-03-20T10:00:00Z
detected_at: 2026-03-20T10:30:00Z
acknowledged_at: 2026-03-20T10:45:00Z
mitigated_at: 2026-03-20T11:00:00Z
resolved_at: 2026-03-20T12:00:00Z
updates:
  - at: 2026-03-20T10:40:00Z
    status: investigating
    message: We are looking into API errors.
  - at: 2026-03-20T12:00:00Z
    status: resolved
    message: Fixed.
postmortem:
  status: published
  authors:
    - alice
  published_on: 2026-03-24
  summary: The same configuration key again.
  impact: Some API calls failed for an hour.
  root_cause: Another renamed configuration key.
  action_items:
    - title: Lint configuration keys
      owner: bob
      due: 2026-04-01
"""


def test_the_reliability_page_shows_targets_learning_detection_and_both_mttrs(tmp_path: Path) -> None:
    from watchbill.site import views
    from watchbill.site.render import render_pages

    root = build_org(tmp_path, {"incidents/2026/INC-2026-0002.yaml": REPEAT})
    at = datetime(2026, 5, 1, tzinfo=UTC)
    site = views.build(load_organisation(root, now=at, use_cache=False), None, "internal", at)
    page = site.reliability
    [sev1] = page.response
    assert (sev1.times.mtta.value, sev1.times.mttr.value) == (timedelta(minutes=8, seconds=30), timedelta(minutes=74))
    assert sev1.times.mttr_other.value == timedelta(minutes=90)  # from the start of impact
    [targets] = page.targets
    # SEV-1 acknowledges within 5m: 2 min (met) and 15 min (missed); resolves within 4h from detection: both met
    assert (targets.met["acknowledge"], targets.measured["acknowledge"]) == (1, 2)
    assert (targets.met["resolve"], targets.measured["resolve"]) == (2, 2)
    assert (page.action_items.done, page.action_items.open, page.action_items.overdue) == (1, 1, 1)
    assert page.action_items.rate == 0.5
    assert page.repeat_rate is not None and page.repeat_rate.repeats == (("INC-2026-0002", "INC-2026-0001"),)
    assert page.quarters[-2:] == ("2026-Q1", "2026-Q2") and dict(page.per_service)["Public API"][-2:] == (2, 0)
    assert (page.detection.monitor, page.detection.customer) == (1, 1)
    html = str(render_pages(site)["reliability.md"])
    for text in (
        "MTTA from detection to acknowledgement",
        "MTTR from start",
        "Targets kept",
        "50% (1/2)",
        "Postmortem action items done: 50%",
        "Repeat incidents: 50% (1 of 2)",
        "Reported by customers: 1 (50%)",
    ):
        assert text in html, text
