"""The JSON API against Statuspage's documented shape, and existing Statuspage clients reading the served site.

The schema (``support/statuspage_v2.schema.json``) is written from Statuspage's public v2 API documentation:
every documented field required with its type, further members allowed. The clients are independent code
that reads Statuspage pages in the wild: ``aRez``'s typed StatusPage parser (PyPI), the
``statuspage-prometheus-exporter`` (PyPI) and the ``statuspage.io`` client (npm, installed by
``tooling/scripts/install-test-tools.sh``).
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support.site_org import NOW, REPO, serve, site_org, site_snapshot

from watchbill.site.engine import build_site
from watchbill.validate import load_organisation

SCHEMA = json.loads((Path(__file__).parent / "support" / "statuspage_v2.schema.json").read_text())
ENDPOINTS = [name for name in SCHEMA["$defs"] if name.endswith(".json")]
NODE_CLIENT = REPO / "tooling" / ".tools" / "statuspage" / "node_modules" / "statuspage.io"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = site_org(tmp_path_factory.mktemp("statuspage"))
    org = load_organisation(root, now=NOW, use_cache=False)
    result = build_site(
        root / "site" / "mkdocs.yml",
        organisation=org,
        audience="public",
        now=NOW,
        snapshot=site_snapshot(),
        site_dir=root / "out",
    )
    return result.site_dir


@pytest.fixture(scope="module")
def base_url(built: Path) -> Iterator[str]:
    with serve(built) as url:
        yield url


def _validator(endpoint: str) -> jsonschema.Draft202012Validator:
    pointer = endpoint.replace("~", "~0").replace("/", "~1")
    schema = {**SCHEMA, "$ref": f"#/$defs/{pointer}"}
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_covers_the_eight_documented_endpoints() -> None:
    assert sorted(ENDPOINTS) == sorted(
        [
            "summary.json",
            "status.json",
            "components.json",
            "incidents.json",
            "incidents/unresolved.json",
            "scheduled-maintenances.json",
            "scheduled-maintenances/upcoming.json",
            "scheduled-maintenances/active.json",
        ]
    )
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_passes_the_statuspage_schema(built: Path, endpoint: str) -> None:
    document = json.loads((built / "api" / "v2" / endpoint).read_text())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator(endpoint).iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize(
    ("path", "breakage"),
    [
        (["components", 0], lambda c: c.pop("group_id")),
        (["components", 0], lambda c: c.update(position="1")),
        (["incidents", 0], lambda i: i.update(created_at="2026-11-23T10:50:00Z")),
        (["incidents", 0, "incident_updates", 0], lambda u: u.pop("display_at")),
        (["scheduled_maintenances", 0], lambda m: m.pop("scheduled_until")),
        (["page"], lambda p: p.pop("time_zone")),
    ],
)
def test_the_schema_rejects_what_a_strict_client_would(built: Path, path: list[Any], breakage: Any) -> None:
    document = copy.deepcopy(json.loads((built / "api" / "v2" / "summary.json").read_text()))
    node = document
    for key in path:
        node = node[key]
    breakage(node)
    assert list(_validator("summary.json").iter_errors(document))


def test_arez_parses_components_incidents_and_maintenance(base_url: str) -> None:
    statuspage = importlib.import_module("arez.statuspage")

    async def read() -> Any:
        async with statuspage.StatusPage(base_url) as page:
            return await page.get_status()

    status = asyncio.run(read())
    assert status.name == "Example Org status" and status.impact == "Critical"
    assert {c.name for c in status.components} == {"Public API", "Website", "Checkout"}
    assert {g.name for g in status.groups} == {"Core", "Payments"}
    assert status.component("api").group.name == "Core"
    (incident,) = status.incidents
    assert incident.name == "Elevated error rates on the Public API"
    assert [c.name for c in incident.components] == ["Public API"]
    (window,) = status.maintenances
    assert window.name == "Weekly website deploy window" and window.status == "Scheduled"
    assert window.scheduled_for.isoformat() == "2026-11-24T05:00:00"


def test_the_prometheus_exporter_reads_the_summary(
    base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = tmp_path / "services.json"
    url = f"{base_url}api/v2/summary.json"
    services.write_text(json.dumps({"example": {"url": url, "name": "Example"}}))
    monkeypatch.setenv("SERVICES_JSON_PATH", str(services))
    monkeypatch.chdir(tmp_path)  # the exporter caches into ./cache
    checker = importlib.import_module("statuspage_prometheus_exporter.service_checker")
    result = checker.check_status_page_service("example", {"url": url, "name": "Example"})
    assert result["success"] is True and result["raw_status"] == "critical" and result["status"] == 0
    components = {c["name"]: c["status"] for c in result["component_metadata"]}
    assert components["Website"] == "degraded_performance" and components["Checkout"] == "operational"
    (incident,) = result["incident_metadata"]
    assert incident["name"] == "Elevated error rates on the Public API"
    assert "Elevated error rates on the Public API" in result["details"]


NODE_SCRIPT = """
const { Statuspage } = require(process.argv[1]);
const client = new Statuspage('example');
client.apiClient.defaults.baseURL = process.argv[2];
(async () => {
  const summary = await client.api.getSummary();
  const components = await client.api.getComponents();
  const incidents = await client.api.incidents.getAll();
  const unresolved = await client.api.incidents.getUnresolved();
  const upcoming = await client.api.scheduledMaintenances.getUpcoming();
  console.log(JSON.stringify({
    indicator: summary.status.indicator,
    components: components.components.filter(c => !c.group).map(c => [c.name, c.status]),
    incidents: incidents.incidents.map(i => i.name),
    unresolved: unresolved.incidents.map(i => i.id),
    upcoming: upcoming.scheduled_maintenances.map(m => [m.name, m.scheduled_for]),
  }));
})().catch(error => { console.error(error.message); process.exit(1); });
"""


@pytest.mark.slow
def test_the_npm_statuspage_io_client_reads_the_api(base_url: str) -> None:
    if shutil.which("node") is None or not NODE_CLIENT.is_dir():
        if os.environ.get("CI"):
            pytest.fail("statuspage.io is missing in CI; tooling/scripts/install-test-tools.sh must install it")
        pytest.skip("statuspage.io not installed; run tooling/scripts/install-test-tools.sh")
    done = subprocess.run(
        ["node", "-e", NODE_SCRIPT, str(NODE_CLIENT), base_url.rstrip("/")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    read = json.loads(done.stdout)
    assert read["indicator"] == "critical"
    assert ["Website", "degraded_performance"] in read["components"]
    assert "Checkout failures for card payments" in read["incidents"]
    assert read["unresolved"] == ["INC-2026-0002"]
    assert read["upcoming"] == [["Weekly website deploy window", "2026-11-24T05:00:00.000Z"]]
