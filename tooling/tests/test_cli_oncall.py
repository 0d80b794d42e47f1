"""``watchbill oncall``, ``escalate`` and ``ack`` through the real CLI on a temporary organisation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar
from support.orgfactory import NOW, SCHEDULE, build_org
from support.paging_org import paging_org
from support.receivers import Receiver
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.models import Incident
from watchbill.validate import validate

runner = CliRunner()
AT = "2026-11-23T12:00:00Z"


def invoke(root: Path, *args: str) -> Any:
    return runner.invoke(app, [*args, "--root", str(root)], env={"WATCHBILL_NOW": AT, "COLUMNS": "200"})


def test_oncall_names_who_is_on_call_for_a_schedule(tmp_path: Path) -> None:
    result = invoke(build_org(tmp_path), "oncall", "--schedule", "primary", "--at", "2026-11-24T12:00:00Z")
    assert result.exit_code == 0, result.output
    assert "Alice Example" in result.output and "Bob Example" in result.output  # now and next


def test_oncall_for_a_service_uses_its_owning_schedule(tmp_path: Path) -> None:
    result = invoke(build_org(tmp_path), "oncall", "--service", "api", "--at", "2026-12-01T12:00:00Z")
    assert result.exit_code == 0, result.output
    assert "primary" in result.output and "Bob Example" in result.output


def test_oncall_with_an_unknown_schedule_fails_with_a_message(tmp_path: Path) -> None:
    result = invoke(build_org(tmp_path), "oncall", "--schedule", "nope")
    assert result.exit_code == 1
    assert "unknown schedule 'nope'" in result.output and "Traceback" not in result.output


def test_calendar_lists_only_the_chosen_persons_shifts(tmp_path: Path) -> None:
    result = invoke(
        build_org(tmp_path), "oncall", "calendar", "--from", "2026-11-23", "--to", "2026-12-20", "--person", "bob"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Bob Example") == 3 and "Alice" not in result.output  # from 16, 30 Nov, 14 Dec


SWAP = """\
overrides:
  - person: alice
    start: 2026-03-25T12:00:00+01:00
    end: 2026-03-25T18:30:00+01:00
    reason: swap
"""


def test_calendar_text_is_one_aligned_row_per_shift_in_the_schedules_clock_across_a_dst_change(
    tmp_path: Path,
) -> None:
    root = build_org(tmp_path, {"schedules/primary.yaml": SCHEDULE + SWAP})
    result = invoke(root, "oncall", "calendar", "--from", "2026-03-23", "--to", "2026-04-05")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Schedule  Person                 Start                       End                         Hours   Layer\n"
        "primary   Alice Example (alice)  Mon 2026-03-23 01:00 CET    Mon 2026-03-23 09:00 CET    8.0     Weekly\n"
        "primary   Bob Example (bob)      Mon 2026-03-23 09:00 CET    Wed 2026-03-25 12:00 CET    51.0    Weekly\n"
        "primary   Alice Example (alice)  Wed 2026-03-25 12:00 CET    Wed 2026-03-25 18:30 CET    6.5     override\n"
        "primary   Bob Example (bob)      Wed 2026-03-25 18:30 CET    Mon 2026-03-30 09:00 CEST   109.5   Weekly\n"
        "primary   Alice Example (alice)  Mon 2026-03-30 09:00 CEST   Mon 2026-04-06 02:00 CEST   161.0   Weekly\n"
    )


def test_calendar_says_so_when_nobody_is_on_call_in_the_range(tmp_path: Path) -> None:
    result = invoke(build_org(tmp_path), "oncall", "calendar", "--from", "2025-01-01", "--to", "2025-01-02")
    assert result.exit_code == 0, result.output
    assert result.stdout == "nobody is on call in that range\n"


def test_calendar_rejects_a_range_that_ends_before_it_starts(tmp_path: Path) -> None:
    result = invoke(build_org(tmp_path), "oncall", "calendar", "--from", "2026-12-20", "--to", "2026-12-01")
    assert result.exit_code == 2 and "--to must be after --from" in result.output


def test_ical_export_of_a_schedule_parses_with_whole_shifts(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    out = tmp_path / "primary.ics"
    result = invoke(
        root, "oncall", "ical", "--schedule", "primary", "--from", "2026-11-25", "--to", "2026-12-13", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    events = Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [
        "On call: Alice Example (Primary on-call)",
        "On call: Bob Example (Primary on-call)",
        "On call: Alice Example (Primary on-call)",
    ]
    first = events[0]
    assert first.decoded("DTSTART").isoformat() == "2026-11-23T08:00:00+00:00"  # the shift's own start
    assert first.decoded("DTEND") - first.decoded("DTSTART") == timedelta(days=7)
    assert len({str(e["UID"]) for e in events}) == 3


def test_ical_export_for_a_person_holds_only_their_shifts_and_no_contacts(tmp_path: Path) -> None:
    result = invoke(
        build_org(tmp_path), "oncall", "ical", "--person", "alice", "--from", "2026-11-23", "--to", "2026-12-31"
    )
    assert result.exit_code == 0, result.output
    events = Calendar.from_ical(result.stdout.encode()).walk("VEVENT")
    assert events and all("Alice Example" in str(e["SUMMARY"]) for e in events)
    assert "alice@example.com" not in result.stdout


def test_report_shows_hours_and_coverage_gaps(tmp_path: Path) -> None:
    business = SCHEDULE_WITH_GAPS
    result = invoke(
        build_org(tmp_path, {"schedules/primary.yaml": business}),
        "oncall",
        "report",
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-29",
    )
    assert result.exit_code == 0, result.output
    assert "coverage gap" in result.output and "Alice Example" in result.output
    assert "balance" in result.output


SCHEDULE_WITH_GAPS = """\
id: primary
name: Primary on-call
timezone: Europe/Berlin
layers:
  - name: Business hours
    start: 2026-01-05T09:00:00+01:00
    members:
      - alice
      - bob
    rotation: daily
    handoff:
      time: "09:00"
    restrictions:
      - days: [monday, tuesday, wednesday, thursday, friday]
        start: "09:00"
        end: "17:00"
"""


def test_validate_warns_about_the_first_coverage_gap(tmp_path: Path) -> None:
    report = validate(build_org(tmp_path, {"schedules/primary.yaml": SCHEDULE_WITH_GAPS}), now=NOW, use_cache=False)
    gaps = [p for p in report.problems if p.rule == "schedule-gap"]
    assert len(gaps) == 1 and gaps[0].level == "warning"
    assert "2026-11-23T16:00:00Z to 2026-11-24T08:00:00Z" in gaps[0].message


def test_validate_finds_no_gap_in_a_round_the_clock_schedule(tmp_path: Path) -> None:
    report = validate(build_org(tmp_path), now=NOW, use_cache=False)
    assert not [p for p in report.problems if p.rule == "schedule-gap"]


def test_simulate_prints_the_timeline_with_repeats(tmp_path: Path) -> None:
    result = invoke(
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
    assert result.exit_code == 0, result.output
    lines = [line.split()[0] for line in result.output.splitlines()[1:]]
    assert lines == ["+0m", "+15m", "+15m", "+30m", "+45m", "+45m"]
    assert "alice via email (schedule:primary)" in result.output


def incident_at(root: Path) -> Incident:
    from watchbill.files.yamledit import check_text

    path = root / "incidents/2026/INC-2026-0002.yaml"
    return check_text(path.read_text(), path.name, Incident)


def test_escalate_run_sends_due_steps_and_records_each_in_the_timeline(tmp_path: Path, receiver: Receiver) -> None:
    root = paging_org(tmp_path, receiver.port)
    result = invoke(root, "escalate", "run", "--at", "2026-11-23T12:00:00Z")
    assert result.exit_code == 0, result.output
    assert sorted(receiver.paths) == ["/person/alice", "/person/bob", "/room"]  # round 2 starts at +30m
    notified = [(e.step, e.round, e.target, e.via) for e in incident_at(root).timeline if e.kind == "notified"]
    assert sorted(notified) == [
        (0, 0, "schedule:primary", "hook"),
        (1, 0, "channel:room", "room"),
        (1, 0, "person:bob", "hook"),
    ]


def test_a_second_run_sends_nothing_already_sent(tmp_path: Path, receiver: Receiver) -> None:
    root = paging_org(tmp_path, receiver.port)
    invoke(root, "escalate", "run", "--at", "2026-11-23T12:00:00Z")
    sent = len(receiver.paths)
    result = invoke(root, "escalate", "run", "--at", "2026-11-23T12:01:00Z")
    assert result.exit_code == 0 and "nothing due" in result.output
    assert len(receiver.paths) == sent


def test_two_runs_at_once_send_each_step_exactly_once(tmp_path: Path, receiver: Receiver) -> None:
    root = paging_org(tmp_path, receiver.port)
    env = {**os.environ, "WATCHBILL_NOW": AT, "WATCHBILL_ROOT": str(root)}
    command = [sys.executable, "-c", "from watchbill.cli import main; main()", "escalate", "run"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr
    assert sorted(receiver.paths) == ["/person/alice", "/person/bob", "/room"]
    assert len([e for e in incident_at(root).timeline if e.kind == "notified"]) == 3


def test_dry_run_sends_and_writes_nothing(tmp_path: Path, receiver: Receiver) -> None:
    root = paging_org(tmp_path, receiver.port)
    before = (root / "incidents/2026/INC-2026-0002.yaml").read_text()
    result = invoke(root, "escalate", "run", "--dry-run")
    assert result.exit_code == 0 and "would notify alice via hook" in result.output
    assert receiver.paths == [] and (root / "incidents/2026/INC-2026-0002.yaml").read_text() == before


def test_nothing_is_sent_after_acknowledgement(tmp_path: Path, receiver: Receiver) -> None:
    root = paging_org(tmp_path, receiver.port)
    ack = invoke(root, "ack", "INC-2026-0002", "--by", "alice", "--at", "2026-11-23T11:45:00Z")
    assert ack.exit_code == 0, ack.output
    result = invoke(root, "escalate", "run", "--at", "2026-11-23T12:30:00Z")
    assert result.exit_code == 0 and receiver.paths == []
    record = incident_at(root)
    assert record.acknowledged_at is not None and record.acknowledged_at.isoformat() == "2026-11-23T11:45:00+00:00"
    assert [e.by for e in record.timeline if e.kind == "acknowledged"] == ["alice"]


def test_acknowledging_twice_records_it_once(tmp_path: Path, receiver: Receiver) -> None:
    root = paging_org(tmp_path, receiver.port)
    invoke(root, "ack", "INC-2026-0002", "--at", "2026-11-23T11:45:00Z")
    again = invoke(root, "ack", "INC-2026-0002", "--at", "2026-11-23T11:50:00Z")
    assert again.exit_code == 0 and "already acknowledged" in again.output
    assert len([e for e in incident_at(root).timeline if e.kind == "acknowledged"]) == 1


def test_ack_by_an_unknown_person_is_refused(tmp_path: Path, receiver: Receiver) -> None:
    result = invoke(paging_org(tmp_path, receiver.port), "ack", "INC-2026-0002", "--by", "mallory")
    assert result.exit_code == 1 and "unknown person 'mallory'" in result.output


def test_ack_of_a_resolved_incident_is_refused(tmp_path: Path) -> None:
    from support.orgfactory import INCIDENT

    unacknowledged = INCIDENT.replace("acknowledged_at: 2026-03-02T10:04:00Z\n", "")
    result = invoke(build_org(tmp_path, {"incidents/2026/INC-2026-0001.yaml": unacknowledged}), "ack", "INC-2026-0001")
    assert result.exit_code == 1 and "resolved" in result.output


def test_run_output_is_json_free_of_addresses(tmp_path: Path, receiver: Receiver) -> None:
    root = paging_org(tmp_path, receiver.port)
    result = invoke(root, "escalate", "run")
    assert "127.0.0.1" not in result.output
    assert json.dumps(result.output)


def test_options_before_a_subcommand_are_refused_not_ignored() -> None:
    result = CliRunner().invoke(app, ["oncall", "--schedule", "primary", "calendar"])
    assert result.exit_code == 2
    assert "--schedule before 'calendar' would be ignored" in result.output


def test_ical_events_come_in_time_order_whatever_order_the_shifts_are_given() -> None:
    from watchbill.oncall import ical
    from watchbill.oncall.render import Shift

    base = datetime(2026, 11, 23, 8, tzinfo=UTC)
    shifts = [
        Shift("secondary", "bob", base + timedelta(days=7), base + timedelta(days=14), "weekly", False),
        Shift("primary", "alice", base, base + timedelta(days=7), "weekly", False),
    ]
    data = ical.calendar("all", shifts, people={}, schedules={}, now=base)
    starts = [e.decoded("DTSTART") for e in Calendar.from_ical(data).walk("VEVENT")]
    assert starts == sorted(starts) and len(starts) == 2
