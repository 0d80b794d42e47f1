"""The organisation as it was at another git revision, for before/after comparisons in review."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from .errors import UsageError
from .files.kinds import DATA_FOLDERS
from .organisation import Organisation
from .validate import validate


class RevisionError(UsageError):
    """The revision does not exist or git could not be run."""


def export_revision(repository: Path, revision: str, target: Path) -> Path:
    """Write the data folders of ``revision`` under ``target`` (read-only use; never touches the work tree)."""
    if revision.startswith("-"):
        raise RevisionError(f"'{revision}' is not a revision")
    present = subprocess.run(
        ["git", "-C", str(repository), "ls-tree", "--name-only", revision, "--", *DATA_FOLDERS],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if present.returncode != 0:
        raise RevisionError(f"git cannot read revision '{revision}': {present.stderr.strip()}")
    folders = present.stdout.split()
    target.mkdir(parents=True, exist_ok=True)
    if not folders:
        return target
    archive = subprocess.run(
        ["git", "-C", str(repository), "archive", "--format=tar", revision, "--", *folders],
        capture_output=True,
        check=False,
        timeout=120,
    )
    if archive.returncode != 0:
        raise RevisionError(f"git archive failed for '{revision}': {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")  # refuses links and paths that leave the target
    return target


def organisation_at(repository: Path, revision: str, *, now: datetime) -> Organisation:
    """The organisation as ``revision`` held it; read leniently, so a base with errors can still be compared."""
    with tempfile.TemporaryDirectory(prefix="watchbill-base-") as tmp:
        export_revision(repository, revision, Path(tmp))
        return validate(Path(tmp), now=now, use_cache=False).organisation
