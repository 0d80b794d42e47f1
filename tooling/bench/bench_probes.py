"""1,000 HTTP probes in one run against loopback targets that answer after 200 ms.

The floor is 0.2 s (every target's delay); the aim is under 3 s on a shared 2-core machine. The targets
run in a separate process so they do not compete with the runner for the interpreter lock.

    /work/venv/bin/python tooling/bench/bench_probes.py [--probes 1000] [--delay 0.2] [--concurrency 500]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

from watchbill.models import HttpCheck, Probe
from watchbill.probes import RunOptions, Target
from watchbill.probes import run as run_probes

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class _Slow(asyncio.Protocol):
    """Answers every request on a connection after ``delay`` seconds; keep-alive like a real server."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            asyncio.get_running_loop().call_later(self.delay, self._answer)

    def _answer(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(RESPONSE)


def _serve(delay: float, ready: Any, port_box: Any) -> None:
    raise_open_files(8192)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Slow(delay), "127.0.0.1", 0, backlog=4096)
        port_box.value = server.sockets[0].getsockname()[1]
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def raise_open_files(wanted: int) -> int:
    """Raise the soft open-file limit towards ``wanted`` (never above the hard limit); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def measure(probes: int = 1000, delay: float = 0.2, concurrency: int = 500) -> dict[str, float]:
    raise_open_files(probes * 2 + 1024)
    ready = multiprocessing.Event()
    port_box = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=_serve, args=(delay, ready, port_box), daemon=True)
    server.start()
    try:
        if not ready.wait(10):
            raise RuntimeError("target server did not start")
        port = port_box.value
        targets = [
            Target(
                f"svc{i // 10:03d}/p{i % 10}",
                Probe(
                    id=f"p{i % 10}",
                    http=HttpCheck(url=f"http://127.0.0.1:{port}/health/{i}"),
                    timeout=timedelta(seconds=5),
                ),
            )
            for i in range(probes)
        ]
        options = RunOptions(concurrency=concurrency, budget=timedelta(seconds=60))
        started = time.perf_counter()
        cpu = time.process_time()
        results = run_probes(targets, options, datetime.now(UTC))
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        # A second run under tracemalloc for the peak: tracing slows Python down, so it is not timed.
        tracemalloc.start()
        run_probes(targets, options, datetime.now(UTC))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        ok = sum(1 for r in results.results if r.ok)
        return {
            "wall": wall,
            "cpu": cpu,
            "ok": ok,
            "probes": probes,
            "peak_traced_mb": peak / 1e6,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    finally:
        server.terminate()
        server.join(5)


def run() -> list[tuple[str, str]]:
    figures = measure()
    return [
        (f"{figures['probes']:.0f} HTTP probes, 200 ms targets: wall", f"{figures['wall']:.2f} s (aim < 3 s)"),
        ("  CPU time of the runner", f"{figures['cpu']:.2f} s"),
        ("  healthy results", f"{figures['ok']:.0f} of {figures['probes']:.0f}"),
        ("  peak Python memory (tracemalloc)", f"{figures['peak_traced_mb']:.1f} MB"),
        ("  peak RSS of the process", f"{figures['max_rss_mb']:.0f} MB"),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=500)
    args = parser.parse_args()
    figures = measure(args.probes, args.delay, args.concurrency)
    print(f"probes:            {figures['probes']:.0f} ({figures['ok']:.0f} healthy)")
    print(f"wall:              {figures['wall']:.2f} s   (floor {args.delay:.1f} s, aim < 3 s)")
    print(f"runner CPU:        {figures['cpu']:.2f} s")
    print(f"peak traced:       {figures['peak_traced_mb']:.1f} MB (tracemalloc)")
    print(f"peak RSS:          {figures['max_rss_mb']:.0f} MB")
