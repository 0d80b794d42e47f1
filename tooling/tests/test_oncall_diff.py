"""``watchbill oncall diff``: a schedule change shows who would be on call differently, against a git base."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from support.org_repo import commit_all, make_repo
from support.orgfactory import NOW, SCHEDULE
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.oncall.diff import changes
from watchbill.validate import validate

runner = CliRunner()


def invoke(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["oncall", "diff", *args, "--root", str(root)], env={"WATCHBILL_NOW": NOW.isoformat(), "COLUMNS": "200"}
    )
    return result.exit_code, result.output


def test_unchanged_schedules_report_no_change(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    code, output = invoke(work, "--base", "HEAD")
    assert code == 0
    assert "No change to who is on call in the next 14 days" in output


def test_adding_a_member_shows_the_weeks_that_move(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    (work / "schedules" / "primary.yaml").write_text(SCHEDULE.replace("      - bob\n", "      - bob\n      - alice\n"))
    code, output = invoke(work, "--base", "HEAD", "--days", "28", "--markdown")
    assert code == 0
    assert "| Schedule | When | Before | After |" in output
    assert "| primary |" in output
    assert "Bob Example" in output and "Alice Example" in output


def test_a_dated_change_from_a_handoff_leaves_the_current_week_alone(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    before = validate(work, now=NOW, use_cache=False).organisation
    dated = SCHEDULE + "    changes:\n      - effective: 2026-12-07T09:00:00+01:00\n        members:\n          - bob\n"
    (work / "schedules" / "primary.yaml").write_text(dated)
    commit_all(work, "Only bob from December 7")
    after = validate(work, now=NOW, use_cache=False).organisation
    found = changes(before.schedules, after.schedules, NOW, NOW + timedelta(days=28))
    assert found, "the change must show somewhere"
    assert all(change.start >= NOW.replace(day=7, month=12, hour=8) for change in found)
    assert {change.after for change in found} == {"bob"}


def test_an_unknown_base_is_a_usage_error(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    code, output = invoke(work, "--base", "no-such-branch")
    assert code == 2
    assert "no-such-branch" in output
