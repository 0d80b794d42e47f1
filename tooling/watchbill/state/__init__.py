"""Probe state on the data branch: what every run found, compact enough to keep for years.

Layout of a checkout of the data branch (``watchbill-data`` by default)::

    README.md              what this branch is (never merge it)
    log/2026-11-23.tsv     one file per UTC day, appended by each run (see ``logfile``)
    days/2026-11.tsv       daily aggregates, one line per probe per finished day (see ``days``)
    episodes.json          which incident each failing probe has open (owned by the lifecycle)
    heartbeats.json        when each heartbeat probe's job last reported (see ``heartbeats``)
    paging/INC-….jsonl     what was sent for a record on the base branch, and its acks (``paging.journal``)

Current state (consecutive counts, last result) is not stored separately: it is the day's header plus the
day's runs, replayed. So every commit only appends a line, and concurrent runs merge by replaying one
run's results on top of the other's. Damaged lines and files are reported and skipped; the rest is read.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ..files.atomic import write_text_atomic
from ..probes.result import Result, ResultsFile
from ..problems import Problem
from . import days as day_files
from . import logfile
from .logfile import DayLog, LogEntry, Run
from .snapshot import DayStat, ProbeState, Sample, Snapshot
from .streak import Streak

RECENT_SAMPLES = 96
HISTORY_DAYS = 90
KEEP_LOG_DAYS = 35
"""Raw runs kept in the tree (history keeps them anyway); older days live on as daily aggregates."""
KEEP_AGGREGATE_DAYS = 400

README = """\
# Watchbill probe data

This branch is written by `watchbill lifecycle` after every probe run, and by `watchbill escalate run` and
`watchbill ack`. Do not merge it into the main branch and do not edit it by hand: it is append-only data.

- `log/YYYY-MM-DD.tsv`: every run of the day (seconds since midnight UTC, run id, one entry per probe).
- `days/YYYY-MM.tsv`: one line per probe per finished day (checks, failures, latency).
- `episodes.json`: which incident record each failing probe has open.
- `heartbeats.json`: when each heartbeat probe's job last reported (written by `watchbill heartbeat ping`).
- `paging/INC-YYYY-NNNN.jsonl`: escalation steps claimed and sent, and acknowledgements, for records on the
  main branch (written by `watchbill escalate run` and `watchbill ack`).
"""


@dataclass(frozen=True)
class Recorded:
    """What ``record_results`` did: ``appended`` is False for an empty or already recorded run."""

    run_id: str | None
    appended: bool
    day: date | None = None
    problems: tuple[Problem, ...] = ()


@dataclass
class _Loaded:
    streaks: dict[str, Streak] = field(default_factory=dict)
    last_run: datetime | None = None
    logs: list[DayLog] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def run_id(results: Iterable[Result]) -> str:
    """Same results, same id: recording a run twice (a retried job, a replayed push) appends it once."""
    digest = hashlib.blake2b(digest_size=5)
    for result in sorted(results, key=lambda r: (r.key, r.at)):
        digest.update(f"{result.key}|{result.at.isoformat()}|{result.ok}|{result.latency_ms}\n".encode())
    return digest.hexdigest()


def replay(log: DayLog, streaks: dict[str, Streak] | None = None) -> tuple[dict[str, Streak], datetime | None]:
    current = dict(log.checkpoint) if streaks is None else streaks
    last_run = log.last_run
    for run in log.runs:
        for entry in run.entries:
            streak = current.get(entry.key)
            if streak is None:
                streak = current[entry.key] = Streak(entry.key)
            streak.advance(run.at, entry.ok, entry.latency, entry.error)
        last_run = run.at if last_run is None else max(last_run, run.at)
    return current, last_run


def _load(directory: Path, keep: int = 2) -> _Loaded:
    loaded = _Loaded()
    days = logfile.log_days(directory)
    loaded.logs = [logfile.read(directory, day) for day in days[-keep:]]
    for log in loaded.logs:
        loaded.problems.extend(log.problems)
    if loaded.logs:
        latest = loaded.logs[-1]
        if not latest.checkpoint and len(loaded.logs) > 1 and latest.problems:
            # The newest header is damaged: carry the streaks over from the day before instead of from zero.
            earlier, _ = replay(loaded.logs[-2])
            loaded.streaks, loaded.last_run = replay(latest, earlier)
        else:
            loaded.streaks, loaded.last_run = replay(latest)
    return loaded


def record_results(
    directory: Path,
    results: ResultsFile | Iterable[Result],
    *,
    keep_log_days: int = KEEP_LOG_DAYS,
    keep_aggregate_days: int = KEEP_AGGREGATE_DAYS,
) -> Recorded:
    """Append one run to a checkout of the data branch. Unknown verdicts (``ok: None``) are not recorded:
    a probe that could not be checked neither extends nor breaks its streak."""
    items = results.results if isinstance(results, ResultsFile) else list(results)
    checked = [r for r in items if r.ok is not None]
    if not checked:
        return Recorded(None, False)
    identity = run_id(checked)
    at = min(r.at for r in checked).astimezone(UTC).replace(microsecond=0)
    run = Run(at, identity, tuple(LogEntry(r.key, bool(r.ok), r.latency_ms, r.error) for r in checked))
    _ensure_readme(directory)
    days = logfile.log_days(directory)
    if days and at.date() <= days[-1]:
        return _record_in_latest_day(directory, days, run)
    loaded = _load(directory, keep=2)
    if any(identity in log.run_ids for log in loaded.logs):
        return Recorded(identity, False, days[-1] if days else None, tuple(loaded.problems))
    day = at.date()
    problems = list(loaded.problems)
    problems += _roll_up(directory, before=day)
    path = logfile.log_path(directory, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, logfile.header(loaded.streaks, loaded.last_run))
    _append(logfile.DayLog(day=day, path=path, relative=""), run)
    _compact(directory, day, keep_log_days, keep_aggregate_days)
    return Recorded(identity, True, day, tuple(problems))


def _record_in_latest_day(directory: Path, days: list[date], run: Run) -> Recorded:
    """A run of the newest logged day (or, arriving late, of an earlier one) is appended to that day's log,
    unless that day or the one before already holds it."""
    log = logfile.scan(directory, days[-1])
    earlier = logfile.scan(directory, days[-2]) if len(days) > 1 else None
    if run.run_id in log.run_ids or (earlier is not None and run.run_id in earlier.run_ids):
        return Recorded(run.run_id, False, days[-1], tuple(log.problems))
    _append(log, run)
    return Recorded(run.run_id, True, days[-1], tuple(log.problems))


def _append(log: DayLog, run: Run) -> None:
    index = {name: number for number, name in enumerate(log.names)}
    lines: list[str] = []
    for entry in run.entries:
        if entry.key not in index:
            index[entry.key] = len(index)
            lines.append(f"#probe\t{entry.key}\n")
    lines.append(logfile.run_line(log.day, run, index))
    if not logfile.ends_a_line(log.path):
        lines.insert(0, "\n")
    with log.path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write("".join(lines))


def _roll_up(directory: Path, before: date) -> list[Problem]:
    """Write daily aggregates for every logged day before ``before`` that has none yet."""
    days = [d for d in logfile.log_days(directory) if d < before]
    if not days:
        return []
    existing = day_files.read_days(directory, since=days[0])
    covered = existing.covered()
    problems = list(existing.problems)
    for day in days:
        if day in covered:
            continue
        log = logfile.read(directory, day)
        problems.extend(log.problems)
        tallies = day_files.tally(log)
        if tallies:
            day_files.append(directory, day, tallies)
    return problems


def _compact(directory: Path, today: date, keep_log_days: int, keep_aggregate_days: int) -> None:
    """Drop raw day logs once they are old and aggregated, and aggregates past their retention."""
    covered = day_files.read_days(directory).covered()
    for day in logfile.log_days(directory):
        if day < today - timedelta(days=keep_log_days) and day in covered:
            logfile.log_path(directory, day).unlink()
    oldest_month = f"{today - timedelta(days=keep_aggregate_days):%Y-%m}"
    for path in day_files.month_files(directory):
        if path.stem < oldest_month:
            path.unlink()


def compact(directory: Path, today: date, *, keep_log_days: int = KEEP_LOG_DAYS) -> list[Problem]:
    """Roll up and prune now, without waiting for the next day to begin."""
    problems = _roll_up(directory, before=today)
    _compact(directory, today, keep_log_days, KEEP_AGGREGATE_DAYS)
    return problems


def _ensure_readme(directory: Path) -> None:
    path = directory / "README.md"
    if not path.exists():
        write_text_atomic(path, README)


def read_probe_state(directory: Path, *, recent: int = RECENT_SAMPLES, history_days: int = HISTORY_DAYS) -> Snapshot:
    """Read a checkout of the data branch; a missing or empty directory is an empty snapshot."""
    if not directory.is_dir():
        return Snapshot()
    loaded = _load(directory, keep=2)
    samples = _samples(loaded.logs, recent)
    newest = loaded.logs[-1].day if loaded.logs else None
    since = newest - timedelta(days=history_days - 1) if newest else None
    stats = _daily_stats(directory, loaded, since)
    probes: dict[str, ProbeState] = {}
    for key in sorted(set(loaded.streaks) | set(stats) | set(samples)):
        streak = loaded.streaks.get(key) or Streak(key)
        per_day = stats.get(key, {})
        history = tuple(per_day[d] for d in sorted(per_day) if since is None or d >= since)
        probes[key] = streak.state(recent=tuple(samples.get(key, ())), days=history)
    return Snapshot(probes=probes, last_run=loaded.last_run, problems=tuple(loaded.problems))


def _samples(logs: list[DayLog], recent: int) -> dict[str, deque[Sample]]:
    """The last ``recent`` results of each probe, oldest first."""
    samples: dict[str, deque[Sample]] = {}
    for log in logs:
        for run in log.runs:
            for entry in run.entries:
                queue = samples.get(entry.key)
                if queue is None:
                    queue = samples[entry.key] = deque(maxlen=recent)
                queue.append(Sample(run.at, entry.ok, entry.latency))
    return samples


def _daily_stats(directory: Path, loaded: _Loaded, since: date | None) -> dict[str, dict[date, DayStat]]:
    """Daily aggregates since ``since``, completed by tallies of the logged days not aggregated yet; the
    aggregates' problems are added to ``loaded``."""
    stored = day_files.read_days(directory, since=since)
    loaded.problems.extend(stored.problems)
    covered = stored.covered()
    from_logs: dict[str, dict[date, DayStat]] = {}
    for log in loaded.logs:
        if log.day in covered:
            continue
        for key, tally in day_files.tally(log).items():
            from_logs.setdefault(key, {})[log.day] = tally.stat(log.day)
    return day_files.merge_stats([stored.stats, from_logs])


__all__ = [
    "HISTORY_DAYS",
    "KEEP_LOG_DAYS",
    "RECENT_SAMPLES",
    "Recorded",
    "compact",
    "read_probe_state",
    "record_results",
    "run_id",
]
