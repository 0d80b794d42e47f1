"""Services and the probes that watch them."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from ..fields import CronExpr, Duration, Id, SeverityId, ShortText
from .base import Model

HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
DnsType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA", "PTR", "SOA"]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s/$.?#][^\s]*$", max_length=2048)]
Host = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:\-\[\]]{1,253}$")]
Port = Annotated[int, Field(ge=1, le=65535)]


def _check_regex(value: str) -> str:
    """A pattern that does not compile would otherwise fail every check at run time, not in review."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"/{value}/ is not a regular expression: {exc}") from None
    return value


def _check_resolver(value: str) -> str:
    text = value.strip()
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else "53"
    elif text.count(":") == 1:
        address, _, port = text.partition(":")
    else:
        address, port = text, "53"
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"resolver {value!r} must be an IP address, 'ip:port' or '[ipv6]:port'") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"resolver {value!r} has a port outside 1-65535")
    return value


Regex = Annotated[str, AfterValidator(_check_regex)]


class JsonCondition(Model):
    """A condition on a field of a JSON body, addressed by a dotted path (``data.items.0.state``)."""

    path: str = Field(min_length=1)
    equals: str | int | float | bool | None = None
    not_equals: str | int | float | bool | None = None
    matches: Regex | None = Field(default=None, description="Regular expression for the field's text.")
    exists: bool | None = None
    less_than: float | None = None
    greater_than: float | None = None


class HttpCheck(Model):
    url: Url
    method: HttpMethod = "GET"
    headers: dict[str, str] = Field(default_factory=dict, description="Values may be ${ENV} references.")
    body: str | None = None
    expect_status: list[int] = Field(default_factory=lambda: [200], min_length=1)
    max_latency: Duration | None = None
    body_contains: str | None = None
    body_regex: Regex | None = None
    json_conditions: list[JsonCondition] = Field(default_factory=list, alias="json")
    follow_redirects: bool = True
    max_redirects: int = Field(default=5, ge=0, le=20)
    verify_tls: bool = True
    max_body_bytes: int = Field(default=1_048_576, ge=1, le=67_108_864)


class TcpCheck(Model):
    host: Host
    port: Port


class DnsCheck(Model):
    name: str = Field(min_length=1, max_length=253)
    type: DnsType = "A"
    expect: list[str] = Field(default_factory=list, description="Values that must all be in the answer.")
    resolver: Annotated[str, AfterValidator(_check_resolver)] | None = Field(
        default=None, description="Resolver address 'ip' or 'ip:port'."
    )


class TlsCheck(Model):
    host: Host
    port: Port = 443
    server_name: str | None = Field(default=None, description="SNI and hostname to match; defaults to host.")
    min_days_left: int = Field(default=14, ge=0, le=3650)


class HeartbeatCheck(Model):
    """Push-style, as cron-job monitors do: a job reports with ``watchbill heartbeat ping SERVICE/PROBE`` (or a
    ``watchbill-heartbeat`` repository_dispatch event); the probe run counts it failing when the last ping is
    older than ``every`` + ``grace``, or when the job's last report was a failure."""

    every: Duration = Field(description="How often the job is expected to report, e.g. 1h.")
    grace: Duration = Field(
        default=timedelta(minutes=5), description="Extra time allowed before a missing ping counts as a failure."
    )

    @model_validator(mode="after")
    def _sensible(self) -> HeartbeatCheck:
        if self.every < timedelta(minutes=1):
            raise ValueError("every must be at least 1m (a probe run checks heartbeats every few minutes)")
        if self.grace < timedelta(0):
            raise ValueError("grace must not be negative")
        return self


class Confirm(Model):
    """Multi-region confirmation: a failure counts only when ``min`` of ``regions`` see it."""

    regions: list[Id] = Field(min_length=1)
    min: int = Field(ge=1)

    @model_validator(mode="after")
    def _min_fits(self) -> Confirm:
        if self.min > len(self.regions):
            raise ValueError(f"confirm.min ({self.min}) is more than the {len(self.regions)} regions listed")
        return self


ProbeKind = Literal["http", "tcp", "dns", "tls", "heartbeat"]
PROBE_KINDS: tuple[ProbeKind, ...] = ("http", "tcp", "dns", "tls", "heartbeat")


class Probe(Model):
    id: Id
    http: HttpCheck | None = None
    tcp: TcpCheck | None = None
    dns: DnsCheck | None = None
    tls: TlsCheck | None = None
    heartbeat: HeartbeatCheck | None = None
    schedule: CronExpr = "*/5 * * * *"
    timeout: Duration = timedelta(seconds=10)
    retries: int = Field(default=1, ge=0, le=5, description="Immediate retries before a failure counts.")
    failure_threshold: int = Field(default=2, ge=1, le=100)
    success_threshold: int = Field(default=2, ge=1, le=100)
    confirm: Confirm | None = None
    severity: SeverityId | None = Field(default=None, description="Severity of incidents it opens.")
    impact: Literal["degraded_performance", "partial_outage", "major_outage"] = "major_outage"
    runbook: Url | None = Field(default=None, description="What to do when it fails; overrides the service's.")

    @model_validator(mode="before")
    @classmethod
    def _heartbeat_thresholds(cls, data: Any) -> Any:
        # A late heartbeat is already late by its grace: one verdict opens, one ping ends (unless set).
        if isinstance(data, dict) and data.get("heartbeat") is not None:
            return {"failure_threshold": 1, "success_threshold": 1, **data}
        return data

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Probe:
        kinds = [k for k in PROBE_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise ValueError(f"a probe needs exactly one of {', '.join(PROBE_KINDS)} (found: {found})")
        if self.timeout <= timedelta(0) or self.timeout > timedelta(minutes=5):
            raise ValueError("timeout must be between 1ms and 5m")
        if self.heartbeat is not None and self.confirm is not None:
            raise ValueError("a heartbeat is pushed by the job, not checked from regions: remove confirm")
        return self

    @property
    def kind(self) -> ProbeKind:
        for kind in PROBE_KINDS:
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("validated probe has a kind")


class Slo(Model):
    target: float = Field(gt=0, lt=100, description="Availability objective in percent, e.g. 99.9.")
    window: Duration = timedelta(days=30)


class Service(Model):
    id: Id
    name: ShortText
    description: str | None = None
    group: ShortText = "Services"
    public: bool = Field(default=True, description="Shown on the public status page.")
    owner: Id = Field(description="Schedule that owns the service.")
    escalation: Id | None = Field(default=None, description="Escalation policy; else the severity's.")
    severity: SeverityId = Field(default="SEV-2", description="Default severity of incidents its probes open.")
    slo: Slo | None = None
    depends_on: list[Id] = Field(default_factory=list)
    probes: list[Probe] = Field(default_factory=list)
    runbook: Url | None = Field(default=None, description="What responders do first; a probe may name its own.")

    def runbook_for(self, probe: str | None = None) -> str | None:
        """The runbook for a failure of ``probe`` (its id): the probe's own, else the service's."""
        own = next((p.runbook for p in self.probes if p.id == probe and p.runbook), None)
        return own or self.runbook


def runbooks(
    services: Mapping[str, Service], affected: Iterable[str], probe: str | None = None
) -> list[tuple[str, str]]:
    """(service id, runbook URL) for each affected service that has one, in the order given; for the service
    whose probe fired (``probe`` as ``service/probe``) the probe's own runbook comes first."""
    fired_service, _, fired_probe = (probe or "").partition("/")
    found: list[tuple[str, str]] = []
    for ident in dict.fromkeys(affected):
        service = services.get(ident)
        url = service.runbook_for(fired_probe if ident == fired_service else None) if service else None
        if url is not None:
            found.append((ident, url))
    return found


class ServicesFile(Model):
    """policies/services.yaml"""

    services: list[Service] = Field(min_length=1)
