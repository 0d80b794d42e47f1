"""Validate 10,000 incident files plus policies: cold (empty cache); warm unchanged, with one file changed, and
with half the files touched but unchanged (a cache restored onto a fresh checkout); and the cross-file pass
alone, which re-checks every incident's references from cached facts on every run."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import copy_policies

from watchbill.files.kinds import discover
from watchbill.validate import Report, assemble, check_files, crossref, validate
from watchbill.validate.cache import RACY_NS, ValidationCache

INCIDENTS = 10_000

TEMPLATE = """\
# yaml-language-server: $schema=../../tooling/schemas/incident.schema.json
id: {id}
title: Elevated error rate on {service} ({n})
severity: {severity}
status: resolved
visibility: public
summary: >-
  Between {start} and {end} a share of requests to {service} failed with 5xx errors after a configuration
  change rolled out to one region. The change was rolled back and error rates returned to normal.
services:
  - service: {service}
    impact: partial_outage
detected_by: customer
started_at: {start}
detected_at: {detected}
acknowledged_at: {ack}
mitigated_at: {mitigated}
resolved_at: {end}
roles:
  commander: {person}
updates:
  - at: {detected}
    status: investigating
    message: We are investigating elevated error rates on {service}.
  - at: {mitigated}
    status: monitoring
    message: A fix has been applied and we are monitoring the results.
  - at: {end}
    status: resolved
    message: This incident has been resolved.
timeline:
  - at: {detected}
    kind: detected
    message: Support escalated three customer tickets about 502 responses.
  - at: {ack}
    kind: acknowledged
    message: On-call acknowledged the page.
postmortem:
  status: published
  summary: A configuration change caused partial failures.
  impact: About 3% of requests failed for 40 minutes.
  root_cause: The load balancer health check path changed without the service being updated.
  root_cause_category: config-change
  contributing_factors:
    - No canary for load balancer configuration.
  went_well:
    - Rollback took two minutes.
  to_improve:
    - Alert on 5xx ratio per region.
  action_items:
    - title: Canary load balancer changes
      owner: {person}
      type: prevent
      priority: P2
      due: 2026-12-31
      status: open
"""


def fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_tree(root: Path, count: int = INCIDENTS) -> None:
    copy_policies(root)
    org = validate(root, now=datetime(2026, 11, 23, tzinfo=UTC), use_cache=False).organisation
    services = sorted(org.services)
    person = sorted(org.people)[0]
    severity = sorted(org.severities)[-1]
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(count):
        year = 2025 - n // 5000  # back from 2025, so 50,000 records stay in the past too
        start = base.replace(year=year) + timedelta(minutes=97 * (n % 5000))
        ident = f"INC-{year}-{n % 5000 + 1:04d}"
        text = TEMPLATE.format(
            id=ident,
            n=n,
            service=services[n % len(services)],
            severity=severity,
            start=fmt(start),
            detected=fmt(start + timedelta(minutes=4)),
            ack=fmt(start + timedelta(minutes=6)),
            mitigated=fmt(start + timedelta(minutes=30)),
            end=fmt(start + timedelta(minutes=40)),
            person=person,
        )
        folder = root / "incidents" / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{ident}.yaml").write_text(text)


def _timed(root: Path, now: datetime, cache: Path) -> tuple[float, float, Report]:
    """(wall s, CPU s, report) of one validation in this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    report = validate(root, now=now, cache_directory=cache)
    return time.perf_counter() - wall, time.process_time() - cpu, report


def _crossref_pass(root: Path, now: datetime, cache: Path) -> float:
    """Seconds for the whole cross-file pass over cached facts (issue 15: re-checking everything must be cheap)."""
    results, _ = check_files(discover(root)[0], ValidationCache(root, cache))
    started = time.perf_counter()
    org, _ = assemble(root, results)
    crossref.check(org, now=now)
    return time.perf_counter() - started


def run() -> list[tuple[str, str]]:
    work = Path(tempfile.mkdtemp(prefix="wb-bench-validate-"))
    cache = work / "cache"
    root = work / "org"
    try:
        make_tree(root)
        now = datetime(2026, 11, 23, tzinfo=UTC)
        time.sleep(RACY_NS / 1e9)  # files written just now are read again, not trusted by their stat
        cold_s, _, cold = _timed(root, now, cache)
        files = cold.files_checked
        if cold.errors:
            raise SystemExit("benchmark data is invalid:\n" + "\n".join(p.text() for p in cold.errors[:5]))
        warm_s, warm_cpu, warm = _timed(root, now, cache)
        assert warm.files_cached == files
        changed = root / "incidents" / "2024" / "INC-2024-0001.yaml"
        changed.write_text(changed.read_text() + "# changed\n")
        one_s, one_cpu, one = _timed(root, now, cache)
        assert one.files_cached == files - 1
        for path in (root / "incidents" / "2025").iterdir():  # a cache restored onto a fresh checkout
            os.utime(path)
        touched_s, touched_cpu, _ = _timed(root, now, cache)
        crossref_s = min(_crossref_pass(root, now, cache) for _ in range(3))
        return [
            ("validate: files", f"{files:,}"),
            ("validate: cold", f"{cold_s:.2f} s wall ({files / cold_s:,.0f} files/s; the waits benchmark has its CPU)"),
            ("validate: warm (unchanged)", f"{warm_s:.3f} s wall, {warm_cpu:.3f} s CPU"),
            ("validate: warm, one file changed", f"{one_s:.3f} s wall, {one_cpu:.3f} s CPU (limit < 0.5 s wall)"),
            ("validate: warm, half the files touched", f"{touched_s:.3f} s wall, {touched_cpu:.3f} s CPU"),
            ("validate: cross-file pass from facts", f"{crossref_s * 1000:.0f} ms (limit < 100 ms)"),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:32} {figure}")
