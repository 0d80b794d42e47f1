"""Page weight that does not grow with the history: a capped home page, paginated history, a small search index."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from support.site_org import NOW, site_org, site_snapshot

from watchbill.organisation import Organisation
from watchbill.site import views
from watchbill.site.render import HISTORY_PAGE_SIZE, render_pages
from watchbill.validate import load_organisation


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Organisation:
    return load_organisation(site_org(tmp_path_factory.mktemp("org") / "org"), now=NOW, use_cache=False)


def with_history(org: Organisation, count: int) -> Organisation:
    """``count`` more resolved public incidents, one every six hours back from now."""
    model = org.incidents["INC-2026-0005"]
    extra = {}
    for n in range(count):
        ident = f"INC-2026-{1000 + n:04d}"
        shift = model.started_at - (NOW - timedelta(hours=6 * (n + 1)))
        extra[ident] = model.model_copy(
            update={
                "id": ident,
                "started_at": model.started_at - shift,
                "detected_at": model.detected_at - shift,
                "acknowledged_at": model.acknowledged_at and model.acknowledged_at - shift,
                "mitigated_at": model.mitigated_at and model.mitigated_at - shift,
                "resolved_at": model.resolved_at and model.resolved_at - shift,
                "updates": [u.model_copy(update={"at": u.at - shift}) for u in model.updates],
            }
        )
    return replace(org, incidents={**org.incidents, **extra})


def pages(org: Organisation) -> dict[str, str]:
    site = views.build(org, site_snapshot(), "public", NOW)
    return {k: str(v) for k, v in render_pages(site).items()}


def test_the_status_page_weighs_the_same_at_four_hundred_and_at_1500_incidents(org: Organisation) -> None:
    small, large = pages(with_history(org, 400)), pages(with_history(org, 1500))  # four a day, 100 or 375 days
    assert abs(len(large["index.md"]) - len(small["index.md"])) < 2_000
    assert "more in November 2026" in large["index.md"]


def test_history_is_paginated_with_an_archive_by_year(org: Organisation) -> None:
    built = pages(with_history(org, 1500))  # back to November 2025
    history = sorted(k for k in built if k == "history.md" or k.startswith("history/"))
    assert len(history) == -(-1504 // HISTORY_PAGE_SIZE)
    assert max(len(built[k]) for k in history) < 3 * len(built["history.md"]) < 200_000
    assert 'rel="next" href="2/"' in built["history.md"] and 'rel="prev" href="../"' in built["history/2.md"]
    assert ">2026</a>" in built["history.md"] and ">2025</a>" in built["history.md"]


def test_incident_and_history_pages_stay_out_of_the_theme_search_index(org: Organisation) -> None:
    built = pages(with_history(org, 60))
    excluded = {k for k, text in built.items() if "search:\n  exclude: true" in text}
    assert "index.md" not in excluded and "reliability.md" not in excluded
    assert {k for k in built if k.startswith(("incidents/", "postmortems/", "history"))} <= excluded


def test_the_built_search_index_holds_no_incident(tmp_path: Path) -> None:
    from watchbill.site.engine import build_organisation_site

    root = site_org(tmp_path / "org")
    result = build_organisation_site(
        load_organisation(root, now=NOW, use_cache=False), audience="public", now=NOW, out=tmp_path / "out"
    )
    index = json.loads((result.site_dir / "search" / "search_index.json").read_text())
    pages = {doc["location"].partition("#")[0] for doc in index["docs"]}
    assert pages and not [p for p in pages if p.startswith(("incidents/", "postmortems/", "history/"))]
