"""Fixtures more than one test module starts the same way: a webhook receiver and Debian's headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.receivers import Receiver

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real webhook receiver on 127.0.0.1 (see :class:`receivers.Receiver`), stopped after the test."""
    with Receiver() as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, one per test module. Where it is missing a local run skips the test, but
    CI fails it: tooling/scripts/install-system-deps.sh installs it there, so a missing browser is a broken
    job, not a reason to pass without looking."""
    if not CHROMIUM.exists():
        missing = f"Debian's chromium is not installed at {CHROMIUM}"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{missing}; in CI tooling/scripts/install-system-deps.sh must install it")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
