"""Heartbeat probes: push-style checks for batch and cron jobs, which otherwise fail without a sound.

The job reports (``watchbill heartbeat ping SERVICE/PROBE``, or ``--fail`` when it knows it failed); each report
is recorded on the data branch (``state.heartbeats``) through the same retry-and-replay path as every other
writer. The probe run then gives each heartbeat a verdict like any other probe's, so the lifecycle opens,
updates and resolves its incident the same way:

- failing when the last ping is older than ``every`` + ``grace``, or when the job's latest report was a failure;
- healthy otherwise, so the first run after the next ping recovers it;
- unknown (not recorded, opens nothing) until the first report, as healthchecks.io's "new" checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import UsageError
from ..fields import format_instant
from ..forge.git import Repository
from ..models import HeartbeatCheck
from ..organisation import Organisation
from ..state import heartbeats
from ..state.heartbeats import Heartbeat
from .result import DEFAULT_REGION, Result
from .select import probes_by_key
from .target import Target

DISPATCH_EVENT = "watchbill-heartbeat"
"""The repository_dispatch event type the probe workflow turns into a ping; client_payload {"probe": KEY}."""


def verdict(target: Target, entry: Heartbeat | None, now: datetime, region: str = DEFAULT_REGION) -> Result:
    """The heartbeat's result for a probe run at ``now``."""
    spec = target.probe.heartbeat
    assert spec is not None, "only heartbeat probes get a heartbeat verdict"
    ok, error = _judge(spec, entry, now)
    return Result(key=target.key, at=now, ok=ok, error=error, attempts=0 if ok is None else 1, region=region)


def _judge(spec: HeartbeatCheck, entry: Heartbeat | None, now: datetime) -> tuple[bool | None, str | None]:
    if entry is None or (entry.last_ping is None and entry.last_fail is None):
        return None, "waiting for the first ping"
    if entry.failed_last:
        assert entry.last_fail is not None
        said = f": {entry.message}" if entry.message else ""
        return False, f"the job reported a failure at {format_instant(entry.last_fail)}{said}"
    assert entry.last_ping is not None
    if now - entry.last_ping > spec.every + spec.grace:
        return False, (
            f"no ping since {format_instant(entry.last_ping)} "
            f"(expected every {_words(spec.every)}, grace {_words(spec.grace)})"
        )
    return True, None


def _words(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def verdicts(
    targets: list[Target], pings: dict[str, Heartbeat], now: datetime, region: str = DEFAULT_REGION
) -> list[Result]:
    return [verdict(target, pings.get(target.key), now, region) for target in targets]


@dataclass(frozen=True)
class Ping:
    """What ``watchbill heartbeat ping`` recorded: the probe's entry now, and when it will count as late."""

    key: str
    at: datetime
    failed: bool
    entry: Heartbeat
    late_after: datetime | None
    """When the probe run will call it failing if no other ping comes; None after a failure report."""
    branch: str
    commit: str | None


def heartbeat_spec(org: Organisation, key: str) -> HeartbeatCheck:
    """The heartbeat a ``service/probe`` key names, or a ``UsageError`` that lists the heartbeats there are."""
    probes = probes_by_key(org.services.values())
    known = sorted(k for k, p in probes.items() if p.heartbeat is not None)
    probe = probes.get(key)
    listed = ", ".join(known) or "none configured; add 'heartbeat: {every: 1h}' to a probe"
    if probe is None:
        raise UsageError(f"unknown probe {key} (heartbeats: {listed})")
    if probe.heartbeat is None:
        raise UsageError(f"{key} is a {probe.kind} probe, not a heartbeat (heartbeats: {listed})")
    return probe.heartbeat


def ping(
    org: Organisation,
    key: str,
    now: datetime,
    *,
    failed: bool = False,
    message: str | None = None,
    remote: str = "origin",
) -> Ping:
    """Record one report of the job behind heartbeat ``key`` on the data branch (fetch, append, push; replayed
    on a newer tip when another writer got there first)."""
    spec = heartbeat_spec(org, key)
    repo = Repository(org.root, remote=remote)
    branch = org.settings.data_branch
    verb = "failed" if failed else "ping"
    published = repo.publish(
        branch,
        lambda tree: heartbeats.record(tree, key, now, failed=failed, message=message),
        f"heartbeat {key}: {verb} {format_instant(now)}",
    )
    entry = published.value
    late = None if failed or entry.last_ping is None else entry.last_ping + spec.every + spec.grace
    return Ping(key, now, failed, entry, late, branch, published.commit)


__all__ = ["DISPATCH_EVENT", "Ping", "heartbeat_spec", "ping", "verdict", "verdicts"]
