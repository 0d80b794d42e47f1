"""What the site shows: statuses from incidents, probes and maintenance; audiences; safe text; links."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from support.site_org import NOW, site_org, site_snapshot

from watchbill import maintenance as windows
from watchbill.models import Maintenance, Probe, Service
from watchbill.organisation import Organisation
from watchbill.site import status as st
from watchbill.site import views
from watchbill.site.markdown import render
from watchbill.site.render import front_text
from watchbill.site.urls import relative_url
from watchbill.state.snapshot import ProbeState, Snapshot
from watchbill.validate import load_organisation


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Organisation:
    root = site_org(tmp_path_factory.mktemp("org"))
    return load_organisation(root, now=NOW, use_cache=False)


def public(org: Organisation, snapshot: Snapshot | None = None, now: datetime = NOW) -> views.SiteView:
    return views.build(org, snapshot, "public", now)


def service_view(site: views.SiteView, ident: str) -> views.ServiceView:
    return next(s for s in site.services if s.id == ident)


# --- statuses ----------------------------------------------------------------------------------------------


def test_an_open_incident_sets_its_services_status(org: Organisation) -> None:
    assert service_view(public(org), "api").status == "partial_outage"


def test_a_probe_that_failed_once_shows_degraded_before_any_incident(org: Organisation) -> None:
    web = service_view(public(org, site_snapshot()), "web")
    assert (web.status, web.source) == ("degraded_performance", "probe")
    assert web.failing_since == NOW - timedelta(minutes=3)


def test_a_probe_past_its_failure_threshold_shows_its_own_impact(org: Organisation) -> None:
    snapshot = site_snapshot()
    failing = replace(snapshot.probes["web/home"], consecutive_failures=2)
    snapshot = replace(snapshot, probes={**snapshot.probes, "web/home": failing})
    assert service_view(public(org, snapshot), "web").status == "partial_outage"


def test_without_probe_state_incidents_alone_decide(org: Organisation) -> None:
    assert service_view(public(org), "web").status == "operational"


def test_stale_probe_data_reads_unknown_not_green(org: Organisation) -> None:
    later = NOW + timedelta(hours=2)
    site = public(org, site_snapshot(), now=later)
    assert service_view(site, "web").status == "unknown"
    assert site.status.stale is True
    assert service_view(site, "checkout").status == "operational"  # no probes: people decide


def test_fresh_probe_data_is_not_stale(org: Organisation) -> None:
    assert public(org, site_snapshot()).status.stale is False


def _probe(**fields: object) -> Probe:
    return Probe.model_validate({"id": "home", "http": {"url": "https://example.com/"}, **fields})


def test_a_failing_probe_during_maintenance_reads_as_maintenance() -> None:
    svc = Service.model_validate({"id": "web", "name": "Web", "owner": "x", "probes": [_probe().model_dump()]})
    state = ProbeState("web/home", ok=False, last_checked=NOW, consecutive_failures=5)
    reading = st.read_service(
        svc, open_incidents=[], in_maintenance=True, snapshot=Snapshot({"web/home": state}, NOW), now=NOW
    )
    assert reading.status == "under_maintenance"


def test_probe_freshness_follows_its_own_schedule() -> None:
    hourly = _probe(schedule="0 * * * *")
    state = ProbeState("web/home", ok=True, last_checked=NOW - timedelta(hours=2))
    assert st.probe_fresh(hourly, state, NOW) is True
    assert st.probe_fresh(_probe(), state, NOW) is False


def test_overall_takes_the_worse_of_components_and_incident_impacts() -> None:
    assert st.overall(["operational"], []).description == "All Systems Operational"
    assert st.overall(["degraded_performance"], []).indicator == "minor"
    assert st.overall(["partial_outage"], ["critical"]).indicator == "critical"
    assert st.overall(["under_maintenance", "operational"], []).indicator == "maintenance"


# --- maintenance windows ---------------------------------------------------------------------------------------


def _window(**fields: object) -> Maintenance:
    return Maintenance.model_validate({"id": "MNT-2026-0001", "title": "t", "services": ["web"], **fields})


def test_a_recurring_window_opens_at_local_time_in_its_zone() -> None:
    weekly = _window(cron="0 6 * * 2", duration="1h", timezone="Europe/Berlin")
    found = windows.upcoming(weekly, NOW, timedelta(days=8))
    assert found == windows.Window(datetime(2026, 11, 24, 5, 0, tzinfo=UTC), datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    assert windows.current(weekly, datetime(2026, 11, 24, 5, 30, tzinfo=UTC)) is not None


def test_a_nightly_window_opens_once_on_the_night_clocks_go_back() -> None:
    nightly = _window(cron="30 2 * * *", duration="30m", timezone="Europe/Berlin")
    found = windows.occurrences(nightly, datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC))
    assert [w.start for w in found] == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
    ]


def test_maintenance_in_progress_marks_its_services(org: Organisation) -> None:
    during = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
    site = public(org, now=during)
    assert service_view(site, "web").status == "under_maintenance"
    assert [m.id for m in site.status.maintenance_now] == ["MNT-2026-0002"]


# --- audiences ---------------------------------------------------------------------------------------------------


def test_public_readers_see_only_public_incidents_of_public_severities(org: Organisation) -> None:
    ids = {i.id for i in public(org).incidents}
    assert ids == {"INC-2026-0001", "INC-2026-0002", "INC-2026-0005", "INC-2026-0006"}


def test_internal_readers_see_every_incident(org: Organisation) -> None:
    assert len(views.build(org, None, "internal", NOW).incidents) == 6


def test_public_incidents_list_only_public_services(org: Organisation) -> None:
    open_one = next(i for i in public(org).incidents if i.id == "INC-2026-0002")
    assert [a.service_id for a in open_one.services] == ["api"]


def test_public_views_carry_no_internal_record(org: Organisation) -> None:
    site = public(org, site_snapshot())
    assert all(i.internal is None for i in site.incidents)
    assert all(s.internal is None for s in site.services)
    assert site.schedules == () and site.policies == ()
    assert {s.id for s in site.services} == {"api", "web", "checkout"}


def test_public_postmortems_are_published_ones_without_owners_or_links(org: Organisation) -> None:
    site = public(org)
    by_id = {i.id: i for i in site.incidents}
    assert by_id["INC-2026-0006"].postmortem is None  # still a draft
    postmortem = by_id["INC-2026-0005"].postmortem
    assert postmortem is not None and postmortem.authors == ()
    assert [(a.owner, a.link) for a in postmortem.action_items] == [(None, None)]


def test_internal_postmortems_name_owners(org: Organisation) -> None:
    site = views.build(org, None, "internal", NOW)
    postmortem = next(i for i in site.incidents if i.id == "INC-2026-0005").postmortem
    assert postmortem is not None and postmortem.action_items[0].owner == "Bob Example"


def test_updates_are_listed_newest_first(org: Organisation) -> None:
    incident = next(i for i in public(org).incidents if i.id == "INC-2026-0005")
    assert [u.status for u in incident.updates] == ["resolved", "monitoring", "investigating"]


def test_the_home_page_lists_recent_months_even_without_incidents(org: Organisation) -> None:
    months = public(org).status.recent_months
    assert [m.month.month for m in months] == [11, 10, 9]
    assert months[1].incidents == ()


def test_repeat_causes_on_the_public_page_use_only_public_postmortems(org: Organisation) -> None:
    assert public(org).reliability.repeats == ()
    internal = views.build(org, None, "internal", NOW).reliability.repeats
    assert [r.category for r in internal] == ["config-change"]


def test_uptime_bars_have_one_day_per_history_day_with_a_readable_note(org: Organisation) -> None:
    api = service_view(public(org, site_snapshot()), "api")
    assert len(api.days) == 90
    assert api.days[-1].note.startswith("Mon 23 Nov 2026: ")
    assert "Partial outage: Elevated error rates on the Public API" in api.days[-1].note
    assert api.days[-4].level != "ok"


# --- safe text and links ---------------------------------------------------------------------------------------


def test_markdown_from_records_shows_html_as_text() -> None:
    html = render('<script>alert(1)</script> and <img src=x onerror="alert(2)"> **bold**')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "<strong>bold</strong>" in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "vbscript:x"])
def test_markdown_links_with_script_schemes_are_not_links(url: str) -> None:
    assert "<a " not in render(f"[click]({url})")


def test_markdown_images_are_not_loaded_from_elsewhere() -> None:
    assert "<img" not in render("![tracker](https://evil.example/pixel.png)")


def test_front_matter_text_cannot_open_a_tag_even_after_unescaping() -> None:
    text = front_text('</title><script>alert("x")</script> & more')
    assert "<" not in text and ">" not in text and '"' not in text


@pytest.mark.parametrize(
    ("target", "page", "expected"),
    [
        ("incidents/INC-2026-0001.md", "index.md", "incidents/INC-2026-0001/"),
        ("index.md", "incidents/INC-2026-0001.md", "../../"),
        ("postmortems/INC-2026-0001.md", "incidents/INC-2026-0001.md", "../../postmortems/INC-2026-0001/"),
        ("api/v2/summary.json", "reliability.md", "../api/v2/summary.json"),
        ("history.md#m-2026-11-01", "history.md", "./#m-2026-11-01"),
    ],
)
def test_links_between_generated_pages_are_relative(target: str, page: str, expected: str) -> None:
    assert relative_url(target, page) == expected


def test_links_work_without_directory_urls() -> None:
    assert relative_url("index.md", "incidents/INC-2026-0001.md", directory_urls=False) == "../index.html"


def test_an_unresolved_incident_keeps_counting_against_uptime(org: Organisation) -> None:
    later = views.build(org, None, "public", NOW + timedelta(days=400))
    api = service_view(later, "api")
    assert api.days[-2].uptime == pytest.approx(0.7)  # a whole day of partial outage counts 30 %
    assert api.status == "partial_outage"


def test_the_internal_view_says_who_is_on_call_now_and_next(org: Organisation) -> None:
    (schedule,) = views.build(org, None, "internal", NOW).schedules
    assert schedule.current is not None
    assert (schedule.current.person, schedule.current.end) == ("Alice Example", datetime(2026, 11, 30, 8, tzinfo=UTC))
    assert [s.person for s in schedule.upcoming] == ["Alice Example", "Bob Example", "Alice Example"]
