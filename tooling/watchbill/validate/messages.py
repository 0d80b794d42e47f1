"""Turn pydantic's validation errors into problems a person can act on.

pydantic says ``Input should be a valid string``; a person editing YAML needs to hear
``services[0].probes[1].http.url: expected text, got the number 8080; quote it``, at the line of that key.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..loader import Document, Loc, is_yaml11_boolean
from ..problems import Problem

_PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9_-]{0,62}$": "a lower-case id: letters a-z, digits, '-' and '_', starting with a letter or digit",
    r"^SEV-[0-9]$": "a severity id like SEV-1",
    r"^INC-[0-9]{4}-[0-9]{4}$": "an incident id like INC-2026-0042",
    r"^MNT-[0-9]{4}-[0-9]{4}$": "a maintenance id like MNT-2026-0003",
    r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$": "service-id/probe-id",
    r"^https?://[^\s/$.?#][^\s]*$": "a URL starting with https:// or http://",
    r"^https?://\S+$": "a URL starting with https:// or http://",
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
        candidates = _unwrap(current)
        nxt: Any = None
        for candidate in candidates:
            origin = typing.get_origin(candidate)
            if isinstance(part, int) and origin is list:
                nxt = typing.get_args(candidate)[0]
            elif isinstance(part, str) and isinstance(candidate, type) and issubclass(candidate, BaseModel):
                for name, info in candidate.model_fields.items():
                    if part in (name, info.alias):
                        nxt = info.annotation
            elif isinstance(part, str) and origin is dict:
                nxt = typing.get_args(candidate)[1]
            if nxt is not None:
                break
        if nxt is None:
            return None
        current = nxt
    for candidate in _unwrap(current):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


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


def _message(err: ErrorDetails, loc: Loc, model: type[BaseModel]) -> tuple[str, str, bool]:
    """(message, rule, point at the key rather than the value)."""
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    where = dotted(loc)
    if kind == "missing":
        parent = f"{dotted(loc[:-1])}: " if loc[:-1] else ""
        return f"{parent}required key '{loc[-1]}' is missing", "missing-key", False
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        allowed = _field_names(owner) if owner else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else (f"; allowed: {', '.join(allowed)}" if allowed else "")
        return f"{where}: unknown key '{loc[-1]}'{hint}", "unknown-key", True
    if kind == "bool_type":
        if is_yaml11_boolean(value):
            return (
                f"{where}: '{value}' is text in YAML 1.2, not a boolean; write true or false",
                "wrong-type",
                False,
            )
        hint = "; remove the quotes" if isinstance(value, str) and value.lower() in ("true", "false") else ""
        return f"{where}: expected true or false, got {_describe(value)}{hint}", "wrong-type", False
    if kind in ("string_type",):
        hint = "; quote it" if isinstance(value, int | float | bool) else ""
        return f"{where}: expected text, got {_describe(value)}{hint}", "wrong-type", False
    if kind in ("int_type", "int_parsing", "float_type", "float_parsing"):
        hint = "; remove the quotes" if isinstance(value, str) and _is_number(value) else ""
        return f"{where}: expected a number, got {_describe(value)}{hint}", "wrong-type", False
    if kind in ("list_type",):
        return f"{where}: expected a list (lines starting with '- '), got {_describe(value)}", "wrong-type", False
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where}: expected a mapping of keys to values, got {_describe(value)}", "wrong-type", False
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"{where}: {_describe(value)} is not allowed; use one of: {expected}", "invalid-value", False
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        hint = _PATTERN_HINTS.get(pattern, f"text matching {pattern}")
        return f"{where}: {_describe(value)} is not {hint}", "invalid-value", False
    if kind == "too_short" and isinstance(value, list | str):
        return f"{where}: must not be empty", "invalid-value", False
    if kind == "string_too_short":
        return f"{where}: must not be empty", "invalid-value", False
    if kind == "string_too_long":
        return f"{where}: text is too long (limit {ctx.get('max_length')} characters)", "invalid-value", False
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        return f"{where}: must be {words} {ctx.get(bound)}, got {_describe(value)}", "invalid-value", False
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
        return (f"{where}: {message}" if loc else message), "invalid-value", False
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {msg} (got {_describe(value)})", "invalid-value", False


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
