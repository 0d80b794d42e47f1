"""The engine-neutral build: organisation and probe state in, a folder of pages and data files out."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import StateError
from ..organisation import Organisation
from ..state.snapshot import Snapshot
from ..validate.cache import pause_collector
from ..validate.records import load_every_incident
from . import markdown, views
from .audience import Audience
from .cache import PageCache
from .render import Files, render_site


class SnapshotUnavailable(StateError):
    """Probe state was asked for but cannot be read."""


def load_snapshot(directory: Path) -> Snapshot:
    """Probe state through ``watchbill.state``, imported only when asked for, since it is optional here."""
    try:
        module = importlib.import_module("watchbill.state")
    except ImportError as exc:
        raise SnapshotUnavailable(f"reading probe state needs watchbill.state: {exc}") from None
    try:
        snapshot = module.read_probe_state(directory)
    except (OSError, ValueError) as exc:
        raise SnapshotUnavailable(f"cannot read probe state from {directory}: {exc}") from None
    if not isinstance(snapshot, Snapshot):
        raise SnapshotUnavailable(
            f"watchbill.state.read_probe_state returned {type(snapshot).__name__}, not a Snapshot"
        )
    return snapshot


@dataclass
class Timings:
    """Seconds per phase, for the benchmark's 'which part dominates'."""

    phases: dict[str, float] = field(default_factory=dict)

    def measure(self, name: str, started: float) -> None:
        self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - started


def build_files(
    org: Organisation,
    *,
    audience: Audience,
    now: datetime,
    snapshot: Snapshot | None = None,
    directory_urls: bool = True,
    timings: Timings | None = None,
    cache: PageCache | None = None,
) -> tuple[views.SiteView, Files]:
    """The site's view and every generated file; incident pages come from ``cache`` when unchanged.

    The cycle collector is paused throughout: with every record loaded it would walk them all again and again
    (a quarter of a build at 10,000 incidents), while views and pages are trees reference counting frees.
    """
    with pause_collector():
        return _build_files(org, audience, now, snapshot, directory_urls, timings, cache)


def _build_files(
    org: Organisation,
    audience: Audience,
    now: datetime,
    snapshot: Snapshot | None,
    directory_urls: bool,
    timings: Timings | None,
    cache: PageCache | None,
) -> tuple[views.SiteView, Files]:
    started = time.perf_counter()
    load_every_incident(org)
    if timings is not None:
        timings.measure("records", started)
    started = time.perf_counter()
    with markdown.remembering(cache.markdown if cache is not None else {}):
        site = views.build(org, snapshot, audience, now)
    if timings is not None:
        timings.measure("views", started)
    started = time.perf_counter()
    files = render_site(site, directory_urls=directory_urls, cache=cache)
    if timings is not None:
        timings.measure("render", started)
    return site, files


def write_tree(directory: Path, files: Files, *, keep: Callable[[str], bool] | None = None) -> int:
    """Make ``directory`` hold exactly ``files``; unchanged files are not rewritten, so watchers stay calm.

    Returns how many files were written. Files not in ``files`` are removed unless ``keep`` says otherwise.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    for relative, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        path = directory / relative
        try:
            if path.read_bytes() == data:
                continue
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)  # a build folder: no fsync per file, the next build rewrites it anyway
        written += 1
    wanted = {str(Path(r)) for r in files}
    for path in sorted(directory.rglob("*"), reverse=True):
        relative = str(path.relative_to(directory))
        if path.is_file() and relative not in wanted and not (keep and keep(relative)):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return written
