"""Every incident record at once, for the commands that read them all (the site): parsed data kept by content.

Validation keeps only an incident's facts, and a record is otherwise built from its file when first asked
for; reading YAML is most of that (0.35 ms a record, 3.5 s at 10,000 records). A command that needs every
record would pay it on every run although one file changed. So the plain data each file parses to is kept
here, under the file's content digest, and a record is built from it by the same model validation a freshly
parsed file goes through: the records are exactly those the files hold, only the YAML is not read again.

Like the validation cache it stores plain values with ``marshal`` (which cannot run code), in one file per
repository outside it, under the same code fingerprint; it keeps the entries of the last run only, so it
tracks the repository's size. A missing, foreign or damaged file only makes a run slower.
"""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..files.atomic import write_bytes_atomic
from ..files.loader import decode, parse, read_bytes
from ..models import Incident
from ..organisation import InvalidOrganisation, LazyRecords, Organisation
from ..problems import LocatedError, Problem
from . import in_batches
from .cache import cache_dir, code_fingerprint, digest_of, pause_collector


class RecordCache:
    """Parsed incident data by content digest, for one repository."""

    def __init__(self, root: Path, directory: Path | None = None) -> None:
        key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=10).hexdigest()
        self.path = (directory or cache_dir()) / f"records-{key}.marshal"
        self.fingerprint = code_fingerprint()
        self.stored: dict[str, Any] = self._load()
        self.used: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        try:
            stored = marshal.loads(self.path.read_bytes())  # noqa: S302 - our own file, outside the repo
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if not isinstance(stored, dict) or stored.get("fingerprint") != self.fingerprint:
            return {}
        data = stored.get("data")
        return data if isinstance(data, dict) else {}

    def known(self, digest: str | None) -> Any:
        """The parsed data of the file with this content digest, or None; kept for this run's cache."""
        found = self.stored.get(digest) if digest is not None else None
        if digest is not None and found is not None:
            self.used[digest] = found
        return found

    def add(self, digest: str, data: Any) -> None:
        self.used[digest] = data

    def save(self) -> None:
        """Keep this run's entries; a cache that cannot be written is only a slower next run."""
        if self.used.keys() == self.stored.keys():
            return
        try:
            write_bytes_atomic(
                self.path, marshal.dumps({"fingerprint": self.fingerprint, "data": self.used}), durable=False
            )
        except OutputError:
            return
        self.stored = self.used


Parsed = tuple[str, Any] | Problem
"""(content digest, parsed data) of one file, or the problem that stopped its parsing."""


def load_every_incident(org: Organisation, directory: Path | None = None, jobs: int | None = None) -> None:
    """Build all of ``org``'s incident records now, from the record cache where their files are unchanged.

    Files the cache does not know are parsed, in worker processes when there are many (a first build).
    A record whose data no longer validates (its file changed into something invalid since validation) is
    refused as the lazy path refuses it, with the file's own problems."""
    records = org.incidents
    todo = list(records.unbuilt()) if isinstance(records, LazyRecords) else []
    if not isinstance(records, LazyRecords) or not todo:
        return
    with pause_collector():
        cache = RecordCache(org.root, directory)
        found = {ident: cache.known(org.digests.get(relative)) for ident, relative in todo}
        missing = [(ident, relative) for ident, relative in todo if found[ident] is None]
        for (ident, _), parsed in zip(missing, _parse_all(org.root, [r for _, r in missing], jobs), strict=True):
            if isinstance(parsed, Problem):
                raise InvalidOrganisation([parsed])
            cache.add(*parsed)
            found[ident] = parsed[1]
        for ident, _ in todo:
            try:
                record = Incident.model_validate(found[ident])
            except ValueError:
                record = records[ident]  # built from the file, which raises with the file's own problems
            records.adopt(ident, record)
        cache.save()


def _parse_all(root: Path, paths: list[str], jobs: int | None) -> list[Parsed]:
    return in_batches(_parse_batch, [(str(root), relative) for relative in paths], jobs)


def _parse_batch(items: list[tuple[str, str]]) -> list[Parsed]:
    out: list[Parsed] = []
    for root, relative in items:
        try:
            raw = read_bytes(Path(root) / relative, relative)
            out.append((digest_of(raw), parse(decode(raw, relative), relative, positions=False).data))
        except LocatedError as exc:
            out.append(exc.problem)
    return out
