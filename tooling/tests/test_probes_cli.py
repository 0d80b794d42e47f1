"""The probe and lifecycle commands, run the way the probe workflow runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.org_repo import git, make_repo
from support.orgfactory import NOW
from support.probe_servers import HttpServer, http_server, tcp_listener
from typer.testing import CliRunner

from watchbill.cli import app

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
