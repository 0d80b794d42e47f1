"""Every record the validator accepts also builds: a property test over the validator's range.

Instants anywhere in the supported years (1970 to 9000, any offset), the build's own instant among them,
durations up to the longest a duration may be, and texts up to the longest a field may hold. Each example is a
real organisation folder that ``load_organisation`` accepts; examples it rejects are not the site's business.
The pages, the API, the feed and the badges are all rendered (mkdocs only assembles them and is left out to
keep examples fast).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support.site_org import site_org, site_snapshot

from watchbill.fields import MAX_DURATION, YEARS, format_duration
from watchbill.organisation import InvalidOrganisation
from watchbill.site import views
from watchbill.site.render import render_site
from watchbill.validate import load_organisation

FIRST = datetime(YEARS[0], 1, 1, 14, tzinfo=UTC)  # late enough that every offset stays in 1970
LAST = datetime(YEARS[-1], 12, 31, 10, tzinfo=UTC)
IMPACTS = ("degraded_performance", "partial_outage", "major_outage")
offsets = st.integers(-12 * 4, 14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=400)
long_texts = st.one_of(texts, st.integers(1, 20_000).map(lambda n: ("Lorem ipsum *dolor* <b>x</b> " * 800)[:n]))
gaps = st.integers(0, int(MAX_DURATION.total_seconds())).map(lambda s: timedelta(seconds=s))


def instant_between(start: datetime, end: datetime) -> st.SearchStrategy[datetime]:
    seconds = int((end - start).total_seconds())
    return st.tuples(st.integers(0, max(seconds, 0)), offsets).map(
        lambda t: (start + timedelta(seconds=t[0])).astimezone(t[1])
    )


def stamp(moment: datetime) -> str:
    return moment.isoformat()


@st.composite
def cases(draw: st.DrawFn) -> tuple[datetime, dict[str, object], dict[str, object]]:
    now = draw(instant_between(FIRST + timedelta(days=1), LAST))
    started = draw(instant_between(FIRST, now))
    moments = sorted(draw(st.lists(instant_between(started, now), min_size=4, max_size=4)))
    status = draw(st.sampled_from(("investigating", "identified", "monitoring", "resolved")))
    incident: dict[str, object] = {
        "id": "INC-2026-0099",
        "title": draw(texts.map(lambda t: t[:200].strip() or "x")),
        "severity": "SEV-1",
        "status": status,
        "summary": draw(long_texts),
        "services": [{"service": "api", "impact": draw(st.sampled_from(IMPACTS))}],
        "detected_by": "customer",
        "started_at": stamp(started),
        "detected_at": stamp(moments[0]),
        "updates": [{"at": stamp(m), "status": "identified", "message": draw(long_texts)} for m in moments[1:3]],
    }
    if status == "resolved":
        incident |= {"acknowledged_at": stamp(moments[1]), "mitigated_at": stamp(moments[2])}
        incident["resolved_at"] = stamp(moments[3])
    window_start = draw(instant_between(FIRST, LAST))
    end = window_start + draw(gaps) + timedelta(seconds=1)
    assume(end <= LAST)
    maintenance: dict[str, object] = {
        "id": "MNT-2026-0009",
        "title": "Window",
        "description": draw(long_texts),
        "services": ["api", "web"],
    }
    if draw(st.booleans()):
        maintenance |= {"start": stamp(window_start), "end": stamp(end)}
    else:
        maintenance |= {"cron": draw(st.sampled_from(("0 6 * * 2", "*/5 * * * *", "0 0 29 2 *")))}
        maintenance["duration"] = format_duration(max(end - window_start, timedelta(minutes=1)))
        maintenance["timezone"] = draw(st.sampled_from(("UTC", "Europe/Berlin", "Pacific/Kiritimati")))
    return now, incident, maintenance


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return site_org(tmp_path_factory.mktemp("template") / "org")


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_every_record_that_validates_also_builds(
    template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[datetime, dict[str, object], dict[str, object]],
) -> None:
    now, incident, maintenance = case
    root = tmp_path_factory.mktemp("org")
    shutil.copytree(template, root, dirs_exist_ok=True)
    (root / "incidents" / "2026" / "INC-2026-0099.yaml").write_text(json.dumps(incident, ensure_ascii=False))
    (root / "incidents" / "maintenance" / "MNT-2026-0009.yaml").write_text(json.dumps(maintenance))
    try:
        org = load_organisation(root, now=now, use_cache=False)
    except InvalidOrganisation:
        assume(False)
        return
    for audience in ("public", "internal"):
        site = views.build(org, site_snapshot(), audience, now)
        files = render_site(site)
        assert "api/v2/summary.json" in files and "index.md" in files
        assert json.loads(files["api/v2/summary.json"])["page"]["updated_at"].endswith("Z")
