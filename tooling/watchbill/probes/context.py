"""What every check shares within one run: TLS trust, pooled HTTP clients, and the clock.

One run probes hundreds of endpoints, so trust stores are built once and HTTP connections are pooled. The
pools are small "lanes" rather than one big pool: httpcore scans its whole pool for every request, which
made 300 concurrent requests through one client take 4 s instead of 0.3 s.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import socket
import ssl
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx


class CheckFailed(Exception):
    """The target answered (or failed to) in a way its probe calls unhealthy; the message says how."""

    def __init__(self, message: str, latency_ms: float | None = None) -> None:
        super().__init__(message)
        self.latency_ms = latency_ms


class CheckNotRunnable(CheckFailed):
    """The probe cannot be checked from here (a secret it needs is not set): the verdict is unknown, so a
    missing secret in CI neither opens an incident nor hides one; the message names what is missing."""


LANE_SIZE = 4
"""Connections per HTTP client; see the module docstring."""


def _remember_missing_sniffio() -> None:
    """httpcore tries ``import sniffio`` for every lock it creates; when sniffio is not installed each failed
    import walks sys.path (0.3 ms, about 3 s per 1,000 requests). A ``None`` entry makes the failure instant."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_remember_missing_sniffio()


@dataclass(frozen=True)
class Outcome:
    ok: bool | None
    latency_ms: float | None
    error: str | None = None


_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?:[^/\s@'\"]*@)?(?P<rest>[^\s?#'\"]*)(?:[?#][^\s'\"]*)?", re.I)


def safe_message(text: str, limit: int = 300) -> str:
    """Error text for the data branch and incident timeline: URLs lose credentials and query strings."""
    cleaned = _URL.sub(lambda m: m.group("scheme") + m.group("rest"), " ".join(text.split()))
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def os_reason(exc: OSError) -> str:
    """``Connection refused`` rather than asyncio's ``Connect call failed ('10.0.0.1', 5432)``."""
    if isinstance(exc, socket.gaierror):
        # getaddrinfo's codes are negative; os.strerror would say "Unknown error -2".
        return f"host name not resolved ({exc.strerror or exc.errno})"
    if exc.errno:
        return os.strerror(exc.errno)
    return safe_message(str(exc)) or type(exc).__name__


@dataclass
class CheckContext:
    """Per-run resources; ``now()`` is the run's start plus monotonic time elapsed since."""

    started: datetime
    concurrency: int = 100
    ca_file: Path | None = None
    _origin: float = field(default_factory=time.monotonic)
    _ssl: dict[bool, ssl.SSLContext] = field(default_factory=dict)
    _clients: dict[tuple[bool, int, int], httpx.AsyncClient] = field(default_factory=dict)

    @property
    def lanes(self) -> int:
        return max(1, -(-self.concurrency // LANE_SIZE))

    def now(self) -> datetime:
        return self.started + timedelta(seconds=time.monotonic() - self._origin)

    def ssl_context(self, verify: bool = True) -> ssl.SSLContext:
        context = self._ssl.get(verify)
        if context is None:
            if verify:
                context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
            else:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._ssl[verify] = context
        return context

    def http_client(self, *, verify: bool, max_redirects: int, lane: int = 0) -> httpx.AsyncClient:
        key = (verify, max_redirects, lane % self.lanes)
        client = self._clients.get(key)
        if client is None:
            size = min(self.concurrency, 2 * LANE_SIZE)  # slack: the run's semaphore is the real bound
            client = httpx.AsyncClient(
                verify=self.ssl_context(verify),
                max_redirects=max_redirects,
                trust_env=False,  # a monitor measures the direct path, never a proxy from the environment
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
                headers={"User-Agent": "watchbill-probe/1"},
            )
            self._clients[key] = client
        return client

    async def aclose(self, timeout: float = 2.0) -> None:
        clients, self._clients = list(self._clients.values()), {}
        if clients:
            await asyncio.wait([asyncio.ensure_future(c.aclose()) for c in clients], timeout=timeout)
