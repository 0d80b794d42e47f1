"""A minimal, valid organisation written into a temporary folder, for tests that need real files.

Every file is small on purpose: a test replaces one of them (or adds one) and expects exactly the
problems its change causes, so the rest must stay clean at :data:`NOW`. Other test modules reuse it:

    root = build_org(tmp_path)                                   # the organisation as below
    root = build_org(tmp_path, {"schedules/people.yaml": text})  # with one file replaced
    root = build_org(tmp_path, {"incidents/2026/INC-2026-0001.yaml": None})  # with one file removed
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
"""The instant tests validate at: every date in the minimal organisation is consistent with it."""

SETTINGS = """\
organisation: Example Org
timezone: Europe/Berlin
default_escalation: standard
status_page:
  title: Example Org status
"""

SEVERITIES = """\
severities:
  - id: SEV-1
    name: Critical
    description: The product is down for many customers.
    public: true
    statuspage_impact: critical
    targets:
      acknowledge: 5m
      first_update: 15m
      update_every: 30m
      resolve: 4h
    escalation: standard
    postmortem:
      required: true
      due_within: 5d
  - id: SEV-2
    name: Minor
    description: A small part of the product is degraded.
    public: false
    statuspage_impact: minor
    targets:
      acknowledge: 1h
      first_update: 2h
      update_every: 1d
      resolve: 5d
    postmortem:
      required: false
"""

CHANNELS = """\
channels:
  - id: email
    name: Email
    kind: email
    url: mailtos://${SMTP_USER}:${SMTP_PASSWORD}@smtp.example.com?to={address}
    personal: true
  - id: slack
    name: Incident room
    kind: slack
    url: slack://${SLACK_BOT_TOKEN}/#incidents
"""

SERVICES = """\
services:
  - id: api
    name: Public API
    group: Core
    owner: primary
    slo:
      target: 99.9
    probes:
      - id: health
        http:
          url: https://api.example.com/health
          max_latency: 2s
  - id: db
    name: Database
    group: Core
    owner: primary
    public: false
    depends_on:
      - api
    probes:
      - id: port
        tcp:
          host: db.example.com
          port: 5432
"""

POLICY = """\
id: standard
name: Standard
steps:
  - after: 0m
    targets:
      - schedule:primary
  - after: 15m
    targets:
      - person:bob
      - channel:slack
repeat:
  times: 1
  every: 30m
"""

PEOPLE = """\
people:
  - id: alice
    name: Alice Example
    timezone: Europe/Berlin
    contacts:
      email: alice@example.com
  - id: bob
    name: Bob Example
    timezone: America/New_York
    contacts:
      email: bob@example.com
"""

SCHEDULE = """\
id: primary
name: Primary on-call
timezone: Europe/Berlin
layers:
  - name: Weekly
    start: 2026-01-05T09:00:00+01:00
    members:
      - alice
      - bob
    rotation: weekly
    handoff:
      weekday: monday
      time: "09:00"
"""

INCIDENT = """\
id: INC-2026-0001
title: API errors after a deploy
severity: SEV-1
status: resolved
services:
  - service: api
    impact: major_outage
detected_by: monitor
probe: api/health
started_at: 2026-03-02T10:00:00Z
detected_at: 2026-03-02T10:02:00Z
acknowledged_at: 2026-03-02T10:04:00Z
mitigated_at: 2026-03-02T10:30:00Z
resolved_at: 2026-03-02T11:00:00Z
roles:
  commander: alice
updates:
  - at: 2026-03-02T10:05:00Z
    status: investigating
    message: We are investigating errors on the API.
  - at: 2026-03-02T11:00:00Z
    status: resolved
    message: The API is working normally again.
timeline:
  - at: 2026-03-02T10:02:00Z
    kind: detected
    message: api/health failed twice.
postmortem:
  status: published
  authors:
    - alice
  published_on: 2026-03-05
  summary: A deploy broke the API for an hour.
  impact: Most API calls failed for 60 minutes.
  root_cause: A configuration key was renamed without a fallback.
  action_items:
    - title: Check configuration keys in CI
      owner: bob
      due: 2026-04-01
      status: done
"""

MAINTENANCE = """\
id: MNT-2026-0001
title: Database upgrade
services:
  - db
start: 2026-12-05T02:00:00Z
end: 2026-12-05T03:00:00Z
"""

MINIMAL_ORG: dict[str, str] = {
    "policies/settings.yaml": SETTINGS,
    "policies/severities.yaml": SEVERITIES,
    "policies/channels.yaml": CHANNELS,
    "policies/services.yaml": SERVICES,
    "policies/escalation/standard.yaml": POLICY,
    "schedules/people.yaml": PEOPLE,
    "schedules/primary.yaml": SCHEDULE,
    "incidents/2026/INC-2026-0001.yaml": INCIDENT,
    "incidents/maintenance/MNT-2026-0001.yaml": MAINTENANCE,
}


def write_file(root: Path, relative: str, content: str | bytes) -> Path:
    """Write one file under ``root``, creating its folders; text is written as UTF-8 with ``\\n`` endings."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="\n")
    return path


def build_org(root: Path, changes: Mapping[str, str | bytes | None] | None = None) -> Path:
    """Write the minimal organisation under ``root`` with ``changes`` applied (None removes a file)."""
    files: dict[str, str | bytes | None] = {**MINIMAL_ORG, **(changes or {})}
    for relative, content in files.items():
        if content is not None:
            write_file(root, relative, content)
    return root
