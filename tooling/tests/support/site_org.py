"""An organisation with something to show on a status page, and the tools the site tests share.

Built on :mod:`orgfactory`'s minimal organisation, with: an open public incident, a resolved one with a
published postmortem, internal material that must never reach the public build (an internal incident, an
incident of a non-public severity, a non-public service, people, contacts, timelines, probe addresses),
maintenance windows, and probe state in which one public service is failing with no incident yet.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.orgfactory import NOW, build_org
from watchbill.state.snapshot import DayStat, ProbeState, Sample, Snapshot

REPO = Path(__file__).resolve().parents[3]

SERVICES = """\
services:
  - id: api
    name: Public API
    group: Core
    description: REST API for integrations.
    owner: primary
    slo:
      target: 99.9
    probes:
      - id: health
        http:
          url: https://api.example.com/health
          max_latency: 2s
  - id: web
    name: Website
    group: Core
    owner: primary
    slo:
      target: 99.5
      window: 7d
    probes:
      - id: home
        http:
          url: https://www.example.com/
        failure_threshold: 2
        impact: partial_outage
  - id: checkout
    name: Checkout
    group: Payments
    owner: primary
  - id: db
    name: Database
    group: Core
    owner: primary
    public: false
    probes:
      - id: port
        tcp:
          host: db.example.com
          port: 5432
  - id: ledger
    name: Secret ledger backend
    group: Internal tools
    owner: primary
    public: false
"""

OPEN_INCIDENT = """\
id: INC-2026-0002
title: Elevated error rates on the Public API
severity: SEV-1
status: identified
summary: Some API requests fail with *502* errors.
services:
  - service: api
    impact: partial_outage
  - service: db
    impact: degraded_performance
detected_by: customer
started_at: 2026-11-23T10:40:00Z
detected_at: 2026-11-23T10:50:00Z
acknowledged_at: 2026-11-23T10:55:00Z
roles:
  commander: bob
updates:
  - at: 2026-11-23T11:00:00Z
    status: investigating
    message: We are investigating reports of failed API requests <script>alert("x")</script>.
  - at: 2026-11-23T11:30:00Z
    status: identified
    message: A faulty load balancer node was found and is being replaced.
timeline:
  - at: 2026-11-23T10:56:00Z
    kind: note
    by: bob
    message: Paged the primary on-call via phone bridge 4471.
"""

INTERNAL_INCIDENT = """\
id: INC-2026-0003
title: Payroll export copied to staging
severity: SEV-1
status: resolved
visibility: internal
services:
  - service: api
    impact: degraded_performance
detected_by: internal
started_at: 2026-10-01T08:00:00Z
detected_at: 2026-10-01T08:10:00Z
acknowledged_at: 2026-10-01T08:12:00Z
mitigated_at: 2026-10-01T08:40:00Z
resolved_at: 2026-10-01T09:00:00Z
updates:
  - at: 2026-10-01T09:00:00Z
    status: resolved
    message: Staging copy of the payroll export deleted.
postmortem:
  status: published
  summary: An export job wrote to the wrong bucket.
  impact: No customer impact.
  root_cause: Bucket names differed only by suffix.
  root_cause_category: config-change
"""

QUIET_INCIDENT = """\
id: INC-2026-0004
title: Slow admin reports from the quiet severity
severity: SEV-2
status: resolved
services:
  - service: api
    impact: degraded_performance
detected_by: monitor
probe: api/health
started_at: 2026-09-10T08:00:00Z
detected_at: 2026-09-10T08:01:00Z
acknowledged_at: 2026-09-10T08:30:00Z
resolved_at: 2026-09-10T12:00:00Z
updates:
  - at: 2026-09-10T12:00:00Z
    status: resolved
    message: Reports are fast again.
"""

RESOLVED_PUBLIC = """\
id: INC-2026-0005
title: Checkout failures for card payments
severity: SEV-1
status: resolved
summary: Card payments failed for 40 minutes.
services:
  - service: checkout
    impact: major_outage
detected_by: monitor
probe: api/health
started_at: 2026-11-02T14:00:00Z
detected_at: 2026-11-02T14:03:00Z
acknowledged_at: 2026-11-02T14:06:00Z
mitigated_at: 2026-11-02T14:40:00Z
resolved_at: 2026-11-02T15:00:00Z
related:
  - INC-2026-0001
updates:
  - at: 2026-11-02T14:10:00Z
    status: investigating
    message: Card payments are failing.
  - at: 2026-11-02T14:45:00Z
    status: monitoring
    message: A fix is deployed; we are watching.
  - at: 2026-11-02T15:00:00Z
    status: resolved
    message: Card payments work again.
postmortem:
  status: published
  published_on: 2026-11-05
  authors:
    - alice
  summary: An expired certificate on the payment gateway client broke card payments.
  impact: 40 minutes without card payments for all customers.
  trigger: The client certificate expired at 14:00 UTC.
  root_cause: Certificate renewal was manual and the reminder went to a former employee.
  root_cause_category: config-change
  resolution: A renewed certificate was deployed.
  detection: The checkout probe failed twice in a row.
  contributing_factors:
    - No expiry probe on the gateway client certificate.
  went_well:
    - Detection within 3 minutes.
  to_improve:
    - Renewal runbook was out of date.
  action_items:
    - title: Automate certificate renewal
      owner: bob
      type: prevent
      priority: P1
      due: 2026-12-01
      status: in_progress
      link: https://tracker.example.com/SEC-77
"""

DRAFT_POSTMORTEM_INCIDENT = """\
id: INC-2026-0006
title: Website slow in Europe
severity: SEV-1
status: resolved
services:
  - service: web
    impact: degraded_performance
detected_by: monitor
probe: web/home
started_at: 2026-11-20T09:00:00Z
detected_at: 2026-11-20T09:02:00Z
acknowledged_at: 2026-11-20T09:05:00Z
mitigated_at: 2026-11-20T09:30:00Z
resolved_at: 2026-11-20T10:00:00Z
updates:
  - at: 2026-11-20T10:00:00Z
    status: resolved
    message: Pages load quickly again.
postmortem:
  status: draft
  summary: Draft text about the unfinished CDN analysis.
  impact: Slow pages.
  root_cause: Still being written up by the CDN team.
"""

MAINTENANCE_RECURRING = """\
id: MNT-2026-0002
title: Weekly website deploy window
services:
  - web
cron: "0 6 * * 2"
duration: 1h
timezone: Europe/Berlin
description: Deploys may cause **brief** slowness.
announced_at: 2026-11-20T09:00:00Z
"""

CHANGES: dict[str, str | None] = {
    "policies/services.yaml": SERVICES,
    "incidents/2026/INC-2026-0002.yaml": OPEN_INCIDENT,
    "incidents/2026/INC-2026-0003.yaml": INTERNAL_INCIDENT,
    "incidents/2026/INC-2026-0004.yaml": QUIET_INCIDENT,
    "incidents/2026/INC-2026-0005.yaml": RESOLVED_PUBLIC,
    "incidents/2026/INC-2026-0006.yaml": DRAFT_POSTMORTEM_INCIDENT,
    "incidents/maintenance/MNT-2026-0002.yaml": MAINTENANCE_RECURRING,
}

SECRETS = (
    "Alice Example",
    "Bob Example",
    "alice@example.com",
    "bob@example.com",
    "SLACK_BOT_TOKEN",
    "smtp.example.com",
    "Payroll export",
    "payroll",
    "phone bridge 4471",
    "Slow admin reports",
    "Secret ledger backend",
    "api.example.com",
    "www.example.com",
    "db.example.com",
    "tracker.example.com",
    "SEC-77",
    "unfinished CDN analysis",
    "Primary on-call",
    "INC-2026-0003",
    "INC-2026-0004",
)
"""Strings of the organisation that only the internal audience may see."""


def site_org(root: Path) -> Path:
    """The organisation plus a copy of the repository's site/ folder, ready for ``watchbill site build``."""
    build_org(root, CHANGES)
    shutil.copytree(REPO / "site", root / "site", ignore=shutil.ignore_patterns("public", "build"))
    return root


def _days(now: datetime, checks: int, failing: dict[int, int]) -> tuple[DayStat, ...]:
    today = now.date()
    return tuple(
        DayStat(today - timedelta(days=back), checks, failing.get(back, 0), 120.0 + back % 7 * 10, 400.0)
        for back in range(89, -1, -1)
    )


def site_snapshot(now: datetime = NOW) -> Snapshot:
    """Probe state at ``now``: the website fails (no incident yet); the API answers, a little slowly."""
    recent_api = tuple(Sample(now - timedelta(minutes=5 * i), True, 110.0 + (i * 37) % 90) for i in range(47, -1, -1))
    recent_web = tuple(
        Sample(now - timedelta(minutes=5 * i), i > 0, 300.0 + (i * 53) % 200 if i > 0 else None)
        for i in range(47, -1, -1)
    )
    return Snapshot(
        probes={
            "api/health": ProbeState(
                "api/health",
                ok=True,
                last_checked=now - timedelta(minutes=3),
                consecutive_successes=40,
                latency_ms=130.0,
                recent=recent_api,
                days=_days(now, 288, {3: 12, 40: 2}),
            ),
            "web/home": ProbeState(
                "web/home",
                ok=False,
                last_checked=now - timedelta(minutes=3),
                consecutive_failures=1,
                first_failure_at=now - timedelta(minutes=3),
                last_error="connect timeout to www.example.com:443",
                recent=recent_web,
                days=_days(now, 288, {0: 2, 10: 30}),
            ),
            "db/port": ProbeState(
                "db/port", ok=True, last_checked=now - timedelta(minutes=3), last_error=None, days=_days(now, 288, {})
            ),
        },
        last_run=now - timedelta(minutes=3),
    )


class _StaticHost(http.server.SimpleHTTPRequestHandler):
    """http.server plus gzip for text, as GitHub Pages and other static hosts serve; and quiet."""

    COMPRESS = (".html", ".css", ".js", ".json", ".xml", ".atom", ".svg", ".txt")

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?", 1)[0].endswith("/"):
            path = path / "index.html"
        if not (path.is_file() and path.suffix in self.COMPRESS and "gzip" in self.headers.get("Accept-Encoding", "")):
            super().do_GET()
            return
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve a built site from a thread on 127.0.0.1; yields its base URL."""
    handler = functools.partial(_StaticHost, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


__all__ = ["NOW", "REPO", "SECRETS", "UTC", "serve", "site_org", "site_snapshot"]
