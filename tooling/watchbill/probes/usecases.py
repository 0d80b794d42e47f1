"""The probe workflow's use cases: check what is due, merge a matrix's results, show and compact probe state.

Plain functions over a loaded organisation, so the probe workflow, a test or any other caller gets the same
checks and the same messages as ``watchbill probe``. Options arrive as people and workflow files write them
(``"2/5"``, ``"4m"``) and are refused with a ``UsageError`` when they cannot be used. What a command would
only mention in passing (no probe state yet, nothing due) comes back as ``notes``, never printed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import UsageError
from ..fields import parse_duration
from ..forge.git import GitError, Repository
from ..models import Probe
from ..organisation import Organisation
from ..problems import Problem
from ..state import compact, heartbeats, read_probe_state
from ..state.heartbeats import Heartbeat
from ..state.snapshot import Snapshot
from .heartbeat import verdicts
from .merge import merge
from .result import DEFAULT_REGION, ResultsFile, ResultsFileError, read_results, write_results
from .runner import RunOptions, run
from .select import parse_shard, probes_by_key, select

_REGION = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


@dataclass(frozen=True)
class ProbeRun:
    """One ``watchbill probe``: the results (also written to ``out`` when asked) and what to mention."""

    results: ResultsFile
    out: Path | None = None
    notes: tuple[str, ...] = ()

    @property
    def failing(self) -> int:
        return sum(1 for r in self.results.results if r.ok is False)


def check_probes(
    org: Organisation,
    now: datetime,
    *,
    all_probes: bool = False,
    shard: str = "1/1",
    region: str = DEFAULT_REGION,
    only: Sequence[str] = (),
    budget: str = "4m",
    concurrency: int = 200,
    ca_file: Path | None = None,
    state: Path | None = None,
    remote: str = "origin",
    out: Path | None = None,
) -> ProbeRun:
    """Check the probes that are due (their own cron has fired since their last check on the data branch),
    or every probe with ``all_probes``, in this matrix cell's ``shard`` and ``region``."""
    shard_pair = parse_shard(shard)
    limit = _budget(budget)
    _check_request(org, region, only, ca_file)
    notes: list[str] = []
    snapshot, pings = Snapshot(), dict[str, Heartbeat]()
    if not all_probes or any(p.heartbeat is not None for s in org.services.values() for p in s.probes):
        snapshot, pings = _read_state(org, state, remote, notes)
    targets = select(
        org.services.values(),
        now=now,
        states=snapshot.probes,
        due_only=not all_probes,
        shard=shard_pair,
        region=region,
        only=only,
    )
    options = RunOptions(concurrency=concurrency, budget=limit, region=region, shard=shard, ca_file=ca_file)
    pushed = [t for t in targets if t.probe.heartbeat is not None]  # judged from their pings, not checked
    results = run([t for t in targets if t.probe.heartbeat is None], options, now)
    if pushed:
        judged = [*results.results, *verdicts(pushed, pings, now, region)]
        results = results.model_copy(update={"results": sorted(judged, key=lambda r: r.key)})
    if out is not None:
        write_results(out, results)
    if not targets:
        notes.append("no probe is due in this shard and region")
    return ProbeRun(results, out, tuple(notes))


def _budget(text: str) -> timedelta:
    try:
        limit = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--budget: {exc}") from None
    if limit <= timedelta(0):
        raise UsageError("--budget must be longer than 0s")
    return limit


def _check_request(org: Organisation, region: str, only: Sequence[str], ca_file: Path | None) -> None:
    if not _REGION.fullmatch(region):
        raise UsageError(f"--region {region!r}: use a lower-case name such as 'eu-west' (letters, digits, - and _)")
    known = probes_by_key(org.services.values())
    unknown = sorted(set(only) - set(known))
    if unknown:
        raise UsageError(f"unknown probe(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    if ca_file is not None and not ca_file.is_file():
        raise UsageError(f"--ca-file {ca_file} is not a file")


def read_results_files(paths: Sequence[Path]) -> list[ResultsFile]:
    """The files a caller named: one that cannot be used is a usage error, naming the file and the fault."""
    loaded: list[ResultsFile] = []
    for path in paths:
        try:
            loaded.append(read_results(path))
        except ResultsFileError as exc:
            raise UsageError(str(exc)) from None
    return loaded


def merge_results_files(org: Organisation, paths: Sequence[Path], now: datetime, *, out: Path) -> ResultsFile:
    """Combine the cells of a matrix run into one verdict per probe (applying ``confirm``), written to ``out``."""
    merged = merge(read_results_files(paths), probes_by_key(org.services.values()), now)
    write_results(out, merged)
    return merged


def combined_results(org: Organisation, paths: Sequence[Path], now: datetime) -> ResultsFile:
    """One merged results file as it is, or the merge of the cells' files."""
    loaded = read_results_files(paths)
    if len(loaded) == 1 and loaded[0].merged:
        return loaded[0]
    return merge(loaded, probes_by_key(org.services.values()), now)


@dataclass(frozen=True)
class ProbeStatus:
    """Each configured probe's state as the data branch records it (None: never checked)."""

    probes: dict[str, Probe]
    snapshot: Snapshot
    notes: tuple[str, ...] = ()


def probe_status(org: Organisation, *, state: Path | None = None, remote: str = "origin") -> ProbeStatus:
    notes: list[str] = []
    snapshot = _probe_state(org, state, remote, notes, recent=1)
    return ProbeStatus(probes_by_key(org.services.values()), snapshot, tuple(notes))


@dataclass(frozen=True)
class Compaction:
    changed: bool
    squashed: bool
    commit: str | None
    problems: list[Problem] = field(default_factory=list)


def compact_probe_data(org: Organisation, now: datetime, *, squash: bool = False, remote: str = "origin") -> Compaction:
    """Roll old day logs into daily aggregates now; ``squash`` also replaces the data branch's history with one
    commit, to reclaim space."""
    repo = Repository(org.root, remote=remote)
    published = repo.publish(
        org.settings.data_branch,
        lambda tree: compact(tree, now.astimezone(UTC).date()),
        "compact probe data" + (" (history squashed)" if squash else ""),
        orphan=squash,
    )
    return Compaction(published.changed, squash, published.commit, published.value)


def _probe_state(org: Organisation, state: Path | None, remote: str, notes: list[str], *, recent: int) -> Snapshot:
    with _data_checkout(org, state, remote, notes) as directory:
        return read_probe_state(directory, recent=recent) if directory is not None else Snapshot()


def _read_state(
    org: Organisation, state: Path | None, remote: str, notes: list[str]
) -> tuple[Snapshot, dict[str, Heartbeat]]:
    """The last results (for due-ness) and the heartbeat pings, from one checkout of the data branch."""
    with _data_checkout(org, state, remote, notes) as directory:
        if directory is None:
            return Snapshot(), {}
        beats = heartbeats.read(directory)
        notes.extend(problem.text() for problem in beats.problems)
        return read_probe_state(directory, recent=1), beats.probes


@contextmanager
def _data_checkout(org: Organisation, state: Path | None, remote: str, notes: list[str]) -> Iterator[Path | None]:
    """The data branch to read: the given folder, else a scratch copy fetched from the remote, else none."""
    if state is not None:
        if not state.is_dir():
            raise UsageError(f"--state {state} is not a directory")
        yield state
        return
    try:
        repo = Repository(org.root, remote=remote)
        head = repo.fetch(org.settings.data_branch)
    except GitError as exc:
        notes.append(f"no probe state ({exc}); every probe counts as due")
        yield None
        return
    if head is None:
        yield None
        return
    with repo.scratch(head) as scratch:
        yield scratch.path


__all__ = [
    "Compaction",
    "ProbeRun",
    "ProbeStatus",
    "check_probes",
    "combined_results",
    "compact_probe_data",
    "merge_results_files",
    "probe_status",
    "read_results_files",
]
