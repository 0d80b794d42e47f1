"""Content-hash cache of parsed files, so an unchanged re-run skips YAML parsing (the expensive part).

It stores plain data with ``marshal`` (fast, and unlike pickle it cannot run code), keyed by file path
and content digest and by a fingerprint of the loader's code, so a new loader re-parses everything.
Models are re-validated from the data on every run: cheap, and always judged by the current models.
The file lives outside the repository (``$WATCHBILL_CACHE_DIR``, else ``$XDG_CACHE_HOME/watchbill``, else
``~/.cache/watchbill``), so nothing a pull request commits is ever read as a cache.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..files.atomic import write_bytes_atomic
from ..problems import Problem


@dataclass(frozen=True)
class Entry:
    digest: str
    kind: str
    data: Any
    """Parsed plain data, or None when the file failed to load (then ``problems`` says why)."""
    problems: tuple[Problem, ...]


def _fingerprint() -> str:
    package = Path(__file__).parent.parent
    digest = hashlib.blake2b(digest_size=12)
    parsing = [package / "fields.py", package / "files" / "loader.py", package / "validate" / "messages.py"]
    for path in sorted([*package.glob("models/*.py"), *parsing]):
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
        self.path = (directory or cache_dir()) / f"validate-{key}.marshal"
        self.fingerprint = _fingerprint()
        self.entries: dict[str, Entry] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        try:
            stored = marshal.loads(self.path.read_bytes())  # noqa: S302 - our own file, outside the repo
            if not isinstance(stored, dict) or stored.get("fingerprint") != self.fingerprint:
                return
            self.entries = {
                relative: Entry(digest, kind, data, tuple(Problem(*p) for p in problems))
                for relative, (digest, kind, data, problems) in stored["entries"].items()
            }
        except (OSError, EOFError, ValueError, TypeError, KeyError):
            self.entries = {}  # a missing, foreign or damaged cache is only a slower run

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
        entries = {
            relative: (e.digest, e.kind, e.data, [astuple(p) for p in e.problems])
            for relative, e in self.entries.items()
        }
        payload = marshal.dumps({"fingerprint": self.fingerprint, "entries": entries})
        try:
            write_bytes_atomic(self.path, payload)
        except OutputError:
            return  # a read-only home must not fail validation
        self.dirty = False
