"""Round-trip edits of YAML records: comments, key order and quoting survive, writes are atomic, and
concurrent editors on one machine take turns.

Every edit is validated against the file's model before it is written, so a tool never leaves a record
that `watchbill validate` would reject.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from ..errors import DataError
from ..fields import format_instant
from ..models import Incident, TimelineEvent, Update
from ..problems import LocatedError, Problem
from ..validate.messages import problems_from
from .atomic import write_text_atomic
from .loader import parse, read_text

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

SCHEMA_DIR = "tooling/schemas"


class EditError(DataError):
    """An edit would produce an invalid record; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.text() for p in problems))
        self.problems = problems


def _represent_datetime(representer: RoundTripRepresenter, value: datetime) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:timestamp", format_instant(value))


def _represent_date(representer: RoundTripRepresenter, value: date) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


def _yaml(indent: int = 2, block_seq_indent: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a person's long lines
    yaml.indent(mapping=indent, sequence=max(indent, block_seq_indent + 2), offset=block_seq_indent)
    yaml.representer.add_representer(datetime, _represent_datetime)
    yaml.representer.add_representer(date, _represent_date)
    # Never invent an anchor for a value used twice (resolve sets mitigated_at and resolved_at to one
    # instant): an alias ties the keys together, so editing one would silently edit the other.
    yaml.representer.ignore_aliases = _alias_only_if_written
    return yaml


def _alias_only_if_written(data: Any) -> bool:
    """Ignore (do not write) an alias unless the node carried an anchor a person wrote."""
    anchor = getattr(data, "anchor", None)
    return anchor is None or getattr(anchor, "value", None) is None


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Serialise editors of one record on this machine (escalation and lifecycle may run side by side)."""
    key = hashlib.blake2b(str(path.resolve()).encode(), digest_size=12).hexdigest()
    lock_dir = Path(tempfile.gettempdir()) / "watchbill-locks"
    lock_dir.mkdir(exist_ok=True)
    with (lock_dir / f"{key}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def plain(model: BaseModel) -> dict[str, Any]:
    """A model as the data a person would write: field order kept, defaults and empty values left out."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    restored: dict[str, Any] = _restore_instants(data)
    return restored


def _restore_instants(value: Any) -> Any:
    """Dump instants as YAML timestamps (plain, unquoted), the way people write them."""
    if isinstance(value, dict):
        return {k: _restore_instants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_instants(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _to_commented(value: Any) -> Any:
    if isinstance(value, dict):
        result = CommentedMap()
        for k, v in value.items():
            result[k] = _to_commented(v)
        return result
    if isinstance(value, list):
        return CommentedSeq([_to_commented(v) for v in value])
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        return LiteralScalarString(value)  # a block, the way people write several lines
    return value


def dump_text(data: Any, *, header: str = "") -> str:
    stream = io.StringIO()
    _yaml().dump(_to_commented(data), stream)
    return header + stream.getvalue()


def check_text(text: str, display: str, model: type[M]) -> M:
    """Parse and validate text exactly as `watchbill validate` would; raise EditError otherwise."""
    try:
        doc = parse(text, display)
    except LocatedError as exc:
        raise EditError([exc.problem]) from None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise EditError(problems_from(exc, doc, model)) from None


def modeline(path: Path, root: Path, schema_file: str) -> str:
    depth = len(path.relative_to(root).parts) - 1
    relative = "/".join([".."] * depth + [SCHEMA_DIR, schema_file])
    return f"# yaml-language-server: $schema={relative}\n"


def create_record(path: Path, root: Path, model: BaseModel, schema_file: str) -> None:
    """Write a new record; refuses to overwrite one that already exists (two runs racing for one id)."""
    text = dump_text(plain(model), header=modeline(path, root, schema_file))
    check_text(text, str(path.relative_to(root)), type(model))
    with file_lock(path):
        if path.exists():
            raise FileExistsError(path)
        write_text_atomic(path, text)


def edit_record(
    path: Path, model: type[M], change: Callable[[CommentedMap], T], *, display: str | None = None
) -> tuple[M, T]:
    """Load round-trip, apply ``change``, validate, write atomically; returns the new model and change's result."""
    with file_lock(path):
        text = read_text(path, display or path.name)
        # Mappings are indented by two (the house style); lists keep the dash offset the file already uses.
        _, _, block_seq_indent = load_yaml_guess_indent(text)
        yaml = _yaml(2, block_seq_indent if block_seq_indent is not None else 2)
        data = yaml.load(text)
        result = change(data)
        stream = io.StringIO()
        yaml.dump(data, stream)
        new_text = stream.getvalue()
        validated = check_text(new_text, display or path.name, model)
        if new_text != text:
            write_text_atomic(path, new_text)
        return validated, result


def append_item(data: CommentedMap, key: str, item: BaseModel) -> None:
    """Append to a list, creating it (at the end of the mapping) if the record has none yet."""
    entry = _to_commented(plain(item))
    if key not in data or data[key] is None:
        data[key] = CommentedSeq()
    data[key].append(entry)


def set_value(data: CommentedMap, key: str, value: Any) -> None:
    """Set a key, keeping its place if it exists, else inserting it after the nearest earlier field."""
    if isinstance(value, BaseModel):
        value = _to_commented(plain(value))
    elif isinstance(value, datetime):
        pass
    if key in data:
        data[key] = value
        return
    order = list(Incident.model_fields)
    if key in order:
        earlier = [k for k in order[: order.index(key)] if k in data]
        if earlier:
            position = list(data.keys()).index(earlier[-1]) + 1
            data.insert(position, key, value)
            return
    data[key] = value


def add_timeline(path: Path, event: TimelineEvent) -> Incident:
    incident, _ = edit_record(path, Incident, lambda data: append_item(data, "timeline", event))
    return incident


def add_update(path: Path, update: Update) -> Incident:
    """Public update; the record's status follows the update's."""

    def change(data: CommentedMap) -> None:
        append_item(data, "updates", update)
        set_value(data, "status", update.status)

    incident, _ = edit_record(path, Incident, change)
    return incident
