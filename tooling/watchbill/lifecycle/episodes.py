"""The ledger of open episodes, kept on the data branch next to the probe data.

An episode is one failing stretch of one probe and the incident record it opened. The data branch is the
one place every probe run writes to in turn (a rejected push is fetched, replayed and pushed again), so
allocating an incident id and claiming an episode there is what makes two runs at once, or one run
repeated, produce exactly one incident and one pull request.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import StateError
from ..fields import format_instant, parse_instant
from ..files.atomic import write_text_atomic

FILE = "episodes.json"
FORMAT = "watchbill-episodes/1"


@dataclass(frozen=True)
class Episode:
    probe: str
    """``service/probe``"""
    incident: str
    path: str
    """Record's path relative to the organisation root."""
    branch: str | None
    """Pull-request branch; None when records are committed to the base branch directly."""
    started_at: datetime
    detected_at: datetime

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = format_instant(self.started_at)
        data["detected_at"] = format_instant(self.detected_at)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Episode:
        return cls(
            probe=str(data["probe"]),
            incident=str(data["incident"]),
            path=str(data["path"]),
            branch=None if data.get("branch") is None else str(data["branch"]),
            started_at=parse_instant(data["started_at"]),
            detected_at=parse_instant(data["detected_at"]),
        )


@dataclass
class Ledger:
    episodes: dict[str, Episode] = field(default_factory=dict)
    issued: dict[str, int] = field(default_factory=dict)
    """Highest incident number handed out per year, so an id is never reused even after its episode ends."""

    def issue(self, year: int, at_least: int) -> str:
        number = max(self.issued.get(str(year), 0) + 1, at_least)
        self.issued[str(year)] = number
        return f"INC-{year:04d}-{number:04d}"

    def renumber(self, probe: str, incident: str, path: str) -> None:
        self.episodes[probe] = replace(self.episodes[probe], incident=incident, path=path)


class LedgerError(StateError):
    """The ledger cannot be read; the message is the reason, the caller names the file and its place."""


def load(directory: Path) -> Ledger:
    path = directory / FILE
    if not path.exists():
        return Ledger()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LedgerError(str(exc)) from None
    return parse(text)


def parse(text: str) -> Ledger:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LedgerError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LedgerError("not a watchbill episodes file")
    try:
        episodes = {key: Episode.from_json(value) for key, value in data.get("episodes", {}).items()}
        issued = {str(year): int(number) for year, number in data.get("issued", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LedgerError(f"an entry is damaged ({type(exc).__name__}: {exc})") from None
    return Ledger(episodes, issued)


def save(directory: Path, ledger: Ledger) -> None:
    data = {
        "format": FORMAT,
        "episodes": {key: ledger.episodes[key].to_json() for key in sorted(ledger.episodes)},
        "issued": dict(sorted(ledger.issued.items())),
    }
    write_text_atomic(directory / FILE, json.dumps(data, indent=1, sort_keys=False) + "\n")
