"""TLS probes and HTTPS verification against local servers with trustme certificates."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from support.probe_servers import http_server, tls_server

from watchbill.models import HttpCheck, Probe, TlsCheck
from watchbill.probes import Result, RunOptions, Target, run

NOW = datetime.now(UTC)
"""TLS expiry is judged against the real clock here: certificates are made relative to it."""


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA, *, expires_in: timedelta = timedelta(days=365)) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf = ca.issue_cert(
        "localhost",
        not_before=datetime.now(UTC) - timedelta(days=400),
        not_after=datetime.now(UTC) + expires_in,
    )
    leaf.configure_cert(context)
    return context


@pytest.fixture
def valid_port(ca: trustme.CA) -> Iterator[int]:
    with tls_server(server_context(ca)) as port:
        yield port


def check_tls(port: int, ca_file: Path | None, **tls: object) -> Result:
    spec = TlsCheck(host="127.0.0.1", port=port, **tls)  # type: ignore[arg-type]
    probe = Probe(id="cert", tls=spec, timeout=timedelta(seconds=3), retries=0)
    options = RunOptions(budget=timedelta(seconds=10), ca_file=ca_file)
    return run([Target("web/cert", probe)], options, NOW).results[0]


def test_valid_certificate_for_the_name_passes(valid_port: int, ca_file: Path) -> None:
    result = check_tls(valid_port, ca_file, server_name="localhost")
    assert result.ok is True, result.error


def test_certificate_for_another_name_fails(valid_port: int, ca_file: Path) -> None:
    result = check_tls(valid_port, ca_file, server_name="status.example.com")
    assert result.ok is False
    assert result.error is not None and "not valid for status.example.com" in result.error
    assert "Hostname mismatch" in result.error


def test_expired_certificate_fails(ca: trustme.CA, ca_file: Path) -> None:
    with tls_server(server_context(ca, expires_in=timedelta(days=-2))) as port:
        result = check_tls(port, ca_file, server_name="localhost")
    assert result.ok is False
    assert result.error is not None and "expired" in result.error


def test_certificate_expiring_soon_fails_min_days_left(ca: trustme.CA, ca_file: Path) -> None:
    with tls_server(server_context(ca, expires_in=timedelta(days=5, hours=1))) as port:
        result = check_tls(port, ca_file, server_name="localhost", min_days_left=14)
    assert result.ok is False
    assert result.error is not None and "5 days left, min_days_left 14" in result.error


def test_unknown_authority_fails_without_the_ca_file(valid_port: int) -> None:
    result = check_tls(valid_port, None, server_name="localhost")
    assert result.ok is False
    assert result.error is not None and "certificate" in result.error


def test_https_probe_verifies_the_certificate(ca: trustme.CA, ca_file: Path) -> None:
    with http_server(tls=server_context(ca)) as server:
        probe = Probe(id="home", http=HttpCheck(url=f"{server.url}/ok"), timeout=timedelta(seconds=3), retries=0)
        trusted = run([Target("web/home", probe)], RunOptions(ca_file=ca_file), NOW).results[0]
        untrusted = run([Target("web/home", probe)], RunOptions(), NOW).results[0]
    assert trusted.ok is True, trusted.error
    assert untrusted.ok is False
    assert untrusted.error == "cannot connect: certificate verify failed: unable to get local issuer certificate"


def test_https_probe_can_skip_verification_when_asked(ca: trustme.CA) -> None:
    with http_server(tls=server_context(ca)) as server:
        spec = HttpCheck(url=f"{server.url}/ok", verify_tls=False)
        probe = Probe(id="home", http=spec, timeout=timedelta(seconds=3), retries=0)
        result = run([Target("web/home", probe)], RunOptions(), NOW).results[0]
    assert result.ok is True, result.error
