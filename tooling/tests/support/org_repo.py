"""A real organisation repository for tests: a clone with commits and a bare repository on disk as origin.

work, remote = make_repo(tmp_path)                         # the minimal organisation, pushed to main
work, remote = make_repo(tmp_path, {"incidents/...": text})  # with files added or replaced
runner = clone(remote, tmp_path / "runner")                # a fresh checkout, as a CI job or a person has it
incident = remote_record(remote, "watchbill/inc-2026-0002", "incidents/2026/INC-2026-0002.yaml")
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from support.orgfactory import build_org
from watchbill.files.loader import parse
from watchbill.models import Incident

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Person",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test Person",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}
"""Who the tests' own git commands commit as, whatever the machine's git configuration says."""


def git(cwd: Path, *args: str) -> str:
    """Run git as :data:`IDENTITY` and return its output; a failure raises with git's own message."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **IDENTITY},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def make_repo(tmp_path: Path, changes: Mapping[str, str | bytes | None] | None = None) -> tuple[Path, Path]:
    """The minimal organisation (with ``changes``) committed in ``tmp_path/work`` and pushed to ``main`` of
    the bare repository ``tmp_path/remote.git``, its origin."""
    work = build_org(tmp_path / "work", changes)
    return work, publish(work, tmp_path / "remote.git", "Organisation")


def publish(work: Path, remote: Path, message: str) -> Path:
    """Commit everything in ``work`` and push it as ``main`` of a new bare repository at ``remote``."""
    git(remote.parent, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    commit_all(work, message)
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "--quiet", "--set-upstream", "origin", "main")
    return remote


def commit_all(work: Path, message: str) -> None:
    if not (work / ".git").exists():
        git(work, "init", "--quiet", "--initial-branch=main")
        configure(work)
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", message)


def configure(work: Path) -> None:
    """Give a checkout a committer of its own, as a person's clone has: watchbill commits as the repository's
    configured user."""
    git(work, "config", "user.name", "Test Person")
    git(work, "config", "user.email", "test@example.com")
    git(work, "config", "commit.gpgsign", "false")


def clone(remote: Path, where: Path, *, branch: str | None = None) -> Path:
    """A fresh clone of ``remote`` at ``where`` (of ``branch``, else the default branch), configured as
    :func:`configure` does."""
    extra = ["--branch", branch] if branch else []
    git(where.parent, "clone", "--quiet", *extra, str(remote), str(where))
    configure(where)
    return where


def remote_file(remote: Path, branch: str, relative: str) -> str:
    """A file as the remote has it on ``branch``: what a reviewer of the pull request would see."""
    return git(remote, "show", f"refs/heads/{branch}:{relative}") + "\n"


def remote_record(remote: Path, branch: str, relative: str) -> Incident:
    """The incident record at ``relative`` as the remote has it on ``branch``."""
    return Incident.model_validate(parse(remote_file(remote, branch, relative), relative).data)


def remote_log(remote: Path, branch: str) -> list[str]:
    return git(remote, "log", "--format=%s", f"refs/heads/{branch}").splitlines()


def remote_branches(remote: Path) -> list[str]:
    """The branches the remote has, sorted by name."""
    return sorted(git(remote, "for-each-ref", "--format=%(refname:short)", "refs/heads").split())
