"""Rendered pages kept between builds, by content: an unchanged incident is not rendered again.

A page's key is a digest of everything it shows — its view model (the incident as this audience sees it),
the few site settings its template reads (:class:`watchbill.site.render.PageSite`), its source path and
URL style — and of the code that renders it (this package's templates and modules, Watchbill's version and
the versions of Jinja2, MarkupSafe and markdown-it). Nothing is trusted by time or name: a key that matches
means the same bytes.

The cache is one ``marshal`` file per site configuration and audience under ``$WATCHBILL_CACHE_DIR/site``
(else ``$XDG_CACHE_HOME/watchbill/site``, else ``~/.cache/watchbill/site``), outside the repository, so
nothing a pull request commits is read as a cache. Each build keeps only the entries it used, so the file
tracks the site's size; a missing, foreign or damaged file only makes a build slower.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import __version__
from ..files.atomic import write_bytes_atomic
from ..validate.cache import cache_dir

_PACKAGE = Path(__file__).parent
_LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py")


def fingerprint() -> str:
    """The renderer's identity: a change to any template, module or rendering library misses every page."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=12)
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(name.encode())
    for path in sorted(p for p in _PACKAGE.rglob("*") if p.is_file() and p.suffix in (".py", ".html")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_SCALARS = frozenset({str, int, float, bool, type(None)})


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    names = _FIELDS.get(kind, ())
    if names == ():
        names = _FIELDS[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else None
    return names


def plain(value: Any) -> Any:
    """``value`` as nested tuples of its values, the same for equal values however they were loaded.

    ``repr`` alone is not: a time read from the validation cache and one parsed afresh carry different
    ``tzinfo`` objects for the same offset. Times are written as ISO text (offset included); every value
    keeps its type's name, so text and markup of the same letters differ. Exact types are tested first:
    a build takes the key of every incident view, half a million values at 10,000 incidents.
    """
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is tuple or kind is list:
        return tuple([plain(item) for item in value])
    if kind is datetime:
        return ("datetime", value.isoformat())
    names = _field_names(kind)
    if names is not None:
        return (kind.__name__, *[plain(getattr(value, name)) for name in names])
    if isinstance(value, tuple | list):
        return tuple([plain(item) for item in value])
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, dict):
        return ("dict", *sorted((repr(k), plain(v)) for k, v in value.items()))
    return (kind.__name__, repr(value))


class TextMemory(MutableMapping[str, str]):
    """Text kept between builds (rendered Markdown by source); like the pages, only what a build used stays."""

    def __init__(self, stored: dict[str, str]) -> None:
        self.stored = stored
        self.used: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        text = self.used.get(key)
        if text is None:
            text = self.used[key] = self.stored[key]
        return text

    def __setitem__(self, key: str, text: str) -> None:
        self.used[key] = text

    def __delitem__(self, key: str) -> None:
        del self.used[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.used)

    def __len__(self) -> int:
        return len(self.used)

    @property
    def changed(self) -> bool:
        return self.used.keys() != self.stored.keys()


@dataclass
class CacheStats:
    rendered: int = 0
    """Pages rendered in this build (not in the cache)."""
    reused: int = 0
    """Pages taken from the cache unchanged."""


class PageCache:
    """Page text by key; ``path`` None keeps it in memory only (one build)."""

    def __init__(self, path: Path | None = None, *, code: str | None = None) -> None:
        self.path = path
        self.code = code or fingerprint()
        self.stats = CacheStats()
        stored = self._load()
        self._stored: dict[str, str] = stored.get("pages", {})
        self._used: dict[str, str] = {}
        self.markdown = TextMemory(stored.get("markdown", {}))
        """Rendered Markdown by source text (:func:`watchbill.site.markdown.remembering`)."""

    @classmethod
    def for_site(cls, config_file: Path, audience: str, directory: Path | None = None) -> PageCache:
        """The cache of one site configuration and audience (public and internal pages never share)."""
        name = hashlib.blake2b(f"{config_file.resolve()}\0{audience}".encode(), digest_size=10).hexdigest()
        return cls((directory or cache_dir() / "site") / f"pages-{name}.marshal")

    def _load(self) -> dict[str, dict[str, str]]:
        if self.path is None:
            return {}
        try:
            stored = marshal.loads(self.path.read_bytes())  # noqa: S302 - our own file, outside the repo
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if not isinstance(stored, dict) or stored.get("code") != self.code:
            return {}
        return {name: table for name in ("pages", "markdown") if isinstance(table := stored.get(name), dict)}

    def key(self, *parts: object) -> str:
        """A digest of the parts' values (view models are frozen dataclasses of plain values)."""
        return hashlib.blake2b(repr(plain(parts)).encode(), digest_size=16).hexdigest()

    def get(self, key: str) -> str | None:
        text = self._used.get(key)
        if text is None:
            text = self._stored.get(key)
            if text is not None:
                self._used[key] = text
        if text is None:
            self.stats.rendered += 1
        else:
            self.stats.reused += 1
        return text

    def put(self, key: str, text: str) -> None:
        self._used[key] = text

    def save(self) -> None:
        """Keep what this build used; a cache that cannot be written is only a slower next build."""
        if self.path is None or (self._used.keys() == self._stored.keys() and not self.markdown.changed):
            return
        data = marshal.dumps({"code": self.code, "pages": self._used, "markdown": self.markdown.used})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(self.path, data, durable=False)
        except OSError:
            return
        self._stored = dict(self._used)
        self.markdown = TextMemory(dict(self.markdown.used))
