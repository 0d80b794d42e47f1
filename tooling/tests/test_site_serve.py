"""``watchbill site serve``: a live preview on 127.0.0.1 that answers with the status page."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support.probe_servers import free_port
from support.site_org import site_org


@pytest.mark.slow
def test_site_serve_answers_with_the_status_page(tmp_path: Path) -> None:
    root = site_org(tmp_path)
    port = free_port()
    env = {**os.environ, "WATCHBILL_NOW": "2026-11-23T12:00:00Z", "WATCHBILL_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-c", "from watchbill.cli import main; main()", "site", "serve", "-C", str(root)]
    process = subprocess.Popen(
        [*command, "--address", f"127.0.0.1:{port}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        body = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert "Elevated error rates on the Public API" in body
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
