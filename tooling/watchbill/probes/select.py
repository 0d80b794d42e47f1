"""Which probes this run should check: due by their own cron, in this shard, for this region.

GitHub's cron is best effort (runs arrive late, or not at all), so due-ness is "a scheduled time has passed
since the last check", never "the cron matches now": a late run still checks everything it missed, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from croniter import croniter

from ..errors import UsageError
from ..models import Probe, Service
from ..state.snapshot import ProbeState
from .result import DEFAULT_REGION
from .target import Target


class ShardError(UsageError):
    pass


def parse_shard(text: str) -> tuple[int, int]:
    """``2/5`` -> (2, 5); shards count from 1, like a GitHub Actions matrix written by a person."""
    index_text, slash, count_text = text.partition("/")
    if not slash or not index_text.isdigit() or not count_text.isdigit():
        raise ShardError(f"shard {text!r} is not 'i/n', e.g. '1/4'")
    index, count = int(index_text), int(count_text)
    if count < 1 or not 1 <= index <= count:
        raise ShardError(f"shard {text!r}: i must be between 1 and n")
    return index, count


def all_targets(services: Iterable[Service]) -> list[Target]:
    targets = [Target(f"{s.id}/{p.id}", p) for s in services for p in s.probes]
    return sorted(targets, key=lambda t: t.key)


def probes_by_key(services: Iterable[Service]) -> dict[str, Probe]:
    """Every configured probe by its key, ``service/probe``, the name results and probe state use."""
    return {target.key: target.probe for target in all_targets(services)}


def in_shard(targets: list[Target], index: int, count: int) -> list[Target]:
    """Round-robin over the sorted keys: every probe lands in exactly one shard, and shards stay even."""
    ordered = sorted(targets, key=lambda t: t.key)
    return [t for position, t in enumerate(ordered) if position % count == index - 1]


def runs_in_region(probe: Probe, region: str) -> bool:
    """Probes that ask for confirmation run only in the regions they name; others run everywhere."""
    if probe.confirm is None or region == DEFAULT_REGION:
        return True
    return region in probe.confirm.regions


def last_fire(schedule: str, now: datetime) -> datetime:
    """The latest time at or before ``now`` the cron (read in UTC, as GitHub reads it) fires."""
    moment = now.astimezone(UTC)
    if croniter.match(schedule, moment.replace(second=0, microsecond=0)):
        return moment.replace(second=0, microsecond=0)
    fired: datetime = croniter(schedule, moment).get_prev(datetime)
    return fired


def is_due(probe: Probe, last_checked: datetime | None, now: datetime) -> bool:
    if last_checked is None:
        return True
    return last_fire(probe.schedule, now) > last_checked


def select(
    services: Iterable[Service],
    *,
    now: datetime,
    states: Mapping[str, ProbeState] | None = None,
    due_only: bool = True,
    shard: tuple[int, int] = (1, 1),
    region: str = DEFAULT_REGION,
    only: Iterable[str] = (),
) -> list[Target]:
    """Targets for one matrix cell. ``states`` are the last known results (from the data branch)."""
    wanted = set(only)
    targets = [t for t in all_targets(services) if not wanted or t.key in wanted]
    targets = in_shard(targets, *shard)
    targets = [t for t in targets if runs_in_region(t.probe, region)]
    if due_only:
        known = states or {}
        targets = [t for t in targets if is_due(t.probe, _last(known.get(t.key)), now)]
    return targets


def _last(state: ProbeState | None) -> datetime | None:
    return None if state is None else state.last_checked
