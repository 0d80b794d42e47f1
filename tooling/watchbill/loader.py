"""Read YAML into plain data plus the line and column of every key and item.

Speed matters (10,000 incident files are validated on every pull request), so the document is composed
by libyaml's C parser and turned into data by a small walker of our own instead of ruamel's constructor.
Owning the walk is also what lets us be safe and precise: duplicate keys, alias expansion bombs, unknown
tags and YAML 1.1 ambiguities are refused here with the exact position, before any model sees the data.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .problems import LocatedError, Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_EXPANSION = 10_000
"""Nodes an alias may add beyond the document's own; anchors stay useful, bombs stop here."""

Loc = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
_YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n"})


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass
class Document:
    """A parsed file: its data and where every piece of it came from."""

    path: str
    data: Any
    keys: dict[Loc, Position] = field(default_factory=dict)
    values: dict[Loc, Position] = field(default_factory=dict)

    def locate(self, loc: Loc, *, key: bool = False) -> Position:
        """Position of ``loc``; falls back to the nearest ancestor that exists (e.g. for a missing key)."""
        table = self.keys if key else self.values
        probe = tuple(loc)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.keys:
                return self.keys[probe]
            probe = probe[:-1]
        return self.values.get((), Position(1, 1))


def _problem(path: str, line: int, column: int, message: str, rule: str) -> LocatedError:
    return LocatedError(Problem(path, line, column, "error", message, rule))


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.allow_duplicate_keys = True  # the walker reports them itself, with both positions
    return yaml


class _Walker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.doc = Document(path=path, data=None)
        self.seen: set[int] = set()
        self.unique_nodes = 0
        self.expanded = 0

    def error(self, node: Node, message: str, rule: str) -> LocatedError:
        mark = node.start_mark
        return _problem(self.path, mark.line + 1, mark.column + 1, message, rule)

    def pos(self, node: Node) -> Position:
        return Position(node.start_mark.line + 1, node.start_mark.column + 1)

    def walk(self, node: Node, loc: Loc, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.error(node, f"nesting deeper than {MAX_DEPTH} levels", "yaml-too-deep")
        if id(node) in self.seen:
            self.expanded += 1
            if self.expanded > MAX_ALIAS_EXPANSION:
                raise self.error(
                    node, f"aliases expand to more than {MAX_ALIAS_EXPANSION} extra nodes", "yaml-alias-bomb"
                )
        else:
            self.seen.add(id(node))
            self.unique_nodes += 1
        self.doc.values.setdefault(loc, self.pos(node))
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            return [self.walk(item, (*loc, index), depth + 1) for index, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.mapping(node, loc, depth)
        raise self.error(node, "unsupported YAML node", "yaml-syntax")  # pragma: no cover

    def mapping(self, node: MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        if node.tag != _TAG + "map":
            raise self.error(node, f"tag {node.tag} is not allowed; remove it", "yaml-tag")
        result: dict[str, Any] = {}
        first_seen: dict[str, Position] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merged.update(self.merge_sources(value_node, loc, depth))
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag not in (_TAG + "str",):
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                raise self.error(key_node, f"key {shown!r} must be text; quote it, e.g. '\"{shown}\"'", "yaml-key-type")
            key = str(key_node.value)
            if key in first_seen:
                first = first_seen[key]
                raise self.error(
                    key_node,
                    f"duplicate key '{key}' (first defined at line {first.line}); keep one of them",
                    "yaml-duplicate-key",
                )
            first_seen[key] = self.pos(key_node)
            self.doc.keys[(*loc, key)] = self.pos(key_node)
            result[key] = self.walk(value_node, (*loc, key), depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def merge_sources(self, node: Node, loc: Loc, depth: int) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            if not isinstance(source, MappingNode):
                raise self.error(source, "'<<' merges only mappings", "yaml-merge")
            for key, value in self.walk(source, loc, depth + 1).items():
                merged.setdefault(key, value)
        return merged

    def scalar(self, node: ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == _TAG + "str" or tag == _TAG + "timestamp":
            return value
        if tag == _TAG + "int":
            if _LEADING_ZERO.match(value):
                raise self.error(
                    node,
                    f"'{value}' has a leading zero: octal in YAML 1.1, decimal in 1.2; "
                    f"write {int(value.replace('_', ''))} or quote it as '\"{value}\"'",
                    "yaml-ambiguous-number",
                )
            return int(value.replace("_", ""), 0)
        if tag == _TAG + "float":
            lowered = value.lower().replace("_", "")
            if lowered.endswith(".inf"):
                return float("-inf") if lowered.startswith("-") else float("inf")
            if lowered == ".nan":
                return float("nan")
            return float(lowered)
        if tag == _TAG + "bool":
            return value.lower() == "true"
        if tag == _TAG + "null":
            return None
        raise self.error(node, f"tag {tag} is not allowed; remove it or quote the value", "yaml-tag")


def read_text(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a file as UTF-8, turning every way that can fail into a located problem."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _problem(display, 1, 1, f"file is {size:,} bytes; the limit is {max_bytes:,}", "file-too-large")
        raw = path.read_bytes()
    except OSError as exc:
        raise _problem(display, 1, 1, f"cannot read file: {exc.strerror or exc}", "file-unreadable") from None
    return decode(raw, display)


def decode(raw: bytes, display: str) -> str:
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, column = _byte_position(raw, nul)
        raise _problem(display, line, column, "file contains a NUL byte; is it binary?", "file-binary")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(raw, exc.start)
        raise _problem(
            display, line, column, f"byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8", "file-encoding"
        ) from None
    return text


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    return line, len(raw[start:offset].decode("utf-8", errors="replace")) + 1


def parse(text: str, display: str) -> Document:
    """Text -> Document, or LocatedError for the first thing a person must fix."""
    try:
        node = _yaml().compose(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        if "unexpected ':'" in problem:
            problem += "; quote values that contain ':' (e.g. \"schedule:primary\") inside [ ] lists"
        raise _problem(display, line, column, f"YAML syntax: {problem}", "yaml-syntax") from None
    except YAMLError as exc:
        raise _problem(display, 1, 1, f"YAML syntax: {exc}", "yaml-syntax") from None
    except RecursionError:
        raise _problem(display, 1, 1, f"nesting deeper than {MAX_DEPTH} levels", "yaml-too-deep") from None
    if node is None:
        raise _problem(display, 1, 1, "file is empty; it needs at least its top-level keys", "yaml-empty")
    walker = _Walker(display)
    walker.doc.data = walker.walk(node, (), 0)
    if not isinstance(walker.doc.data, dict):
        raise walker.error(node, "the top level must be a mapping of keys to values", "yaml-not-mapping")
    return walker.doc


def load(path: Path, display: str) -> Document:
    return parse(read_text(path, display), display)


def is_yaml11_boolean(value: object) -> bool:
    """``no``/``on``/``y`` were booleans in YAML 1.1 and are text in 1.2: worth a hint when a bool is wanted."""
    return isinstance(value, str) and value.lower() in _YAML11_BOOLS
