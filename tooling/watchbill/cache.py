"""Content-hash cache of per-file validation, so an unchanged re-run skips parsing and model checks.

The cache lives outside the repository (``$WATCHBILL_CACHE_DIR``, else ``$XDG_CACHE_HOME/watchbill``, else
``~/.cache/watchbill``): it holds pickles, and a pickle committed by a hostile pull request must never be
loaded by CI. Entries are keyed by file path and content digest and by a fingerprint of the package's own
model code, so editing a model invalidates everything it could have judged.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import write_bytes_atomic
from .problems import Problem


@dataclass(frozen=True)
class Entry:
    digest: str
    kind: str
    model: Any
    problems: tuple[Problem, ...]


def _fingerprint() -> str:
    package = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(
        [*package.glob("models/*.py"), package / "fields.py", package / "loader.py", package / "schema_errors.py"]
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_dir() -> Path:
    explicit = os.environ.get("WATCHBILL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "watchbill"


class ValidationCache:
    def __init__(self, root: Path, directory: Path | None = None) -> None:
        key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=10).hexdigest()
        self.path = (directory or cache_dir()) / f"validate-{key}.pickle"
        self.fingerprint = _fingerprint()
        self.entries: dict[str, Entry] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        try:
            with self.path.open("rb") as handle:
                stored = pickle.load(handle)  # noqa: S301 - our own file, outside the repository
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError):
            return
        if isinstance(stored, dict) and stored.get("fingerprint") == self.fingerprint:
            self.entries = stored.get("entries", {})

    def get(self, relative: str, digest: str) -> Entry | None:
        entry = self.entries.get(relative)
        return entry if entry is not None and entry.digest == digest else None

    def put(self, relative: str, entry: Entry) -> None:
        self.entries[relative] = entry
        self.dirty = True

    def prune(self, keep: set[str]) -> None:
        for relative in set(self.entries) - keep:
            del self.entries[relative]
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        payload = pickle.dumps({"fingerprint": self.fingerprint, "entries": self.entries}, protocol=5)
        try:
            write_bytes_atomic(self.path, payload)
        except OSError:
            return  # a read-only home must not fail validation
        self.dirty = False
