"""``watchbill site build`` and ``site serve`` through the CLI: JSON output, and inputs that must fail cleanly."""

from __future__ import annotations

import json
from pathlib import Path

from support.site_org import site_org
from typer.testing import CliRunner

from watchbill.cli import app

runner = CliRunner()
AT = "2026-11-23T12:00:00Z"
EDGE_INCIDENT = """\
id: INC-2026-0099
title: Down since the epoch
severity: SEV-1
status: identified
services:
  - service: api
    impact: partial_outage
detected_by: customer
started_at: {started}
detected_at: 1970-01-01T00:05:00+01:00
updates:
  - at: 1970-01-01T01:00:00+01:00
    status: identified
    message: Still looking.
"""
EDGE_MAINTENANCE = """\
id: MNT-2026-0009
title: The long freeze
services:
  - api
start: 2026-11-20T00:00:00Z
end: {end}
"""


def build(root: Path, out: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["site", "build", "-C", str(root), "--at", AT, "--out", str(out), *args])
    return result.exit_code, result.output


def test_site_build_json_says_what_was_built(tmp_path: Path) -> None:
    code, output = build(site_org(tmp_path / "org"), tmp_path / "out", "--format", "json")
    assert code == 0, output
    data = json.loads(output[output.index("{") :])  # mkdocs may log above the object
    assert data["at"] == AT and data["audience"] == "public"
    assert data["out_dir"] == (tmp_path / "out").resolve().as_posix()
    assert data["pages"] == sum(1 for _ in (tmp_path / "out").rglob("*.html"))
    assert data["files"] >= data["pages"] > 0
    assert data["counts"]["services"] == 3  # the non-public service stays out
    assert data["counts"]["open_incidents"] == 1 and data["counts"]["schedules"] == 0
    assert set(data["phases_ms"]) >= {"views", "render", "mkdocs"}


def test_site_build_under_a_regular_file_fails_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file, not a folder")
    code, output = build(site_org(tmp_path / "org"), tmp_path / "plain" / "site")
    assert code == 1, output
    assert "cannot write the site to" in output and "internal error" not in output


def test_site_build_into_proc_fails_with_a_message(tmp_path: Path) -> None:
    code, output = build(site_org(tmp_path / "org"), Path("/proc/watchbill-site"))
    assert code == 1, output
    assert "cannot write the site to /proc/watchbill-site" in output and "internal error" not in output


def test_site_serve_refuses_a_port_out_of_range(tmp_path: Path) -> None:
    result = runner.invoke(app, ["site", "serve", "-C", str(tmp_path), "--address", "127.0.0.1:99999"])
    assert result.exit_code == 2, result.output
    assert "port from 1 to 65535" in result.output


def test_a_maintenance_end_past_the_supported_years_stops_the_build_with_its_location(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    record = root / "incidents" / "maintenance" / "MNT-2026-0009.yaml"
    record.write_text(EDGE_MAINTENANCE.format(end="9999-12-31T23:59:59-12:00"))
    code, output = build(root, tmp_path / "out")
    assert code == 1, output
    assert "MNT-2026-0009.yaml:6" in output and "internal error" not in output


def test_an_incident_started_before_the_supported_years_stops_the_build_with_its_location(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    record = root / "incidents" / "2026" / "INC-2026-0099.yaml"
    record.write_text(EDGE_INCIDENT.format(started="0001-01-01T00:00:00+01:00"))
    code, output = build(root, tmp_path / "out")
    assert code == 1, output
    assert "INC-2026-0099.yaml:9" in output and "internal error" not in output


def test_records_at_the_edges_of_the_supported_years_build(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    (root / "incidents" / "maintenance" / "MNT-2026-0009.yaml").write_text(
        EDGE_MAINTENANCE.format(end="9000-12-31T23:59:59-12:00")
    )
    (root / "incidents" / "2026" / "INC-2026-0099.yaml").write_text(
        EDGE_INCIDENT.format(started="1970-01-01T00:00:00+01:00")
    )
    code, output = build(root, tmp_path / "out", "--format", "json")
    assert code == 0, output
    assert (tmp_path / "out" / "incidents" / "INC-2026-0099" / "index.html").is_file()
    summary = json.loads((tmp_path / "out" / "api" / "v2" / "summary.json").read_text())
    assert "MNT-2026-0009" in {m["id"] for m in summary["scheduled_maintenances"]}
