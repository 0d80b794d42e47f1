"""The organisation as it was at another git revision, for before/after comparisons in review.

A schedule review needs only schedules and people, so that is all it reads: the base revision's files come
straight from git's object store (``git cat-file --batch``, no checkout, no temporary copy) and the work
tree's from the ``schedules/`` folder. A repository with ten thousand incidents costs what one without costs.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from .errors import UsageError
from .files.kinds import DATA_FOLDERS, KINDS, FoundFile, discover, kind_of
from .files.loader import decode, parse
from .oncall.diff import Review, review
from .organisation import InvalidOrganisation, Organisation
from .problems import LocatedError
from .validate import assemble, check_files, validate

ROSTER_FOLDERS = ("schedules",)
"""Where schedules and the people they name live."""


class RevisionError(UsageError):
    """The revision does not exist or git could not be run."""


def _git(repository: Path, revision: str, *args: str, stdin: bytes | None = None, timeout: float = 60) -> bytes:
    if revision.startswith("-"):
        raise RevisionError(f"'{revision}' is not a revision")
    try:
        done = subprocess.run(
            ["git", "-C", str(repository), *args], input=stdin, capture_output=True, check=False, timeout=timeout
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise RevisionError(f"cannot run git to read revision '{revision}': {exc}") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip()
        raise RevisionError(f"git cannot read revision '{revision}': {reason}")
    return done.stdout


def export_revision(repository: Path, revision: str, target: Path) -> Path:
    """Write the data folders of ``revision`` under ``target`` (read-only use; never touches the work tree)."""
    listing = _git(repository, revision, "ls-tree", "--name-only", revision, "--", *DATA_FOLDERS)
    folders = listing.decode().split()
    target.mkdir(parents=True, exist_ok=True)
    if not folders:
        return target
    archive = _git(repository, revision, "archive", "--format=tar", revision, "--", *folders, timeout=120)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")  # refuses links and paths that leave the target
    return target


def organisation_at(repository: Path, revision: str, *, now: datetime) -> Organisation:
    """The whole organisation as ``revision`` held it; read leniently, so a base with errors can be compared."""
    with tempfile.TemporaryDirectory(prefix="watchbill-base-") as tmp:
        export_revision(repository, revision, Path(tmp))
        return validate(Path(tmp), now=now, use_cache=False).organisation


def _blobs(repository: Path, revision: str, folders: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """(path, bytes) of every file under ``folders`` at ``revision``, read in one ``git cat-file`` call."""
    listing = _git(repository, revision, "ls-tree", "-r", "-z", "--name-only", revision, "--", *folders)
    paths = [p for p in listing.decode("utf-8", errors="replace").split("\0") if p and "\n" not in p]
    if not paths:
        return []
    request = "".join(f"{revision}:{p}\n" for p in paths).encode()
    output = _git(repository, revision, "cat-file", "--batch", stdin=request)
    blobs, offset = [], 0
    for path in paths:
        header_end = output.index(b"\n", offset)
        header = output[offset:header_end].split()
        offset = header_end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # "missing" or a submodule: nothing to read
        size = int(header[2])
        blobs.append((path, output[offset : offset + size]))
        offset += size + 1
    return blobs


def roster_at(repository: Path, revision: str) -> Organisation:
    """Schedules and people as ``revision`` held them; a file that fails to load there is simply absent."""
    results = []
    for path, raw in _blobs(repository, revision, ROSTER_FOLDERS):
        kind = kind_of(PurePosixPath(path))
        if kind is None:
            continue
        try:
            model = KINDS[kind].model.model_validate(parse(decode(raw, path), path, positions=False).data)
        except (LocatedError, ValidationError):
            continue
        results.append((FoundFile(repository / path, path, kind), model, ()))
    organisation, _ = assemble(repository, results)
    return organisation


def roster(root: Path) -> Organisation:
    """Schedules and people in the work tree, strictly: a file with an error stops the comparison."""
    files, problems = discover(root, ROSTER_FOLDERS)
    results, _ = check_files(files, None, jobs=1)
    problems += [p for _, _, found in results for p in found]
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise InvalidOrganisation(errors)
    organisation, _ = assemble(root, results)
    return organisation


@dataclass(frozen=True)
class ScheduleReview:
    base: str
    review: Review
    current: Organisation
    """The work tree's schedules and people (only those), for names and time zones."""


def review_schedules(root: Path, base: str, *, now: datetime, days: int) -> ScheduleReview:
    """Who would be on call differently in the next ``days`` days than at ``base``: reads nothing else."""
    current = roster(root)
    before = roster_at(root, base)
    return ScheduleReview(base, review(before.schedules, current.schedules, now=now, days=days), current)
