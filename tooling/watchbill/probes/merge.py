"""Combine the result files of a matrix run (shards x regions) into one verdict per probe.

Confirmation (``confirm: {regions, min}``) makes a failure count only when at least ``min`` of the listed
regions saw it, so one region's network trouble does not page anyone. When too few regions reported to
decide either way, the verdict is ``None`` (unknown): it neither extends nor breaks a streak.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


def verdict(key: str, regions: Mapping[str, Result], probe: Probe | None) -> Result:
    listed: set[str] = set()
    if probe is not None and probe.confirm is not None:
        listed = set(probe.confirm.regions)
        counted = {name: r for name, r in regions.items() if name in listed}
        needed = probe.confirm.min
    else:
        counted = dict(regions)
        needed = 1
    failed = {name: r for name, r in counted.items() if r.ok is False}
    passed = {name: r for name, r in counted.items() if r.ok is True}
    if len(failed) >= needed:
        ok: bool | None = False
    elif passed:
        ok = True
    else:
        ok = None
    chosen = failed if ok is False else passed if ok else counted
    latencies = [r.latency_ms for r in chosen.values() if r.latency_ms is not None]
    shown = failed if ok is not None else {n: r for n, r in counted.items() if r.ok is not True}
    errors = [f"{name}: {r.error}" if len(counted) > 1 else r.error for name, r in sorted(shown.items()) if r.error]
    if ok is None:
        if not listed:
            reason = "no region could check it"
        elif counted:
            reason = f"{len(failed)} of {needed} regions needed saw a failure"
        elif regions:
            reason = f"none of its regions ({', '.join(sorted(listed))}) reported, only {', '.join(sorted(regions))}"
        else:
            reason = "no region reported"
        errors = [f"unconfirmed: {reason}", *errors]
    return Result(
        key=key,
        at=min(r.at for r in (counted or regions).values()),
        ok=ok,
        latency_ms=round(median(latencies), 1) if latencies else None,
        error="; ".join(e for e in errors if e)[:500] if (ok is not True and errors) else None,
        attempts=sum(r.attempts for r in counted.values()),
        region="merged",
        regions={name: r.ok for name, r in sorted(regions.items())},
    )
