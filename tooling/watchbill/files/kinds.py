"""Which model a file holds is decided by where it lives, so files need no ``kind:`` boilerplate."""

from __future__ import annotations

import errno
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
    parts = relative.parts
    if len(parts) < 2 or relative.suffix not in YAML_SUFFIXES:
        return None
    placed = _PLACES.get(parts[0])
    return placed(parts, relative.stem) if placed else None


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


@dataclass(frozen=True)
class FoundFile:
    path: Path
    relative: str
    kind: str


def discover(root: Path, folders: tuple[str, ...] = DATA_FOLDERS) -> tuple[list[FoundFile], list[Problem]]:
    """Every YAML file under the data folders, with a problem for each one we cannot place or trust.

    Walks with os.walk and plain strings: pathlib's per-file overhead is a tenth of a validation run at
    10,000 files. Hidden folders and files are skipped; a folder that cannot be listed is an error (its
    files would otherwise go unchecked without a word), and so is a file that must not be opened.
    """
    found: list[FoundFile] = []
    problems: list[Problem] = []
    resolved_root = root.resolve()

    def unlisted(exc: OSError) -> None:
        where = os.path.relpath(exc.filename, root).replace(os.sep, "/") if exc.filename else "."
        problems.append(_error(where, f"cannot read folder: {exc.strerror or exc}; its files are not checked"))

    for folder in folders:
        base = root / folder
        if not base.is_dir():
            continue
        for directory, subdirs, names in os.walk(base, onerror=unlisted, followlinks=False):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            prefix = os.path.relpath(directory, root).replace(os.sep, "/")
            for name in sorted(names):
                if name.startswith(".") or not name.endswith(YAML_SUFFIXES):
                    continue
                relative = f"{prefix}/{name}"
                path = Path(directory, name)
                refused = _refusal(path, relative, resolved_root)
                kind = kind_of(PurePosixPath(relative))
                if refused is not None or kind is None:
                    problems.append(refused or _unknown_file(relative))
                    continue
                found.append(FoundFile(path, relative, kind))
    return found, problems


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
