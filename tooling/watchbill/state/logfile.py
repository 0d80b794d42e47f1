"""The day log: one small text file per UTC day, appended to by every probe run, never rewritten.

    #watchbill-log 1
    #state  {"last_run": "...", "probes": {"api/health": {"ok": true, "cf": 0, "cs": 41, ...}}}
    #probe  api/health
    #probe  db/port
    43215   9f2c01ab    0=123   1!!cannot connect to port 5432: Connection refused

After the header (the streaks as they stood when the day began) come ``#probe`` lines, which number the
probes in order of first appearance, and run lines: seconds since the day's midnight UTC (negative for a
late run from the day before), a run id that makes recording idempotent, then ``i=latency`` for a pass
and ``i!latency!error`` for a failure. Git stores each appended line as a tiny delta; a day file stops
changing at midnight, so delta chains stay short and the packed repository grows by roughly the
compressed size of the lines themselves.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ..fields import format_instant, parse_instant
from ..problems import Problem
from .streak import Streak

MAGIC = "#watchbill-log 1"
LOG_DIR = "log"
SUFFIX = ".tsv"
NOT_TEXT = "damaged line skipped: not UTF-8 text"


@dataclass(frozen=True)
class LogEntry:
    key: str
    ok: bool
    latency: float | None
    error: str | None


@dataclass(frozen=True)
class Run:
    at: datetime
    run_id: str
    entries: tuple[LogEntry, ...]


@dataclass
class DayLog:
    """A parsed day file; damaged lines are skipped and reported, never fatal."""

    day: date
    path: Path
    relative: str
    checkpoint: dict[str, Streak] = field(default_factory=dict)
    last_run: datetime | None = None
    names: list[str] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    run_ids_seen: set[str] = field(default_factory=set)

    @property
    def run_ids(self) -> set[str]:
        return self.run_ids_seen | {run.run_id for run in self.runs}


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def log_path(directory: Path, day: date) -> Path:
    return directory / LOG_DIR / f"{day.isoformat()}{SUFFIX}"


def log_days(directory: Path) -> list[date]:
    """Days that have a log file, oldest first; files with other names are not ours and are left alone."""
    folder = directory / LOG_DIR
    if not folder.is_dir():
        return []
    days: list[date] = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            days.append(date.fromisoformat(path.name[: -len(SUFFIX)]))
        except ValueError:
            continue
    return sorted(days)


def clean_error(text: str | None) -> str:
    return " ".join((text or "").replace("\t", " ").split())[:300]


def format_latency(latency: float | None) -> str:
    return "" if latency is None else str(round(latency))


def header(checkpoint: dict[str, Streak], last_run: datetime | None) -> str:
    state: dict[str, Any] = {"probes": {key: checkpoint[key].to_json() for key in sorted(checkpoint)}}
    if last_run is not None:
        state["last_run"] = format_instant(last_run)
    return f"{MAGIC}\n#state\t{json.dumps(state, separators=(',', ':'), sort_keys=True)}\n"


def run_line(day: date, run: Run, index: dict[str, int]) -> str:
    offset = round((run.at - day_start(day)).total_seconds())
    parts = [str(offset), run.run_id]
    for entry in run.entries:
        number = index[entry.key]
        if entry.ok:
            parts.append(f"{number}={format_latency(entry.latency)}")
        else:
            parts.append(f"{number}!{format_latency(entry.latency)}!{clean_error(entry.error)}")
    return "\t".join(parts) + "\n"


def scan(directory: Path, day: date) -> DayLog:
    """Just what appending needs (probe numbering and run ids), without parsing every entry."""
    path = log_path(directory, day)
    log = DayLog(day=day, path=path, relative=path.relative_to(directory).as_posix())
    try:
        raw = path.read_bytes()
    except OSError as exc:
        log.problems.append(_problem(log.relative, 1, f"cannot read the day log: {exc}"))
        return log
    for number, line in text_lines(raw):
        if line is None:
            log.problems.append(_problem(log.relative, number, NOT_TEXT))
        elif line.startswith("#probe\t"):
            log.names.append(line[len("#probe\t") :])
        elif line and not line.startswith("#"):
            fields = line.split("\t", 2)
            if len(fields) >= 2:
                log.run_ids_seen.add(fields[1])
    return log


def read(directory: Path, day: date) -> DayLog:
    path = log_path(directory, day)
    relative = path.relative_to(directory).as_posix()
    log = DayLog(day=day, path=path, relative=relative)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        log.problems.append(_problem(relative, 1, f"cannot read the day log: {exc}"))
        return log
    for number, line in text_lines(raw):
        if line is None:
            log.problems.append(_problem(relative, number, NOT_TEXT))
            continue
        if not line:
            continue
        try:
            _parse_line(log, number, line)
        except (ValueError, IndexError, KeyError) as exc:
            log.problems.append(_problem(relative, number, f"damaged line skipped: {exc}"))
    return log


def text_lines(raw: bytes) -> Iterator[tuple[int, str | None]]:
    """Numbered lines, None for one that is not UTF-8: a few damaged bytes must not hide the rest of the file
    (which would reset every streak of the day, so no failing probe would reach its threshold)."""
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        try:
            yield number, chunk.decode("utf-8")
        except UnicodeDecodeError:
            yield number, None


def ends_a_line(path: Path) -> bool:
    """Whether text appended to ``path`` starts a line of its own; a file cut short mid-line must not
    swallow the next run into its damaged last line."""
    try:
        with path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"
    except OSError:  # missing, or empty
        return True


def _parse_line(log: DayLog, number: int, line: str) -> None:
    if line.startswith("#"):
        if line == MAGIC:
            return
        tag, _, rest = line.partition("\t")
        if tag == "#probe":
            log.names.append(rest)
        elif tag == "#state":
            state = json.loads(rest)
            if not isinstance(state, dict) or not isinstance(state.get("probes"), dict):
                raise ValueError("the #state line is not a JSON object with 'probes'")
            log.checkpoint = {key: Streak.from_json(key, value) for key, value in state["probes"].items()}
            if state.get("last_run") is not None:
                log.last_run = parse_instant(state["last_run"])
        elif number == 1:
            raise ValueError(f"not a watchbill day log (first line should be {MAGIC!r})")
        return
    fields = line.split("\t")
    if len(fields) < 2:
        raise ValueError("a run line needs a time and a run id")
    at = day_start(log.day) + timedelta(seconds=int(fields[0]))
    entries: list[LogEntry] = []
    for text in fields[2:]:
        entries.append(_entry(log.names, text))
    log.runs.append(Run(at, fields[1], tuple(entries)))


def _entry(names: list[str], text: str) -> LogEntry:
    if "=" in text and ("!" not in text or text.index("=") < text.index("!")):
        number, _, latency = text.partition("=")
        return LogEntry(_name(names, number), True, float(latency) if latency else None, None)
    number, _, rest = text.partition("!")
    latency, bang, error = rest.partition("!")
    if not bang:
        raise ValueError(f"entry {text[:40]!r} is neither 'i=ms' nor 'i!ms!error'")
    return LogEntry(_name(names, number), False, float(latency) if latency else None, error or None)


def _name(names: list[str], number: str) -> str:
    if not number.isdigit() or int(number) >= len(names):
        raise ValueError(f"probe number {number[:10]!r} has no #probe line")
    return names[int(number)]


def _problem(path: str, line: int, message: str) -> Problem:
    return Problem(path, line, 1, "warning", message, "probe-data")
