"""TCP checks: can a connection be opened at all."""

from __future__ import annotations

import asyncio
import contextlib
import time

from ..models import TcpCheck
from .context import CheckContext, CheckFailed, Outcome, os_reason


async def check_tcp(spec: TcpCheck, context: CheckContext, timeout: float) -> Outcome:
    started = time.perf_counter()
    try:
        _, writer = await asyncio.open_connection(spec.host, spec.port)
    except OSError as exc:
        raise CheckFailed(f"cannot connect to port {spec.port}: {os_reason(exc)}") from None
    latency = (time.perf_counter() - started) * 1000
    writer.close()
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    return Outcome(True, latency)
