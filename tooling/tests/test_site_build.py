"""The whole site built by mkdocs: strict builds, audiences kept apart, offline, escaped, linked."""

from __future__ import annotations

import html.parser
import os
import posixpath
import re
import subprocess
import sys
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from support.site_org import NOW, REPO, SECRETS, site_org, site_snapshot
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.site.build import write_tree
from watchbill.site.engine import BuildResult, build_site
from watchbill.validate import load_organisation

AT = "2026-11-23T12:00:00Z"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHBILL_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _build(root: Path, audience: str, out: Path) -> BuildResult:
    org = load_organisation(root, now=NOW, use_cache=False)
    return build_site(
        root / "site" / "mkdocs.yml",
        organisation=org,
        audience=audience,  # type: ignore[arg-type]
        now=NOW,
        snapshot=site_snapshot(),
        site_dir=out,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both audiences built once from the same organisation and probe state."""
    out: dict[str, Path] = {}
    for audience in ("public", "internal"):
        root = site_org(tmp_path_factory.mktemp(audience))
        out[audience] = _build(root, audience, root / "out").site_dir
    return out


def _texts(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): p.read_bytes().decode("utf-8", "replace")
        for p in directory.rglob("*")
        if p.is_file() and p.suffix not in (".gz", ".png", ".ico", ".woff2")
    }


def test_the_cli_builds_the_site_strictly(tmp_path: Path) -> None:
    root = site_org(tmp_path)
    result = runner.invoke(app, ["site", "build", "-C", str(root), "--at", AT, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Built the public site" in result.output
    assert (tmp_path / "out" / "index.html").is_file()
    assert (tmp_path / "out" / "incidents" / "INC-2026-0005" / "index.html").is_file()
    assert (tmp_path / "out" / "postmortems" / "INC-2026-0005" / "index.html").is_file()


def test_plain_mkdocs_build_strict_runs_the_plugin(tmp_path: Path) -> None:
    root = site_org(tmp_path)
    env = {**os.environ, "WATCHBILL_NOW": AT, "WATCHBILL_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(root / "site" / "mkdocs.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert "Elevated error rates on the Public API" in (root / "site" / "public" / "index.html").read_text()


def test_the_public_build_contains_no_internal_data(built: dict[str, Path]) -> None:
    leaks = {
        (name, secret)
        for name, text in _texts(built["public"]).items()
        for secret in SECRETS
        if secret.lower() in text.lower()
    }
    assert leaks == set()


def test_the_internal_build_does_contain_that_data(built: dict[str, Path]) -> None:
    everything = "\n".join(_texts(built["internal"]).values())
    for secret in ("Bob Example", "Payroll export", "phone bridge 4471", "www.example.com", "Primary on-call"):
        assert secret in everything


def test_incident_text_is_escaped_in_the_page(built: dict[str, Path]) -> None:
    page = (built["public"] / "incidents" / "INC-2026-0002" / "index.html").read_text()
    assert "&lt;script&gt;alert" in page
    assert "<script>alert" not in page


class _Refs(html.parser.HTMLParser):
    RESOURCE: ClassVar[dict[str, str]] = {
        "script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src", "video": "src",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.resources: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self.RESOURCE and values.get(self.RESOURCE[tag]):
            self.resources.append(values[self.RESOURCE[tag]] or "")
        if tag == "link" and values.get("href") and values.get("rel") not in ("canonical", "alternate"):
            self.resources.append(values["href"] or "")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")


def _parse(page: Path) -> _Refs:
    refs = _Refs()
    refs.feed(page.read_text())
    return refs


def _remote(url: str) -> bool:
    return url.startswith(("http:", "https:", "//"))


def test_pages_load_nothing_from_elsewhere(built: dict[str, Path]) -> None:
    for audience, directory in built.items():
        for page in directory.rglob("*.html"):
            remote = [u for u in _parse(page).resources if _remote(u)]
            assert remote == [], f"{audience}: {page.relative_to(directory)} loads {remote}"
    for css in built["public"].rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import\s+url\(\s*['\"]?https?:", css.read_text()), css


def _target(directory: Path, page: Path, href: str) -> Path:
    path = urlsplit(href).path
    here = "/" + page.relative_to(directory).parent.as_posix() + "/"
    resolved = posixpath.normpath(posixpath.join(here, path)) if path else here
    target = directory / resolved.lstrip("/")
    return target / "index.html" if path.endswith("/") or target.is_dir() or not path else target


def test_every_internal_link_resolves(built: dict[str, Path]) -> None:
    for directory in built.values():
        broken = [
            (str(page.relative_to(directory)), href)
            for page in directory.rglob("*.html")
            for href in _parse(page).links
            if not _remote(href)
            and not href.startswith(("mailto:", "#"))
            and not _target(directory, page, href).is_file()
        ]
        assert broken == []


def test_incidents_stay_out_of_the_navigation(built: dict[str, Path]) -> None:
    page = (built["public"] / "about" / "index.html").read_text()
    assert "Checkout failures for card payments" not in page
    assert 'href="../reliability/"' in page


def test_the_internal_build_adds_the_on_call_page(built: dict[str, Path]) -> None:
    assert (built["internal"] / "oncall" / "index.html").is_file()
    assert not (built["public"] / "oncall").exists()


def test_machine_readable_files_are_published(built: dict[str, Path]) -> None:
    for name in ("api/v2/summary.json", "api/v2/incidents/unresolved.json", "history.atom", "badges/web.json"):
        assert (built["public"] / name).is_file(), name


def test_a_hand_written_page_may_not_replace_a_generated_one(tmp_path: Path) -> None:
    root = site_org(tmp_path)
    (root / "site" / "docs" / "history.md").write_text("# Mine\n")
    result = runner.invoke(app, ["site", "build", "-C", str(root), "--at", AT, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "history.md is written by hand but Watchbill generates that page" in result.output


def test_an_invalid_organisation_stops_the_build_with_located_problems(tmp_path: Path) -> None:
    root = site_org(tmp_path)
    (root / "incidents" / "2026" / "INC-2026-0005.yaml").write_text("id: INC-2026-0005\ntitle: [\n")
    result = runner.invoke(app, ["site", "build", "-C", str(root), "--at", AT, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "incidents/2026/INC-2026-0005.yaml:" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_audience_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["site", "build", "-C", str(site_org(tmp_path)), "--audience", "everyone"])
    assert result.exit_code == 2
    assert "audience must be one of public, internal" in result.output


def test_write_tree_rewrites_only_changes_and_removes_stale_files(tmp_path: Path) -> None:
    assert write_tree(tmp_path, {"a.md": "one", "sub/b.json": b"{}"}) == 2
    assert write_tree(tmp_path, {"a.md": "one", "sub/b.json": b"{}"}) == 0
    assert write_tree(tmp_path, {"a.md": "two"}) == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.md"]


@pytest.mark.skipif(not (REPO / "policies").is_dir(), reason="the repository's example organisation is not there yet")
def test_the_repositorys_own_example_builds_strictly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["site", "build", "-C", str(REPO), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "api" / "v2" / "summary.json").is_file()


def test_a_configured_nav_gets_the_internal_page_after_the_generated_ones(tmp_path: Path) -> None:
    from mkdocs.config import load_config

    from watchbill.site.plugin import WatchbillPlugin
    from watchbill.site.views import build

    root = site_org(tmp_path)
    config = load_config(config_file=str(root / "site" / "mkdocs.yml"))
    site = build(load_organisation(root, now=NOW, use_cache=False), None, "internal", NOW)
    nav = WatchbillPlugin()._nav(config, site)
    assert [next(iter(entry)) for entry in nav] == ["Status", "History", "Reliability", "On call", "About"]


def test_the_404_page_links_stay_under_a_project_sites_path(tmp_path: Path) -> None:
    """GitHub serves 404.html for any missing path of https://org.github.io/repo/, so its links must carry
    /repo/ rather than point at the host's root."""
    root = site_org(tmp_path / "org")
    settings = root / "policies" / "settings.yaml"
    settings.write_text(
        settings.read_text().replace("status_page:\n", "status_page:\n  url: https://example.github.io/ops/\n", 1)
    )
    site_dir = _build(root, "public", tmp_path / "out").site_dir
    page = (site_dir / "404.html").read_text(encoding="utf-8")
    links = re.findall(r'(?:href|src)="(/[^"]*)"', page)
    assert links, "the 404 page links to the site's assets and pages"
    assert all(link.startswith("/ops/") for link in links), [lk for lk in links if not lk.startswith("/ops/")]


_THEME_SCRIPT = re.compile(r'<script src="[^"]*assets/javascripts/bundle\.\w+\.min\.js"')
_DEFERRED_SCRIPT = re.compile(r'<script type="text/plain" data-wb-theme-script data-src="([^"]*bundle\.\w+\.min\.js)"')


def test_pages_without_sidebars_defer_the_themes_script_to_the_first_interaction(built: dict[str, Path]) -> None:
    directory = built["public"]
    pages = list(directory.rglob("index.html"))
    assert len(pages) > 10
    for page in pages:
        text = page.read_text()
        assert not _THEME_SCRIPT.search(text), page
        (held,) = _DEFERRED_SCRIPT.findall(text)
        assert (page.parent / held).is_file(), (page, held)
        assert 'classList.replace("no-js", "js")' in text
    assert _THEME_SCRIPT.search((directory / "404.html").read_text())


def test_a_hand_written_page_with_sidebars_loads_the_themes_script_at_once(tmp_path: Path) -> None:
    root = site_org(tmp_path)
    (root / "site" / "docs" / "notes.md").write_text("# Notes\n\n## Part\n\nText.\n")
    config = root / "site" / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - About: about.md\n", "  - About: about.md\n  - Notes: notes.md\n"))
    out = _build(root, "public", tmp_path / "out").site_dir
    notes = (out / "notes" / "index.html").read_text()
    assert _THEME_SCRIPT.search(notes) and not _DEFERRED_SCRIPT.search(notes)
    assert "no-js" in notes.split("<body", 1)[0] and "classList.replace" not in notes


def test_new_organisations_get_the_sites_theme_overrides() -> None:
    init_site = REPO / "tooling" / "watchbill" / "deploy" / "templates" / "init" / "site"
    mine = sorted(p.relative_to(REPO / "site" / "overrides") for p in (REPO / "site" / "overrides").rglob("*.*"))
    theirs = sorted(p.relative_to(init_site / "overrides") for p in (init_site / "overrides").rglob("*.*"))
    assert mine == theirs and mine
    for name in mine:
        assert (init_site / "overrides" / name).read_bytes() == (REPO / "site" / "overrides" / name).read_bytes()
    assert re.search(r"^  custom_dir: overrides\b", (init_site / "mkdocs.yml").read_text(), re.M)
