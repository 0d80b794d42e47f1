"""TCP probes against a real listening socket and a closed port."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

from support.probe_servers import free_port, tcp_listener

from watchbill.models import Probe, TcpCheck
from watchbill.probes import Result, RunOptions, Target, run
from watchbill.probes.context import os_reason

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def check_tcp(port: int) -> Result:
    probe = Probe(id="port", tcp=TcpCheck(host="127.0.0.1", port=port), timeout=timedelta(seconds=2), retries=0)
    return run([Target("db/port", probe)], RunOptions(), NOW).results[0]


def test_open_port_passes() -> None:
    with tcp_listener() as port:
        result = check_tcp(port)
    assert result.ok is True
    assert result.latency_ms is not None


def test_closed_port_fails_with_the_reason() -> None:
    result = check_tcp(free_port())
    assert result.ok is False
    assert result.error is not None and result.error.startswith("cannot connect to port")
    assert "refused" in result.error.lower()


def test_a_host_that_does_not_resolve_says_so() -> None:
    # getaddrinfo's error as the resolver raises it; os.strerror alone would print "Unknown error -2".
    reason = os_reason(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    assert reason == "host name not resolved (Name or service not known)"
