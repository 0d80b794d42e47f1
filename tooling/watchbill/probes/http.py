"""HTTP(S) checks: status, latency, body text, regular expression and JSON conditions.

The body is streamed and read only up to ``max_body_bytes``, so an endless or huge body costs at most that
much memory; the caller's hard timeout bounds a body that trickles in forever.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import time
from typing import Any

import httpx

from ..models import HttpCheck, JsonCondition
from .context import CheckContext, CheckFailed, CheckNotRunnable, Outcome, os_reason, safe_message

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MISSING = object()


def expand_env(headers: dict[str, str]) -> dict[str, str]:
    """Resolve ``${NAME}`` references; the error names the variable, never a value."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = os.environ.get(name)
        if found is None:
            raise CheckNotRunnable(f"header refers to ${{{name}}}, which is not set in the environment")
        return found

    return {key: _ENV_REF.sub(value, text) for key, text in headers.items()}


async def check_http(spec: HttpCheck, context: CheckContext, timeout: float, lane: int = 0) -> Outcome:
    client = context.http_client(verify=spec.verify_tls, max_redirects=spec.max_redirects, lane=lane)
    headers = expand_env(spec.headers)
    started = time.perf_counter()
    try:
        async with client.stream(
            spec.method,
            spec.url,
            headers=headers,
            content=spec.body.encode("utf-8") if spec.body is not None else None,
            follow_redirects=spec.follow_redirects,
            timeout=httpx.Timeout(timeout),
        ) as response:
            body = await _read_limited(response, spec.max_body_bytes)
            status = response.status_code
    except httpx.TooManyRedirects:
        raise CheckFailed(f"more than {spec.max_redirects} redirects") from None
    except httpx.TimeoutException as exc:
        raise CheckFailed(f"timed out ({type(exc).__name__})") from None
    except httpx.ConnectError as exc:
        raise CheckFailed(f"cannot connect: {_reason(exc)}") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise CheckFailed(f"connection broken: {safe_message(str(exc)) or type(exc).__name__}") from None
    except httpx.HTTPError as exc:
        raise CheckFailed(f"request failed: {safe_message(str(exc)) or type(exc).__name__}") from None
    latency = (time.perf_counter() - started) * 1000
    problem = evaluate(spec, status, body, latency)
    if problem is not None:
        return Outcome(False, latency, problem)
    return Outcome(True, latency)


def _reason(exc: BaseException) -> str:
    """The operating system's reason (``Connection refused``) hidden under httpx's "All connection attempts
    failed", or the certificate problem under a TLS failure, when there is one."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {seen.verify_message or seen.reason}"
        if isinstance(seen, OSError) and seen.errno:
            return os_reason(seen)
        seen = seen.__cause__ or seen.__context__
    return safe_message(str(exc)) or type(exc).__name__


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise CheckFailed(f"response body is larger than {limit} bytes (max_body_bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def evaluate(spec: HttpCheck, status: int, body: bytes, latency_ms: float) -> str | None:
    """The first way the response falls short of the probe's expectations, or None when it is healthy."""
    if status not in spec.expect_status:
        expected = ", ".join(str(s) for s in spec.expect_status)
        return f"status {status}, expected {expected}"
    if spec.max_latency is not None and latency_ms > spec.max_latency.total_seconds() * 1000:
        return f"took {latency_ms:.0f} ms, more than max_latency {spec.max_latency.total_seconds() * 1000:.0f} ms"
    if spec.body_contains is None and spec.body_regex is None and not spec.json_conditions:
        return None
    return _body_problem(spec, body.decode("utf-8", errors="replace"))


def _body_problem(spec: HttpCheck, text: str) -> str | None:
    if spec.body_contains is not None and spec.body_contains not in text:
        return f"body does not contain {spec.body_contains!r}"
    if spec.body_regex is not None and re.search(spec.body_regex, text) is None:
        return f"body does not match /{spec.body_regex}/"
    if not spec.json_conditions:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return "body is not JSON"
    problems = (check_condition(document, condition) for condition in spec.json_conditions)
    return next((problem for problem in problems if problem is not None), None)


def lookup(document: Any, path: str) -> Any:
    """Value at a dotted path (``data.items.0.state``), or a sentinel when any step is missing."""
    current = document
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit() and -len(current) <= int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def check_condition(document: Any, condition: JsonCondition) -> str | None:
    value = lookup(document, condition.path)
    where = f"JSON {condition.path}"
    if value is _MISSING:
        return None if condition.exists is False else f"{where} is missing"
    if condition.exists is False:
        return f"{where} exists but should not"
    return _compare(value, condition, where) or _compare_number(value, condition, where)


def _compare(value: Any, condition: JsonCondition, where: str) -> str | None:
    if condition.equals is not None and not _same(value, condition.equals):
        return f"{where} is {_show(value)}, expected {_show(condition.equals)}"
    if condition.not_equals is not None and _same(value, condition.not_equals):
        return f"{where} is {_show(value)}, which it must not be"
    if condition.matches is not None and re.search(condition.matches, _text(value)) is None:
        return f"{where} is {_show(value)}, which does not match /{condition.matches}/"
    return None


def _compare_number(value: Any, condition: JsonCondition, where: str) -> str | None:
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if condition.less_than is not None and (number is None or not number < condition.less_than):
        return f"{where} is {_show(value)}, expected less than {condition.less_than:g}"
    if condition.greater_than is not None and (number is None or not number > condition.greater_than):
        return f"{where} is {_show(value)}, expected more than {condition.greater_than:g}"
    return None


def _same(value: Any, expected: object) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected
    return bool(value == expected)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
