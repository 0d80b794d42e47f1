"""Content-keyed cache of checked files, so a re-run costs what changed, not what the repository holds.

Per file it keeps what the cross-file pass needs, never a record with positions: for an incident (the kind that
grows, one file each) its :class:`~watchbill.organisation.IncidentFacts` and every problem its own file has,
so an unchanged incident is neither parsed nor built again; for the other kinds (a handful of files) the parsed
plain data, validated against the models again on every run.

Entries are keyed by path and content digest (blake2b). So that an unchanged file need not even be read, an
entry also remembers the file's (size, mtime, ctime, inode) as git's index does, and trusts them only when the
file had not been touched in the two seconds before the run that recorded them (git's "racily clean" rule:
a later edit within the file system's timestamp granularity could otherwise keep the same stat). A cache
restored in CI meets a fresh checkout with new times: every file is read once and each one whose content is
unchanged is still served from the cache.

It stores plain values with ``marshal`` (fast, and unlike pickle it cannot run code), under a fingerprint of
the code that produces them (loader, models, messages, facts), so new code re-checks everything. The file lives
outside the repository (``$WATCHBILL_CACHE_DIR``, else ``$XDG_CACHE_HOME/watchbill``, else
``~/.cache/watchbill``), so nothing a pull request commits is ever read as a cache.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import OutputError
from ..files.atomic import write_bytes_atomic
from ..files.kinds import Stat
from ..organisation import IncidentFacts
from ..problems import Problem

RACY_NS = 2_000_000_000
"""A file touched this close before a run may change again unseen within its timestamp granularity."""
FACT_KINDS = frozenset({"incident"})
"""Kinds cached as facts (model-level); the others are cached as parsed data."""


class Entry(NamedTuple):  # a NamedTuple: ten thousand are made on a warm run
    digest: str
    kind: str
    data: Any
    """Facts for an incident, parsed plain data for other kinds; None when the file failed (``problems`` says why)."""
    problems: tuple[Problem, ...]


def code_fingerprint() -> str:
    """The code that turns a file into what is cached: new code re-checks everything."""
    package = Path(__file__).parent.parent
    digest = hashlib.blake2b(digest_size=12)
    parsing = [
        package / "fields.py",
        package / "organisation.py",
        package / "files" / "loader.py",
        package / "validate" / "messages.py",
        package / "validate" / "facts.py",
        package / "validate" / "cache.py",
    ]
    for path in sorted([*package.glob("models/*.py"), *parsing]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


@contextmanager
def pause_collector() -> Iterator[None]:
    """The cycle collector would walk every cached entry again and again (tens of thousands of tuples, or
    records) while nothing made here forms a cycle that reference counting cannot free: pause it meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def digest_of(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def cache_dir() -> Path:
    explicit = os.environ.get("WATCHBILL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "watchbill"


_Stored = tuple[str, Stat | None, bool, str, Any, tuple[tuple[Any, ...], ...]]
"""(digest, stat, stat trusted, kind, data, problems as tuples): what marshal writes per file."""


class ValidationCache:
    def __init__(self, root: Path, directory: Path | None = None) -> None:
        key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=10).hexdigest()
        self.path = (directory or cache_dir()) / f"validate-{key}.marshal"
        self.fingerprint = code_fingerprint()
        self.started_ns = time.time_ns()
        """Before any file is listed: a stat recorded in this run is trusted only if older than this by RACY_NS."""
        self.entries: dict[str, _Stored] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        try:
            stored = marshal.loads(self.path.read_bytes())  # noqa: S302 - our own file, outside the repo
            if not isinstance(stored, dict) or stored.get("fingerprint") != self.fingerprint:
                return
            entries = stored["entries"]
            if isinstance(entries, dict):
                self.entries = entries  # converted entry by entry when asked for: most runs ask for few
        except (OSError, EOFError, ValueError, TypeError, KeyError):
            self.entries = {}  # a missing, foreign or damaged cache is only a slower run

    def __contains__(self, relative: str) -> bool:
        return relative in self.entries

    def unchanged(self, relative: str, kind: str, stat: Stat | None) -> Entry | None:
        """The entry, if the file's stat is the trusted one recorded with it: no need to read the file."""
        stored = self.entries.get(relative)
        if stored is None or stat is None or not stored[2] or tuple(stored[1] or ()) != stat:
            return None
        return _entry(stored, kind)

    def get(self, relative: str, digest: str, kind: str) -> Entry | None:
        stored = self.entries.get(relative)
        return _entry(stored, kind) if stored is not None and stored[0] == digest else None

    def restat(self, relative: str, stat: Stat | None) -> None:
        """Record the stat of a file found unchanged by its content, so the next run need not read it."""
        digest, _, _, kind, data, problems = self.entries[relative]
        self.entries[relative] = (digest, stat, self._trusted(stat), kind, data, problems)
        self.dirty = True

    def put(self, relative: str, entry: Entry, stat: Stat | None) -> None:
        data = tuple(entry.data) if isinstance(entry.data, IncidentFacts) else entry.data
        problems = tuple(astuple(p) for p in entry.problems)  # mostly the one empty tuple
        self.entries[relative] = (entry.digest, stat, self._trusted(stat), entry.kind, data, problems)
        self.dirty = True

    def _trusted(self, stat: Stat | None) -> bool:
        return stat is not None and max(stat[1], stat[2]) + RACY_NS < self.started_ns

    def digests(self) -> dict[str, str]:
        """Content digest by path of every file this run checked (after :meth:`prune`, the cache holds only those)."""
        return {relative: stored[0] for relative, stored in self.entries.items()}

    def prune(self, keep: set[str]) -> None:
        for relative in set(self.entries) - keep:
            del self.entries[relative]
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        payload = marshal.dumps({"fingerprint": self.fingerprint, "entries": self.entries})
        try:
            write_bytes_atomic(self.path, payload, durable=False)
        except OutputError:
            return  # a read-only home must not fail validation
        self.dirty = False


def _entry(stored: _Stored, kind: str) -> Entry | None:
    digest, _, _, stored_kind, data, problems = stored
    if stored_kind != kind:
        return None
    if kind in FACT_KINDS and data is not None:
        data = IncidentFacts._make(data)
    return Entry(digest, kind, data, tuple(Problem(*p) for p in problems) if problems else ())
