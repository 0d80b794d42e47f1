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
from pydantic import BaseModel

from ..fields import format_instant
from .common import out

Format = Literal["text", "json"]
FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format: text for people, json for scripts (see the manual)."),
]


def jsonable(value: Any) -> Any:
    """Plain JSON values by the conventions above, from what the library returns."""
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="python", exclude_none=False))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return format_instant(value)
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
    write = sys.stdout.write
    write("{\n")
    for name, value in head.items():
        write(f"  {json.dumps(name)}: {_indented(value, 1)},\n")
    write(f"  {json.dumps(key)}: [")
    first = True
    for item in items:
        write(("\n    " if first else ",\n    ") + _indented(item, 2))
        first = False
    write("]\n}\n" if first else "\n  ]\n}\n")
    sys.stdout.flush()
