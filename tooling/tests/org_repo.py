"""A real organisation repository for tests: a clone with commits and a bare repository on disk as origin.

work, remote = make_repo(tmp_path)                         # the minimal organisation, pushed to main
work, remote = make_repo(tmp_path, {"incidents/...": text})  # with files added or replaced
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from orgfactory import build_org

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Person",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test Person",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(cwd: Path, *args: str) -> str:
    """Run git and return its output; a failure raises with git's own message."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def make_repo(tmp_path: Path, changes: Mapping[str, str | bytes | None] | None = None) -> tuple[Path, Path]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    work = build_org(tmp_path / "work", changes)
    commit_all(work, "Organisation")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "--quiet", "--set-upstream", "origin", "main")
    return work, remote


def commit_all(work: Path, message: str) -> None:
    if not (work / ".git").exists():
        git(work, "init", "--quiet", "--initial-branch=main")
        git(work, "config", "user.name", "Test Person")
        git(work, "config", "user.email", "test@example.com")
        git(work, "config", "commit.gpgsign", "false")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", message)


def remote_file(remote: Path, branch: str, relative: str) -> str:
    """A file as the remote has it on ``branch``: what a reviewer of the pull request would see."""
    return git(remote, "show", f"refs/heads/{branch}:{relative}") + "\n"


def remote_log(remote: Path, branch: str) -> list[str]:
    return git(remote, "log", "--format=%s", f"refs/heads/{branch}").splitlines()
