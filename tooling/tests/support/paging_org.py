"""An organisation with one open, unacknowledged incident whose every channel posts to a local receiver, for
the paging tests: ``escalate run`` and ``ack`` against real webhooks."""

from __future__ import annotations

from pathlib import Path

from .orgfactory import build_org


def open_incident(detected: str) -> str:
    """The open, unacknowledged incident the paging tests page for, detected (and started) at ``detected``."""
    return f"""\
id: INC-2026-0002
title: API returns errors
severity: SEV-1
status: investigating
services:
  - service: api
    impact: major_outage
detected_by: customer
started_at: {detected}
detected_at: {detected}
"""


OPEN_INCIDENT = open_incident("2026-11-23T11:40:00Z")

PAGING_PEOPLE = """\
people:
  - id: alice
    name: Alice Example
    timezone: Europe/Berlin
    contacts:
      hook: alice
  - id: bob
    name: Bob Example
    timezone: America/New_York
    contacts:
      hook: bob
"""
"""Two people in different zones, each paged through the personal webhook at their own address."""


def paging_org(tmp_path: Path, port: int) -> Path:
    """INC-2026-0002 open and unacknowledged; every channel, personal or not, posts to the receiver on ``port``."""
    channels = f"""\
channels:
  - id: hook
    name: Personal webhook
    kind: webhook
    url: json://127.0.0.1:{port}/person/{{address}}
    personal: true
  - id: room
    name: Incident room
    kind: webhook
    url: json://127.0.0.1:{port}/room
"""
    people = PAGING_PEOPLE
    policy = """\
id: standard
name: Standard
steps:
  - after: 0m
    targets:
      - schedule:primary
  - after: 15m
    targets:
      - person:bob
      - channel:room
repeat:
  times: 1
  every: 30m
"""
    return build_org(
        tmp_path,
        {
            "policies/channels.yaml": channels,
            "schedules/people.yaml": people,
            "policies/escalation/standard.yaml": policy,
            "incidents/2026/INC-2026-0002.yaml": OPEN_INCIDENT,
        },
    )
