"""The probe and lifecycle commands, run the way the probe workflow runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.org_repo import git, make_repo
from support.orgfactory import NOW
from support.probe_servers import HttpServer, http_server, tcp_listener
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.errors import UsageError
from watchbill.probes.usecases import check_probes, probe_status
from watchbill.validate import load_organisation

AT = ["--at", NOW.isoformat()]


def services(url: str, port: int) -> str:
    return f"""\
services:
  - id: api
    name: Public API
    owner: primary
    probes:
      - id: health
        timeout: 1s
        retries: 0
        http:
          url: {url}/
      - id: hourly
        schedule: "0 * * * *"
        timeout: 1s
        http:
          url: {url}/ok
  - id: db
    name: Database
    owner: primary
    probes:
      - id: port
        timeout: 1s
        tcp:
          host: 127.0.0.1
          port: {port}
"""


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with http_server() as running:
        yield running


@pytest.fixture
def root(tmp_path: Path, server: HttpServer) -> Iterator[Path]:
    """A checkout of the organisation, pushed to a bare origin, whose probes check local servers."""
    with tcp_listener() as port:
        work, _ = make_repo(tmp_path, {"policies/services.yaml": services(server.url, port)})
        yield work


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"GITHUB_TOKEN": "", "GH_TOKEN": "", "WATCHBILL_GITHUB_TOKEN": ""})
    return result.exit_code, result.stdout, result.stderr


def test_probe_all_writes_a_results_file(root: Path, tmp_path: Path) -> None:
    code, out, _ = invoke("probe", "--all", "--out", str(tmp_path / "r.json"), "-C", str(root), *AT)
    assert code == 0, out
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["format"] == "watchbill-results/1"
    assert sorted(r["key"] for r in data["results"]) == ["api/health", "api/hourly", "db/port"]
    assert "up" in out and "api/health" in out


def test_a_shard_checks_only_its_share(root: Path, tmp_path: Path) -> None:
    code, _, _ = invoke("probe", "--all", "--shard", "2/3", "--out", str(tmp_path / "r.json"), "-C", str(root), *AT)
    assert code == 0
    assert [r["key"] for r in json.loads((tmp_path / "r.json").read_text())["results"]] == ["api/hourly"]


def test_a_bad_shard_is_a_usage_error(root: Path) -> None:
    code, _, err = invoke("probe", "--shard", "4/3", "-C", str(root), *AT)
    assert code == 2
    assert "i must be between 1 and n" in err


def test_a_region_name_with_spaces_is_a_usage_error(root: Path) -> None:
    code, _, err = invoke("probe", "--region", "EU West", "-C", str(root), *AT)
    assert code == 2
    assert "--region 'EU West'" in err


def test_an_unknown_probe_is_named(root: Path) -> None:
    code, _, err = invoke("probe", "--only", "api/nope", "-C", str(root), *AT)
    assert code == 2
    assert "unknown probe(s): api/nope" in err


def test_merge_then_lifecycle_records_the_run_on_the_data_branch(
    root: Path, tmp_path: Path, server: HttpServer
) -> None:
    server.behaviour.status = 503
    for region in ("eu", "us"):
        out_file = tmp_path / f"results-{region}.json"
        code, _, _ = invoke("probe", "--all", "--region", region, "--out", str(out_file), "-C", str(root), *AT)
        assert code == 0
    code, out, _ = invoke(
        "probe", "merge", str(tmp_path / "results-eu.json"), str(tmp_path / "results-us.json"),
        "--out", str(tmp_path / "merged.json"), "-C", str(root), *AT,
    )  # fmt: skip
    assert code == 0 and "DOWN" in out
    code, out, err = invoke("lifecycle", str(tmp_path / "merged.json"), "-C", str(root), *AT)
    assert code == 0, err
    assert out.startswith("recorded run ")
    assert "no pull request is opened" in err
    code, out, _ = invoke("probe", "status", "-C", str(root), *AT)
    assert code == 0
    assert "DOWN     api/health" in out and "status 503, expected 200" in out


def test_due_probes_skip_what_the_data_branch_says_ran_recently(root: Path, tmp_path: Path) -> None:
    invoke("probe", "--all", "--out", str(tmp_path / "r.json"), "-C", str(root), *AT)
    invoke("lifecycle", str(tmp_path / "r.json"), "-C", str(root), *AT)
    later = ["--at", "2026-11-23T12:05:30Z"]
    code, _, _ = invoke("probe", "--out", str(tmp_path / "due.json"), "-C", str(root), *later)
    assert code == 0
    keys = [r["key"] for r in json.loads((tmp_path / "due.json").read_text())["results"]]
    assert keys == ["api/health", "db/port"]  # the hourly probe is not due again until 13:00


def test_a_dry_run_pushes_nothing(root: Path, tmp_path: Path, server: HttpServer) -> None:
    server.behaviour.status = 503
    invoke("probe", "--all", "--out", str(tmp_path / "r.json"), "-C", str(root), *AT)
    code, out, _ = invoke("lifecycle", str(tmp_path / "r.json"), "--dry-run", "-C", str(root), *AT)
    assert code == 0 and "(dry run)" in out
    assert "watchbill-data" not in git(root, "ls-remote", "--heads", "origin")


def test_a_damaged_results_file_is_refused_with_its_name(root: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{")
    code, _, err = invoke("lifecycle", str(tmp_path / "bad.json"), "-C", str(root), *AT)
    assert code == 2
    assert "bad.json:1:2: not JSON" in err


def invoke_json(*args: str) -> tuple[int, Any]:
    code, out, err = invoke(*args, "--format", "json")
    assert out.startswith("{"), out + err
    return code, json.loads(out)


def test_probe_as_json_prints_each_verdict_and_still_writes_the_results_file(
    root: Path, tmp_path: Path, server: HttpServer
) -> None:
    server.behaviour.status = 503
    out_file = tmp_path / "r.json"
    code, data = invoke_json("probe", "--all", "--region", "eu", "--out", str(out_file), "-C", str(root), *AT)
    assert code == 0
    assert (data["at"], data["region"], data["shard"], data["out"]) == (
        "2026-11-23T12:00:00Z",
        "eu",
        "1/1",
        str(out_file),
    )
    assert (data["probes"], data["failing"]) == (3, 1)  # api/hourly asks for /ok, which stays up
    by_key = {r["key"]: r for r in data["results"]}
    assert by_key["api/health"]["ok"] is False and by_key["api/health"]["error"] == "status 503, expected 200"
    assert by_key["db/port"]["ok"] is True and by_key["db/port"]["region"] == "eu"
    assert json.loads(out_file.read_text())["format"] == "watchbill-results/1"  # the file keeps its own format


def test_probe_merge_as_json_gives_one_verdict_per_probe(root: Path, tmp_path: Path) -> None:
    for region in ("eu", "us"):
        invoke("probe", "--all", "--region", region, "--out", str(tmp_path / f"{region}.json"), "-C", str(root), *AT)
    merged = tmp_path / "merged.json"
    code, data = invoke_json(
        "probe", "merge", str(tmp_path / "eu.json"), str(tmp_path / "us.json"), "-o", str(merged), "-C", str(root), *AT
    )
    assert code == 0 and data["out"] == str(merged) and data["failing"] == 0
    health = next(r for r in data["results"] if r["key"] == "api/health")
    assert (health["ok"], health["region"], health["regions"]) == (True, "merged", {"eu": True, "us": True})
    assert json.loads(merged.read_text())["merged"] is True


def test_lifecycle_then_status_as_json(root: Path, tmp_path: Path, server: HttpServer) -> None:
    server.behaviour.status = 503
    invoke("probe", "--all", "--out", str(tmp_path / "r.json"), "-C", str(root), *AT)
    code, data = invoke_json("lifecycle", str(tmp_path / "r.json"), "-C", str(root), *AT)
    assert code == 0
    assert data["recorded"] is True and data["dry_run"] is False and len(data["run_id"]) == 10
    assert data["data_commit"] == git(root, "ls-remote", "origin", "refs/heads/watchbill-data").split()[0]
    assert data["planned"] == [] and data["proposals"] == [] and data["errors"] == []
    assert any("no pull request is opened" in note for note in data["notes"])
    later = ["--at", "2026-11-23T12:03:00Z"]
    code, status = invoke_json("probe", "status", "-C", str(root), *later)
    assert code == 0
    assert (status["at"], status["last_run"], status["age_seconds"]) == (
        "2026-11-23T12:03:00Z",
        "2026-11-23T12:00:00Z",
        180,
    )
    health = next(p for p in status["probes"] if p["key"] == "api/health")
    assert (health["state"], health["consecutive_failures"], health["first_failure_at"]) == (
        "down",
        1,
        "2026-11-23T12:00:00Z",
    )
    assert health["last_error"] == "status 503, expected 200"
    assert next(p for p in status["probes"] if p["key"] == "db/port")["state"] == "up"


def test_a_dry_run_lifecycle_as_json_lists_what_it_would_open(root: Path, tmp_path: Path, server: HttpServer) -> None:
    server.behaviour.status = 503
    results = str(tmp_path / "r.json")
    invoke("probe", "--all", "--only", "api/health", "--out", results, "-C", str(root), *AT)
    invoke("lifecycle", results, "-C", str(root), *AT)
    later = ["--at", "2026-11-23T12:05:00Z"]  # the second failure in a row reaches the threshold
    invoke("probe", "--all", "--only", "api/health", "--out", results, "-C", str(root), *later)
    code, data = invoke_json("lifecycle", results, "--dry-run", "-C", str(root), *later)
    assert code == 0
    assert (data["dry_run"], data["recorded"], data["data_commit"], data["proposals"]) == (True, True, None, [])
    assert data["planned"] == [{"action": "open", "incident": "INC-2026-0002", "probe": "api/health"}]


def test_probe_compact_as_json(root: Path, tmp_path: Path) -> None:
    invoke("probe", "--all", "--out", str(tmp_path / "r.json"), "-C", str(root), *AT)
    invoke("lifecycle", str(tmp_path / "r.json"), "-C", str(root), *AT)
    code, data = invoke_json("probe", "compact", "-C", str(root), "--at", "2026-11-25T00:00:00Z")
    assert code == 0
    assert (data["at"], data["squashed"], data["problems"]) == ("2026-11-25T00:00:00Z", False, [])
    assert data["changed"] is True
    assert data["commit"] == git(root, "ls-remote", "origin", "refs/heads/watchbill-data").split()[0]
    code, again = invoke_json("probe", "compact", "-C", str(root), "--at", "2026-11-25T00:00:00Z")
    assert code == 0 and again["changed"] is False


def test_the_probe_use_cases_need_no_command_line(root: Path, tmp_path: Path) -> None:
    org = load_organisation(root, now=NOW, use_cache=False)
    checked = check_probes(org, NOW, all_probes=True, only=["db/port"], out=tmp_path / "r.json")
    assert [r.key for r in checked.results.results] == ["db/port"] and checked.failing == 0
    with pytest.raises(UsageError, match="--budget must be longer than 0s"):
        check_probes(org, NOW, budget="0s")
    (tmp_path / "empty-checkout").mkdir()
    status = probe_status(org, state=tmp_path / "empty-checkout")
    assert status.snapshot.last_run is None and sorted(status.probes) == ["api/health", "api/hourly", "db/port"]
