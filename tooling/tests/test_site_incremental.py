"""Incremental builds: unchanged incidents are not rendered again, and any build equals a cold one byte for byte.

Counts come from the page cache's statistics (``BuildResult.cache``); equality is of whole output trees.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from markupsafe import Markup
from pydantic_core import TzInfo
from support.site_org import NOW, site_org, site_snapshot

from watchbill.site import frame, output, plugin
from watchbill.site.cache import PageCache
from watchbill.site.engine import BuildResult, build_site
from watchbill.validate import load_organisation

AT = "2026-11-23T12:00:00Z"
WATCHBILL = Path(sys.executable).with_name("watchbill")
PAGES = 6
"""Incident and postmortem pages of the public site_org build."""


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHBILL_CACHE_DIR", str(tmp_path / "cache"))


def _build(
    root: Path, out: Path, *, cache: PageCache | None = None, audience: str = "public", probes: bool = True
) -> BuildResult:
    org = load_organisation(root, now=NOW, use_cache=False)
    return build_site(
        root / "site" / "mkdocs.yml",
        organisation=org,
        audience=audience,  # type: ignore[arg-type]
        now=NOW,
        snapshot=site_snapshot() if probes else None,
        site_dir=out,
        cache=cache,
    )


def _tree(directory: Path) -> dict[str, str]:
    """The site's files with a hash of each; the build's marker (its own record, with file times) left out."""
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != output.MARKER
    }


def _edit(root: Path, incident: str, old: str, new: str) -> None:
    path = root / "incidents" / "2026" / f"{incident}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _with_site_url(root: Path) -> Path:
    settings = root / "policies" / "settings.yaml"
    settings.write_text(
        settings.read_text().replace("status_page:\n", "status_page:\n  url: https://status.example.com/\n", 1)
    )
    return root


def test_a_rebuild_after_editing_one_incident_renders_only_its_pages_and_equals_a_cold_build(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    assert _build(root, tmp_path / "site").cache.rendered == PAGES
    _edit(root, "INC-2026-0005", "Card payments failed for 40 minutes.", "Card payments failed for 41 minutes.")
    again = _build(root, tmp_path / "site")
    assert (again.cache.rendered, again.cache.reused) == (2, PAGES - 2)  # the incident and its postmortem
    assert "41 minutes" in (tmp_path / "site" / "incidents" / "INC-2026-0005" / "index.html").read_text()
    cold = _build(root, tmp_path / "cold", cache=PageCache())
    assert cold.cache.rendered == PAGES
    assert _tree(tmp_path / "site") == _tree(tmp_path / "cold")


def test_an_edit_reaches_the_pages_that_show_the_edited_incident(tmp_path: Path) -> None:
    """INC-2026-0005 lists INC-2026-0001 among its related incidents, by title."""
    root = site_org(tmp_path / "org")
    _build(root, tmp_path / "site")
    _edit(root, "INC-2026-0001", "title: ", "title: Renamed ")
    again = _build(root, tmp_path / "site")
    assert again.cache.rendered == 4  # INC-2026-0001 and INC-2026-0005, each with its postmortem
    page = (tmp_path / "site" / "incidents" / "INC-2026-0005" / "index.html").read_text()
    assert "Renamed " in page


def test_a_probe_run_renders_no_incident_page_again(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    _build(root, tmp_path / "site")
    org = load_organisation(root, now=NOW, use_cache=False)
    later = site_snapshot(NOW.replace(hour=13))
    result = build_site(
        root / "site" / "mkdocs.yml",
        organisation=org,
        audience="public",
        now=NOW,
        snapshot=later,
        site_dir=tmp_path / "site",
    )
    assert (result.cache.rendered, result.cache.reused) == (0, PAGES)


def test_a_setting_every_page_shows_renders_every_page_again(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    _build(root, tmp_path / "site")
    settings = root / "policies" / "settings.yaml"
    settings.write_text(
        settings.read_text().replace("status_page:\n", "status_page:\n  support_url: https://help.example.com/\n", 1)
    )
    again = _build(root, tmp_path / "site")
    assert again.cache.rendered == PAGES
    assert "https://help.example.com/" in (tmp_path / "site" / "incidents" / "INC-2026-0005" / "index.html").read_text()


def test_records_read_from_the_validation_cache_hit_the_same_pages(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    _build(root, tmp_path / "site")
    load_organisation(root, now=NOW, use_cache=True)  # fills the validation cache
    org = load_organisation(root, now=NOW, use_cache=True)
    config = root / "site" / "mkdocs.yml"
    snapshot = site_snapshot()
    result = build_site(
        config, organisation=org, audience="public", now=NOW, snapshot=snapshot, site_dir=tmp_path / "site"
    )
    assert (result.cache.rendered, result.cache.reused) == (0, PAGES)


def test_page_keys_depend_on_values_not_on_how_they_were_loaded() -> None:
    cache = PageCache()
    moment = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert cache.key(moment) == cache.key(moment.replace(tzinfo=TzInfo(0)))
    assert cache.key(moment) != cache.key(moment.astimezone(timezone(timedelta(hours=1))))
    assert cache.key("<b>") != cache.key(Markup("<b>"))


def test_audiences_never_share_cached_pages(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    _build(root, tmp_path / "public")
    internal = _build(root, tmp_path / "internal", audience="internal")
    assert internal.cache.reused == 0


def test_a_damaged_or_foreign_cache_is_only_a_slower_build(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    _build(root, tmp_path / "site")
    files = list((tmp_path / "cache" / "site").glob("pages-*.marshal"))
    assert len(files) == 1
    files[0].write_bytes(b"\x00not marshal")
    assert _build(root, tmp_path / "site").cache.rendered == PAGES
    files[0].write_bytes(marshal.dumps({"code": "another version", "pages": {}}))
    assert _build(root, tmp_path / "site").cache.rendered == PAGES


def test_framed_pages_equal_what_mkdocs_renders_page_by_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The frame is an optimisation only: the same pages and sitemap, byte for byte, as mkdocs' own rendering."""
    root = _with_site_url(site_org(tmp_path / "org"))
    _build(root, tmp_path / "framed", audience="internal")
    monkeypatch.setattr(plugin, "_framed", lambda src: False)
    _build(root, tmp_path / "mkdocs", audience="internal", cache=PageCache())
    assert _tree(tmp_path / "framed") == _tree(tmp_path / "mkdocs")
    sitemap = (tmp_path / "framed" / "sitemap.xml").read_text()
    locs = [line.strip() for line in sitemap.splitlines() if "<loc>" in line]
    assert sorted(locs) == locs
    assert "<loc>https://status.example.com/postmortems/INC-2026-0005/</loc>" in locs


def test_no_frame_page_is_published(tmp_path: Path) -> None:
    root = _with_site_url(site_org(tmp_path / "org"))
    out = _build(root, tmp_path / "site").site_dir
    assert not [p for p in out.rglob("*") if frame.FRAME_STEM in p.as_posix()]
    assert frame.FRAME_STEM not in (out / "sitemap.xml").read_text()
    assert "https://status.example.com/incidents/INC-2026-0005/" in (out / "sitemap.xml").read_text()


def test_a_hand_written_page_may_link_to_a_framed_incident_page(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    (root / "site" / "docs" / "about.md").write_text("# About\n\nSee [the outage](incidents/INC-2026-0005.md).\n")
    out = _build(root, tmp_path / "site").site_dir
    assert 'href="../incidents/INC-2026-0005/"' in (out / "about" / "index.html").read_text()


def test_a_page_title_cannot_open_a_marker_or_a_tag(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    _edit(root, "INC-2026-0005", "title: ", f"title: {frame.TITLE} <b>x</b> {frame.FRAME_STEM} ")
    page = (_build(root, tmp_path / "site").site_dir / "incidents" / "INC-2026-0005" / "index.html").read_text()
    assert f"<title>{frame.TITLE} ‹b›x‹/b› {frame.FRAME_STEM}" in page
    assert "<b>x</b>" not in page


@pytest.mark.slow
def test_two_builds_in_separate_processes_give_the_same_bytes(tmp_path: Path) -> None:
    """Same inputs, same ``--at``: whatever the hash seed, the wall clock or a warm cache, the same site."""
    root = _with_site_url(site_org(tmp_path / "org"))
    _build(root, tmp_path / "warm", probes=False)  # fills the page cache of the first process below
    trees = []
    for n, seed in enumerate(("1", "2")):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        if n:
            env["WATCHBILL_CACHE_DIR"] = str(tmp_path / "other-cache")
        out = tmp_path / f"out{n}"
        command = [str(WATCHBILL), "site", "build", "-C", str(root), "--at", AT, "--no-branches", "--out", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
        assert done.returncode == 0, done.stdout + done.stderr
        trees.append(_tree(out))
    assert trees[0] == trees[1]
    assert trees[0] == _tree(tmp_path / "warm")


def _pages(site: Path) -> dict[str, Path]:
    return {p.relative_to(site).as_posix(): p for p in sorted(site.glob("*/INC-*/index.html"))}


def test_a_rebuild_links_unchanged_pages_and_never_writes_through_a_link(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    site = tmp_path / "site"
    _build(root, site)
    before = {name: (path.stat().st_ino, path.read_bytes()) for name, path in _pages(site).items()}
    edited = "incidents/INC-2026-0005/index.html"
    kept_old = tmp_path / "old-0005.html"
    os.link(site / edited, kept_old)  # the old site's file, whatever happens to its folder
    _edit(root, "INC-2026-0005", "Card payments failed for 40 minutes.", "Card payments failed for 41 minutes.")
    _build(root, site)
    after = _pages(site)
    assert after.keys() == before.keys()
    relinked = {name for name, path in after.items() if path.stat().st_ino == before[name][0]}
    unchanged = {name for name, path in after.items() if path.read_bytes() == before[name][1]}
    assert relinked == unchanged
    assert edited not in unchanged and len(unchanged) == len(before) - 1
    assert kept_old.read_bytes() == before[edited][1]  # the new page went to a new file
    assert "41 minutes" in (site / edited).read_text()
    assert _tree(site) == _tree(_cold(root, tmp_path / "cold"))
    assert not [p for p in site.rglob("*") if p.name.startswith(".watchbill-reuse")]


def _cold(root: Path, out: Path) -> Path:
    _build(root, out, cache=PageCache())
    return out


def test_a_page_that_is_no_longer_public_is_not_kept_by_linking(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    site = tmp_path / "site"
    _build(root, site)
    assert (site / "incidents" / "INC-2026-0005" / "index.html").exists()
    _edit(root, "INC-2026-0005", "status: resolved\n", "status: resolved\nvisibility: internal\n")
    _build(root, site)
    assert not (site / "incidents" / "INC-2026-0005").exists()
    assert not (site / "postmortems" / "INC-2026-0005").exists()
    assert _tree(site) == _tree(_cold(root, tmp_path / "cold"))


def test_a_page_changed_by_hand_or_a_hostile_marker_is_never_reused(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    site = tmp_path / "site"
    _build(root, site)
    page = _pages(site)["incidents/INC-2026-0002/index.html"]
    page.write_text(page.read_text() + "<p>Defaced</p>")
    outside = tmp_path / "outside.html"
    outside.write_text("not part of any site")
    marker = json.loads((site / output.MARKER).read_text())
    stat = outside.stat()
    marker["pages"]["../outside.html"] = ["x", stat.st_size, stat.st_mtime_ns]
    marker["pages"]["incidents/../../outside.html"] = ["x", stat.st_size, stat.st_mtime_ns]
    marker["pages"]["incidents/x\n../outside.html\t1"] = ["x", stat.st_size, stat.st_mtime_ns]
    (site / output.MARKER).write_text(json.dumps(marker))
    _build(root, site)
    assert "Defaced" not in page.read_text()
    assert outside.read_text() == "not part of any site"
    assert _tree(site) == _tree(_cold(root, tmp_path / "cold"))
