"""Run every benchmark and print one table of figures with a description of the machine.

Usage: python tooling/bench/run.py [name ...]   (names: validate oncall probes site data_growth waits paging)
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

SUITE = ("validate", "oncall", "probes", "site", "data_growth", "waits", "paging")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}){memory}, "
        f"Python {platform.python_version()}"
    )


def main(names: list[str]) -> int:
    rows: list[tuple[str, str]] = []
    failed = False
    for name in names or SUITE:
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench_{name}")
            rows.extend(module.run())
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            rows.append((f"{name}: FAILED", f"{type(exc).__name__}: {exc}"))
            failed = True
        rows.append((f"{name}: benchmark wall time", f"{time.perf_counter() - started:.1f} s"))
    width = max(len(label) for label, _ in rows)
    print(f"Watchbill benchmarks on {machine()}")
    print("-" * (width + 40))
    for label, figure in rows:
        print(f"{label:<{width}}  {figure}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
