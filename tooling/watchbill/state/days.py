"""Daily aggregates: one line per probe per finished day, appended to a file per month.

    #watchbill-days 1
    2026-11-23  api/health  288  1  123.4  2051

Day, probe, checks, failures, mean and highest latency of the successful checks (ms). This is what 90-day
uptime bars read, so the status page never has to parse three months of raw runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..problems import Problem
from .logfile import NOT_TEXT, DayLog, ends_a_line, text_lines
from .snapshot import DayStat

MAGIC = "#watchbill-days 1"
DAYS_DIR = "days"


@dataclass
class Tally:
    checks: int = 0
    failures: int = 0
    latency_sum: float = 0.0
    latency_count: int = 0
    latency_max: float | None = None

    def add(self, ok: bool, latency: float | None) -> None:
        self.checks += 1
        if not ok:
            self.failures += 1
        elif latency is not None:
            self.latency_sum += latency
            self.latency_count += 1
            self.latency_max = latency if self.latency_max is None else max(self.latency_max, latency)

    def stat(self, day: date) -> DayStat:
        average = round(self.latency_sum / self.latency_count, 1) if self.latency_count else None
        return DayStat(day, self.checks, self.failures, average, self.latency_max)


@dataclass
class DaysRead:
    stats: dict[str, dict[date, DayStat]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def covered(self) -> set[date]:
        return {day for per_probe in self.stats.values() for day in per_probe}


def tally(log: DayLog) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for run in log.runs:
        for entry in run.entries:
            tallies.setdefault(entry.key, Tally()).add(entry.ok, entry.latency)
    return tallies


def month_path(directory: Path, day: date) -> Path:
    return directory / DAYS_DIR / f"{day:%Y-%m}.tsv"


def lines_for(day: date, tallies: dict[str, Tally]) -> str:
    rows = []
    for key in sorted(tallies):
        stat = tallies[key].stat(day)
        average = "" if stat.latency_ms_avg is None else f"{stat.latency_ms_avg:g}"
        highest = "" if stat.latency_ms_max is None else f"{stat.latency_ms_max:g}"
        rows.append(f"{day.isoformat()}\t{key}\t{stat.checks}\t{stat.failures}\t{average}\t{highest}\n")
    return "".join(rows)


def append(directory: Path, day: date, tallies: dict[str, Tally]) -> None:
    path = month_path(directory, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = not path.exists()
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        if fresh:
            handle.write(MAGIC + "\n")
        elif not ends_a_line(path):
            handle.write("\n")
        handle.write(lines_for(day, tallies))


def month_files(directory: Path) -> list[Path]:
    folder = directory / DAYS_DIR
    return sorted(folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].tsv")) if folder.is_dir() else []


def read_days(directory: Path, since: date | None = None) -> DaysRead:
    found = DaysRead()
    for path in month_files(directory):
        if since is not None and path.stem < f"{since:%Y-%m}":
            continue
        relative = path.relative_to(directory).as_posix()
        try:
            raw = path.read_bytes()
        except OSError as exc:
            found.problems.append(Problem(relative, 1, 1, "warning", f"cannot read: {exc}", "probe-data"))
            continue
        for number, line in text_lines(raw):
            if line is None:
                found.problems.append(Problem(relative, number, 1, "warning", NOT_TEXT, "probe-data"))
                continue
            if not line or line.startswith("#"):
                continue
            try:
                stat, key = _parse(line)
            except (ValueError, IndexError) as exc:
                found.problems.append(
                    Problem(relative, number, 1, "warning", f"damaged line skipped: {exc}", "probe-data")
                )
                continue
            if since is None or stat.day >= since:
                found.stats.setdefault(key, {})[stat.day] = stat
    return found


def _parse(line: str) -> tuple[DayStat, str]:
    fields = line.split("\t")
    if len(fields) != 6:
        raise ValueError(f"expected 6 tab-separated fields, found {len(fields)}")
    checks, failures = int(fields[2]), int(fields[3])
    if checks < 0 or not 0 <= failures <= checks:
        raise ValueError("failures must be between 0 and the number of checks")
    average = float(fields[4]) if fields[4] else None
    highest = float(fields[5]) if fields[5] else None
    return DayStat(date.fromisoformat(fields[0]), checks, failures, average, highest), fields[1]


def merge_stats(groups: Iterable[dict[str, dict[date, DayStat]]]) -> dict[str, dict[date, DayStat]]:
    merged: dict[str, dict[date, DayStat]] = {}
    for group in groups:
        for key, per_day in group.items():
            merged.setdefault(key, {}).update(per_day)
    return merged
