"""Results reach the terminal through one of two reporters, chosen by ``--format`` (check-jsonschema's way).

The JSON conventions every command follows, so a script learns them once:

- one JSON object per run, never a bare list; pretty-printed, UTF-8, keys in snake_case;
- ``at``: the instant the answer is for, when the command takes ``--at``;
- instants as RFC 3339 text in UTC with ``Z`` (``2026-03-08T09:00:00Z``), dates as ``YYYY-MM-DD``,
  durations as whole seconds in keys ending ``_seconds``;
- the exit code is the same whichever format is chosen; failures are reported on stderr as text.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import PurePath
from typing import Annotated, Any, Literal

import typer

from .common import out

Format = Literal["text", "json"]
FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format: text for people, json for scripts (see the manual)."),
]


def jsonable(value: Any) -> Any:
    """Plain JSON values by the conventions above, from what the library returns."""
    from pydantic import BaseModel  # here, so that '<command> --help' does not load it

    from ..fields import format_instant

    return _plain(value, BaseModel, format_instant)


def _plain(value: Any, model: type, instant: Callable[[datetime], str]) -> Any:
    if isinstance(value, model):
        return _plain(value.model_dump(mode="python", exclude_none=False), model, instant)  # type: ignore[attr-defined]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), model, instant) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v, model, instant) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, model, instant) for v in value]
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return round(value.total_seconds())
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, PurePath):
        return value.as_posix()
    return value


def emit(fmt: Format, data: Mapping[str, Any], text: Callable[[], None]) -> None:
    """Print ``data`` as JSON, or call the command's text reporter."""
    if fmt == "json":
        out.print(json.dumps(jsonable(data), indent=2, ensure_ascii=False), markup=False, soft_wrap=True)
    else:
        text()


def _indented(value: Any, depth: int) -> str:
    """``value`` as ``json.dumps(..., indent=2)`` writes it when nested ``depth`` levels deep."""
    return json.dumps(jsonable(value), indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * depth)


def stream_json(head: Mapping[str, Any], key: str, items: Iterable[Any]) -> None:
    """Write ``{**head, key: [items...]}`` as ``emit`` would, but item by item as they are computed.

    A long answer (a year of shifts for a thousand schedules) then never sits in memory whole, and a reader
    sees the first items at once; the text is the same as the one ``emit`` prints.
    """
    stream_json_texts(head, key, (_indented(item, 2) for item in items))


def stream_json_texts(head: Mapping[str, Any], key: str, texts: Iterable[str]) -> None:
    """:func:`stream_json` for items a command has already written as JSON text, each as ``_indented``
    writes it two levels deep (a reporter that writes a million rows renders them itself, without the
    per-item conversion); written a batch at a time."""
    write = sys.stdout.write
    write("{\n")
    for name, value in head.items():
        write(f"  {json.dumps(name)}: {_indented(value, 1)},\n")
    write(f"  {json.dumps(key)}: [")
    before, between = "\n    ", ",\n    "
    chunk: list[str] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) >= _BATCH:
            write(before + between.join(chunk))
            before = between
            chunk.clear()
    if chunk:
        write(before + between.join(chunk))
        before = between
    write("\n  ]\n}\n" if before == between else "]\n}\n")
    sys.stdout.flush()


_BATCH = 512
"""Items per ``write``: a million items in two thousand writes, not a million."""


class LocalTimes:
    """Instants as one zone's wall clock, ``Wed 2026-11-25 09:00 CET``, each computed once.

    A calendar repeats the same few instants (every hand-off ends one shift and starts the next, and
    schedules in one zone hand over at the same hours), so remembering the text per instant turns a
    zone conversion and ``strftime`` per cell into a dictionary lookup; the memory is capped."""

    FORMAT = "%a %Y-%m-%d %H:%M %Z"
    LIMIT = 1 << 16

    __slots__ = ("_width", "_zone", "texts")

    def __init__(self, zone_name: str, width: int = 0) -> None:
        from ..fields import zone

        self._zone = zone(zone_name)
        self._width = width
        self.texts: dict[datetime, str] = {}
        """Instant -> its text, padded to ``width``: what calling has computed (a hot loop may look here first)."""

    def __call__(self, moment: datetime) -> str:
        text = self.texts.get(moment)
        if text is None:
            if len(self.texts) >= self.LIMIT:
                self.texts.clear()
            text = moment.astimezone(self._zone).strftime(self.FORMAT).ljust(self._width)
            self.texts[moment] = text
        return text


class InstantTexts:
    """Instants as the JSON conventions write them (RFC 3339, ``Z``), each computed once (see LocalTimes)."""

    __slots__ = ("_format", "texts")

    def __init__(self) -> None:
        from ..fields import format_instant

        self._format = format_instant
        self.texts: dict[datetime, str] = {}
        """Instant -> its text: what calling has computed (a hot loop may look here first)."""

    def __call__(self, moment: datetime) -> str:
        text = self.texts.get(moment)
        if text is None:
            if len(self.texts) >= LocalTimes.LIMIT:
                self.texts.clear()
            text = self.texts[moment] = self._format(moment)
        return text
