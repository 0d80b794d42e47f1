"""The runner within the machine's own limits: descriptors cap concurrency, local exhaustion is never DOWN."""

from __future__ import annotations

import errno
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from support.probe_servers import HttpServer, http_server

from watchbill.probes.context import CheckFailed
from watchbill.probes.runner import DESCRIPTOR_HEADROOM, concurrency_cap, local_reason


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with http_server() as running:
        yield running


def test_concurrency_is_capped_by_the_free_descriptors() -> None:
    assert concurrency_cap(2000, limit=1024, in_use=10) == (1024 - 10 - DESCRIPTOR_HEADROOM) // 2
    assert concurrency_cap(50, limit=1024, in_use=10) == 50
    assert concurrency_cap(50, limit=40, in_use=30) == 1


def test_a_descriptor_shortage_anywhere_in_the_causes_is_a_local_reason() -> None:
    try:
        try:
            raise OSError(errno.EMFILE, "Too many open files")
        except OSError:
            raise CheckFailed("cannot connect to port 80: Too many open files") from None
    except CheckFailed as exc:
        assert local_reason(exc) == "EMFILE, Too many open files"
    assert local_reason(CheckFailed("cannot connect to port 80: Connection refused")) is None


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_probe_that_meets_emfile_is_unknown_not_down(server: HttpServer) -> None:
    done = _python(
        f"""
        import asyncio, os, resource
        from datetime import UTC, datetime, timedelta
        from watchbill.models import Probe, TcpCheck
        from watchbill.probes.context import CheckContext
        from watchbill.probes.runner import attempt
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        loop = asyncio.new_event_loop()
        held = []
        try:
            while True:
                held.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            pass
        probe = Probe(id="p", tcp=TcpCheck(host="127.0.0.1", port={server.port}), timeout=timedelta(seconds=5))
        context = CheckContext(started=datetime.now(UTC))
        outcome = loop.run_until_complete(attempt(probe, context))
        print(outcome.ok, outcome.error)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "None not attempted: this runner ran out of a local resource (EMFILE, Too many open files)"
    )


@pytest.mark.slow
def test_a_concurrency_above_the_descriptor_limit_still_finds_every_healthy_target_up(server: HttpServer) -> None:
    done = _python(
        f"""
        import resource
        from datetime import UTC, datetime, timedelta
        from watchbill.models import HttpCheck, Probe
        from watchbill.probes import RunOptions, Target, run
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        targets = [
            Target(f"svc/p{{i}}", Probe(id=f"p{{i}}", http=HttpCheck(url="{server.url}/ok/" + str(i)),
                   timeout=timedelta(seconds=20)))
            for i in range(600)
        ]
        results = run(targets, RunOptions(concurrency=2000, budget=timedelta(seconds=60)), datetime.now(UTC))
        print(sum(1 for r in results.results if r.ok is True), sum(1 for r in results.results if r.ok is False))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["600", "0"]
