"""Lighthouse scores of the status page (and the history and an incident page): performance, accessibility,
best practices and SEO.

Builds the public site of the test organisation (an active incident, a degraded service, probe history),
serves it from 127.0.0.1 and runs npm's ``lighthouse`` against Debian's Chromium. Lighthouse is installed
into a project-local folder on first use, never globally, and never downloads a browser:

    npm install --prefix tooling/.tools/lighthouse --no-save --no-audit --no-fund lighthouse@12.8.2
    CHROME_PATH=/usr/bin/chromium tooling/.tools/lighthouse/node_modules/.bin/lighthouse <url> ...

(Lighthouse 12 is the last line that runs on Node 20; 13 needs Node 22.19.)

    .venv/bin/python tooling/bench/lighthouse.py [--preset mobile|desktop] [--incidents N] [--report FILE]
        [--path history/] [--runs 3]

``--incidents N`` audits a generated organisation (``bench_site``: N incidents, 50 services, 90 days of probe
data) instead of the test organisation. The site is served gzip-compressed, as GitHub Pages serves it, and the
figures include what the status page transferred (Lighthouse's ``total-byte-weight``). Performance varies by
tens of percent between runs on a small machine: ``--runs N`` audits N times and prints the median and range.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tooling" / "tests"))

LIGHTHOUSE_VERSION = "12.8.2"
PREFIX = REPO / "tooling" / ".tools" / "lighthouse"
BINARY = PREFIX / "node_modules" / ".bin" / "lighthouse"
CHROME = "/usr/bin/chromium"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --no-first-run --disable-dev-shm-usage"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
RUNS = 3


def install() -> Path:
    """Install the pinned lighthouse into the project-local prefix unless it is already there."""
    package = PREFIX / "node_modules" / "lighthouse" / "package.json"
    if BINARY.exists() and package.exists() and json.loads(package.read_text())["version"] == LIGHTHOUSE_VERSION:
        return BINARY
    PREFIX.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(PREFIX),
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"lighthouse@{LIGHTHOUSE_VERSION}",
        ],
        check=True,
        timeout=600,
    )
    return BINARY


SERVICES = 50


def build(directory: Path, incidents: int | None = None) -> Path:
    """The example organisation's public site, or a generated one with ``incidents`` incidents."""
    from support.site_org import NOW, site_org, site_snapshot

    from watchbill.site.engine import build_site
    from watchbill.validate import load_organisation

    if incidents is None:
        root = site_org(directory / "org")
        snapshot: object = site_snapshot()
    else:
        sys.path.insert(0, str(HERE))
        import bench_site

        root = directory / "org"
        bench_site.make_org(root, incidents, SERVICES)
        snapshot = bench_site.make_snapshot(SERVICES)
    org = load_organisation(root, now=NOW, use_cache=False)
    result = build_site(
        root / "site" / "mkdocs.yml",
        organisation=org,
        audience="public",
        now=NOW,
        snapshot=snapshot,  # type: ignore[arg-type]
        site_dir=directory / "out",
    )
    return result.site_dir


def audit(url: str, preset: str, report: Path | None = None) -> dict[str, float]:
    binary = install()
    command = [
        str(binary),
        url,
        "--quiet",
        "--output=json",
        "--output-path=stdout",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": CHROME}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    if report is not None:
        report.write_text(done.stdout)
    scores = {name: float(result["categories"][name]["score"]) * 100 for name in CATEGORIES}
    scores["transferred KB"] = float(result["audits"]["total-byte-weight"]["numericValue"]) / 1024
    scores["LCP s"] = float(result["audits"]["largest-contentful-paint"]["numericValue"]) / 1000
    return scores


def failed_audits(report: Path) -> list[str]:
    result = json.loads(report.read_text())
    out = []
    for category in result["categories"].values():
        for ref in category["auditRefs"]:
            item = result["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and item.get("score") is not None and item["score"] < 1:
                out.append(f"{category['id']}: {ref['id']} ({item['score']}) {item.get('displayValue', '')}")
    return out


def audits(url: str, preset: str, runs: int) -> dict[str, list[float]]:
    """Every figure of ``runs`` audits of one page, run after run."""
    figures: dict[str, list[float]] = {}
    for _ in range(runs):
        for name, value in audit(url, preset).items():
            figures.setdefault(name, []).append(value)
    return figures


def summary(values: list[float]) -> str:
    """The median, and the range when the runs differ."""
    median = f"{statistics.median(values):.1f}"
    if min(values) == max(values):
        return median
    return f"{median} (median of {len(values)}, {min(values):.1f}-{max(values):.1f})"


def pages(site: Path) -> dict[str, str]:
    """The status page, the newest history page and the newest incident's page, by path below the site."""
    newest = max(p.parent.name for p in (site / "incidents").glob("*/index.html"))
    return {"status page": "", "history": "history/", "incident page": f"incidents/{newest}/"}


def run(preset: str = "mobile") -> list[tuple[str, str]]:
    from support.site_org import serve

    rows = []
    for incidents in (None, 1_000, 10_000):
        data = "example data" if incidents is None else f"{incidents} incidents"
        with tempfile.TemporaryDirectory(prefix="watchbill-lighthouse-") as temp:
            site = build(Path(temp), incidents)
            with serve(site) as url:
                for page, path in pages(site).items():
                    figures = audits(url + path, preset, RUNS)
                    rows += [(f"lighthouse {preset} {data}, {page}: {k}", summary(v)) for k, v in figures.items()]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=("mobile", "desktop"), default="mobile")
    parser.add_argument("--report", type=Path, help="Also write Lighthouse's JSON report here.")
    parser.add_argument("--incidents", type=int, help="Audit a generated organisation with this many incidents.")
    parser.add_argument("--path", default="", help="Audit this page below the site instead of the status page.")
    parser.add_argument("--runs", type=int, default=1, help="Audit this many times; print median and range.")
    args = parser.parse_args()
    from support.site_org import serve

    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="watchbill-lighthouse-") as temp:
        site = build(Path(temp), args.incidents)
        with serve(site) as url:
            for _ in range(args.runs):
                for name, value in audit(url + args.path, args.preset, args.report).items():
                    figures.setdefault(name, []).append(value)
    for name, values in figures.items():
        print(f"{name:15} {summary(values)}")
    if args.report:
        for line in failed_audits(args.report):
            print("  below 1:", line)


if __name__ == "__main__":
    main()
