"""TLS certificate checks: the chain verifies, the name matches, and expiry is far enough away."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from datetime import UTC, datetime

from ..models import TlsCheck
from .context import CheckContext, CheckFailed, Outcome, os_reason


async def check_tls(spec: TlsCheck, context: CheckContext, timeout: float) -> Outcome:
    server_name = spec.server_name or spec.host
    started = time.perf_counter()
    try:
        _, writer = await asyncio.open_connection(
            spec.host,
            spec.port,
            ssl=context.ssl_context(verify=True),
            server_hostname=server_name,
            ssl_handshake_timeout=timeout,
        )
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or exc.reason or "verification failed"
        raise CheckFailed(f"certificate not valid for {server_name}: {reason}") from None
    except ssl.SSLError as exc:
        raise CheckFailed(f"TLS handshake failed: {exc.reason or type(exc).__name__}") from None
    except OSError as exc:
        raise CheckFailed(f"cannot connect to port {spec.port}: {os_reason(exc)}") from None
    latency = (time.perf_counter() - started) * 1000
    try:
        certificate = writer.get_extra_info("peercert") or {}
    finally:
        writer.close()
        with contextlib.suppress(OSError, asyncio.TimeoutError, ssl.SSLError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)
    not_after_text = certificate.get("notAfter")
    if not isinstance(not_after_text, str):
        raise CheckFailed("server sent no certificate expiry date", latency)
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after_text), UTC)
    days_left = (expires - context.now()).total_seconds() / 86400
    if days_left < spec.min_days_left:
        return Outcome(
            False,
            latency,
            f"certificate expires {expires:%Y-%m-%d} ({days_left:.0f} days left, min_days_left {spec.min_days_left})",
        )
    return Outcome(True, latency)
