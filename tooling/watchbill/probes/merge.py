"""Combine the result files of a matrix run (shards x regions) into one verdict per probe.

Confirmation (``confirm: {regions, min}``) makes a failure count only when at least ``min`` of the listed
regions saw it, so one region's network trouble does not page anyone. When too few regions reported to
decide either way, the verdict is ``None`` (unknown): it neither extends nor breaks a streak.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from ..models import Probe
from .result import Result, ResultsFile


def merge(files: Iterable[ResultsFile], probes: Mapping[str, Probe], now: datetime) -> ResultsFile:
    files = list(files)
    by_key: dict[str, dict[str, Result]] = {}
    for file in files:
        for result in file.results:
            regions = by_key.setdefault(result.key, {})
            seen = regions.get(result.region)
            if seen is None or result.at >= seen.at:  # a re-uploaded or retried cell: the newest wins
                regions[result.region] = result
    merged = [verdict(key, regions, probes.get(key)) for key, regions in sorted(by_key.items())]
    started = min((f.started_at for f in files), default=now)
    finished = max((f.finished_at for f in files), default=now)
    return ResultsFile(region="merged", merged=True, started_at=started, finished_at=finished, results=merged)


@dataclass(frozen=True)
class _Tally:
    """The regions that count for a probe's verdict, and how many of them must see a failure."""

    regions: Mapping[str, Result]
    """Every region that reported."""
    listed: frozenset[str]
    """The regions ``confirm`` names; empty without confirmation."""
    counted: dict[str, Result]
    needed: int

    @property
    def failed(self) -> dict[str, Result]:
        return {name: r for name, r in self.counted.items() if r.ok is False}

    @property
    def passed(self) -> dict[str, Result]:
        return {name: r for name, r in self.counted.items() if r.ok is True}


def _tally(regions: Mapping[str, Result], probe: Probe | None) -> _Tally:
    if probe is None or probe.confirm is None:
        return _Tally(regions, frozenset(), dict(regions), 1)
    listed = frozenset(probe.confirm.regions)
    counted = {name: r for name, r in regions.items() if name in listed}
    return _Tally(regions, listed, counted, probe.confirm.min)


def verdict(key: str, regions: Mapping[str, Result], probe: Probe | None) -> Result:
    tally = _tally(regions, probe)
    failed, passed = tally.failed, tally.passed
    ok: bool | None = False if len(failed) >= tally.needed else True if passed else None
    chosen = failed if ok is False else passed if ok else tally.counted
    latencies = [r.latency_ms for r in chosen.values() if r.latency_ms is not None]
    return Result(
        key=key,
        at=min(r.at for r in (tally.counted or regions).values()),
        ok=ok,
        latency_ms=round(median(latencies), 1) if latencies else None,
        error=None if ok is True else _error(tally, ok),
        attempts=sum(r.attempts for r in tally.counted.values()),
        region="merged",
        regions={name: r.ok for name, r in sorted(regions.items())},
    )


def _error(tally: _Tally, ok: bool | None) -> str | None:
    """What the failing (or, unconfirmed, the not passing) regions said, each named when several count."""
    counted = tally.counted
    shown = tally.failed if ok is not None else {n: r for n, r in counted.items() if r.ok is not True}
    errors = [f"{name}: {r.error}" if len(counted) > 1 else r.error for name, r in sorted(shown.items()) if r.error]
    if ok is None:
        errors = [f"unconfirmed: {_unconfirmed(tally)}", *errors]
    return "; ".join(e for e in errors if e)[:500] if errors else None


def _unconfirmed(tally: _Tally) -> str:
    if not tally.listed:
        return "no region could check it"
    if tally.counted:
        return f"{len(tally.failed)} of {tally.needed} regions needed saw a failure"
    if tally.regions:
        listed, seen = ", ".join(sorted(tally.listed)), ", ".join(sorted(tally.regions))
        return f"none of its regions ({listed}) reported, only {seen}"
    return "no region reported"
