"""Helpers shared by the benchmarks."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def copy_policies(target: Path) -> None:
    """The example organisation's policies and schedules, without its incidents."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in ("policies", "schedules"):
        shutil.copytree(REPO_ROOT / folder, target / folder, dirs_exist_ok=True)
    (target / "incidents").mkdir(exist_ok=True)
