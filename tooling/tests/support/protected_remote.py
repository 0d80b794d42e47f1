"""A bare remote that protects ``main`` as a GitHub branch rule does: the first push that creates ``main`` (a
person setting the repository up) is let through; every later update of ``main`` is refused with GitHub's
GH006 message and written to ``refused.log`` in the bare repository, so a test can say "nothing was even tried".

    protect(remote)                       # main: pull requests only
    protect(remote, signoff=True)         # and every pushed commit needs a Signed-off-by trailer (the DCO rule)
    protect(remote, hold="watchbill-data", crowd=2)  # also hold pushes to that branch until two arrived
    assert refused(remote) == []
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

HOOK = """\
#!{python}
import subprocess, sys, time, uuid
from pathlib import Path

ZERO = "0" * 40
here = Path.cwd()
log = here / "refused.log"
updates = [line.split() for line in sys.stdin.read().splitlines() if line.strip()]


def refuse(ref, reason):
    with log.open("a") as handle:
        handle.write(f"{{ref}}\\t{{reason}}\\n")
    print(f"error: GH006: Protected branch update failed for {{ref}}.", file=sys.stderr)
    print(f"error: {{reason}}", file=sys.stderr)
    sys.exit(1)


for old, new, ref in updates:
    if ref == "refs/heads/main" and old != ZERO:
        refuse(ref, "Changes must be made through a pull request.")
    if {signoff!r} and new != ZERO:
        commits = subprocess.run(
            ["git", "rev-list", new, "--not", "--all"], capture_output=True, text=True, check=True
        ).stdout.split()
        for commit in commits:
            body = subprocess.run(
                ["git", "log", "-1", "--format=%B", commit], capture_output=True, text=True, check=True
            ).stdout
            if "Signed-off-by: " not in body:
                refuse(ref, f"Commit {{commit[:10]}} has no Signed-off-by trailer.")

hold, crowd = {hold!r}, {crowd!r}
if hold and any(ref == f"refs/heads/{{hold}}" for _, _, ref in updates):
    arrivals = here / "arrivals"
    arrivals.mkdir(exist_ok=True)
    (arrivals / uuid.uuid4().hex).write_text("push")
    deadline = time.monotonic() + 30
    while len(list(arrivals.iterdir())) < crowd and time.monotonic() < deadline:
        time.sleep(0.02)
"""


def protect(remote: Path, *, signoff: bool = False, hold: str | None = None, crowd: int = 0) -> None:
    """Install the ``pre-receive`` hook on the bare repository ``remote`` (after ``main`` was created)."""
    script = remote / "hooks" / "pre-receive"
    script.write_text(HOOK.format(python=sys.executable, signoff=signoff, hold=hold, crowd=crowd))
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def refused(remote: Path) -> list[str]:
    """The refs the hook refused, one ``ref<TAB>reason`` line per refused push."""
    log = remote / "refused.log"
    return log.read_text().splitlines() if log.exists() else []
