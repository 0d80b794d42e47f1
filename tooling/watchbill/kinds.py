"""Which model a file holds is decided by where it lives, so files need no ``kind:`` boilerplate."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from .models import (
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
from .problems import Problem

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


def kind_of(relative: PurePosixPath) -> str | None:
    """The kind for a path relative to the organisation's root, or None for a file we do not know."""
    parts = relative.parts
    stem = relative.stem
    if len(parts) < 2 or relative.suffix not in YAML_SUFFIXES:
        return None
    top = parts[0]
    if top == "policies":
        if len(parts) == 2 and stem in ("settings", "severities", "channels", "services"):
            return stem
        if len(parts) == 3 and parts[1] == "escalation":
            return "escalation"
    elif top == "schedules" and len(parts) == 2:
        return "people" if stem == "people" else "schedule"
    elif top == "incidents":
        if len(parts) == 3 and parts[1] == "maintenance":
            return "maintenance"
        if len(parts) == 3 and parts[1].isdigit():
            return "incident"
    return None


@dataclass(frozen=True)
class FoundFile:
    path: Path
    relative: str
    kind: str


def discover(root: Path) -> tuple[list[FoundFile], list[Problem]]:
    """Every YAML file under the data folders, with a problem for each one we cannot place or trust.

    Walks with os.walk and plain strings: pathlib's per-file overhead is a tenth of a validation run at
    10,000 files. Hidden folders and files are skipped; symbolic links out of the repository are refused.
    """
    found: list[FoundFile] = []
    problems: list[Problem] = []
    resolved_root = root.resolve()
    for folder in DATA_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for directory, subdirs, names in os.walk(base, followlinks=False):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            prefix = os.path.relpath(directory, root).replace(os.sep, "/")
            for name in sorted(names):
                if name.startswith(".") or not name.endswith(YAML_SUFFIXES):
                    continue
                relative = f"{prefix}/{name}"
                path = Path(directory, name)
                if path.is_symlink() and not path.resolve().is_relative_to(resolved_root):
                    problems.append(_symlink_problem(relative))
                    continue
                kind = kind_of(PurePosixPath(relative))
                if kind is None:
                    problems.append(
                        Problem(
                            relative,
                            1,
                            1,
                            "warning",
                            "file is not where any kind of record lives, so it is not "
                            "checked; see the README's 'Files' section for the layout",
                            "unknown-file",
                        )
                    )
                    continue
                found.append(FoundFile(path, relative, kind))
    return found, problems


def _symlink_problem(relative: str) -> Problem:
    return Problem(
        relative,
        1,
        1,
        "error",
        "symbolic link points outside the repository; replace it with the file itself",
        "file-symlink",
    )
