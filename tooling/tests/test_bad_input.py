"""Bad input ends in a located or clear message and exit 1 (2 for usage), never exit 70 or a traceback.

One test per case issue 10 lists for input handling: numbers and durations too large for Python, tags a value
cannot hold, instants outside the supported years, a broken ``WATCHBILL_NOW``, symbolic links that loop, a
FIFO, a folder that cannot be listed, and writes that fail (file too large for the limit, impossible paths).
Each goes through the real command line: ``CliRunner(app)`` with exceptions let through (so a bug fails the
test instead of becoming exit 1), or a real ``watchbill`` process where the case needs one (a hang, a limit).
"""

from __future__ import annotations

import errno
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.orgfactory import INCIDENT, NOW, SEVERITIES, build_org
from typer.testing import CliRunner

from watchbill.cli import app

WATCHBILL = Path(sys.executable).with_name("watchbill")
AT = NOW.isoformat()
RECORD = "incidents/2026/INC-2026-0001.yaml"
OPEN = "incidents/2026/INC-2026-0002.yaml"
OPEN_INCIDENT = """\
id: INC-2026-0002
title: Slow API responses
severity: SEV-2
status: investigating
services:
  - service: api
    impact: degraded_performance
detected_by: customer
started_at: 2026-11-23T09:00:00Z
detected_at: 2026-11-23T09:10:00Z
updates:
  - at: 2026-11-23T09:15:00Z
    status: investigating
    message: We are looking into slow API responses.
"""


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env or {}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def process(*args: str, limit_bytes: int | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """A real ``watchbill`` run; ``limit_bytes`` caps the size of any file it writes (RLIMIT_FSIZE: EFBIG, as a
    full disk would fail a write). The timeout turns a hang into a failure."""

    def limit() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    env = {**os.environ, "WATCHBILL_CACHE_DIR": str((cwd or Path.cwd()) / ".cache"), "NO_COLOR": "1"}
    return subprocess.run(
        [str(WATCHBILL), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        preexec_fn=limit,
        check=False,
        cwd=cwd,
    )


def validate(root: Path, *extra: str) -> tuple[int, str, str]:
    return cli("validate", str(root), "--no-cache", "--at", AT, *extra)


def located(text: str, path: str, rule: str) -> re.Match[str] | None:
    return re.search(rf"^{re.escape(path)}:\d+:\d+: error: .* \[{rule}\]$", text, re.M)


def test_a_5000_digit_integer_is_a_located_error(tmp_path: Path) -> None:
    content = SEVERITIES.replace("resolve: 4h", "resolve: " + "9" * 5000)
    code, out, _ = validate(build_org(tmp_path, {"policies/severities.yaml": content}))
    assert code == 1
    assert re.search(r"^policies/severities\.yaml:11:16: error: number is 5,000 characters long", out, re.M), out


def test_a_duration_beyond_a_century_is_a_located_error(tmp_path: Path) -> None:
    content = SEVERITIES.replace("acknowledge: 5m", "acknowledge: 99999999999999999999d")
    code, out, _ = validate(build_org(tmp_path, {"policies/severities.yaml": content}))
    assert code == 1
    assert (
        "policies/severities.yaml:8:20: error: severities[0].targets.acknowledge: '99999999999999999999d' is too "
        "long; a duration is at most 5200w (about 100 years) [invalid-value]"
    ) in out.splitlines()


def test_a_tag_its_value_cannot_hold_is_a_located_error(tmp_path: Path) -> None:
    content = SEVERITIES.replace("acknowledge: 5m", "acknowledge: !!int abc")
    code, out, _ = validate(build_org(tmp_path, {"policies/severities.yaml": content}))
    assert code == 1
    assert (
        "policies/severities.yaml:8:20: error: 'abc' is not a valid !!int; remove the tag or write a valid value "
        "[yaml-tag]"
    ) in out.splitlines()


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-12:00"])
@pytest.mark.parametrize("command", ["validate", "oncall"])
def test_an_instant_outside_the_supported_years_is_a_usage_error(tmp_path: Path, command: str, at: str) -> None:
    root = build_org(tmp_path)
    args = [command, str(root)] if command == "validate" else [command, "--root", str(root)]
    code, _, err = cli(*args, "--at", at)
    assert code == 2
    assert f"'{at}' is outside the supported years 1970 to 9000" in err


def test_declare_refuses_a_start_outside_the_supported_years(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    code, _, err = cli(
        "declare", "--title", "Slow API", "--severity", "SEV-2", "--service", "api", "--message", "Looking.",
        "--started-at", "0001-01-01T00:00:00+01:00", "--root", str(root), "--at", AT,
    )  # fmt: skip
    assert code == 2
    assert "outside the supported years" in err
    assert not (root / OPEN).exists()


def test_watchbill_now_outside_the_supported_years_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = cli("validate", str(build_org(tmp_path)), env={"WATCHBILL_NOW": "0001-01-01T00:00:00+01:00"})
    assert code == 2
    assert "WATCHBILL_NOW: '0001-01-01T00:00:00+01:00' is outside the supported years 1970 to 9000" in err


def test_a_malformed_watchbill_now_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = cli("validate", str(build_org(tmp_path)), env={"WATCHBILL_NOW": "yesterday"})
    assert code == 2
    assert "WATCHBILL_NOW: 'yesterday' is not an ISO-8601 instant" in err


def test_a_resolution_in_year_9999_is_a_located_error(tmp_path: Path) -> None:
    content = INCIDENT.replace("resolved_at: 2026-03-02T11:00:00Z", "resolved_at: 9999-12-31T23:00:00Z")
    code, out, _ = validate(build_org(tmp_path, {RECORD: content}))
    assert code == 1
    assert (
        f"{RECORD}:14:14: error: resolved_at: '9999-12-31T23:00:00Z' is outside the supported years 1970 to 9000; "
        "check the year [invalid-value]"
    ) in out.splitlines()


def test_a_symbolic_link_to_itself_is_a_located_error(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    (root / "incidents/2026/INC-2026-0009.yaml").symlink_to("INC-2026-0009.yaml")
    code, out, _ = validate(root)
    assert code == 1
    assert (
        "incidents/2026/INC-2026-0009.yaml:1:1: error: symbolic link loops back on itself; replace it with the "
        "file itself [file-symlink]"
    ) in out.splitlines()


def test_a_symbolic_link_loop_is_a_located_error_for_each_link(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    (root / "policies/escalation/a.yaml").symlink_to("b.yaml")
    (root / "policies/escalation/b.yaml").symlink_to("a.yaml")
    code, out, _ = validate(root)
    assert code == 1
    assert located(out, "policies/escalation/a.yaml", "file-symlink")
    assert located(out, "policies/escalation/b.yaml", "file-symlink")


def test_a_fifo_is_reported_and_never_opened(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org")
    os.mkfifo(root / "incidents/2026/INC-2026-0003.yaml")
    result = process("validate", str(root), "--at", AT, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert (
        "incidents/2026/INC-2026-0003.yaml:1:1: error: this is a FIFO (named pipe), not a regular file; it is not "
        "read [file-not-regular]"
    ) in result.stdout.splitlines()
    assert "Traceback" not in result.stderr


def test_an_unreadable_folder_is_an_error_not_a_silent_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = build_org(tmp_path)
    folder = root / "incidents" / "2026"
    folder.chmod(0)
    try:
        if os.access(folder, os.R_OK):  # root reads everything: make the listing fail as a real EACCES would
            real = os.scandir

            def refuse(path: str = ".") -> Any:
                if os.fspath(path) == str(folder):
                    raise PermissionError(errno.EACCES, "Permission denied", str(folder))
                return real(path)

            monkeypatch.setattr(os, "scandir", refuse)
        code, out, err = validate(root)
    finally:
        folder.chmod(0o755)
    assert code == 1
    assert (
        "incidents/2026:1:1: error: cannot read folder: Permission denied; its files are not checked "
        "[folder-unreadable]"
    ) in out.splitlines()
    assert "1 error(s)" in err


def test_a_full_disk_leaves_the_record_intact_and_exits_1(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org", {OPEN: OPEN_INCIDENT})
    before = (root / OPEN).read_bytes()
    result = process(
        "update", "INC-2026-0002", "--message", "A fix is rolling out. " * 20, "--root", str(root), "--at", AT,
        limit_bytes=len(before) + 100, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"cannot write {root / OPEN}: File too large; the file is unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert (root / OPEN).read_bytes() == before
    assert sorted(p.name for p in (root / OPEN).parent.iterdir()) == ["INC-2026-0001.yaml", "INC-2026-0002.yaml"]


def test_schemas_to_an_impossible_folder_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    code, _, err = cli("schema", str(blocker / "schemas"))
    assert code == 1
    assert f"cannot write {blocker / 'schemas'}/" in err and "nothing was written" in err


def test_schemas_to_a_read_only_file_system_exit_1() -> None:
    code, _, err = cli("schema", "/sys/watchbill-schemas")
    assert code == 1
    assert "cannot write /sys/watchbill-schemas/" in err


def test_init_into_an_impossible_folder_exits_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    code, _, err = cli("init", str(blocker / "org"), "--at", AT)
    assert code == 1
    assert f"cannot write {blocker / 'org'}/" in err
