"""Site build at scale: 1,000 incidents, 50 services, 90 days of probe history, both audiences.

Prints wall seconds per build and per phase (load = read and validate the files, views, render = Jinja to
pages and data files, frame = pages written into their folder's theme frame, mkdocs = mkdocs-material
assembling the rest), so it is clear which part dominates; then the incremental rebuilds beside the issue's
limits (cold < 30 s, one incident changed < 5 s at 10,000 incidents): one incident edited, and a probe run
(new probe state, no record changed). Each organisation size gets a cache folder of its own: the rebuilds
use what the cold build left there (records, Markdown, pages) and the previous site (unchanged pages linked).

    /work/venv/bin/python tooling/bench/bench_site.py [--incidents 1000] [--services 50]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tooling" / "tests"))

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
IMPACTS = ("degraded_performance", "partial_outage", "major_outage")
STATUSES = ("investigating", "identified", "monitoring")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def services_yaml(count: int) -> str:
    lines = ["services:"]
    for n in range(count):
        lines += [
            f"  - id: svc-{n:02d}",
            f"    name: Service {n:02d}",
            f"    group: Group {n // 10}",
            "    owner: primary",
            "    slo:",
            "      target: 99.9",
            "    probes:",
            "      - id: health",
            "        http:",
            f"          url: https://svc-{n:02d}.example.com/health",
        ]
    return "\n".join(lines) + "\n"


def incident_yaml(number: int, rng: random.Random, services: int, total: int = 1000) -> tuple[str, str]:
    year = 2026 - (number - 1) // 9999  # ids have four digits: more than 9,999 spill into earlier years' folders
    ident = f"INC-{year}-{(number - 1) % 9999 + 1:04d}"
    started = NOW - timedelta(minutes=rng.randint(60, 330 * 24 * 60))
    severity = rng.choice(("SEV-1", "SEV-2"))
    still_open = number > total - 5
    touched = rng.sample(range(services), rng.randint(1, 3))
    detected = started + timedelta(minutes=rng.randint(1, 20))
    acknowledged = detected + timedelta(minutes=rng.randint(1, 15))
    mitigated = acknowledged + timedelta(minutes=rng.randint(5, 120))
    resolved = mitigated + timedelta(minutes=rng.randint(5, 60))
    if still_open:
        started, detected, acknowledged = NOW - timedelta(hours=2), NOW - timedelta(hours=1, minutes=50), None
    lines = [
        f"id: {ident}",
        f"title: Incident {number} affecting {len(touched)} service(s)",
        f"severity: {severity}",
        f"status: {rng.choice(STATUSES) if still_open else 'resolved'}",
        f"visibility: {'internal' if number % 10 == 0 else 'public'}",
        "summary: A representative summary paragraph with *some* emphasis and a [link](https://example.com/).",
        "services:",
    ]
    lines += [f"  - service: svc-{s:02d}\n    impact: {rng.choice(IMPACTS)}" for s in touched]
    lines += ["detected_by: customer", f"started_at: {_iso(started)}", f"detected_at: {_iso(detected)}"]
    if not still_open and acknowledged is not None:
        lines += [
            f"acknowledged_at: {_iso(acknowledged)}",
            f"mitigated_at: {_iso(mitigated)}",
            f"resolved_at: {_iso(resolved)}",
        ]
    lines += ["roles:", "  commander: alice", "updates:"]
    moment = detected + timedelta(minutes=2)
    for status in ("investigating", "identified", "monitoring"):
        lines += [f"  - at: {_iso(moment)}", f"    status: {status}", f"    message: Update while {status}."]
        moment += timedelta(minutes=7)
    if not still_open:
        lines += [f"  - at: {_iso(max(moment, resolved))}", "    status: resolved", "    message: Resolved."]
    lines += ["timeline:", f"  - at: {_iso(detected)}", "    kind: detected", "    message: Paged."]
    if severity == "SEV-1" and not still_open:
        lines += [
            "postmortem:",
            "  status: published",
            "  summary: What happened, in two sentences. Then why.",
            "  impact: Customers saw errors.",
            "  root_cause: A configuration change.",
            f"  root_cause_category: {rng.choice(('config-change', 'capacity', 'dependency', 'deploy'))}",
            "  went_well:",
            "    - Fast detection.",
            "  to_improve:",
            "    - Slow rollback.",
            "  action_items:",
            "    - title: Add a guard",
            "      owner: bob",
            "      due: 2027-01-15",
        ]
    return f"incidents/{year}/{ident}.yaml", "\n".join(lines) + "\n"


def make_org(root: Path, incidents: int, services: int) -> None:
    from support.orgfactory import build_org

    rng = random.Random(7)
    changes: dict[str, str | None] = {
        "policies/services.yaml": services_yaml(services),
        "incidents/2026/INC-2026-0001.yaml": None,
        "incidents/maintenance/MNT-2026-0001.yaml": None,
    }
    for number in range(1, incidents + 1):
        path, text = incident_yaml(number, rng, services, incidents)
        changes[path] = text
    build_org(root, changes)
    shutil.copytree(REPO / "site", root / "site", ignore=shutil.ignore_patterns("public", "build"))


def make_snapshot(services: int, shift: int = 0) -> object:
    """Probe state for the services; ``shift`` minutes later is the state after another probe run."""
    from watchbill.state.snapshot import DayStat, ProbeState, Sample, Snapshot

    rng = random.Random(11 + shift)
    probes = {}
    for n in range(services):
        days = tuple(
            DayStat(NOW.date() - timedelta(days=back), 288, rng.choice((0, 0, 0, 0, 1, 3)), 120.0, 800.0)
            for back in range(89, -1, -1)
        )
        recent = tuple(
            Sample(NOW - timedelta(minutes=5 * i), True, 100.0 + rng.random() * 80) for i in range(47, -1, -1)
        )
        key = f"svc-{n:02d}/health"
        probes[key] = ProbeState(key, ok=True, last_checked=NOW - timedelta(minutes=2), recent=recent, days=days)
    return Snapshot(probes=probes, last_run=NOW - timedelta(minutes=2))


def measure(incidents: int, services: int) -> list[tuple[str, str]]:
    from watchbill.site.engine import build_site
    from watchbill.validate import load_organisation

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="watchbill-bench-site-") as temp:
        os.environ["WATCHBILL_CACHE_DIR"] = str(Path(temp) / "cache")
        root = Path(temp) / "org"
        make_org(root, incidents, services)
        snapshot = make_snapshot(services)
        for audience in ("public", "internal"):
            started = time.perf_counter()
            org = load_organisation(root, now=NOW, use_cache=True)  # an empty cache: as cold as a first build
            loaded = time.perf_counter() - started
            result = build_site(
                root / "site" / "mkdocs.yml",
                organisation=org,
                audience=audience,  # type: ignore[arg-type]
                now=NOW,
                snapshot=snapshot,  # type: ignore[arg-type]
                site_dir=Path(temp) / f"out-{audience}",
            )
            total = loaded + result.seconds
            phases = {"load": loaded, **result.phases}
            top = max(phases, key=lambda k: phases[k])
            limit = " (limit < 30 s)" if incidents >= 10000 and audience == "public" else ""
            state = "cold" if audience == "public" else "pages cold, records cached by the public build"
            label = f"site build {audience}, {state} ({incidents} incidents, {services} services, 90 days){limit}"
            rows.append((label, f"{total:.1f} s wall, {result.pages} pages"))
            for name, seconds in phases.items():
                rows.append((f"  {audience}: {name}", f"{seconds:.2f} s ({seconds / total:.0%})"))
            rows.append((f"  {audience}: dominant phase", top))
            rows += _weights(result.site_dir, audience)
        rows += _rebuilds(root, snapshot, Path(temp) / "out-public", incidents, services)
    rows.append(
        ("peak memory (max RSS of the process)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    )
    return rows


def _weights(site: Path, audience: str) -> list[tuple[str, str]]:
    """What a reader downloads: the status page and the first history page (gzip, as servers send them)."""
    rows = []
    for name in ("index.html", "history/index.html", "search/search_index.json"):
        data = (site / name).read_bytes()
        rows.append(
            (f"  {audience}: {name}", f"{len(data) / 1024:.0f} KB ({len(gzip.compress(data)) / 1024:.0f} KB gzip)")
        )
    return rows


def _rebuild(root: Path, snapshot: object, out: Path) -> tuple[float, str]:
    """Wall seconds until the new site is live; then how long the replaced copy took to go, in the background."""
    from watchbill.site.engine import build_site
    from watchbill.validate import load_organisation

    started = time.perf_counter()
    cpu = time.process_time()
    org = load_organisation(root, now=NOW, use_cache=True)
    result = build_site(
        root / "site" / "mkdocs.yml",
        organisation=org,
        audience="public",
        now=NOW,
        snapshot=snapshot,  # type: ignore[arg-type]
        site_dir=out,
    )
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    result.removal.wait()
    removed = time.perf_counter() - started - seconds
    phases = ", ".join(f"{name} {value:.2f}" for name, value in result.phases.items())
    return seconds, (
        f"{result.cache.rendered} pages rendered, {result.cache.reused} reused; {cpu:.1f} s CPU; "
        f"old copy removed {removed:.1f} s later in the background; phases: {phases}"
    )


def _rebuilds(root: Path, snapshot: object, out: Path, incidents: int, services: int) -> list[tuple[str, str]]:
    """Edit one incident's title and build the public site again; then a probe run: new state, no edit."""
    limit = " (limit < 5 s)" if incidents >= 10000 else ""
    record = root / "incidents" / "2026" / "INC-2026-0001.yaml"
    record.write_text(record.read_text().replace("title: Incident 1 ", "title: Edited incident 1 "))
    seconds, cache = _rebuild(root, snapshot, out)
    rows = [(f"public rebuild after editing one incident{limit}", f"{seconds:.1f} s wall, {cache}")]
    later = make_snapshot(services, shift=5)
    seconds, cache = _rebuild(root, later, out)
    rows.append((f"public rebuild after a probe run only{limit}", f"{seconds:.1f} s wall, {cache}"))
    return rows


def plain_mkdocs(pages: int) -> tuple[str, str]:
    """The reference: plain mkdocs-material on as many Markdown pages, kept out of the nav, nothing else."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    with tempfile.TemporaryDirectory(prefix="watchbill-bench-plain-") as temp:
        docs = Path(temp) / "docs"
        (docs / "incidents").mkdir(parents=True)
        (docs / "index.md").write_text("# Status\n")
        for n in range(pages):
            text = f"# Incident {n}\n\nA representative summary paragraph with *some* emphasis.\n\n- Update one.\n"
            (docs / "incidents" / f"INC-{n:05d}.md").write_text(text)
        config_file = Path(temp) / "mkdocs.yml"
        config_file.write_text(
            "site_name: Plain\ntheme:\n  name: material\n  font: false\nplugins:\n  - search\nnav:\n  - index.md\n"
            "not_in_nav: |\n  /incidents/\n"
        )
        started = time.perf_counter()
        build(load_config(config_file=str(config_file), site_dir=str(Path(temp) / "out")))
        seconds = time.perf_counter() - started
    return (f"reference: plain mkdocs-material, {pages} pages out of the nav", f"{seconds:.1f} s wall")


def run() -> list[tuple[str, str]]:
    return [*measure(1000, 50), *measure(10000, 50), plain_mkdocs(1000)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--plain", type=int, default=1000, help="pages for the plain-mkdocs reference (0: skip)")
    args = parser.parse_args()
    rows = measure(args.incidents, args.services)
    if args.plain:
        rows.append(plain_mkdocs(args.plain))
    for label, figure in rows:
        print(f"{label:62} {figure}")


if __name__ == "__main__":
    main()
