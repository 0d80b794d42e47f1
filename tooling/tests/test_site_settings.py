"""What a published site needs from the settings: its address (validate says so, init writes it), and labels
that say which figure a narrow screen shows."""

from __future__ import annotations

from pathlib import Path

from support.orgfactory import NOW, build_org
from support.site_org import site_org, site_snapshot
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.deploy.init import Skeleton, init
from watchbill.site import views
from watchbill.site.render import render_pages
from watchbill.validate import load_organisation, validate

SITE_WORKFLOW = "name: site\non: workflow_dispatch\njobs: {}\n"
runner = CliRunner()


def test_a_published_site_without_its_address_is_a_located_error(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org", {".github/workflows/site.yml": SITE_WORKFLOW})
    problems = [p for p in validate(root, now=NOW).problems if p.rule == "status-page-url"]
    assert [(p.path, p.line, p.column, p.level) for p in problems] == [("policies/settings.yaml", 4, 1, "error")]
    assert "add the line '  url: https://status.example.com' under 'status_page:'" in problems[0].message


def test_an_organisation_that_publishes_no_site_needs_no_address(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org", {})
    assert not [p for p in validate(root, now=NOW).problems if p.rule == "status-page-url"]


def test_init_writes_the_github_pages_address_by_default(tmp_path: Path) -> None:
    init(tmp_path / "acme-status", Skeleton(organisation="Acme", github_org="Acme"), now=NOW)
    settings = (tmp_path / "acme-status" / "policies" / "settings.yaml").read_text()
    assert "  url: https://acme.github.io/acme-status/\n" in settings
    assert not [p for p in validate(tmp_path / "acme-status", now=NOW).problems if p.level == "error"]


def test_init_takes_the_status_address_and_says_it(tmp_path: Path) -> None:
    target = tmp_path / "org"
    result = runner.invoke(
        app,
        [
            "init",
            str(target),
            "--name",
            "Acme",
            "--status-url",
            "https://status.acme.example",
            "--at",
            "2026-11-23T12:00:00Z",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "status_page.url" in result.output and "https://status.acme.example" in result.output
    assert "  url: https://status.acme.example\n" in (target / "policies" / "settings.yaml").read_text()


def test_init_refuses_a_status_address_that_is_not_a_web_address(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "org"), "--status-url", "javascript:alert(1)"])
    assert result.exit_code == 2, result.output
    assert "is not an http(s) URL for the status site" in result.output


def test_narrow_screens_label_the_bars_they_show_with_their_own_figure(tmp_path: Path) -> None:
    org = load_organisation(site_org(tmp_path / "org"), now=NOW, use_cache=False)
    site = views.build(org, site_snapshot(), "public", NOW)
    web = next(s for s in site.services if s.id == "web")
    assert web.uptime != web.uptime_recent
    page = str(render_pages(site)["index.md"])
    assert f'<span class="wb-short">{views.format_percent(web.uptime_recent)} uptime</span>' in page
    assert f'<span class="wb-long">{views.format_percent(web.uptime)} uptime</span>' in page


def test_times_are_written_in_the_organisations_zone_and_the_page_says_which(tmp_path: Path) -> None:
    org = load_organisation(site_org(tmp_path / "org"), now=NOW, use_cache=False)
    page = str(render_pages(views.build(org, site_snapshot(), "public", NOW))["index.md"])
    assert '<time datetime="2026-11-23T12:00:00Z">23 Nov 2026, 13:00 CET</time>' in page
    assert 'data-wb-zone="Europe/Berlin">Times are in Europe/Berlin' in page
