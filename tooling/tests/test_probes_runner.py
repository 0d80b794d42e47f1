"""The runner's limits (concurrency, per-probe timeout, total budget), sharding, regions and due-ness."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.probe_servers import HttpServer, http_server

from watchbill.models import HttpCheck, Probe, Service, TcpCheck
from watchbill.models.service import Confirm
from watchbill.probes import (
    ResultsFileError,
    RunOptions,
    ShardError,
    Target,
    all_targets,
    is_due,
    parse_shard,
    read_results,
    run,
    select,
    write_results,
)
from watchbill.probes.select import in_shard, last_fire
from watchbill.state.snapshot import ProbeState

NOW = datetime(2026, 11, 23, 12, 7, 30, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with http_server() as running:
        yield running


def http_target(key: str, url: str, timeout: float = 5.0, retries: int = 0) -> Target:
    probe_id = key.split("/")[1]
    return Target(key, Probe(id=probe_id, http=HttpCheck(url=url), timeout=timedelta(seconds=timeout), retries=retries))


def test_no_more_checks_run_at_once_than_the_concurrency(server: HttpServer) -> None:
    server.behaviour.delay = 0.2
    targets = [http_target(f"svc/p{i}", server.url) for i in range(6)]
    results = run(targets, RunOptions(concurrency=2, budget=timedelta(seconds=10)), NOW)
    assert all(r.ok for r in results.results)
    assert server.behaviour.peak == 2


def test_budget_bounds_a_run_of_hanging_targets(server: HttpServer) -> None:
    targets = [http_target(f"svc/h{i}", f"{server.url}/hang", timeout=60) for i in range(5)]
    started = time.monotonic()
    results = run(targets, RunOptions(budget=timedelta(seconds=1.5)), NOW)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert [r.ok for r in results.results] == [None] * 5
    assert results.results[0].error == "not checked: the run's time budget ran out first"


def test_budget_holds_against_every_kind_of_bad_target(server: HttpServer) -> None:
    paths = ["hang", "trickle", "endless", "loop", "reset", "slow", "ok"]
    targets = [http_target(f"svc/{p}", f"{server.url}/{p}", timeout=60, retries=3) for p in paths]
    started = time.monotonic()
    results = run(targets, RunOptions(budget=timedelta(seconds=2), backoff=timedelta(seconds=5)), NOW)
    assert time.monotonic() - started < 2.5
    verdicts = {r.key: r.ok for r in results.results}
    assert verdicts["svc/ok"] is True
    assert verdicts["svc/slow"] is True
    assert verdicts["svc/hang"] is None and verdicts["svc/trickle"] is None


def test_results_are_stamped_from_the_runs_clock(server: HttpServer) -> None:
    results = run([http_target("svc/ok", f"{server.url}/ok")], RunOptions(), NOW)
    assert NOW <= results.results[0].at < NOW + timedelta(seconds=5)
    assert results.started_at == NOW


def test_an_empty_run_returns_an_empty_results_file() -> None:
    results = run([], RunOptions(), NOW)
    assert results.results == []


def test_shards_cover_every_probe_exactly_once() -> None:
    targets = [http_target(f"svc{i}/p", "http://127.0.0.1/") for i in range(10)]
    shards = [in_shard(targets, i, 3) for i in (1, 2, 3)]
    keys = [t.key for shard in shards for t in shard]
    assert sorted(keys) == sorted(t.key for t in targets)
    assert [len(s) for s in shards] == [4, 3, 3]


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0", "1/-2"])
def test_bad_shard_text_is_refused(text: str) -> None:
    with pytest.raises(ShardError):
        parse_shard(text)


def test_shard_text_reads_as_index_and_count() -> None:
    assert parse_shard("2/5") == (2, 5)


def services() -> list[Service]:
    return [
        Service(
            id="api",
            name="API",
            owner="primary",
            probes=[
                Probe(id="health", http=HttpCheck(url="http://127.0.0.1/")),
                Probe(
                    id="global",
                    http=HttpCheck(url="http://127.0.0.1/"),
                    confirm=Confirm(regions=["eu", "us"], min=2),
                ),
                Probe(id="hourly", tcp=TcpCheck(host="127.0.0.1", port=1), schedule="0 * * * *"),
            ],
        )
    ]


def test_probes_that_confirm_run_only_in_their_regions() -> None:
    keys = [t.key for t in select(services(), now=NOW, due_only=False, region="ap")]
    assert keys == ["api/health", "api/hourly"]
    assert "api/global" in [t.key for t in select(services(), now=NOW, due_only=False, region="eu")]


def test_a_probe_never_checked_is_due() -> None:
    assert is_due(services()[0].probes[0], None, NOW)


def test_a_probe_is_due_once_its_cron_fired_since_the_last_check() -> None:
    probe = services()[0].probes[0]  # */5
    assert is_due(probe, NOW - timedelta(minutes=4), NOW)  # last check 12:03:30, fired at 12:05
    assert not is_due(probe, datetime(2026, 11, 23, 12, 5, 10, tzinfo=UTC), NOW)


def test_a_late_run_checks_a_missed_probe_once() -> None:
    hourly = services()[0].probes[2]
    assert is_due(hourly, NOW - timedelta(hours=5), NOW)
    assert not is_due(hourly, datetime(2026, 11, 23, 12, 0, 40, tzinfo=UTC), NOW)


def test_a_cron_that_fires_exactly_now_counts() -> None:
    exact = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert last_fire("0 * * * *", exact) == exact


def test_select_skips_probes_checked_since_their_last_fire() -> None:
    states = {"api/health": ProbeState("api/health", ok=True, last_checked=NOW - timedelta(minutes=1))}
    keys = [t.key for t in select(services(), now=NOW, states=states)]
    assert keys == ["api/global", "api/hourly"]


def test_select_can_be_limited_to_named_probes() -> None:
    keys = [t.key for t in select(services(), now=NOW, due_only=False, only=["api/hourly"])]
    assert keys == ["api/hourly"]


def test_targets_are_sorted_by_key() -> None:
    assert [t.key for t in all_targets(services())] == ["api/global", "api/health", "api/hourly"]


def test_results_file_round_trips(server: HttpServer, tmp_path: Path) -> None:
    results = run([http_target("svc/ok", f"{server.url}/ok")], RunOptions(region="eu", shard="1/2"), NOW)
    write_results(tmp_path / "r.json", results)
    assert read_results(tmp_path / "r.json") == results


def test_a_file_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text('{"results": []}')
    with pytest.raises(ResultsFileError, match="not a watchbill results file"):
        read_results(tmp_path / "r.json")


def test_a_damaged_results_file_names_the_place(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text('{"format": "watchbill-results/1",')
    with pytest.raises(ResultsFileError, match=r"r\.json:1:\d+: not JSON"):
        read_results(tmp_path / "r.json")
