"""Sending through apprise to real local servers: an HTTP webhook receiver (the ``receiver`` fixture, from
conftest.py) and an aiosmtpd SMTP server."""

from __future__ import annotations

import base64
import email
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from support.probe_servers import free_port
from support.receivers import Receiver

from watchbill.models import Channel, Person
from watchbill.organisation import Organisation
from watchbill.paging.notify import Message, send
from watchbill.paging.plan import Notification

NOW = datetime(2026, 12, 25, 3, 0, tzinfo=UTC)
SECRET = "s3cr3t-token-value"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def org_with(channels: list[Channel]) -> Organisation:
    org = Organisation(root=Path("."))
    org.channels = {c.id: c for c in channels}
    org.people = {
        "ann": Person(id="ann", name="Ann", timezone="UTC", contacts={"email": "${ANN_EMAIL}", "hook": "ann"}),
    }
    return org


def note(channel: str, person: str | None = "ann", step: int = 0) -> Notification:
    return Notification(
        "INC-2026-0042", step, 0, f"person:{person}" if person else f"channel:{channel}", channel, person, NOW
    )


def message(notification: Notification) -> Message:
    return Message("[SEV-1] INC-2026-0042: API down", f"Step {notification.step + 1}: the API is down.")


def hook(port: int, path: str, channel_id: str = "hook") -> Channel:
    return Channel(
        id=channel_id, name="Hook", kind="webhook", url=f"json://${{HOOK_USER}}:${{HOOK_TOKEN}}@127.0.0.1:{port}/{path}"
    )


ENV = {"HOOK_USER": "pager", "HOOK_TOKEN": SECRET, "ANN_EMAIL": "ann@example.com"}


def test_a_webhook_receives_the_title_and_body(receiver: Receiver) -> None:
    org = org_with([hook(receiver.port, "hook")])
    records = send([note("hook", None)], org, message, env=ENV, now=NOW, sleep=lambda s: None)
    assert records[0].ok and records[0].attempts == 1
    assert receiver.requests[0].json["title"] == "[SEV-1] INC-2026-0042: API down"
    assert "the API is down" in receiver.requests[0].json["message"]


def test_env_references_are_resolved_at_send_time(receiver: Receiver) -> None:
    org = org_with([hook(receiver.port, "hook")])
    send([note("hook", None)], org, message, env=ENV, now=NOW, sleep=lambda s: None)
    assert base64.b64decode(receiver.requests[0].auth.split()[1]).decode() == f"pager:{SECRET}"


def test_a_missing_env_variable_is_reported_by_name_and_nothing_is_sent(receiver: Receiver) -> None:
    org = org_with([hook(receiver.port, "hook")])
    records = send([note("hook", None)], org, message, env={"HOOK_USER": "pager"}, now=NOW)
    assert not records[0].ok and records[0].error == "environment variable HOOK_TOKEN is not set"
    assert receiver.requests == []


def test_a_failing_target_is_retried_with_backoff_then_reported(receiver: Receiver) -> None:
    org = org_with([hook(receiver.port, "fail")])
    waits: list[float] = []
    records = send([note("hook", None)], org, message, env=ENV, now=NOW, retries=2, backoff=0.5, sleep=waits.append)
    assert not records[0].ok
    assert records[0].attempts == 3 and len(receiver.requests) == 3
    assert waits == [0.5, 1.0]


def test_a_failing_target_never_blocks_the_next(receiver: Receiver) -> None:
    org = org_with([hook(free_port(), "down", "down"), hook(receiver.port, "fail", "bad"), hook(receiver.port, "hook")])
    records = send(
        [note("down", None), note("bad", None), note("hook", None)],
        org,
        message,
        env=ENV,
        now=NOW,
        retries=1,
        sleep=lambda s: None,
        timeout=5,
    )
    assert [r.ok for r in records] == [False, False, True]
    assert receiver.paths.count("/hook") == 1  # sent side by side, in any order


def test_no_secret_reaches_records_or_logs(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    org = org_with([hook(receiver.port, "fail")])
    caplog.set_level(logging.DEBUG)
    records = send([note("hook", None)], org, message, env=ENV, now=NOW, retries=1, sleep=lambda s: None)
    assert records[0].error
    assert SECRET not in repr(records) and SECRET not in caplog.text


def test_email_reaches_the_person_address_through_smtp(mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    channel = Channel(
        id="email",
        name="Email",
        kind="email",
        personal=True,
        url=f"mailto://127.0.0.1:{port}?mode=insecure&from=pager@example.com&to={{address}}",
    )
    records = send([note("email")], org_with([channel]), message, env=ENV, now=NOW, sleep=lambda s: None)
    assert records[0].ok, records[0].error
    assert box.messages[0]["To"].endswith("ann@example.com")
    assert box.messages[0]["Subject"] == "[SEV-1] INC-2026-0042: API down"
