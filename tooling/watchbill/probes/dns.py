"""DNS checks: the name resolves to (at least) the expected values, asking a chosen resolver if given."""

from __future__ import annotations

import ipaddress
import time

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver

from ..models import DnsCheck
from .context import CheckContext, CheckFailed, Outcome


def parse_resolver(text: str) -> tuple[str, int]:
    """``1.1.1.1``, ``1.1.1.1:5353``, ``::1`` or ``[::1]:5353`` -> (address, port)."""
    text = text.strip()
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else 53
    elif text.count(":") == 1:
        address, _, port_text = text.partition(":")
        port = int(port_text)
    else:
        address, port = text, 53
    ipaddress.ip_address(address)
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range")
    return address, port


def normalise(rdtype: str, value: str) -> str:
    """Compare answers the way a person writes them: no trailing dots, no TXT quotes, any case for names."""
    text = value.strip()
    if rdtype == "TXT":
        parts = text.split('" "')
        return "".join(p.strip('"') for p in parts)
    if rdtype in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            return text
    return " ".join(part.rstrip(".").lower() for part in text.split())


async def check_dns(spec: DnsCheck, context: CheckContext, timeout: float) -> Outcome:
    if spec.resolver is not None:
        try:
            address, port = parse_resolver(spec.resolver)
        except ValueError as exc:
            raise CheckFailed(f"resolver {spec.resolver!r} is not 'ip' or 'ip:port': {exc}") from None
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [address]
        resolver.port = port
    else:
        resolver = dns.asyncresolver.Resolver()
    started = time.perf_counter()
    try:
        answer = await resolver.resolve(spec.name, spec.type, lifetime=timeout, search=False)
    except dns.resolver.NXDOMAIN:
        raise CheckFailed(f"{spec.name} does not exist (NXDOMAIN)") from None
    except dns.resolver.NoAnswer:
        raise CheckFailed(f"{spec.name} has no {spec.type} records") from None
    except dns.resolver.NoNameservers:
        raise CheckFailed(f"no resolver gave an answer for {spec.name} (SERVFAIL or refused)") from None
    except dns.exception.Timeout:
        raise CheckFailed(f"no answer for {spec.name} within {timeout:g}s") from None
    except dns.exception.DNSException as exc:
        raise CheckFailed(f"DNS lookup failed: {exc}") from None
    latency = (time.perf_counter() - started) * 1000
    found = {normalise(spec.type, rdata.to_text()) for rdata in answer}
    missing = [value for value in spec.expect if normalise(spec.type, value) not in found]
    if missing:
        shown = ", ".join(sorted(found)) or "nothing"
        return Outcome(False, latency, f"{spec.type} {spec.name} is {shown}; expected {', '.join(missing)}")
    return Outcome(True, latency)
