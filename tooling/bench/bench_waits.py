"""Where people wait (issue 15): each figure printed beside its limit, measured in fresh processes.

- ``watchbill --help`` wall time; ``watchbill validate`` on the example organisation, warm cache;
- 10,000 files: cold CPU against a minimal CSafeLoader + pydantic script, warm with one file changed, peak RSS;
- ``oncall calendar`` for a year of 1,000 schedules against the library's own time, and its peak RSS;
- ``oncall diff`` in a repository of 10,000 incidents;
- 5,000 healthy probes with the open-file limit at 1,024 and ``--concurrency`` 2,000.

    python tooling/bench/run.py waits     (WAITS_FILES=50000 for the larger organisation, if time allows)
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO_ROOT

PY = sys.executable
NOW = "2026-11-23T12:00:00Z"
BASELINE = """
import sys, time, os, yaml
from watchbill.models import Incident
start = time.process_time()
for folder, _, names in os.walk(sys.argv[1] + "/incidents"):
    for name in names:
        with open(os.path.join(folder, name), "rb") as handle:
            Incident.model_validate(yaml.load(handle, Loader=yaml.CSafeLoader))
print(time.process_time() - start)
"""


def timed(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, stdout) of one run in a fresh process (GNU time reports the child's own)."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%U %S %M", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{args[:4]} failed: {done.stderr[-500:]}")
    user, system, kib = done.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(kib) / 1024, done.stdout


SCRIPT = str(Path(PY).parent / "watchbill")


def watchbill(*args: str, env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """The installed console script, as a person runs it."""
    return timed([SCRIPT, *args], env)


def verdict(value: float, limit: float, unit: str, less: bool = True) -> str:
    ok = value < limit if less else value <= limit
    return f"{value:.3f} {unit} (limit {'<' if less else '<='} {limit:g} {unit}: {'met' if ok else 'NOT MET'})"


def startup(rows: list[tuple[str, str]], cache: Path) -> None:
    walls = [watchbill("--help")[0] for _ in range(7)]
    rows.append(("--help wall (median of 7)", verdict(statistics.median(walls), 0.150, "s")))
    env = {"WATCHBILL_CACHE_DIR": str(cache), "WATCHBILL_NOW": NOW}
    watchbill("validate", str(REPO_ROOT), env=env)
    walls = [watchbill("validate", str(REPO_ROOT), env=env)[0] for _ in range(5)]
    rows.append(("validate example organisation, warm (median of 5)", verdict(statistics.median(walls), 0.300, "s")))


def organisation(work: Path, files: int, rows: list[tuple[str, str]]) -> Path:
    import bench_validate

    root = work / f"org{files}"
    bench_validate.make_tree(root, files)
    git = ["git", "-C", str(root), "-c", "user.email=b@example.com", "-c", "user.name=bench"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "bench"], check=True)
    return root


def scale(work: Path, files: int, rows: list[tuple[str, str]]) -> Path:
    root = organisation(work, files, rows)
    cache = work / f"cache{files}"
    env = {"WATCHBILL_CACHE_DIR": str(cache), "WATCHBILL_NOW": NOW}
    base_cpu = float(timed([PY, "-c", BASELINE, str(root)])[3])
    _, cold_cpu, cold_rss, _ = watchbill("validate", str(root), env=env)
    rows.append((f"{files:,} files: minimal CSafeLoader + pydantic script CPU", f"{base_cpu:.2f} s"))
    rows.append((f"{files:,} files: validate cold CPU / baseline", verdict(cold_cpu / base_cpu, 1.2, "x", less=False)))
    changed = root / "incidents" / "2024" / "INC-2024-0001.yaml"
    changed.write_text(changed.read_text() + "# changed\n")
    wall, cpu, rss, _ = watchbill("validate", str(root), env=env)
    rows.append((f"{files:,} files: warm, one file changed, wall", verdict(wall, 0.5, "s")))
    rows.append((f"{files:,} files: warm, one file changed, CPU", f"{cpu:.3f} s (wall depends on the machine's load)"))
    limit = 100 if files <= 10_000 else 400
    rows.append((f"{files:,} files: peak RSS (cold run)", verdict(cold_rss, limit, "MB")))
    rows.append((f"{files:,} files: peak RSS (warm run)", f"{rss:.0f} MB"))
    return root


def diff(root: Path, rows: list[tuple[str, str]]) -> None:
    walls = [watchbill("oncall", "diff", "--base", "HEAD", "--root", str(root), env={"WATCHBILL_NOW": NOW})[0]]
    walls += [watchbill("oncall", "diff", "--base", "HEAD", "--root", str(root), env={"WATCHBILL_NOW": NOW})[0]]
    rows.append(("oncall diff, 10,000-incident repository", verdict(min(walls), 1.0, "s")))


def calendar(work: Path, rows: list[tuple[str, str]], count: int = 1000) -> None:
    import bench_oncall

    from watchbill.oncall import shifts

    rng = random.Random(7)
    schedules = [bench_oncall.make_schedule(i, rng) for i in range(count)]
    root = work / "calendar-org"
    shutil.copytree(REPO_ROOT / "policies", root / "policies")
    shutil.copytree(REPO_ROOT / "schedules", root / "schedules")  # the services name its schedules
    import yaml

    people_doc = yaml.safe_load((root / "schedules" / "people.yaml").read_text())
    people = sorted({m for s in schedules for layer in s.layers for m in layer.members})
    people_doc["people"] += [{"id": p, "name": f"Person {p}", "timezone": "UTC"} for p in people]
    (root / "schedules" / "people.yaml").write_text(json.dumps(people_doc))
    for schedule in schedules:
        data = schedule.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        (root / "schedules" / f"{schedule.id}.yaml").write_text(json.dumps(data))
    started = time.process_time()
    total = sum(len(shifts(s, bench_oncall.YEAR_START, bench_oncall.YEAR_END)) for s in schedules)
    library = time.process_time() - started
    args = ["oncall", "calendar", "--root", str(root), "--from", "2026-01-01", "--to", "2026-12-31"]
    env = {"WATCHBILL_NOW": NOW, "WATCHBILL_CACHE_DIR": str(work / "calendar-cache")}
    watchbill(*args, env=env)  # warms the validation cache
    _, cpu, rss, listed = watchbill(*args, env=env)
    if len(listed.splitlines()) < total // 2:
        raise RuntimeError("oncall calendar printed too little; is the generated organisation valid?")
    _, json_cpu, json_rss, _ = watchbill(*args, "--format", "json", env=env)
    rows.append((f"oncall calendar, a year x {count:,} schedules: library CPU", f"{library:.2f} s ({total:,} shifts)"))
    rows.append(("oncall calendar: command CPU / library", verdict(cpu / library, 1.5, "x", less=False)))
    rows.append(("oncall calendar --format json: CPU / library", verdict(json_cpu / library, 1.5, "x", less=False)))
    rows.append(("oncall calendar: peak RSS (text, json)", verdict(max(rss, json_rss), 200, "MB")))
    rows.append(("oncall calendar: rows printed", f"{len(listed.splitlines()) - 1:,}"))
    report(root, env, library, rows)


def report(root: Path, env: dict[str, str], shifts_cpu: float, rows: list[tuple[str, str]]) -> None:
    """``oncall report`` for the calendar's year and organisation, against the library computing the same."""
    from datetime import datetime

    import bench_oncall

    from watchbill.oncall.report import schedule_report
    from watchbill.validate import load_organisation

    org = load_organisation(root, now=datetime.fromisoformat(NOW))
    started = time.process_time()
    for schedule_id in sorted(org.schedules):
        schedule_report(org.schedules[schedule_id], org.people, bench_oncall.YEAR_START, bench_oncall.YEAR_END)
    library = time.process_time() - started
    args = ["oncall", "report", "--root", str(root), "--from", "2026-01-01", "--to", "2026-12-31"]
    _, cpu, rss, _ = watchbill(*args, env=env)
    _, json_cpu, json_rss, _ = watchbill(*args, "--format", "json", env=env)
    figure = f"{library:.2f} s ({library / shifts_cpu:.1f}x the shifts alone)"
    rows.append(("oncall report, same year and schedules: library CPU", figure))
    rows.append(("oncall report: command CPU / library", verdict(cpu / library, 1.5, "x", less=False)))
    rows.append(("oncall report --format json: CPU / library", verdict(json_cpu / library, 1.5, "x", less=False)))
    rows.append(("oncall report: peak RSS (text, json)", verdict(max(rss, json_rss), 200, "MB")))


def command_help(rows: list[tuple[str, str]]) -> None:
    """A command's own help loads its command module, not the library (no limit given; 'fast too')."""
    for command in ([], ["validate"], ["oncall"], ["oncall", "calendar"]):
        runs = [watchbill(*command, "--help") for _ in range(7)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        label = " ".join(["watchbill", *command, "--help"])
        rows.append((f"{label} wall, CPU (median of 7)", f"{wall:.3f} s, {cpu:.3f} s"))


PROBES = """
import resource, sys
from datetime import UTC, datetime, timedelta
sys.path.insert(0, sys.argv[2])
from bench_probes import RESPONSE
from watchbill.models import HttpCheck, Probe
from watchbill.probes import RunOptions, Target, run
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
port = int(sys.argv[1])
targets = [Target(f"svc{i // 10:04d}/p{i % 10}", Probe(id=f"p{i % 10}",
           http=HttpCheck(url=f"http://127.0.0.1:{port}/health/{i}"), timeout=timedelta(seconds=30)))
           for i in range(5000)]
results = run(targets, RunOptions(concurrency=2000, budget=timedelta(seconds=240)), datetime.now(UTC))
print(sum(1 for r in results.results if r.ok is True), sum(1 for r in results.results if r.ok is False))
"""


def probes(rows: list[tuple[str, str]]) -> None:
    import multiprocessing

    import bench_probes

    ready = multiprocessing.Event()
    port_box = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=bench_probes._serve, args=(0.05, ready, port_box), daemon=True)
    server.start()
    try:
        if not ready.wait(10):
            raise RuntimeError("target server did not start")
        wall, _, _, out = timed([PY, "-c", PROBES, str(port_box.value), str(Path(__file__).parent)])
        up, down = (int(x) for x in out.split())
        state = "met" if up == 5000 else "NOT MET"
        rows.append(
            ("5,000 probes, ulimit -n 1024, --concurrency 2000", f"{up:,} up, {down} down ({state}), {wall:.1f} s")
        )
    finally:
        server.terminate()
        server.join(5)


def run() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="wb-bench-waits-"))
    try:
        startup(rows, work / "cache-example")
        command_help(rows)
        root = scale(work, 10_000, rows)
        diff(root, rows)
        shutil.rmtree(root)
        larger = int(os.environ.get("WAITS_FILES", "0"))
        if larger:
            shutil.rmtree(scale(work, larger, rows))
        calendar(work, rows)
        probes(rows)
        return [(f"waits: {label}", figure) for label, figure in rows]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:60} {figure}")
