"""Send notifications through apprise, one target at a time, and say what happened to each.

Secrets live in ``${ENV}`` references in channel URLs and contacts; they are resolved here, at send
time, and nowhere else. Nothing this module returns or raises contains a resolved URL, address or
secret: apprise's own log lines are captured and scrubbed before they reach a record. A failing
target is retried with exponential backoff and then reported; it never stops the targets after it.
Targets are sent side by side and every attempt is given up after its timeout, so a provider that is
down, or one that accepts a connection and never answers, delays no other page.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

from ..models import Incident
from ..models.service import runbooks
from ..organisation import Organisation
from .plan import Notification

_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
_REDACTED = "***"
CONCURRENCY = 8


class SendError(Exception):
    """A target that cannot be sent to at all (missing secret, unknown channel); never names a secret."""


@dataclass(frozen=True)
class Message:
    title: str
    body: str


DRILL_MARK = "DRILL"
DRILL_LINE = "DRILL: this is an exercise, not a real incident. Acknowledge and respond as you would for real."


def with_context(message: Message, org: Organisation, incident: Incident) -> Message:
    """Every page, whoever wrote its text: an exercise says DRILL in its title and first line, and every page
    ends with where responders meet and the runbook(s) to open (the fired probe's own first)."""
    title, lines = message.title, [message.body]
    if incident.drill:
        title = f"{DRILL_MARK} {title}"
        lines.insert(0, DRILL_LINE)
    if incident.channel:
        lines.append(f"War room: {incident.channel}")
    affected = [s.service for s in incident.services]
    lines.extend(f"Runbook ({service}): {url}" for service, url in runbooks(org.services, affected, incident.probe))
    return Message(title, "\n".join(lines))


@dataclass(frozen=True)
class SendRecord:
    """What happened to one notification: safe to print, log and store."""

    notification: Notification
    ok: bool
    attempts: int
    at: datetime
    error: str | None = None


def resolve_env(text: str, env: Mapping[str, str], secrets: list[str]) -> str:
    """Replace ``${NAME}`` with its value; every value used is added to ``secrets`` for scrubbing."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise SendError(f"environment variable {name} is not set")
        secrets.append(env[name])
        return env[name]

    return _ENV_REF.sub(value, text)


def target_url(notification: Notification, org: Organisation, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """The apprise URL for a notification, and the sensitive strings it contains."""
    channel = org.channels.get(notification.channel)
    if channel is None:
        raise SendError(f"channel {notification.channel} is not defined")
    secrets: list[str] = []
    url = resolve_env(channel.url, env, secrets)
    if "{address}" in url:
        person = org.people.get(notification.person or "")
        address = person.contacts.get(notification.channel) if person else None
        if address is None:
            raise SendError(f"{notification.recipient} has no contact for channel {notification.channel}")
        resolved = resolve_env(address, env, secrets)
        secrets.append(resolved)
        url = url.replace("{address}", quote(resolved, safe="@+"))
    parts = urlsplit(url)
    secrets.extend(p for p in (url, parts.hostname, parts.username, parts.password, parts.path.strip("/")) if p)
    return url, secrets


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
        text = text.replace(secret, _REDACTED)
        text = text.replace(quote(secret, safe=""), _REDACTED)
    return text


_quiet_lock = threading.Lock()
_quiet_count = 0
_quiet_saved = True


@contextmanager
def _apprise_quiet() -> Iterator[None]:
    """Keep apprise's log records (which name hosts and addresses) away from the application's handlers.

    Reference-counted, because sends run on several threads at once: the first to start turns propagation
    off and the last to finish restores it.
    """
    global _quiet_count, _quiet_saved
    import apprise

    logger = logging.getLogger(apprise.LOGGER_NAME)
    with _quiet_lock:
        if _quiet_count == 0:
            _quiet_saved, logger.propagate = logger.propagate, False
        _quiet_count += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_count -= 1
            if _quiet_count == 0:
                logger.propagate = _quiet_saved


def deliver(url: str, message: Message, *, timeout: float) -> tuple[bool, str]:
    """One attempt through apprise; returns (delivered, apprise's last words, unscrubbed)."""
    import apprise

    with _apprise_quiet():
        sender = apprise.Apprise()
        if not sender.add(url):
            return False, "the channel URL is not one apprise understands"
        result = sender.notify(body=message.body, title=message.title, timeout=timeout)
        lines = [entry.message.strip() for entry in result.logs() if entry.message.strip()]  # this call's only
    return bool(result), (lines[-1] if lines else "delivery failed")


def send(
    notifications: Iterable[Notification],
    org: Organisation,
    message_for: Callable[[Notification], Message],
    *,
    env: Mapping[str, str],
    now: datetime,
    retries: int = 2,
    backoff: float = 1.0,
    timeout: float = 15.0,
    sleep: Callable[[float], None] = time.sleep,
    transport: Callable[..., tuple[bool, str]] = deliver,
    concurrency: int = CONCURRENCY,
) -> list[SendRecord]:
    """Send each notification on its own; ``retries`` more attempts after a failure, waiting
    ``backoff``, then twice that, and so on. Records come back in the order given.

    Up to ``concurrency`` notifications are in flight at once and apprise ends each attempt after
    ``timeout`` seconds, so the call lasts as long as its slowest target's attempts and waits, not their sum."""

    def one(notification: Notification) -> SendRecord:
        try:
            url, secrets = target_url(notification, org, env)
        except SendError as exc:
            return SendRecord(notification, False, 0, now, str(exc))
        attempts, ok, error = 0, False, ""
        while attempts <= retries:
            if attempts:
                sleep(backoff * 2 ** (attempts - 1))
            attempts += 1
            try:
                ok, error = transport(url, message_for(notification), timeout=timeout)
            except Exception as exc:  # a plugin bug must not stop the next target
                ok, error = False, f"{type(exc).__name__}: {exc}"
            if ok:
                break
        return SendRecord(notification, ok, attempts, now, None if ok else scrub(error, secrets)[:300])

    pending = list(notifications)
    if len(pending) <= 1:
        return [one(n) for n in pending]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(pending)), thread_name_prefix="watchbill-notify") as pool:
        return list(pool.map(one, pending))
