"""HTTP probes against real local servers: healthy, slow, hanging, failing, resetting, looping, endless."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.probe_servers import HttpServer, free_port, http_server

from watchbill.models import HttpCheck, Probe
from watchbill.probes import Result, RunOptions, Target, run
from watchbill.probes.context import safe_message

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with http_server() as running:
        yield running


def check(url: str, *, timeout: float = 2.0, retries: int = 0, **http: Any) -> Result:
    probe = Probe(id="p", http=HttpCheck(url=url, **http), timeout=timedelta(seconds=timeout), retries=retries)
    results = run([Target("svc/p", probe)], RunOptions(budget=timedelta(seconds=10)), NOW)
    return results.results[0]


def test_healthy_endpoint_passes_with_its_latency(server: HttpServer) -> None:
    result = check(f"{server.url}/ok")
    assert result.ok is True
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert result.error is None


def test_unexpected_status_fails_and_names_it(server: HttpServer) -> None:
    result = check(f"{server.url}/error")
    assert result.ok is False
    assert result.error == "status 500, expected 200"


def test_listed_status_counts_as_healthy(server: HttpServer) -> None:
    assert check(f"{server.url}/error", expect_status=[500]).ok is True


def test_slow_answer_fails_max_latency(server: HttpServer) -> None:
    result = check(f"{server.url}/slow", max_latency="100ms")
    assert result.ok is False
    assert result.error is not None and "max_latency 100 ms" in result.error


def test_hanging_server_is_cut_off_at_the_timeout(server: HttpServer) -> None:
    started = time.monotonic()
    result = check(f"{server.url}/hang", timeout=0.5)
    assert result.ok is False
    assert result.error in ("timed out (ReadTimeout)", "no complete answer within the 0.5s timeout")
    assert time.monotonic() - started < 2.0


def test_body_that_trickles_for_ever_is_cut_off_at_the_timeout(server: HttpServer) -> None:
    started = time.monotonic()
    result = check(f"{server.url}/trickle", timeout=0.5)
    assert result.ok is False
    assert time.monotonic() - started < 2.0


def test_connection_reset_fails_as_broken_connection(server: HttpServer) -> None:
    result = check(f"{server.url}/reset")
    assert result.ok is False
    assert result.error is not None and ("broken" in result.error or "connect" in result.error)


def test_redirect_loop_stops_at_max_redirects(server: HttpServer) -> None:
    result = check(f"{server.url}/loop", max_redirects=3)
    assert result.ok is False
    assert result.error == "more than 3 redirects"


def test_endless_body_stops_at_max_body_bytes(server: HttpServer) -> None:
    started = time.monotonic()
    result = check(f"{server.url}/endless", max_body_bytes=200_000, timeout=5)
    assert result.ok is False
    assert result.error == "response body is larger than 200000 bytes (max_body_bytes)"
    assert time.monotonic() - started < 3.0


def test_body_contains_checks_the_text(server: HttpServer) -> None:
    assert check(f"{server.url}/ok", body_contains="ok").ok is True
    missing = check(f"{server.url}/ok", body_contains="healthy")
    assert missing.ok is False and missing.error == "body does not contain 'healthy'"


def test_body_regex_must_match(server: HttpServer) -> None:
    assert check(server.url, body_regex=r'"status":\s*"ok"').ok is True
    assert check(server.url, body_regex=r"^down$").ok is False


def test_json_conditions_walk_a_dotted_path(server: HttpServer) -> None:
    healthy = check(
        server.url,
        json=[{"path": "checks.db.state", "equals": "up"}, {"path": "checks.db.latency", "less_than": 10}],
    )
    assert healthy.ok is True


def test_failing_json_condition_says_what_it_found(server: HttpServer) -> None:
    result = check(server.url, json=[{"path": "checks.db.state", "equals": "down"}])
    assert result.ok is False
    assert result.error == "JSON checks.db.state is 'up', expected 'down'"


def test_missing_json_field_fails(server: HttpServer) -> None:
    result = check(server.url, json=[{"path": "checks.cache.state", "exists": True}])
    assert result.ok is False and result.error == "JSON checks.cache.state is missing"


def test_non_json_body_fails_json_conditions(server: HttpServer) -> None:
    result = check(f"{server.url}/ok", json=[{"path": "status", "equals": "ok"}])
    assert result.ok is False and result.error == "body is not JSON"


def test_header_values_come_from_the_environment(server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WB_TEST_TOKEN", "s3cret")
    result = check(f"{server.url}/headers", headers={"Authorization": "Bearer ${WB_TEST_TOKEN}"})
    assert result.ok is True
    assert server.behaviour.headers_seen[-1]["Authorization"] == "Bearer s3cret"


def test_missing_environment_variable_fails_without_a_value_in_the_message(
    server: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WB_UNSET_TOKEN", raising=False)
    result = check(f"{server.url}/ok", headers={"X-Key": "${WB_UNSET_TOKEN}"})
    assert result.ok is None, "a missing secret is a configuration problem, not an outage"
    assert result.attempts == 1 and server.behaviour.hits == 0
    assert result.error == "header refers to ${WB_UNSET_TOKEN}, which is not set in the environment"


def test_retry_turns_a_passing_failure_into_success(server: HttpServer) -> None:
    server.behaviour.fail_first = 1
    probe = Probe(id="p", http=HttpCheck(url=server.url), timeout=timedelta(seconds=2), retries=2)
    options = RunOptions(budget=timedelta(seconds=10), backoff=timedelta(milliseconds=50))
    result = run([Target("svc/p", probe)], options, NOW).results[0]
    assert result.ok is True
    assert result.attempts == 2
    assert server.behaviour.hits == 2


def test_retries_are_counted_when_every_attempt_fails(server: HttpServer) -> None:
    result = check(f"{server.url}/error", retries=2)
    assert result.ok is False
    assert result.attempts == 3
    assert server.behaviour.hits == 3


def test_error_messages_drop_credentials_and_query_strings() -> None:
    text = safe_message("GET https://user:pw@api.example.com/x?token=abc failed")
    assert text == "GET https://api.example.com/x failed"


def test_connection_refused_fails_quickly() -> None:
    result = check(f"http://127.0.0.1:{free_port()}/")
    assert result.ok is False
    assert result.error == "cannot connect: Connection refused"
