"""What keeps the CLI fast where people wait must not change what it prints: the calendar reuses an instant's
text for the next row only within one schedule's zone, and a process that leaves its objects to the system at
exit still writes everything and runs its exit handlers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.orgfactory import NOW, SCHEDULE, build_org

from watchbill.cli.oncall import _calendar_text
from watchbill.oncall.queries import Timeline
from watchbill.oncall.render import Shift
from watchbill.validate import load_organisation

REPO = Path(__file__).resolve().parents[2]
SECOND = SCHEDULE.replace("id: primary", "id: secondary").replace(
    "timezone: Europe/Berlin", "timezone: America/New_York"
)


def test_a_shared_instant_reads_in_each_schedules_own_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = build_org(tmp_path, {"schedules/secondary.yaml": SECOND})
    org = load_organisation(root, now=NOW)
    handover = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # one object: ends one row, starts the next
    rows = [
        Shift("primary", "alice", datetime(2026, 11, 23, 8, 0, tzinfo=UTC), handover, "Weekly"),
        Shift("secondary", "bob", handover, datetime(2026, 11, 23, 20, 0, tzinfo=UTC), "Weekly"),
    ]
    _calendar_text(org, Timeline(rows[0].start, rows[1].end, iter(rows)), ["primary", "secondary"])
    first, second = capsys.readouterr().out.splitlines()[1:]
    assert "Mon 2026-11-23 13:00 CET  " in first
    assert "Mon 2026-11-23 07:00 EST  " in second and "CET" not in second


@pytest.mark.slow
def test_the_command_line_still_writes_everything_and_runs_exit_handlers(tmp_path: Path) -> None:
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: sys.stderr.write(f'frozen at exit: {gc.get_freeze_count() > 0}\\n'))\n"
        "from watchbill.cli import main\n"
        "main()\n"
    )
    args = ["oncall", "calendar", "--root", str(REPO), "--from", "2026-01-01", "--to", "2026-12-31", "-f", "json"]
    env = {"PATH": "/usr/bin:/bin", "WATCHBILL_NOW": "2026-11-23T12:00:00Z", "WATCHBILL_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "frozen at exit: True" in done.stderr
    shifts = json.loads(done.stdout)["shifts"]  # the whole document, to its last brace
    assert len(shifts) > 300 and shifts[-1]["end"] == "2027-01-01T00:00:00Z"
