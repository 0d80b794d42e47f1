"""How much the repository grows for a month of probe data: 50 probes every 5 minutes.

Every run is recorded the way ``watchbill lifecycle`` records it: ``state.record_results`` on a checkout
of the data branch, then one commit of the resulting tree on top of the previous one. The objects are
written with GitPython's object database directly (no subprocess per run) so a month takes a minute or
two instead of an hour; what is stored is the same blobs, trees and commits. At the end the repository
is packed by ``git gc`` (what a server's maintenance does) and the pack is measured.

    /work/venv/bin/python tooling/bench/bench_data_growth.py [--days 30] [--probes 50]
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git
from gitdb import IStream  # type: ignore[import-untyped]

from watchbill.forge.git import Identity
from watchbill.probes import Result, ResultsFile
from watchbill.state import record_results

START = datetime(2026, 11, 1, tzinfo=UTC)
IDENTITY = Identity()
INTERVAL = timedelta(minutes=5)


class TreeWriter:
    """Blobs, trees and commits for a folder, rewriting only what changed since the last commit."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        self.blobs: dict[Path, tuple[int, int, bytes]] = {}
        self.parent: str | None = None

    def _store(self, kind: str, data: bytes) -> bytes:
        return bytes(self.repo.odb.store(IStream(kind, len(data), io.BytesIO(data))).binsha)

    def _tree(self, folder: Path) -> bytes:
        entries: list[tuple[str, bytes, bytes]] = []
        for path in folder.iterdir():
            if path.is_dir():
                entries.append((path.name + "/", b"40000", self._tree(path)))
                continue
            stat = path.stat()
            known = self.blobs.get(path)
            if known is None or known[:2] != (stat.st_size, stat.st_mtime_ns):
                sha = self._store("blob", path.read_bytes())
                self.blobs[path] = (stat.st_size, stat.st_mtime_ns, sha)
            entries.append((path.name, b"100644", self.blobs[path][2]))
        entries.sort(key=lambda e: e[0])  # git orders trees by name, folders as if they ended in "/"
        raw = b"".join(mode + b" " + name.rstrip("/").encode() + b"\0" + sha for name, mode, sha in entries)
        return self._store("tree", raw)

    def commit(self, folder: Path, message: str, when: datetime) -> str:
        tree = self._tree(folder).hex()
        stamp = f"{int(when.timestamp())} +0000"
        lines = [f"tree {tree}"]
        if self.parent:
            lines.append(f"parent {self.parent}")
        who = f"{IDENTITY.name} <{IDENTITY.email}>"  # what the lifecycle commits as when git has no user
        lines += [f"author {who} {stamp}", f"committer {who} {stamp}", "", message]
        self.parent = self._store("commit", ("\n".join(lines) + "\n").encode()).hex()
        return self.parent


def results_for(at: datetime, probes: int, rnd: random.Random, base: list[float]) -> ResultsFile:
    items = []
    for index in range(probes):
        ok = rnd.random() > 0.003
        latency = round(base[index] * rnd.lognormvariate(0, 0.25), 1) if ok else None
        error = None if ok else "no complete answer within the 10s timeout"
        at_result = at + timedelta(milliseconds=rnd.randint(0, 900))
        items.append(
            Result(key=f"svc{index // 2:02d}/probe{index % 2}", at=at_result, ok=ok, latency_ms=latency, error=error)
        )
    return ResultsFile(started_at=at, finished_at=at + timedelta(seconds=2), results=items)


def pack_size(repo_dir: Path) -> int:
    return sum(p.stat().st_size for p in (repo_dir / ".git" / "objects" / "pack").glob("*.pack"))


def breakdown(repo_dir: Path) -> dict[str, int]:
    packs = list((repo_dir / ".git" / "objects" / "pack").glob("*.idx"))
    out = subprocess.run(["git", "verify-pack", "-v", *map(str, packs)], cwd=repo_dir, capture_output=True, text=True)
    sizes: dict[str, int] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[1] in ("commit", "tree", "blob"):
            sizes[parts[1]] = sizes.get(parts[1], 0) + int(parts[3])
    return sizes


def measure(days: int = 30, probes: int = 50, seed: int = 7, *, check: bool = False) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="wb-bench-growth-"))
    try:
        repo_dir, data = work / "repo", work / "data"
        repo = git.Repo.init(repo_dir)
        data.mkdir()
        writer = TreeWriter(repo)
        rnd = random.Random(seed)
        base = [rnd.uniform(30, 400) for _ in range(probes)]
        runs = 0
        started = time.perf_counter()
        moment = START
        end = START + timedelta(days=days)
        while moment < end:
            at = moment + timedelta(seconds=rnd.randint(0, 90))  # GitHub's cron runs late, never early
            results = results_for(at, probes, rnd, base)
            record_results(data, results)
            failing = sum(1 for r in results.results if r.ok is False)
            writer.commit(data, f"probe run {at:%Y-%m-%dT%H:%M:%SZ}: {probes} results, {failing} failing", at)
            runs += 1
            moment += INTERVAL
        repo.git.update_ref("refs/heads/watchbill-data", writer.parent)
        if check:
            subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=repo_dir, check=True, capture_output=True)
        recording = time.perf_counter() - started
        subprocess.run(["git", "gc", "--quiet", "--prune=now"], cwd=repo_dir, check=True)
        packed = pack_size(repo_dir)
        parts = breakdown(repo_dir)
        data_bytes = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
        return {
            "days": days,
            "probes": probes,
            "runs": runs,
            "packed": packed,
            "per_month": packed * 30 / days,
            "per_commit": packed / runs,
            "commits": parts.get("commit", 0),
            "trees": parts.get("tree", 0),
            "blobs": parts.get("blob", 0),
            "tree_bytes": data_bytes,
            "seconds": recording,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def rows(figures: dict[str, float]) -> list[tuple[str, str]]:
    mb = 1024 * 1024
    return [
        (
            f"data branch, {figures['probes']:.0f} probes every 5 min, {figures['days']:.0f} days",
            f"{figures['packed'] / mb:.2f} MB packed ({figures['per_month'] / mb:.2f} MB/month, aim < 5)",
        ),
        ("  runs (one commit each)", f"{figures['runs']:.0f} ({figures['per_commit']:.0f} bytes per commit)"),
        (
            "  packed commits / trees / blobs",
            f"{figures['commits'] / mb:.2f} / {figures['trees'] / mb:.2f} / {figures['blobs'] / mb:.2f} MB",
        ),
        ("  checkout of the branch", f"{figures['tree_bytes'] / mb:.2f} MB"),
        ("  time to record the month", f"{figures['seconds']:.0f} s"),
    ]


def run() -> list[tuple[str, str]]:
    return rows(measure())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--probes", type=int, default=50)
    args = parser.parse_args()
    for label, figure in rows(measure(args.days, args.probes)):
        print(f"{label:58} {figure}")
