"""Which model a file holds is decided by where it lives, so files need no ``kind:`` boilerplate."""

from __future__ import annotations

import errno
import operator
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from ..models import (
    ChannelsFile,
    EscalationPolicy,
    Incident,
    Maintenance,
    PeopleFile,
    Schedule,
    ServicesFile,
    Settings,
    SeveritiesFile,
)
from ..problems import Problem
from .loader import not_regular

YAML_SUFFIXES = (".yaml", ".yml")
DATA_FOLDERS = ("incidents", "policies", "schedules")


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[BaseModel]
    schema_file: str
    description: str


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("settings", Settings, "settings.schema.json", "policies/settings.yaml"),
        Kind("severities", SeveritiesFile, "severities.schema.json", "policies/severities.yaml"),
        Kind("channels", ChannelsFile, "channels.schema.json", "policies/channels.yaml"),
        Kind("services", ServicesFile, "services.schema.json", "policies/services.yaml"),
        Kind("escalation", EscalationPolicy, "escalation.schema.json", "policies/escalation/<id>.yaml"),
        Kind("people", PeopleFile, "people.schema.json", "schedules/people.yaml"),
        Kind("schedule", Schedule, "schedule.schema.json", "schedules/<id>.yaml"),
        Kind("incident", Incident, "incident.schema.json", "incidents/<year>/INC-<year>-<nnnn>.yaml"),
        Kind("maintenance", Maintenance, "maintenance.schema.json", "incidents/maintenance/MNT-<year>-<nnnn>.yaml"),
    )
}


_POLICY_FILES = frozenset({"settings", "severities", "channels", "services"})


def kind_of(relative: PurePosixPath) -> str | None:
    """The kind for a path relative to the organisation's root, or None for a file we do not know."""
    return _kind(relative.parts, relative.stem, relative.suffix)


def _kind(parts: tuple[str, ...], stem: str, suffix: str) -> str | None:
    if len(parts) < 2 or suffix not in YAML_SUFFIXES:
        return None
    placed = _PLACES.get(parts[0])
    return placed(parts, stem) if placed else None


def _policies_kind(parts: tuple[str, ...], stem: str) -> str | None:
    if len(parts) == 2 and stem in _POLICY_FILES:
        return stem
    return "escalation" if len(parts) == 3 and parts[1] == "escalation" else None


def _schedules_kind(parts: tuple[str, ...], stem: str) -> str | None:
    if len(parts) != 2:
        return None
    return "people" if stem == "people" else "schedule"


def _incidents_kind(parts: tuple[str, ...], stem: str) -> str | None:
    if len(parts) != 3:
        return None
    if parts[1] == "maintenance":
        return "maintenance"
    return "incident" if parts[1].isdigit() else None


_PLACES: dict[str, Callable[[tuple[str, ...], str], str | None]] = {
    "policies": _policies_kind,
    "schedules": _schedules_kind,
    "incidents": _incidents_kind,
}


Stat = tuple[int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode) of a file as listed."""


class FoundFile:
    """A data file to check: where it is, its path from the root (with ``/``), its kind, and its stat as listed
    (for caches that skip reading unchanged files). The :class:`~pathlib.Path` is made only when asked for:
    at 10,000 files that is a tenth of a warm validation."""

    __slots__ = ("_path", "kind", "relative", "stat")

    def __init__(self, path: Path | str, relative: str, kind: str, stat: Stat | None = None) -> None:
        self._path = path
        self.relative = relative
        self.kind = kind
        self.stat = stat

    @property
    def path(self) -> Path:
        if isinstance(self._path, str):
            self._path = Path(self._path)
        return self._path

    @property
    def location(self) -> str:
        """The path as text, without making a Path."""
        return str(self._path)

    def __repr__(self) -> str:
        return f"FoundFile({self.relative!r}, kind={self.kind!r})"


def discover(root: Path, folders: tuple[str, ...] = DATA_FOLDERS) -> tuple[list[FoundFile], list[Problem]]:
    """Every YAML file under the data folders, with a problem for each one we cannot place or trust.

    Walks with ``os.scandir`` and plain strings: the listing already says which entries are links and folders,
    so a regular file costs one ``stat`` (pathlib's per-file overhead was a tenth of a run at 10,000 files).
    Hidden folders and files are skipped, links to folders are not followed; a folder that cannot be listed
    is an error (its files would otherwise go unchecked without a word), and so is a file that must not be
    opened.
    """
    found: list[FoundFile] = []
    problems: list[Problem] = []
    resolved_root = root.resolve()
    for folder in folders:
        base = root / folder
        if base.is_dir():
            _walk(root, str(base), folder, resolved_root, found, problems)
    return found, problems


def _walk(
    root: Path, directory: str, prefix: str, resolved_root: Path, found: list[FoundFile], problems: list[Problem]
) -> None:
    """One folder's files in name order, then its sub-folders in name order (as ``os.walk`` goes)."""
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=_NAME)
    except OSError as exc:
        where = os.path.relpath(exc.filename, root).replace(os.sep, "/") if exc.filename else prefix
        problems.append(_error(where, f"cannot read folder: {exc.strerror or exc}; its files are not checked"))
        return
    subdirs: list[os.DirEntry[str]] = []
    parts = tuple(prefix.split("/"))
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if _is_dir(entry):
            if not entry.is_symlink():
                subdirs.append(entry)
            continue
        if entry.name.endswith(YAML_SUFFIXES):
            _add_file(entry, parts, f"{prefix}/{entry.name}", resolved_root, found, problems)
    for entry in subdirs:
        _walk(root, entry.path, f"{prefix}/{entry.name}", resolved_root, found, problems)


_NAME = operator.attrgetter("name")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _add_file(
    entry: os.DirEntry[str],
    parts: tuple[str, ...],
    relative: str,
    resolved_root: Path,
    found: list[FoundFile],
    problems: list[Problem],
) -> None:
    """``parts`` are the folder's, from the root."""
    refused: Problem | None = None
    info: os.stat_result | None = None
    if entry.is_symlink():
        refused = _refusal(Path(entry.path), relative, resolved_root)
    else:
        try:
            info = entry.stat()
        except OSError:
            refused = _refusal(Path(entry.path), relative, resolved_root)
        else:
            refused = None if stat.S_ISREG(info.st_mode) else not_regular(relative, info.st_mode).problem
    stem, _, suffix = entry.name.rpartition(".")  # the name ends in .yaml or .yml
    kind = _kind((*parts, entry.name), stem, "." + suffix)
    if refused is not None or kind is None:
        problems.append(refused or _unknown_file(relative))
        return
    key = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino) if info is not None else None
    found.append(FoundFile(entry.path, relative, kind, key))


def _refusal(path: Path, relative: str, resolved_root: Path) -> Problem | None:
    """Why a file must not be opened: a link that loops, dangles or leaves the repository, or anything that
    is not a regular file (a FIFO would block the reader for ever). None when it may be read."""
    try:
        info = path.stat()
    except OSError as exc:
        if not path.is_symlink():
            return _error(relative, f"cannot read file: {exc.strerror or exc}", "file-unreadable")
        trouble = "loops back on itself" if exc.errno == errno.ELOOP else "points to nothing"
        return _error(relative, f"symbolic link {trouble}; replace it with the file itself", "file-symlink")
    if path.is_symlink() and not path.resolve().is_relative_to(resolved_root):
        return _error(
            relative, "symbolic link points outside the repository; replace it with the file itself", "file-symlink"
        )
    if not stat.S_ISREG(info.st_mode):
        return not_regular(relative, info.st_mode).problem
    return None


def _error(relative: str, message: str, rule: str = "folder-unreadable") -> Problem:
    return Problem(relative, 1, 1, "error", message, rule)


def _unknown_file(relative: str) -> Problem:
    return Problem(
        relative,
        1,
        1,
        "warning",
        "file is not where any kind of record lives, so it is not checked; see the README's 'Files' section "
        "for the layout",
        "unknown-file",
    )
