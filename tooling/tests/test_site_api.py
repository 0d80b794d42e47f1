"""Machine-readable outputs: Statuspage-shaped JSON, the Atom feed and shields.io badges."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from support.site_org import NOW, site_org, site_snapshot

from watchbill.organisation import Organisation
from watchbill.site import api, badges, feeds, views
from watchbill.site.status import Overall
from watchbill.validate import load_organisation

PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip
INCIDENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components",
}  # fmt: skip
UPDATE_KEYS = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
}  # fmt: skip
STATUSPAGE_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
STAMP_KEYS = {"created_at", "updated_at", "monitoring_at", "resolved_at", "started_at", "display_at"}
STAMP_KEYS |= {"scheduled_for", "scheduled_until"}
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}


def _timestamps(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in STAMP_KEYS and value is not None:
                yield value
            else:
                yield from _timestamps(value)
    elif isinstance(node, list):
        for item in node:
            yield from _timestamps(item)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Organisation:
    return load_organisation(site_org(tmp_path_factory.mktemp("org")), now=NOW, use_cache=False)


@pytest.fixture(scope="module")
def site(org: Organisation) -> views.SiteView:
    return views.build(org, site_snapshot(), "public", NOW)


@pytest.fixture(scope="module")
def documents(site: views.SiteView) -> dict[str, Any]:
    return {name: json.loads(data) for name, data in api.files(site).items()}


def test_every_statuspage_endpoint_is_written(documents: dict[str, Any]) -> None:
    assert {
        "api/v2/summary.json",
        "api/v2/status.json",
        "api/v2/components.json",
        "api/v2/incidents.json",
        "api/v2/incidents/unresolved.json",
        "api/v2/scheduled-maintenances.json",
    } <= set(documents)


def test_summary_has_statuspages_top_level_shape(documents: dict[str, Any]) -> None:
    summary = documents["api/v2/summary.json"]
    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(summary["page"]) == PAGE_KEYS
    assert summary["status"] == {"indicator": "critical", "description": "Major System Outage"}


def test_components_use_statuspage_fields_and_statuses(documents: dict[str, Any]) -> None:
    components = documents["api/v2/components.json"]["components"]
    for component in components:
        assert set(component) >= COMPONENT_KEYS
        assert component["status"] in COMPONENT_STATUSES
    by_id = {c["id"]: c for c in components}
    assert by_id["web"]["status"] == "degraded_performance"
    assert by_id["group-core"]["group"] is True and by_id["group-core"]["components"] == ["api", "web"]
    assert by_id["api"]["group_id"] == "group-core"
    assert "db" not in by_id and "ledger" not in by_id


def test_incidents_have_statuspage_fields_and_updates_newest_first(documents: dict[str, Any]) -> None:
    incidents = documents["api/v2/incidents.json"]["incidents"]
    assert [i["id"] for i in incidents] == ["INC-2026-0002", "INC-2026-0006", "INC-2026-0005", "INC-2026-0001"]
    checkout = incidents[2]
    assert set(checkout) >= INCIDENT_KEYS
    assert checkout["impact"] == "critical"
    assert checkout["monitoring_at"] == "2026-11-02T14:45:00.000Z"
    assert [u["status"] for u in checkout["incident_updates"]] == ["resolved", "monitoring", "investigating"]
    assert all(set(u) >= UPDATE_KEYS for u in checkout["incident_updates"])
    assert checkout["shortlink"] == "incidents/INC-2026-0005/"


def test_unresolved_lists_only_open_incidents(documents: dict[str, Any]) -> None:
    unresolved = documents["api/v2/incidents/unresolved.json"]["incidents"]
    assert [i["id"] for i in unresolved] == ["INC-2026-0002"]
    assert [c["id"] for c in unresolved[0]["components"]] == ["api"]


def test_scheduled_maintenances_carry_their_window(documents: dict[str, Any]) -> None:
    (window,) = documents["api/v2/scheduled-maintenances.json"]["scheduled_maintenances"]
    assert window["status"] == "scheduled" and window["impact"] == "maintenance"
    assert (window["scheduled_for"], window["scheduled_until"]) == (
        "2026-11-24T05:00:00.000Z",
        "2026-11-24T06:00:00.000Z",
    )
    assert documents["api/v2/scheduled-maintenances/upcoming.json"]["scheduled_maintenances"] == [window]


def test_stale_probe_data_is_said_in_the_status_description(org: Organisation) -> None:
    later = views.build(org, site_snapshot(), "public", NOW + timedelta(hours=2))
    assert api.status(later)["description"].endswith("(status checks are delayed)")
    web = next(c for c in api.components(later) if c["id"] == "web")
    assert web["watchbill"] == {"status": "unknown", "stale": True, "uptime": web["watchbill"]["uptime"]}
    assert web["status"] == "degraded_performance"  # never a stale green


def test_stale_data_without_an_incident_is_not_reported_as_all_clear(org: Organisation) -> None:
    later = views.build(org, site_snapshot(), "public", NOW + timedelta(days=40))
    assert not any(v.is_open for v in later.status.active) or later.status.overall.indicator != "none"
    quiet = replace(later, status=replace(later.status, overall=Overall("none", "All Systems Operational")))
    assert api.status(quiet) == {"indicator": "minor", "description": "Status checks are delayed"}


def test_every_timestamp_is_written_as_statuspage_writes_it(documents: dict[str, Any]) -> None:
    stamps = list(_timestamps(documents))
    assert len(stamps) > 50
    for text in stamps:
        assert STATUSPAGE_STAMP.fullmatch(text), text
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")  # the form the aRez client parses


def test_the_page_names_the_organisations_time_zone(documents: dict[str, Any]) -> None:
    assert documents["api/v2/status.json"]["page"]["time_zone"] == "Europe/Berlin"
    assert api.time_zone("UTC") == "Etc/UTC"


def test_components_inside_incidents_carry_their_group(documents: dict[str, Any]) -> None:
    (open_incident,) = documents["api/v2/incidents/unresolved.json"]["incidents"]
    assert [(c["id"], c["group_id"]) for c in open_incident["components"]] == [("api", "group-core")]


def test_component_times_come_from_the_data_not_the_build(documents: dict[str, Any]) -> None:
    by_id = {c["id"]: c for c in documents["api/v2/components.json"]["components"]}
    build_time = "2026-11-23T12:00:00.000Z"
    assert by_id["api"]["updated_at"] != build_time and by_id["api"]["updated_at"] < build_time
    assert by_id["api"]["created_at"] <= by_id["api"]["updated_at"]
    assert by_id["group-core"]["updated_at"] == max(by_id["api"]["updated_at"], by_id["web"]["updated_at"])


def test_each_update_lists_the_statuses_it_changed(documents: dict[str, Any]) -> None:
    incidents = {i["id"]: i for i in documents["api/v2/incidents.json"]["incidents"]}
    updates = incidents["INC-2026-0005"]["incident_updates"]  # newest first: resolved, monitoring, investigating
    first, last = updates[-1]["affected_components"], updates[0]["affected_components"]
    assert first and {c["old_status"] for c in first} == {"operational"}
    assert last and {c["new_status"] for c in last} == {"operational"}
    assert updates[1]["affected_components"] is None


def test_a_maintenance_was_created_when_announced_not_when_it_starts(documents: dict[str, Any]) -> None:
    (window,) = documents["api/v2/scheduled-maintenances.json"]["scheduled_maintenances"]
    assert window["created_at"] == "2026-11-20T09:00:00.000Z"
    assert window["created_at"] < window["scheduled_for"]


def test_the_feed_is_atom_with_one_entry_per_incident_and_maintenance(site: views.SiteView) -> None:
    root = ET.fromstring(feeds.feed(site))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    entries = root.findall("a:entry", ns)
    assert len(entries) == 5  # four public incidents and the next deploy window
    first = entries[0]
    assert first.findtext("a:title", namespaces=ns) == "Elevated error rates on the Public API (Identified)"
    content = first.findtext("a:content", namespaces=ns) or ""
    assert "&lt;script&gt;" in content and "<script>" not in content
    ids = [e.findtext("a:id", namespaces=ns) for e in entries]
    assert all(i and i.startswith("urn:uuid:") for i in ids) and len(set(ids)) == 5


def test_feed_entry_ids_are_stable_across_builds(site: views.SiteView) -> None:
    assert feeds.feed(site) == feeds.feed(site)


def test_badges_follow_the_shields_endpoint_schema(site: views.SiteView) -> None:
    files = {name: json.loads(data) for name, data in badges.files(site).items()}
    assert files["badges/web.json"] == {
        "schemaVersion": 1,
        "label": "Website",
        "message": "degraded performance",
        "color": "yellow",
    }
    assert files["badges/api-uptime.json"]["label"] == "uptime 90d"
    assert files["badges/status.json"]["color"] == "red"
    assert "badges/db.json" not in files
