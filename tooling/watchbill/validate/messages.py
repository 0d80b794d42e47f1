"""Turn pydantic's validation errors into problems a person can act on.

pydantic says ``Input should be a valid string``; a person editing YAML needs to hear
``services[0].probes[1].http.url: expected text, got the number 8080; quote it``, at the line of that key.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..fields import INCIDENT_ID_PATTERN
from ..files.loader import Document, Loc, is_yaml11_boolean
from ..models.people import GITHUB_LOGIN_PATTERN
from ..problems import Problem

_PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9_-]{0,62}$": "a lower-case id: letters a-z, digits, '-' and '_', starting with a letter or digit",
    r"^SEV-[0-9]$": "a severity id like SEV-1",
    INCIDENT_ID_PATTERN: "an incident id like INC-2026-0042",
    r"^MNT-[0-9]{4}-[0-9]{4}$": "a maintenance id like MNT-2026-0003",
    r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$": "service-id/probe-id",
    r"^https?://[^\s/$.?#][^\s]*$": "a URL starting with https:// or http://",
    r"^https?://\S+$": "a URL starting with https:// or http://",
    GITHUB_LOGIN_PATTERN: "a GitHub login: letters, digits and single hyphens between them, not at either end",
}
_BOUNDS = {
    "greater_than": ("gt", "more than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text '{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _unwrap(annotation: Any) -> list[Any]:
    """Concrete types inside Optional / Annotated / unions."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``loc``; used to list the keys that are allowed."""
    current: Any = model
    for part in loc:
        current = next((found for c in _unwrap(current) if (found := _inside(c, part)) is not None), None)
        if current is None:
            return None
    for candidate in _unwrap(current):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _inside(annotation: Any, part: str | int) -> Any:
    """The annotation of ``part`` inside a value of type ``annotation`` (list item, model field, dict value)."""
    origin = typing.get_origin(annotation)
    if isinstance(part, int):
        return typing.get_args(annotation)[0] if origin is list else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = [info.annotation for name, info in annotation.model_fields.items() if part in (name, info.alias)]
        return fields[-1] if fields else None
    return typing.get_args(annotation)[1] if origin is dict else None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _clean_loc(loc: tuple[Any, ...], data: Any) -> Loc:
    """Drop pydantic's union-member tags (``'str'``, ``'function-after[...]'``) that are not keys in the data."""
    kept: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        if in_dict or (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)):
            kept.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not node:
            break
        elif (
            isinstance(node, dict)
            and isinstance(part, str)
            and "[" not in part
            and part
            not in (
                "str",
                "int",
                "float",
                "bool",
                "none",
                "list",
                "dict",
            )
        ):
            kept.append(part)  # a missing or extra key: keep it, locate() falls back to its parent
            node = None
        else:
            continue
    return tuple(kept)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _Error:
    """One pydantic error with what every message needs: where it is, what was given, pydantic's context."""

    kind: str
    loc: Loc
    value: Any
    ctx: dict[str, Any]
    msg: str
    model: type[BaseModel]

    @property
    def where(self) -> str:
        return dotted(self.loc)


Message = tuple[str, str, bool]
"""(message, rule, point at the key rather than the value)."""


def _missing(e: _Error) -> Message:
    parent = f"{dotted(e.loc[:-1])}: " if e.loc[:-1] else ""
    return f"{parent}required key '{e.loc[-1]}' is missing", "missing-key", False


def _extra(e: _Error) -> Message:
    owner = _model_at(e.model, e.loc[:-1])
    allowed = _field_names(owner) if owner else []
    close = difflib.get_close_matches(str(e.loc[-1]), allowed, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else (f"; allowed: {', '.join(allowed)}" if allowed else "")
    return f"{e.where}: unknown key '{e.loc[-1]}'{hint}", "unknown-key", True


def _bool(e: _Error) -> Message:
    if is_yaml11_boolean(e.value):
        return f"{e.where}: '{e.value}' is text in YAML 1.2, not a boolean; write true or false", "wrong-type", False
    quoted = isinstance(e.value, str) and e.value.lower() in ("true", "false")
    hint = "; remove the quotes" if quoted else ""
    return f"{e.where}: expected true or false, got {_describe(e.value)}{hint}", "wrong-type", False


def _string(e: _Error) -> Message:
    hint = "; quote it" if isinstance(e.value, int | float | bool) else ""
    return f"{e.where}: expected text, got {_describe(e.value)}{hint}", "wrong-type", False


def _number(e: _Error) -> Message:
    hint = "; remove the quotes" if isinstance(e.value, str) and _is_number(e.value) else ""
    return f"{e.where}: expected a number, got {_describe(e.value)}{hint}", "wrong-type", False


def _list(e: _Error) -> Message:
    return f"{e.where}: expected a list (lines starting with '- '), got {_describe(e.value)}", "wrong-type", False


def _mapping(e: _Error) -> Message:
    return f"{e.where}: expected a mapping of keys to values, got {_describe(e.value)}", "wrong-type", False


def _literal(e: _Error) -> Message:
    expected = str(e.ctx.get("expected", "")).replace("'", "")
    return f"{e.where}: {_describe(e.value)} is not allowed; use one of: {expected}", "invalid-value", False


def _pattern(e: _Error) -> Message:
    pattern = str(e.ctx.get("pattern", ""))
    hint = _PATTERN_HINTS.get(pattern, f"text matching {pattern}")
    return f"{e.where}: {_describe(e.value)} is not {hint}", "invalid-value", False


def _too_short(e: _Error) -> Message:
    if e.kind == "too_short" and not isinstance(e.value, list | str):
        return _other(e)
    return f"{e.where}: must not be empty", "invalid-value", False


def _too_long(e: _Error) -> Message:
    return f"{e.where}: text is too long (limit {e.ctx.get('max_length')} characters)", "invalid-value", False


def _bound(e: _Error) -> Message:
    bound, words = _BOUNDS[e.kind]
    return f"{e.where}: must be {words} {e.ctx.get(bound)}, got {_describe(e.value)}", "invalid-value", False


def _value_error(e: _Error) -> Message:
    message = str(e.ctx.get("error", e.msg)).removeprefix("Value error, ")
    return (f"{e.where}: {message}" if e.loc else message), "invalid-value", False


def _other(e: _Error) -> Message:
    msg = e.msg.removeprefix("Value error, ")
    return f"{e.where}: {msg} (got {_describe(e.value)})", "invalid-value", False


_MESSAGES: dict[str, Callable[[_Error], Message]] = {
    "missing": _missing,
    "extra_forbidden": _extra,
    "bool_type": _bool,
    "string_type": _string,
    **dict.fromkeys(("int_type", "int_parsing", "float_type", "float_parsing"), _number),
    "list_type": _list,
    **dict.fromkeys(("dict_type", "model_type", "model_attributes_type"), _mapping),
    "literal_error": _literal,
    "string_pattern_mismatch": _pattern,
    **dict.fromkeys(("too_short", "string_too_short"), _too_short),
    "string_too_long": _too_long,
    **dict.fromkeys(_BOUNDS, _bound),
    "value_error": _value_error,
}
"""pydantic error type -> what a person editing YAML needs to hear; anything else gets pydantic's words."""


def _message(err: ErrorDetails, loc: Loc, model: type[BaseModel]) -> Message:
    error = _Error(err["type"], loc, err.get("input"), dict(err.get("ctx") or {}), err["msg"], model)
    return _MESSAGES.get(error.kind, _other)(error)


def _misspelt(errors: list[ErrorDetails], data: Any, model: type[BaseModel]) -> set[Loc]:
    """Missing keys that an unknown sibling key is a near-spelling of: one mistake, reported once."""
    cleaned = [(_clean_loc(tuple(err["loc"]), data), err["type"]) for err in errors]
    missing = {loc for loc, kind in cleaned if kind == "missing" and loc}
    covered: set[Loc] = set()
    for loc, kind in cleaned:
        if kind != "extra_forbidden" or not loc:
            continue
        owner = _model_at(model, loc[:-1])
        siblings = [name for name in (_field_names(owner) if owner else []) if (*loc[:-1], name) in missing]
        close = difflib.get_close_matches(str(loc[-1]), siblings, n=1)
        if close:
            covered.add((*loc[:-1], close[0]))
    return covered


def _data_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _mentioned_key(message: str, mapping: dict[str, Any]) -> str | None:
    """The key of ``mapping`` a whole-object rule names first (``end must be after its start`` -> end).

    Rules that compare fields are raised for the object, which would put them at its first line; the
    key the message talks about is where a person has to look.
    """
    found: list[tuple[int, str]] = []
    for key in mapping:
        match = re.search(rf"(?<!\w){re.escape(key)}(?!\w)", message)
        if match:
            found.append((match.start(), key))
    return min(found)[1] if found else None


def problems_from(error: ValidationError, doc: Document, model: type[BaseModel]) -> list[Problem]:
    seen: set[tuple[int, int, str]] = set()
    problems: list[Problem] = []
    errors = error.errors(include_url=False)
    misspelt = _misspelt(errors, doc.data, model)
    for err in errors:
        loc = _clean_loc(tuple(err["loc"]), doc.data)
        if err["type"] == "missing" and loc in misspelt:
            continue
        message, rule, at_key = _message(err, loc, model)
        target = _data_at(doc.data, loc)
        if err["type"] == "value_error" and isinstance(target, dict):
            key = _mentioned_key(message.removeprefix(f"{dotted(loc)}: "), target)
            if key is not None:
                loc, at_key = (*loc, key), True
        position = doc.locate(loc, key=at_key)
        marker = (position.line, position.column, message)
        if marker in seen:
            continue
        seen.add(marker)
        problems.append(Problem(doc.path, position.line, position.column, "error", message, rule))
    return problems
