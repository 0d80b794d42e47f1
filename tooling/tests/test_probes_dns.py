"""DNS probes against a local DNS server (dnslib), chosen through the probe's ``resolver``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from support.probe_servers import dns_server

from watchbill.models import DnsCheck, Probe
from watchbill.probes import Result, RunOptions, Target, run
from watchbill.probes.dns import normalise, parse_resolver

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ZONE = {
    ("api.example.test", "A"): ["192.0.2.10", "192.0.2.11"],
    ("api.example.test", "TXT"): ['"v=spf1 -all"'],
    ("mail.example.test", "MX"): ["10 mx1.example.test."],
    ("www.example.test", "CNAME"): ["api.example.test."],
}


@pytest.fixture(scope="module")
def resolver() -> Iterator[str]:
    with dns_server(ZONE, silent={"slow.example.test"}) as port:
        yield f"127.0.0.1:{port}"


def check_dns(resolver: str, name: str, kind: str = "A", expect: list[str] | None = None, timeout: float = 2) -> Result:
    spec = DnsCheck(name=name, type=kind, expect=expect or [], resolver=resolver)  # type: ignore[arg-type]
    probe = Probe(id="dns", dns=spec, timeout=timedelta(seconds=timeout), retries=0)
    return run([Target("api/dns", probe)], RunOptions(), NOW).results[0]


def test_expected_addresses_pass(resolver: str) -> None:
    result = check_dns(resolver, "api.example.test", expect=["192.0.2.10"])
    assert result.ok is True, result.error


def test_unexpected_address_fails_and_shows_the_answer(resolver: str) -> None:
    result = check_dns(resolver, "api.example.test", expect=["198.51.100.1"])
    assert result.ok is False
    assert result.error == "A api.example.test is 192.0.2.10, 192.0.2.11; expected 198.51.100.1"


def test_names_compare_without_trailing_dot_or_case(resolver: str) -> None:
    assert check_dns(resolver, "www.example.test", "CNAME", ["API.example.test"]).ok is True
    assert check_dns(resolver, "mail.example.test", "MX", ["10 mx1.example.test"]).ok is True


def test_txt_values_compare_without_quotes(resolver: str) -> None:
    assert check_dns(resolver, "api.example.test", "TXT", ["v=spf1 -all"]).ok is True


def test_missing_name_fails_as_nxdomain(resolver: str) -> None:
    result = check_dns(resolver, "nothing.example.test")
    assert result.ok is False
    assert result.error == "nothing.example.test does not exist (NXDOMAIN)"


def test_missing_record_type_fails(resolver: str) -> None:
    result = check_dns(resolver, "api.example.test", "AAAA")
    assert result.ok is False
    assert result.error == "api.example.test has no AAAA records"


def test_resolver_that_never_answers_fails_at_the_timeout(resolver: str) -> None:
    result = check_dns(resolver, "slow.example.test", timeout=0.5)
    assert result.ok is False
    assert result.error is not None and ("within" in result.error or "timeout" in result.error)


def test_resolver_addresses_parse_with_and_without_port() -> None:
    assert parse_resolver("1.1.1.1") == ("1.1.1.1", 53)
    assert parse_resolver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_resolver("[::1]:5353") == ("::1", 5353)
    assert parse_resolver("::1") == ("::1", 53)


def test_a_resolver_that_is_not_an_address_is_refused_when_loading() -> None:
    with pytest.raises(ValidationError, match="must be an IP address"):
        DnsCheck(name="api.example.test", resolver="dns.example.test")


def test_ipv6_answers_are_normalised() -> None:
    assert normalise("AAAA", "2001:DB8:0:0::1") == "2001:db8::1"
