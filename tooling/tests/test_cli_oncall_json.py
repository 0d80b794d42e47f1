"""``watchbill oncall`` with ``--format json``: one object per run, instants in UTC with Z, durations in seconds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.org_repo import make_repo
from support.orgfactory import NOW, PEOPLE, SCHEDULE, build_org
from typer.testing import CliRunner

from watchbill.cli import app

runner = CliRunner()
AT = "2026-11-23T12:00:00Z"
BUSINESS_HOURS = """\
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


def invoke(root: Path, *args: str, now: str = AT) -> Any:
    return runner.invoke(app, [*args, "--root", str(root)], env={"WATCHBILL_NOW": now, "COLUMNS": "200"})


def as_json(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


def test_oncall_json_names_who_is_on_call_now_and_next(tmp_path: Path) -> None:
    data = as_json(
        invoke(build_org(tmp_path), "oncall", "--schedule", "primary", "--at", "2026-11-24T12:00:00Z", "-f", "json")
    )
    assert data["at"] == "2026-11-24T12:00:00Z"
    (entry,) = data["schedules"]
    assert entry["schedule"] == "primary" and entry["timezone"] == "Europe/Berlin"
    assert entry["on_call"]["person"] == {"id": "alice", "name": "Alice Example"}
    assert entry["on_call"]["start"] == "2026-11-23T08:00:00Z" and entry["on_call"]["end"] == "2026-11-30T08:00:00Z"
    assert entry["on_call"]["duration_seconds"] == 7 * 86400
    assert entry["next"]["person"]["id"] == "bob" and entry["next"]["start"] == "2026-11-30T08:00:00Z"


def test_calendar_json_lists_the_persons_shifts_in_order(tmp_path: Path) -> None:
    data = as_json(
        invoke(
            build_org(tmp_path),
            "oncall",
            "calendar",
            "--from",
            "2026-11-23",
            "--to",
            "2026-12-20",
            "--person",
            "bob",
            "--format",
            "json",
        )
    )
    assert (data["from"], data["to"]) == ("2026-11-23T00:00:00Z", "2026-12-21T00:00:00Z")
    assert [s["person"]["id"] for s in data["shifts"]] == ["bob", "bob", "bob"]
    assert [s["start"] for s in data["shifts"]] == sorted(s["start"] for s in data["shifts"])
    assert data["shifts"][0]["start"] == "2026-11-23T00:00:00Z"  # cut at the range's start


def test_calendar_json_is_the_documented_object_exactly_as_json_dumps_writes_it(tmp_path: Path) -> None:
    # the calendar writes its rows itself, fast; they must stay what the JSON conventions promise
    people = PEOPLE.replace("Alice Example", 'Zoë "Ali" Ødegaard')
    swap = "overrides:\n  - person: alice\n    start: 2026-03-25T12:00:00+01:00\n    end: 2026-03-25T18:30:00.5+01:00\n"
    root = build_org(tmp_path, {"schedules/people.yaml": people, "schedules/primary.yaml": SCHEDULE + swap})
    result = invoke(root, "oncall", "calendar", "--from", "2026-03-23", "--to", "2026-04-05", "-f", "json")
    assert result.exit_code == 0, result.output

    def shift(person: str, start: str, end: str, seconds: int, layer: str | None = "Weekly") -> dict[str, Any]:
        name = {"alice": 'Zoë "Ali" Ødegaard', "bob": "Bob Example"}[person]
        return {
            "schedule": "primary",
            "person": {"id": person, "name": name},
            "start": start,
            "end": end,
            "duration_seconds": seconds,
            "layer": layer,
            "override": layer is None,
        }

    expected = {
        "from": "2026-03-23T00:00:00Z",
        "to": "2026-04-06T00:00:00Z",
        "shifts": [
            shift("alice", "2026-03-23T00:00:00Z", "2026-03-23T08:00:00Z", 8 * 3600),
            shift("bob", "2026-03-23T08:00:00Z", "2026-03-25T11:00:00Z", 51 * 3600),
            shift("alice", "2026-03-25T11:00:00Z", "2026-03-25T17:30:00.500000Z", 23400, None),  # 23400.5 s
            shift("bob", "2026-03-25T17:30:00.500000Z", "2026-03-30T07:00:00Z", 394200),  # 394199.5 s
            shift("alice", "2026-03-30T07:00:00Z", "2026-04-06T00:00:00Z", 161 * 3600),
        ],
    }
    assert result.stdout == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


def test_calendar_json_with_no_shifts_has_an_empty_list(tmp_path: Path) -> None:
    result = invoke(
        build_org(tmp_path), "oncall", "calendar", "--from", "2025-01-01", "--to", "2025-01-02", "-f", "json"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == '{\n  "from": "2025-01-01T00:00:00Z",\n  "to": "2025-01-03T00:00:00Z",\n  "shifts": []\n}\n'


def test_report_json_counts_gaps_and_hours_in_seconds(tmp_path: Path) -> None:
    root = build_org(tmp_path, {"schedules/primary.yaml": BUSINESS_HOURS})
    data = as_json(invoke(root, "oncall", "report", "--from", "2026-11-23", "--to", "2026-11-29", "-f", "json"))
    (report,) = data["schedules"]
    assert report["schedule"] == "primary" and report["name"] == "Primary on-call"
    covered = sum(p["total_seconds"] for p in report["people"])
    assert covered == 5 * 8 * 3600  # Monday to Friday, 09:00-17:00
    assert report["uncovered_seconds"] == 7 * 86400 - covered
    assert report["uncovered_seconds"] == sum(g["duration_seconds"] for g in report["gaps"])
    assert {p["person"]["id"] for p in report["people"]} == {"alice", "bob"}
    (layer,) = report["layers"]
    assert layer["layer"] == "Business hours" and set(layer["on_call_seconds"]) == {"alice", "bob"}
    assert 0 < layer["balance"] <= 1


def test_diff_json_lists_each_change_with_both_people(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    (work / "schedules" / "primary.yaml").write_text(SCHEDULE.replace("      - bob\n", "      - bob\n      - alice\n"))
    data = as_json(invoke(work, "oncall", "diff", "--base", "HEAD", "--days", "28", "-f", "json", now=NOW.isoformat()))
    assert data["base"] == "HEAD" and data["days"] == 28 and data["at"].endswith("Z")
    assert data["changes"], "adding a member moves some weeks"
    assert {c["schedule"] for c in data["changes"]} == {"primary"}
    first = data["changes"][0]
    assert first["before"] != first["after"] and first["start"] < first["end"]
    assert {first["before"]["id"], first["after"]["id"]} <= {"alice", "bob"}


def test_diff_json_with_no_change_has_an_empty_list(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    data = as_json(invoke(work, "oncall", "diff", "--base", "HEAD", "-f", "json", now=NOW.isoformat()))
    assert data["changes"] == [] and data["days"] == 14


def test_diff_refuses_markdown_and_json_together(tmp_path: Path) -> None:
    result = invoke(build_org(tmp_path), "oncall", "diff", "--markdown", "-f", "json")
    assert result.exit_code == 2 and "not both" in result.output


def test_ical_export_to_a_path_under_a_regular_file_fails_with_a_message(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    (tmp_path / "plain").write_text("a file, not a folder")
    result = invoke(root, "oncall", "ical", "--schedule", "primary", "--out", str(tmp_path / "plain" / "x.ics"))
    assert result.exit_code == 1, result.output
    assert "cannot write" in result.output and "internal error" not in result.output
