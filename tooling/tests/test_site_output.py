"""Output that cannot hurt: a marked folder, internal builds kept apart, an atomic swap a SIGKILL cannot break."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.site_org import NOW, site_org
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.site import output
from watchbill.site.engine import build_site
from watchbill.validate import load_organisation

runner = CliRunner()
AT = "2026-11-23T12:00:00Z"
WATCHBILL = Path(sys.executable).with_name("watchbill")


def build(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["site", "build", "-C", str(root), "--at", AT, "--no-branches", *args])
    return result.exit_code, result.output


def tree(directory: Path) -> dict[str, str]:
    """Every file of a folder with a hash of its content; the build's marker (which records file times) apart."""
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != output.MARKER
    }


def settled(folder: Path, timeout: float = 60.0) -> list[str]:
    """The folder's entries once no replaced site or killed build is left in it (they go in the background)."""
    deadline = time.monotonic() + timeout
    while any(p.name.startswith(".") for p in folder.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return sorted(p.name for p in folder.iterdir())


def test_the_replaced_site_is_deleted_by_a_helper_and_nothing_else_is(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    site = tmp_path / "www"
    (tmp_path / ".www-notes").write_text("mine")  # a neighbour whose name is close
    org = load_organisation(root, now=NOW, use_cache=False)
    config = root / "site" / "mkdocs.yml"
    first = build_site(config, organisation=org, audience="public", now=NOW, site_dir=site)
    assert first.removal.path is None
    built = tree(site)
    second = build_site(config, organisation=org, audience="public", now=NOW, site_dir=site)
    assert second.removal.path is not None and second.removal.path.parent == tmp_path
    second.removal.wait(timeout=60)
    assert not second.removal.path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".www-notes", "org", "www"]
    assert tree(site) == built  # the same inputs, the same site, whole


def test_out_refuses_a_folder_that_is_not_a_previous_build_and_leaves_it_alone(tmp_path: Path) -> None:
    mine = tmp_path / "Documents"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    code, text = build(site_org(tmp_path / "org"), "--out", str(mine))
    assert code == 1, text
    assert "is not empty and is not a previous Watchbill build" in text
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".Documents")]


def test_out_rebuilds_a_previous_build_and_accepts_an_empty_folder(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    (tmp_path / "empty").mkdir()
    assert build(root, "--out", str(tmp_path / "empty"))[0] == 0
    assert json.loads((tmp_path / "empty" / output.MARKER).read_text())["audience"] == "public"
    code, text = build(root, "--out", str(tmp_path / "empty"))
    assert code == 0, text
    assert settled(tmp_path) == ["empty", "org"]  # the replaced site is deleted in the background


def test_an_internal_build_without_out_never_lands_in_the_public_folder(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    assert build(root)[0] == 0
    public = tree(root / "site" / "public")
    code, text = build(root, "--audience", "internal", "--format", "json")
    assert code == 0, text
    assert json.loads(text[text.index("{") :])["out_dir"] == (root / "site" / "internal").as_posix()
    assert tree(root / "site" / "public") == public
    assert "Primary on-call" in (root / "site" / "internal" / "oncall" / "index.html").read_text()


def test_an_internal_build_refuses_the_folder_the_public_site_is_in(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    assert build(root, "--out", str(tmp_path / "www"))[0] == 0
    before = tree(tmp_path / "www")
    code, text = build(root, "--audience", "internal", "--out", str(tmp_path / "www"))
    assert code == 1, text
    assert "holds the public site" in text
    assert tree(tmp_path / "www") == before


def test_a_failed_build_leaves_the_old_site_and_no_leftovers(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    assert build(root, "--out", str(tmp_path / "www"))[0] == 0
    before = tree(tmp_path / "www")
    (root / "site" / "docs" / "index.md").write_text("# hand-written page Watchbill generates\n")
    code, text = build(root, "--out", str(tmp_path / "www"))
    assert code == 1, text
    assert tree(tmp_path / "www") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["org", "www"]


@pytest.mark.slow
def test_a_sigkill_at_any_point_of_a_rebuild_leaves_the_old_site_whole(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    site = tmp_path / "www"
    command = [str(WATCHBILL), "site", "build", "-C", str(root), "--at", AT, "--no-branches", "--out", str(site)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    full = time.perf_counter() - started
    (root / "incidents" / "2026" / "INC-2026-0005.yaml").write_text(
        (root / "incidents" / "2026" / "INC-2026-0005.yaml").read_text().replace("Checkout", "Payment")
    )
    subprocess.run([*command[:-1], str(tmp_path / "new")], check=True, capture_output=True, timeout=120)
    old_site, new_site = tree(site), tree(tmp_path / "new")
    assert old_site != new_site
    rng = random.Random(14)
    for delay in sorted(rng.uniform(0.05, full * 1.1) for _ in range(6)):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert tree(site) in (old_site, new_site), f"killed after {delay:.2f} s of {full:.2f} s"
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert tree(site) == new_site
    assert settled(tmp_path) == ["new", "org", "www"]  # the next build cleans up
