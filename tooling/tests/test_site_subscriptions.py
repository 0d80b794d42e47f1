"""Subscriptions beyond the page: per-service Atom and JSON Feed, maintenance in feeds and as iCalendar, and
the response-time chart each probe gets on its service's page."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from croniter import croniter
from dateutil.rrule import rrulestr
from icalendar import Calendar
from support.site_org import NOW, SECRETS, site_org, site_snapshot

from watchbill import maintenance as windows
from watchbill.fields import zone
from watchbill.models import Maintenance
from watchbill.organisation import Organisation
from watchbill.site import feeds, ical, svg, views
from watchbill.site.render import render_site
from watchbill.site.views.services import percentile
from watchbill.validate import load_organisation

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Organisation:
    return load_organisation(site_org(tmp_path_factory.mktemp("org")), now=NOW, use_cache=False)


@pytest.fixture(scope="module")
def site(org: Organisation) -> views.SiteView:
    return views.build(org, site_snapshot(), "public", NOW)


@pytest.fixture(scope="module")
def files(site: views.SiteView) -> dict[str, str | bytes]:
    return feeds.files(site)


def _text(data: str | bytes) -> str:
    return data.decode() if isinstance(data, bytes) else data


def _atom_titles(data: str | bytes) -> list[str]:
    root = ET.fromstring(data)
    return [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]


def test_every_public_service_has_an_atom_feed_a_json_feed_and_a_calendar(files: dict[str, Any]) -> None:
    for service in ("api", "web", "checkout"):
        assert {f"feeds/{service}.atom", f"feeds/{service}.json", f"feeds/{service}.ics"} <= set(files)
    assert not [name for name in files if name.startswith(("feeds/db.", "feeds/ledger."))]


def test_a_service_feed_carries_only_what_touches_that_service(files: dict[str, Any]) -> None:
    assert _atom_titles(files["feeds/checkout.atom"]) == ["Checkout failures for card payments (Resolved)"]
    web = _atom_titles(files["feeds/web.atom"])
    assert web == ["Website slow in Europe (Resolved)", "Maintenance: Weekly website deploy window (Scheduled)"]
    assert _atom_titles(files["feeds/api.atom"]) == [
        "Elevated error rates on the Public API (Identified)",
        "API errors after a deploy (Resolved)",
    ]


def test_the_page_feed_carries_incidents_and_maintenance_newest_change_first(files: dict[str, Any]) -> None:
    titles = _atom_titles(files["history.atom"])
    assert titles[0] == "Elevated error rates on the Public API (Identified)"
    assert "Maintenance: Weekly website deploy window (Scheduled)" in titles
    assert len(titles) == 5


def test_a_service_feed_links_to_its_page_and_itself(files: dict[str, Any]) -> None:
    root = ET.fromstring(files["feeds/web.atom"])
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"alternate": "services/web/", "self": "feeds/web.atom"}
    assert root.findtext(f"{ATOM}title") == "Example Org status: Website"


def test_json_feeds_follow_json_feed_1_1(files: dict[str, Any]) -> None:
    for name in ("feed.json", "feeds/web.json", "feeds/api.json", "feeds/checkout.json"):
        document = json.loads(files[name])
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert document["title"] and isinstance(document["items"], list)
        assert document["authors"] == [{"name": "Example Org"}]
        for item in document["items"]:
            assert isinstance(item["id"], str) and item["id"]
            assert item.get("content_html") or item.get("content_text")
            assert RFC3339.fullmatch(item["date_published"]) and RFC3339.fullmatch(item["date_modified"])
            assert item["date_published"] <= item["date_modified"]


def test_json_feed_and_atom_give_an_item_the_same_id(files: dict[str, Any]) -> None:
    atom_ids = [e.findtext(f"{ATOM}id") for e in ET.fromstring(files["feeds/web.atom"]).iter(f"{ATOM}entry")]
    json_ids = [item["id"] for item in json.loads(files["feeds/web.json"])["items"]]
    assert atom_ids == json_ids


def test_a_maintenance_entry_says_when_and_what(files: dict[str, Any]) -> None:
    (window,) = [i for i in json.loads(files["feeds/web.json"])["items"] if "maintenance" in i["tags"]]
    assert window["content_text"].startswith("Scheduled: 24 Nov 2026, 05:00 UTC – 24 Nov 2026, 06:00 UTC.")
    assert "<strong>brief</strong>" in window["content_html"]
    assert window["date_published"] == "2026-11-20T09:00:00Z"


def test_each_occurrence_of_a_recurring_window_is_a_new_entry(org: Organisation) -> None:
    this_week = feeds.entries(views.build(org, site_snapshot(), "public", NOW))
    next_week = feeds.entries(views.build(org, site_snapshot(), "public", NOW + timedelta(days=7)))
    key = next(e.key for e in this_week if e.key.startswith("MNT-"))
    later = next(e.key for e in next_week if e.key.startswith("MNT-"))
    assert key == "MNT-2026-0002/2026-11-24T05:00:00Z" and later == "MNT-2026-0002/2026-12-01T05:00:00Z"


def test_no_feed_or_calendar_carries_anything_internal(site: views.SiteView) -> None:
    everything = render_site(site)
    subscriptions = {n: _text(d) for n, d in everything.items() if n.startswith("feeds/") or n in ("feed.json",)}
    subscriptions["history.atom"] = _text(everything["history.atom"])
    for name, text in subscriptions.items():
        for secret in SECRETS:
            assert secret not in text, (name, secret)


def _calendar(data: str | bytes) -> Calendar:
    return Calendar.from_ical(data)


def test_the_maintenance_calendar_writes_a_weekly_window_as_a_rule_in_its_zone(files: dict[str, Any]) -> None:
    cal = _calendar(files["feeds/maintenance.ics"])
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == "MNT-2026-0002@example-org.watchbill"
    assert dict(event["RRULE"]) == {"FREQ": ["WEEKLY"], "BYDAY": ["TU"], "BYHOUR": [6], "BYMINUTE": [0]}
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Berlin"
    assert start.replace(tzinfo=None) == datetime(2026, 11, 24, 6, 0)
    assert event.decoded("DTEND") - start == timedelta(hours=1)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert "Affects Website." in str(event["DESCRIPTION"])


def test_service_calendars_carry_only_their_own_windows(files: dict[str, Any]) -> None:
    assert len(_calendar(files["feeds/web.ics"]).walk("VEVENT")) == 1
    assert _calendar(files["feeds/api.ics"]).walk("VEVENT") == []


def test_a_calendar_does_not_change_between_builds_when_its_records_do_not(org: Organisation) -> None:
    later = views.build(org, site_snapshot(), "public", NOW + timedelta(days=3))
    now = views.build(org, site_snapshot(), "public", NOW)
    assert ical.files(later)["feeds/maintenance.ics"] == ical.files(now)["feeds/maintenance.ics"]


@pytest.mark.parametrize(
    ("cron", "rule"),
    [
        ("0 6 * * 2", "FREQ=WEEKLY;BYDAY=TU;BYHOUR=6;BYMINUTE=0"),
        ("30 1 * * *", "FREQ=DAILY;BYHOUR=1;BYMINUTE=30"),
        ("0 22 * * sat,sun", "FREQ=WEEKLY;BYDAY=SU,SA;BYHOUR=22;BYMINUTE=0"),
        ("0 3 1,15 * *", "FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=3;BYMINUTE=0"),
        ("0 3 L * *", "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=3;BYMINUTE=0"),
        ("0 4 * 1,7 0", "FREQ=WEEKLY;BYDAY=SU;BYMONTH=1,7;BYHOUR=4;BYMINUTE=0"),
        ("15 2 * * 5#1", "FREQ=MONTHLY;BYDAY=1FR;BYHOUR=2;BYMINUTE=15"),
        ("0,30 1-2 * * 1-5", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=1,2;BYMINUTE=0,30"),
        ("0 3 1 * 1", None),  # day of month OR Monday: no single rule says "or"
        ("* 3 * * *", None),  # every minute
    ],
)
def test_cron_maps_to_an_rrule_only_where_the_meaning_is_the_same(cron: str, rule: str | None) -> None:
    found = ical.rrule(cron)
    if rule is None:
        assert found is None
        return
    assert found is not None
    text = ";".join(f"{k}={v if isinstance(v, str) else ','.join(str(x) for x in v)}" for k, v in found.items())
    assert sorted(text.split(";")) == sorted(rule.split(";"))


@pytest.mark.parametrize(
    "cron", ["0 6 * * 2", "30 2 * * *", "0 3 L * *", "15 2 * * 5#1", "0,30 1-2 * * 1-5", "0 2 * 3,10 0"]
)
def test_a_rule_fires_when_the_cron_does_across_both_clock_changes(cron: str) -> None:
    """Europe/Berlin over a year with both DST changes: the calendar's rule and the page agree on every window,
    except a start inside the spring-forward gap, which RFC 5545 moves by the gap (02:30 -> 03:30) and the
    page to the first valid minute (03:00)."""
    record = Maintenance(
        id="MNT-2026-0009", title="t", services=["web"], cron=cron, duration="1h", timezone="Europe/Berlin"
    )
    tz = zone("Europe/Berlin")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    expected = [w.start for w in windows.occurrences(record, start, start + timedelta(days=365))]
    rule = ical.rrule(cron)
    assert rule is not None
    first = expected[0].astimezone(tz)
    text = ";".join(f"{k}={v if isinstance(v, str) else ','.join(str(x) for x in v)}" for k, v in rule.items())
    fired = rrulestr(text, dtstart=first.replace(tzinfo=None))
    until = (start + timedelta(days=365)).astimezone(tz).replace(tzinfo=None)
    local = list(fired.between(first.replace(tzinfo=None), until, inc=True))
    got = [m.replace(tzinfo=tz).astimezone(UTC) for m in local]
    assert len(got) >= len(expected)
    for rule_time, page_time in zip(got, expected, strict=False):
        gap = page_time.astimezone(tz).utcoffset() != (page_time - timedelta(hours=1)).astimezone(tz).utcoffset()
        assert rule_time == page_time or (gap and abs(rule_time - page_time) < timedelta(hours=1))
    assert croniter.is_valid(cron)


def test_a_cron_without_a_rule_is_written_as_its_occurrences_over_90_days(site: views.SiteView) -> None:
    record = Maintenance(
        id="MNT-2026-0010", title="Odd", services=["web"], cron="0 3 1 * 1", duration="2h", timezone="UTC"
    )
    ahead = tuple(windows.occurrences(record, NOW, NOW + views.CALENDAR_HORIZON))
    entry = views.CalendarEntry(
        id=record.id,
        title="Odd",
        description_text="",
        services=(("web", "Website"),),
        start=ahead[0].start,
        end=ahead[0].end,
        created_at=NOW,
        cron=record.cron,
        occurrences=ahead,
    )
    events = ical.events(site, entry)
    assert len(events) == len(ahead) == 14  # 12 Mondays and 2 first-of-months that are not
    uids = [str(e["UID"]) for e in events]
    assert uids[0] == "MNT-2026-0010-20261130T030000Z@example-org.watchbill"
    assert len(set(uids)) == len(uids) and all("RRULE" not in e for e in events)
    again = replace(site, now=NOW + timedelta(days=1))
    assert [str(e["UID"]) for e in ical.events(again, entry)] == uids


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) is None


def test_each_probe_with_samples_gets_a_response_chart(site: views.SiteView) -> None:
    charts = {s.id: [(c.probe, c.kind) for c in s.charts] for s in site.services}
    assert charts == {"api": [("health", "http")], "web": [("home", "http")], "checkout": []}
    (web,) = next(s for s in site.services if s.id == "web").charts
    assert web.failures == 1 and len(web.samples) == 48
    assert web.points()[0][0] == 0.0 and web.points()[-1] == (1.0, None)


def test_the_chart_is_labelled_and_marks_failed_checks(site: views.SiteView) -> None:
    (web,) = next(s for s in site.services if s.id == "web").charts
    markup = str(
        svg.response_chart(
            web.points(), ident="rt-web-home", title="Response <time>", desc="p50 1 ms", start_label="a", end_label="b"
        )
    )
    assert 'role="img" aria-labelledby="rt-web-home-t rt-web-home-d"' in markup
    assert '<title id="rt-web-home-t">Response &lt;time&gt;</title>' in markup
    assert '<desc id="rt-web-home-d">p50 1 ms</desc>' in markup
    assert ">0 ms</text>" in markup and ">500 ms</text>" in markup
    assert markup.count('class="wb-response-fail"') == 1
    assert "<script" not in markup
