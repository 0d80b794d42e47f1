"""Heartbeat pings on the data branch: when each push-style probe's job last reported, and how.

A heartbeat probe is not checked from outside: the job it watches reports with ``watchbill heartbeat ping``
(or a ``watchbill-heartbeat`` repository_dispatch event the probe workflow turns into one), and each report
is recorded here, in a checkout of the data branch::

    heartbeats.json   {"format": "watchbill-heartbeats/1", "probes": {"batch/nightly": {...}}}

One entry per probe: ``last_ping`` (the latest successful report), ``pings`` (how many), and for a job that
reports its own failure (``--fail``, as healthchecks.io's ``/fail``) ``last_fail``, ``fails`` and the job's
``message``. Recording keeps the later of two instants, so a ping replayed on a newer tip (two jobs
reporting at once, see ``Repository.publish``) or arriving late never moves an entry back in time. A damaged
file is reported as a problem and read as empty; the next ping rewrites it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..fields import format_instant, parse_instant
from ..files.atomic import write_text_atomic
from ..problems import Problem

FILE = "heartbeats.json"
FORMAT = "watchbill-heartbeats/1"
MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Heartbeat:
    """What the data branch knows of one heartbeat probe (key ``service/probe``)."""

    key: str
    last_ping: datetime | None = None
    pings: int = 0
    last_fail: datetime | None = None
    fails: int = 0
    message: str | None = None
    """What the job said with its last failure report, if anything."""

    @property
    def failed_last(self) -> bool:
        """The job's latest report was a failure."""
        return self.last_fail is not None and (self.last_ping is None or self.last_fail > self.last_ping)


@dataclass(frozen=True)
class Heartbeats:
    probes: dict[str, Heartbeat]
    problems: tuple[Problem, ...] = ()


def read(directory: Path) -> Heartbeats:
    """The pings in a checkout of the data branch; none yet (or no checkout) is empty."""
    path = directory / FILE
    if not path.is_file():
        return Heartbeats({})
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f'not a heartbeats file (expected "format": "{FORMAT}")')
        return Heartbeats({key: _entry(key, value) for key, value in dict(data.get("probes") or {}).items()})
    except (OSError, ValueError, TypeError, KeyError) as exc:
        problem = Problem(FILE, 1, 1, "warning", f"heartbeat pings unreadable, read as none: {exc}", "probe-data")
        return Heartbeats({}, (problem,))


def _entry(key: str, value: Any) -> Heartbeat:
    if not isinstance(value, dict):
        raise ValueError(f"{key}: not an object")
    message = value.get("message")
    return Heartbeat(
        key=key,
        last_ping=_instant(value.get("last_ping")),
        pings=int(value.get("pings") or 0),
        last_fail=_instant(value.get("last_fail")),
        fails=int(value.get("fails") or 0),
        message=None if message is None else str(message)[:MESSAGE_LIMIT],
    )


def _instant(value: Any) -> datetime | None:
    return None if value is None else parse_instant(str(value)).astimezone(UTC)


def record(directory: Path, key: str, at: datetime, *, failed: bool = False, message: str | None = None) -> Heartbeat:
    """Add one report to a checkout of the data branch and return the probe's entry as it now stands."""
    current = read(directory).probes
    entry = current.get(key) or Heartbeat(key)
    at = at.astimezone(UTC)
    if failed:
        text = " ".join((message or "").split())[:MESSAGE_LIMIT] or None
        latest = entry.last_fail is None or at >= entry.last_fail
        entry = replace(
            entry,
            last_fail=at if latest else entry.last_fail,
            fails=entry.fails + 1,
            message=text if latest else entry.message,
        )
    else:
        newest = at if entry.last_ping is None else max(entry.last_ping, at)
        entry = replace(entry, last_ping=newest, pings=entry.pings + 1)
    current[key] = entry
    write(directory, current)
    return entry


def write(directory: Path, probes: dict[str, Heartbeat]) -> None:
    data = {"format": FORMAT, "probes": {key: _plain(probes[key]) for key in sorted(probes)}}
    write_text_atomic(directory / FILE, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def _plain(entry: Heartbeat) -> dict[str, Any]:
    data: dict[str, Any] = {"last_ping": _text(entry.last_ping), "pings": entry.pings}
    if entry.fails:
        data.update(last_fail=_text(entry.last_fail), fails=entry.fails, message=entry.message)
    return data


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else format_instant(moment)


__all__ = ["FILE", "FORMAT", "Heartbeat", "Heartbeats", "read", "record"]
