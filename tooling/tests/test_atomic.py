"""A run killed in the middle of writing leaves the old record or the new one, never a mix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from support.orgfactory import NOW, build_org

from watchbill.files.atomic import write_text_atomic
from watchbill.validate import validate

WRITER = """
import sys
from pathlib import Path
from watchbill.files.atomic import write_text_atomic
target = Path(sys.argv[1])
n = 0
while True:
    n += 1
    body = f"# version {n}\\n" + ("x" * 200_000) + f"\\n# end {n}\\n"
    write_text_atomic(target, body)
    print(n, flush=True)
"""


def test_killed_writer_leaves_a_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "record.txt"
    write_text_atomic(target, "# version 0\n# end 0\n")
    for round_ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        proc.stdout.readline()  # at least one write finished; the next is in flight
        time.sleep(0.003 * round_)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        text = target.read_text()
        first, last = text.splitlines()[0], text.splitlines()[-1]
        assert first.startswith("# version ") and last == first.replace("version", "end"), (first, last)


def test_leftover_temporary_files_are_not_read_as_records(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    (root / "incidents" / "2026" / ".INC-2026-0001.yaml.abc123.tmp").write_text("id: broken\n")
    report = validate(root, now=NOW, use_cache=False)
    assert report.problems == []


def test_write_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "f.yaml"
    target.write_text("a: 1\n")
    target.chmod(0o640)
    write_text_atomic(target, "a: 2\n")
    assert target.stat().st_mode & 0o777 == 0o640
