"""Run many probes at once within hard limits.

Three limits bound a run, whatever the targets do (hang, trickle, reset, redirect for ever, stream
without end): each attempt is cancelled at the probe's ``timeout``; at most ``concurrency`` attempts run
at a time; and the whole run stops at ``budget``, recording the probes it could not finish as unchecked
(``ok: None``) rather than as failures, so a slow runner never opens an incident against a healthy service.

The runner's own resources bound it too. Concurrency is capped to what the process's open-file limit allows
(the soft limit is first raised to the hard one where the system permits), and a probe that could not be
attempted for a local reason (out of file descriptors or buffers, a secret not set) is unknown, never DOWN:
an exhausted runner must not count against a service.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from ..models import Probe
from .context import CheckContext, CheckFailed, CheckNotRunnable, Outcome, safe_message
from .dns import check_dns
from .http import check_http
from .result import DEFAULT_REGION, Result, ResultsFile
from .target import Target
from .tcp import check_tcp
from .tls import check_tls

MAX_RESERVE_SECONDS = 1.0
"""Part of the budget kept back for cancelling unfinished checks and closing connections."""


def reserve(budget: float) -> float:
    return min(MAX_RESERVE_SECONDS, budget * 0.1)


LOCAL_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
"""Failures of this machine, not of the target: a probe that meets one was never really attempted."""
DESCRIPTOR_HEADROOM = 64
"""Descriptors kept free for the resolver, TLS trust stores, log and result files."""
DESCRIPTORS_PER_SLOT = 2
"""A running check holds one socket; its HTTP lane may keep as many idle connections again for reuse."""


def open_descriptors() -> int:
    """Descriptors this process holds now (0 where the system cannot tell us; the headroom covers it)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return sum(1 for _ in Path(folder).iterdir())
    return 0


def descriptor_limit() -> int | None:
    """The soft open-file limit, raised to the hard limit where allowed; None where there is no such limit."""
    try:
        import resource  # POSIX only
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return None if soft == resource.RLIM_INFINITY else soft


def concurrency_cap(wanted: int, limit: int | None = None, in_use: int | None = None) -> int:
    """At most ``wanted`` checks at a time, and no more than the free descriptors can carry (at least one)."""
    limit = descriptor_limit() if limit is None else limit
    if limit is None:
        return wanted
    in_use = open_descriptors() if in_use is None else in_use
    free = limit - in_use - DESCRIPTOR_HEADROOM
    return max(1, min(wanted, free // DESCRIPTORS_PER_SLOT))


def local_reason(exc: BaseException) -> str | None:
    """Why an attempt failed on this machine (EMFILE and kin) anywhere in its chain of causes, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in LOCAL_ERRNOS:
            return f"{errno.errorcode.get(current.errno, current.errno)}, {os.strerror(current.errno)}"
        current = current.__cause__ or current.__context__
    return None


def _not_attempted(exc: BaseException) -> Outcome | None:
    reason = local_reason(exc)
    if reason is None:
        return None
    return Outcome(None, None, f"not attempted: this runner ran out of a local resource ({reason})")


@dataclass(frozen=True)
class RunOptions:
    concurrency: int = 100
    budget: timedelta = timedelta(minutes=4)
    backoff: timedelta = timedelta(milliseconds=500)
    """Delay before the first retry; it doubles for each further retry."""
    region: str = DEFAULT_REGION
    shard: str | None = None
    ca_file: Path | None = None
    """Extra trust anchors (PEM), for services behind a private certificate authority."""


async def attempt(probe: Probe, context: CheckContext, lane: int = 0) -> Outcome:
    """One attempt, hard-bounded by the probe's timeout."""
    timeout = probe.timeout.total_seconds()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            if probe.http is not None:
                return await check_http(probe.http, context, timeout, lane)
            if probe.tcp is not None:
                return await check_tcp(probe.tcp, context, timeout)
            if probe.dns is not None:
                return await check_dns(probe.dns, context, timeout)
            if probe.tls is not None:
                return await check_tls(probe.tls, context, timeout)
            raise CheckFailed("probe has no check")  # pragma: no cover - the model forbids it
    except TimeoutError:
        return Outcome(False, None, f"no complete answer within the {timeout:g}s timeout")
    except CheckNotRunnable as exc:
        return Outcome(None, None, str(exc))
    except CheckFailed as exc:
        return _not_attempted(exc) or Outcome(False, exc.latency_ms, str(exc))
    except Exception as exc:  # a check must never take the run down with it
        elapsed = (time.perf_counter() - started) * 1000
        return _not_attempted(exc) or Outcome(False, elapsed, safe_message(f"{type(exc).__name__}: {exc}"))


async def check_with_retries(
    target: Target, context: CheckContext, slots: asyncio.Semaphore, options: RunOptions, lane: int = 0
) -> Result:
    """Retries (with exponential backoff) happen before a failure counts; the slot is free while waiting."""
    probe = target.probe
    first_at: datetime | None = None
    outcome = Outcome(False, None, "not checked")
    attempts = 0
    for number in range(probe.retries + 1):
        if number:
            await asyncio.sleep(options.backoff.total_seconds() * 2 ** (number - 1))
        async with slots:
            if first_at is None:
                first_at = context.now()
            attempts += 1
            outcome = await attempt(probe, context, lane)
        if outcome.ok is not False:
            break  # healthy, or not checkable from here: retrying changes neither
    return Result(
        key=target.key,
        at=first_at or context.now(),
        ok=outcome.ok,
        latency_ms=None if outcome.latency_ms is None else round(outcome.latency_ms, 1),
        error=None if outcome.error is None else safe_message(outcome.error),
        attempts=attempts,
        region=options.region,
    )


async def run_async(targets: Sequence[Target], options: RunOptions, now: datetime) -> ResultsFile:
    budget = options.budget.total_seconds()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    context = CheckContext(started=now, concurrency=options.concurrency, ca_file=options.ca_file)
    slots = asyncio.Semaphore(options.concurrency)
    tasks = {
        asyncio.ensure_future(check_with_retries(target, context, slots, options, lane)): target
        for lane, target in enumerate(targets)
    }
    results: list[Result] = []
    try:
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=max(0.0, budget - reserve(budget)))
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=max(0.001, (deadline - loop.time()) / 2))
            for task, target in tasks.items():
                if task in done and task.exception() is None:
                    results.append(task.result())
                else:
                    results.append(
                        Result(
                            key=target.key,
                            at=now,
                            ok=None,
                            error="not checked: the run's time budget ran out first",
                            attempts=0,
                            region=options.region,
                        )
                    )
    finally:
        await context.aclose(timeout=max(0.001, deadline - loop.time()))
    return ResultsFile(
        region=options.region,
        shard=options.shard,
        started_at=now,
        finished_at=context.now(),
        results=sorted(results, key=lambda r: r.key),
    )


def run(targets: Sequence[Target], options: RunOptions, now: datetime) -> ResultsFile:
    """Synchronous entry point that can never be held up by a resolver thread that hangs.

    ``asyncio.run`` waits for the default executor (where host names are resolved) and for every task at
    shutdown; a stuck ``getaddrinfo`` would then outlive the budget. This loop abandons both instead.
    """
    options = replace(options, concurrency=concurrency_cap(options.concurrency))
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(max_workers=min(32, max(4, options.concurrency)), thread_name_prefix="probe-dns")
    loop.set_default_executor(executor)
    try:
        return loop.run_until_complete(run_async(targets, options, now))
    finally:
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.wait(leftovers, timeout=0.1))
        executor.shutdown(wait=False, cancel_futures=True)
        loop.close()
