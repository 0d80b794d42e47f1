"""The built status site in a real headless Chromium (Debian's; the ``browser`` fixture, from conftest.py),
served from 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from support.site_org import NOW, serve, site_org, site_snapshot

from watchbill.site.engine import build_site
from watchbill.validate import load_organisation

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).parent / "artifacts"
PAGES = [
    "",
    "history/",
    "reliability/",
    "about/",
    "incidents/INC-2026-0002/",
    "incidents/INC-2026-0005/",
    "postmortems/INC-2026-0005/",
    "services/api/",
    "services/web/",
]


def _served(tmp_path_factory: pytest.TempPathFactory, audience: str) -> Iterator[str]:
    root = site_org(tmp_path_factory.mktemp(f"browser-{audience}"))
    org = load_organisation(root, now=NOW, use_cache=False)
    result = build_site(
        root / "site" / "mkdocs.yml",
        organisation=org,
        audience=audience,  # type: ignore[arg-type]
        now=NOW,
        snapshot=site_snapshot(),
        site_dir=root / "out",
    )
    with serve(result.site_dir) as url:
        yield url


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _served(tmp_path_factory, "public")


@pytest.fixture(scope="module")
def internal_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _served(tmp_path_factory, "internal")


@contextmanager
def tab(browser: Any, **options: Any) -> Iterator[Any]:
    """A page in a fresh browser context (its own viewport, clock and storage), closed afterwards."""
    context = browser.new_context(**options)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with tab(browser, viewport={"width": 1280, "height": 900}) as opened:
        yield opened


def test_the_status_page_shows_the_active_incident_and_the_degraded_service(page: Any, base_url: str) -> None:
    page.goto(base_url)
    active = page.locator("section", has=page.locator("#wb-active"))
    assert active.get_by_role("link", name="Elevated error rates on the Public API").is_visible()
    assert active.get_by_text("A faulty load balancer node was found").is_visible()
    website = page.locator("#service-web")
    assert website.locator(".wb-pill").inner_text() == "Degraded performance"
    assert page.locator(".wb-banner__title").inner_text() == "Major System Outage"


def test_the_status_page_requests_nothing_beyond_its_own_server(page: Any, base_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(base_url, wait_until="networkidle")
    assert requested and all(url.startswith(base_url) for url in requested)


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_accessibility_violations(page: Any, base_url: str, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(base_url + path, wait_until="networkidle")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violations_in_dark_mode(browser: Any, base_url: str, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    with tab(browser, viewport={"width": 1280, "height": 900}) as dark:
        dark.emulate_media(color_scheme="dark")
        dark.goto(base_url + path, wait_until="networkidle")
        assert dark.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
        results = Axe().run(dark)
        assert results.violations_count == 0, results.generate_report()


def test_a_service_page_offers_its_feeds_and_calendar(page: Any, base_url: str) -> None:
    page.goto(base_url)
    page.locator("#service-web").get_by_role("link", name="Website").click()
    assert page.url == base_url + "services/web/"
    alternates = page.locator("a[rel='alternate']")
    found = {alternates.nth(i).get_attribute("type"): alternates.nth(i).get_attribute("href") for i in range(3)}
    assert found == {
        "application/atom+xml": "../../feeds/web.atom",
        "application/feed+json": "../../feeds/web.json",
        "text/calendar": "../../feeds/web.ics",
    }
    for href in found.values():
        assert page.request.get(base_url + "services/web/" + href).ok


def test_the_response_chart_reads_without_javascript(browser: Any, base_url: str) -> None:
    with tab(browser, java_script_enabled=False) as plain:
        plain.goto(base_url + "services/api/")
        chart = plain.get_by_role("img", name="Response time of the health check of Public API")
        assert chart.is_visible()
        summary = plain.locator(".wb-response-summary").text_content() or ""
        assert "Median (p50)" in summary and "95th percentile" in summary and "48, 0 failed" in summary
        assert (plain.locator(".wb-response .wb-chart-label").first.text_content() or "").endswith("ms")


@pytest.mark.parametrize("path", ["", "oncall/", "incidents/INC-2026-0002/", "postmortems/INC-2026-0006/"])
def test_axe_finds_no_violations_on_internal_pages(page: Any, internal_url: str, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(internal_url + path, wait_until="networkidle")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_a_day_bar_tells_its_story_to_the_keyboard(page: Any, base_url: str) -> None:
    page.goto(base_url)
    today = page.locator("#service-api .wb-bar[tabindex='0']")
    today.focus()
    tip = today.locator(".wb-tip")
    assert tip.bounding_box()["width"] > 50
    assert "Partial outage: Elevated error rates on the Public API" in tip.inner_text()
    page.keyboard.press("ArrowLeft")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.startswith("Sun 22 Nov 2026")
    assert page.locator("#service-api .wb-bar[tabindex='0'] .wb-tip").bounding_box()["width"] > 50


def test_a_tapped_day_bar_shows_its_tooltip(page: Any, base_url: str) -> None:
    page.goto(base_url)
    bar = page.locator("#service-checkout .wb-bar").nth(68)  # 2 Nov, 21 days before the last bar
    bar.click()
    assert bar.locator(".wb-tip").bounding_box()["width"] > 50
    assert "Checkout failures for card payments" in bar.locator(".wb-tip").inner_text()


@pytest.mark.parametrize("width", [390, 1280])
def test_screenshots_of_the_home_page(browser: Any, base_url: str, width: int) -> None:
    with tab(browser, viewport={"width": width, "height": 900}, device_scale_factor=1) as page:
        page.goto(base_url, wait_until="networkidle")
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"status-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_page_opened_long_after_its_build_says_it_is_old(browser: Any, base_url: str) -> None:
    with tab(browser) as page:
        page.clock.set_fixed_time(NOW.timestamp() + 3 * 86400)
        page.goto(base_url)
        notice = page.locator("[data-wb-age]")
        assert notice.is_visible()
        assert "generated 3 days ago" in notice.inner_text()


def test_a_fresh_page_shows_no_age_warning(browser: Any, base_url: str) -> None:
    with tab(browser) as page:
        page.clock.set_fixed_time(NOW.timestamp() + 600)
        page.goto(base_url)
        assert not page.locator("[data-wb-age]").is_visible()


def _theme_script_requested(requests: list[str]) -> bool:
    return any("/assets/javascripts/bundle." in url for url in requests)


def test_the_themes_script_waits_for_the_reader_and_search_then_works(page: Any, base_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(base_url, wait_until="networkidle")
    assert not _theme_script_requested(requested)
    assert page.locator("label.md-header__button[for='__search']").count() == 1
    page.keyboard.press("/")  # the key that woke the script still opens search
    query = page.locator("input.md-search__input")
    page.wait_for_function("document.activeElement && document.activeElement.matches('input.md-search__input')")
    assert _theme_script_requested(requested)
    query.type("reliability")
    page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=15_000)  # the index loads


def test_the_search_button_focuses_the_field_in_the_same_tap(browser: Any, base_url: str) -> None:
    with tab(browser, viewport={"width": 390, "height": 800}, has_touch=True) as phone:
        phone.goto(base_url, wait_until="networkidle")
        phone.locator("label.md-header__button[for='__search']").tap()
        assert phone.evaluate("document.activeElement.matches('input.md-search__input')")


def test_the_colour_toggle_works_before_the_themes_script_and_is_remembered(browser: Any, base_url: str) -> None:
    with tab(browser, viewport={"width": 1280, "height": 900}) as light:
        light.goto(base_url, wait_until="networkidle")
        scheme = "document.body.getAttribute('data-md-color-scheme')"
        assert light.evaluate(scheme) == "default"
        light.locator("label[title='Switch to dark mode']").click()
        assert light.evaluate(scheme) == "slate"
        light.goto(base_url + "history/", wait_until="networkidle")
        assert light.evaluate(scheme) == "slate"
        assert light.locator("label[title='Switch to light mode']").is_visible()
        assert not light.locator("label[title='Switch to dark mode']").is_visible()


def test_a_search_result_link_highlights_its_terms_at_once(page: Any, base_url: str) -> None:
    page.goto(base_url + "about/?h=status", wait_until="networkidle")
    page.locator("article mark").first.wait_for(state="attached", timeout=15_000)
