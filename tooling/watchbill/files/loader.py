"""Read YAML into plain data plus the line and column of every key and item.

Speed matters (10,000 incident files are validated on every pull request), so the document is composed
by libyaml's C parser and turned into data by a small walker of our own instead of ruamel's constructor.
Owning the walk is also what lets us be safe and precise: duplicate keys, alias expansion bombs, unknown
tags and YAML 1.1 ambiguities are refused here with the exact position, before any model sees the data.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from _ruamel_yaml import CParser
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.tag import Tag

from ..problems import LocatedError, Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_EXPANSION = 10_000
"""Nodes an alias may add beyond the document's own; anchors stay useful, bombs stop here."""

Loc = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_SEQ = _TAG + "seq"
_MAP = _TAG + "map"
_MERGE = _TAG + "merge"
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
_YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n"})


class Position(NamedTuple):
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


_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE"})


def _shared_tag(name: str) -> Tag:
    return Tag(suffix=_TAG + name)


_NULL_TAG, _BOOL_TAG, _INT_TAG, _FLOAT_TAG = (_shared_tag(n) for n in ("null", "bool", "int", "float"))
_STR_TAG, _SEQ_TAG, _MAP_TAG, _MERGE_TAG = (_shared_tag(n) for n in ("str", "seq", "map", "merge"))


class _Composer(CParser):  # type: ignore[misc]
    """libyaml composes the node tree in C; we supply the YAML 1.2 core-schema tag resolution.

    ruamel's own resolver asks for the YAML version on every scalar and costs two thirds of a parse.
    Timestamps resolve as text: the models parse instants themselves and insist on an offset.
    Resolved tags are shared :class:`Tag` objects, so the node constructor need not make one per node
    (a tenth of a parse); nothing changes a node's tag after composing.
    """

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> Tag:
        if kind is ScalarNode:
            if implicit[0]:
                if value in _NULLS:
                    return _NULL_TAG
                if value in _BOOLS:
                    return _BOOL_TAG
                if value == "<<":
                    return _MERGE_TAG
                if value[:1] in _NUMBER_START:
                    if _INT.fullmatch(value):
                        return _INT_TAG
                    if _FLOAT.fullmatch(value):
                        return _FLOAT_TAG
            return _STR_TAG
        return _SEQ_TAG if kind is SequenceNode else _MAP_TAG

    def descend_resolver(self, *_: object) -> None:
        return None

    def ascend_resolver(self, *_: object) -> None:
        return None


_NUMBER_START = frozenset("0123456789+-.")


def _tag(node: Node) -> str:
    """The node's tag as text; ruamel's ``node.tag`` re-decodes the URI on every access (a third of a parse)."""
    ctag = node.ctag
    if ctag.handle is None and isinstance(ctag.suffix, str):
        return ctag.suffix
    return str(node.tag)


class _Walker:
    def __init__(self, path: str, positions: bool = True) -> None:
        self.path = path
        self.positions = positions
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
        if self.positions and loc not in self.doc.values:
            self.doc.values[loc] = self.pos(node)
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            if _tag(node) != _SEQ:
                raise self.error(node, f"tag {_shown_tag(node.tag)} is not allowed; remove it", "yaml-tag")
            if not self.positions:  # the key path is needed only to note positions
                return [self.walk(item, loc, depth + 1) for item in node.value]
            return [self.walk(item, (*loc, index), depth + 1) for index, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.mapping(node, loc, depth)
        raise self.error(node, "unsupported YAML node", "yaml-syntax")  # pragma: no cover

    def mapping(self, node: MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        if _tag(node) != _MAP:
            raise self.error(node, f"tag {_shown_tag(node.tag)} is not allowed; remove it", "yaml-tag")
        result: dict[str, Any] = {}
        first_seen: dict[str, Node] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_tag = _tag(key_node)
            if key_tag == _MERGE:
                merged.update(self.merge_sources(value_node, loc, depth))
                continue
            if key_tag != _STR or not isinstance(key_node, ScalarNode):
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                raise self.error(key_node, f"key {shown!r} must be text; quote it, e.g. '\"{shown}\"'", "yaml-key-type")
            key = str(key_node.value)
            if key in first_seen:
                first = self.pos(first_seen[key])
                raise self.error(
                    key_node,
                    f"duplicate key '{key}' (first defined at line {first.line}); keep one of them",
                    "yaml-duplicate-key",
                )
            first_seen[key] = key_node
            where = loc
            if self.positions:
                where = (*loc, key)
                self.doc.keys[where] = self.pos(key_node)
            result[key] = self.walk(value_node, where, depth + 1)
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
        tag, value = _tag(node), node.value
        if tag == _STR or tag == _TAG + "timestamp":
            return value
        construct = _CONSTRUCTORS.get(tag)
        if construct is None:
            raise self.error(node, f"tag {_shown_tag(tag)} is not allowed; remove it or quote the value", "yaml-tag")
        try:
            return construct(value)
        except _ScalarError as exc:
            raise self.error(node, str(exc), exc.rule) from None


class _ScalarError(ValueError):
    """A scalar its tag cannot hold; ``rule`` names the finding."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


MAX_NUMBER_CHARS = 100
"""Longer numbers are never meant (Python would refuse to print one of over 4,300 digits)."""


def _not_a(value: str, tag: str) -> _ScalarError:
    shown = value if len(value) <= 40 else value[:37] + "..."
    return _ScalarError(f"'{shown}' is not a valid {tag}; remove the tag or write a valid value", "yaml-tag")


def _checked_number(value: str) -> str:
    if len(value) > MAX_NUMBER_CHARS:
        raise _ScalarError(
            f"number is {len(value):,} characters long; numbers in records have at most {MAX_NUMBER_CHARS}",
            "yaml-number-too-large",
        )
    return value.replace("_", "")


def _int(value: str) -> int:
    digits = _checked_number(value)
    if _LEADING_ZERO.match(value):
        raise _ScalarError(
            f"'{value}' has a leading zero: octal in YAML 1.1, decimal in 1.2; "
            f"write {int(digits)} or quote it as '\"{value}\"'",
            "yaml-ambiguous-number",
        )
    try:
        return int(digits, 0)
    except ValueError:
        raise _not_a(value, "!!int") from None


def _float(value: str) -> float:
    lowered = _checked_number(value).lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    try:
        return float(lowered)
    except ValueError:
        raise _not_a(value, "!!float") from None


def _bool(value: str) -> bool:
    if value not in _BOOLS:
        raise _not_a(value, "!!bool")
    return value.lower() == "true"


def _null(value: str) -> None:
    if value not in _NULLS:
        raise _not_a(value, "!!null")


_CONSTRUCTORS: dict[str, Callable[[str], Any]] = {
    _TAG + "int": _int,
    _TAG + "float": _float,
    _TAG + "bool": _bool,
    _TAG + "null": _null,
}


def read_bytes(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, turning every way that can fail into a located problem.

    It is opened without blocking and checked before reading: a FIFO would otherwise wait for a writer for
    ever, and a device could stream without end."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _unreadable(display, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise not_regular(display, info.st_mode)
        if info.st_size > max_bytes:
            raise _problem(
                display, 1, 1, f"file is {info.st_size:,} bytes; the limit is {max_bytes:,}", "file-too-large"
            )
        try:
            return _read_all(fd, info.st_size, max_bytes)
        except OSError as exc:
            raise _unreadable(display, exc) from None
    finally:
        os.close(fd)


def _read_all(fd: int, expected: int, max_bytes: int) -> bytes:
    """Plain ``os.read`` calls: a buffered file object costs more than reading a small file does."""
    chunks = [os.read(fd, expected + 1)]
    while chunks[-1] and sum(map(len, chunks)) <= max_bytes:  # the file may have grown since fstat
        chunks.append(os.read(fd, 1 << 16))
    return b"".join(chunks)


def read_text(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a file as UTF-8, turning every way that can fail into a located problem."""
    return decode(read_bytes(path, display, max_bytes), display)


def _unreadable(display: str, exc: OSError) -> LocatedError:
    return _problem(display, 1, 1, f"cannot read file: {exc.strerror or exc}", "file-unreadable")


_FILE_TYPES = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def not_regular(display: str, mode: int) -> LocatedError:
    """For a path that is not a regular file: Watchbill never opens one (a FIFO blocks its reader)."""
    what = next((name for test, name in _FILE_TYPES if test(mode)), "a device or other special file")
    return _problem(display, 1, 1, f"this is {what}, not a regular file; it is not read", "file-not-regular")


def decode(raw: bytes, display: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (and UTF-32 LE) byte order marks
        raise _problem(display, 1, 1, "file is saved as UTF-16; save it as UTF-8", "file-encoding")
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


def _opener(context: str | None) -> str:
    text = context or ""
    if "quoted" in text:
        return "quote"
    if "flow sequence" in text:
        return "'['"
    if "flow mapping" in text:
        return "'{'"
    return "construct"


def _syntax_problem(exc: MarkedYAMLError, text: str, display: str) -> LocatedError:
    """libyaml's message, moved to where a person must edit and followed by what usually fixes it."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
    opened, noticed = exc.context_mark, exc.problem_mark
    unclosed = "end of stream" in problem or ("flow" in (exc.context or "") and "did not find expected" in problem)
    if unclosed and opened is not None and noticed is not None and noticed.line > opened.line:
        # An unclosed quote or bracket is only noticed lines later; point at where it opened.
        line, column = opened.line + 1, opened.column + 1
        problem += f"; the {_opener(exc.context)} opened here is never closed"
    problem += _syntax_hints(problem, noticed, text)
    return _problem(display, line, column, f"YAML syntax: {problem}", "yaml-syntax")


_SYNTAX_HINTS = (
    ("found another document", "; keep one record per file and move the part after '---' to a file of its own"),
    ("unexpected ':'", "; quote values that contain ':' (e.g. \"schedule:primary\") inside [ ] lists"),
)


def _syntax_hints(problem: str, noticed: Any, text: str) -> str:
    """What usually fixes libyaml's complaint: indentation first, then the known slips."""
    hints = ""
    lines = text.splitlines()
    if noticed is not None and noticed.line < len(lines) and "\t" in lines[noticed.line][: noticed.column + 1]:
        hints += "; YAML indents with spaces, never tabs"
    elif "mapping values are not allowed" in problem:
        hints += "; check this line's indentation, or quote a value that contains ': '"
    elif "did not find expected key" in problem or "expected '-' indicator" in problem:
        hints += "; check this line's indentation against the lines above"
    return hints + "".join(hint for found, hint in _SYNTAX_HINTS if found in problem)


def _shown_tag(tag: str | None) -> str:
    return "!!" + tag[len(_TAG) :] if tag and tag.startswith(_TAG) else str(tag)


_UNUSUAL_BREAKS = re.compile("[\x85\u2028\u2029]")


def _refuse_unusual_line_breaks(text: str, display: str) -> None:
    """libyaml ends lines at NEL, U+2028 and U+2029 too; editors mostly do not, so every line number after
    one would be wrong by the editor's count. Refuse them where they stand instead."""
    found = _UNUSUAL_BREAKS.search(text)
    if found is None:
        return
    offset = found.start()
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    raise _problem(
        display,
        line,
        column,
        f"invisible line separator U+{ord(found.group()):04X}; delete it, or write it as \\u{ord(found.group()):04x} "
        "inside a double-quoted string",
        "yaml-line-separator",
    )


_DEEP_PREFIX = re.compile(f"^[ \t?:-]{{{MAX_DEPTH // 2}}}", re.MULTILINE)
"""A line that starts with this many columns of indentation or block indicators (``- - - x``)."""


def _may_nest_deeply(text: str) -> bool:
    """Cheap, sound bound: flow nesting needs a bracket per level; block nesting needs a column of indentation
    or an indicator (``- ``, ``? ``) per level at the start of some line. Long lines of prose need neither, so
    ordinary files skip the second pass. Each half of the budget is checked on its own, so together they
    cannot exceed it unnoticed."""
    brackets = text.count("[") + text.count("{")
    return brackets > MAX_DEPTH // 2 or _DEEP_PREFIX.search(text) is not None


def _check_depth(text: str, display: str) -> None:
    """Count nesting from the event stream, which libyaml produces without recursion.

    libyaml's composer recurses in C for every level: a document nested fifty thousand deep would crash
    the interpreter instead of raising, so deep documents must be refused before composing.
    """
    parser = _Composer(text)
    depth = 0
    while True:
        event = parser.get_event()
        if isinstance(event, SequenceStartEvent | MappingStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise _problem(
                    display, mark.line + 1, mark.column + 1, f"nesting deeper than {MAX_DEPTH} levels", "yaml-too-deep"
                )
        elif isinstance(event, SequenceEndEvent | MappingEndEvent):
            depth -= 1
        elif isinstance(event, StreamEndEvent):
            return


def parse(text: str, display: str, *, positions: bool = True) -> Document:
    """Text -> Document, or LocatedError for the first thing a person must fix.

    ``positions=False`` skips recording where every key and item is (most files are valid and never need
    it); callers re-parse with positions when a model rejects the data.
    """
    _refuse_unusual_line_breaks(text, display)
    try:
        if _may_nest_deeply(text):
            _check_depth(text, display)
        node = _Composer(text).get_single_node()
    except MarkedYAMLError as exc:
        raise _syntax_problem(exc, text, display) from None
    except YAMLError as exc:
        raise _problem(display, 1, 1, f"YAML syntax: {exc}", "yaml-syntax") from None
    except RecursionError:
        raise _problem(display, 1, 1, f"nesting deeper than {MAX_DEPTH} levels", "yaml-too-deep") from None
    if node is None:
        raise _problem(display, 1, 1, "file is empty; it needs at least its top-level keys", "yaml-empty")
    walker = _Walker(display, positions)
    walker.doc.data = walker.walk(node, (), 0)
    if not isinstance(walker.doc.data, dict):
        raise walker.error(node, "the top level must be a mapping of keys to values", "yaml-not-mapping")
    return walker.doc


def load(path: Path, display: str) -> Document:
    return parse(read_text(path, display), display)


def is_yaml11_boolean(value: object) -> bool:
    """``no``/``on``/``y`` were booleans in YAML 1.1 and are text in 1.2: worth a hint when a bool is wanted."""
    return isinstance(value, str) and value.lower() in _YAML11_BOOLS
