"""``oncall diff`` reads only schedules and people: at the base from git's objects, here from the work tree."""

from __future__ import annotations

from pathlib import Path

from support.org_repo import commit_all, make_repo
from support.orgfactory import NOW, SCHEDULE
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.revision import roster_at

runner = CliRunner()


def invoke(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["oncall", "diff", *args, "--root", str(root)], env={"WATCHBILL_NOW": NOW.isoformat(), "COLUMNS": "200"}
    )
    return result.exit_code, result.output


def test_incidents_are_not_read_on_either_side(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    broken = work / "incidents" / "2026" / "INC-2026-0999.yaml"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("id: [unclosed\n")
    commit_all(work, "A broken incident at the base")
    code, output = invoke(work, "--base", "HEAD")
    assert code == 0, output
    assert "No change to who is on call" in output


def test_a_schedule_with_an_error_in_the_work_tree_stops_the_comparison_where_it_is(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    (work / "schedules" / "primary.yaml").write_text(SCHEDULE.replace("timezone: Europe/Berlin", "timezone: [x"))
    code, output = invoke(work, "--base", "HEAD")
    assert code == 1
    assert "schedules/primary.yaml:" in output


def test_the_base_is_read_from_git_objects_not_the_work_tree(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    (work / "schedules" / "primary.yaml").unlink()
    base = roster_at(work, "HEAD")
    assert "primary" in base.schedules and "alice" in base.people


def test_a_schedule_that_failed_to_load_at_the_base_counts_as_absent_there(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    (work / "schedules" / "primary.yaml").write_text("id: primary\nlayers: nonsense\n")
    commit_all(work, "Break the schedule at the base")
    assert "primary" not in roster_at(work, "HEAD").schedules
    (work / "schedules" / "primary.yaml").write_text(SCHEDULE)
    code, output = invoke(work, "--base", "HEAD", "--format", "json")
    assert code == 0, output
    assert '"before": null' in output
