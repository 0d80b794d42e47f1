"""Merging matrix results, with multi-region confirmation (k of n regions must agree)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchbill.models import HttpCheck, Probe
from watchbill.models.service import Confirm
from watchbill.probes import Result, ResultsFile, merge

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PLAIN = Probe(id="health", http=HttpCheck(url="https://api.example.com/"))
CONFIRMED = Probe(
    id="health", http=HttpCheck(url="https://api.example.com/"), confirm=Confirm(regions=["eu", "us", "ap"], min=2)
)


def file(region: str, ok: bool | None, latency: float | None = 100.0, offset: int = 0) -> ResultsFile:
    at = NOW + timedelta(seconds=offset)
    error = None if ok else "status 503, expected 200"
    result = Result(key="api/health", at=at, ok=ok, latency_ms=latency, error=error, region=region)
    return ResultsFile(region=region, started_at=at, finished_at=at, results=[result])


def verdict(probe: Probe, *files: ResultsFile) -> Result:
    merged = merge(files, {"api/health": probe}, NOW)
    assert merged.merged and merged.region == "merged"
    return merged.results[0]


def test_without_confirmation_any_failing_region_counts() -> None:
    result = verdict(PLAIN, file("eu", True), file("us", False))
    assert result.ok is False
    assert result.error == "us: status 503, expected 200"
    assert result.regions == {"eu": True, "us": False}


def test_one_of_three_failing_is_not_confirmed() -> None:
    result = verdict(CONFIRMED, file("eu", False), file("us", True), file("ap", True))
    assert result.ok is True
    assert result.error is None


def test_two_of_three_failing_is_confirmed() -> None:
    result = verdict(CONFIRMED, file("eu", False), file("us", False), file("ap", True))
    assert result.ok is False
    assert result.error == "eu: status 503, expected 200; us: status 503, expected 200"


def test_too_few_regions_reporting_is_unknown() -> None:
    result = verdict(CONFIRMED, file("eu", False))
    assert result.ok is None
    assert result.error is not None and result.error.startswith("unconfirmed: 1 of 2 regions needed")


def test_regions_not_listed_do_not_vote() -> None:
    result = verdict(CONFIRMED, file("eu", False), file("sa", False), file("us", True))
    assert result.ok is True


def test_a_reuploaded_cell_counts_once_and_the_newest_wins() -> None:
    result = verdict(CONFIRMED, file("eu", False), file("eu", True, offset=5), file("us", False))
    assert result.ok is True


def test_latency_is_the_median_of_the_agreeing_regions() -> None:
    result = verdict(PLAIN, file("eu", True, 100), file("us", True, 300), file("ap", True, 200))
    assert result.latency_ms == 200


def test_merged_result_is_dated_at_the_earliest_check() -> None:
    result = verdict(PLAIN, file("eu", True, offset=20), file("us", True, offset=3))
    assert result.at == NOW + timedelta(seconds=3)


def test_unknown_probe_keys_merge_without_confirmation() -> None:
    merged = merge([file("eu", False)], {}, NOW)
    assert merged.results[0].ok is False


def test_merging_nothing_gives_an_empty_file() -> None:
    assert merge([], {}, NOW).results == []


def test_results_only_from_unlisted_regions_say_which_regions_were_expected() -> None:
    result = verdict(CONFIRMED, file("default", False))
    assert result.ok is None
    assert result.error is not None
    assert result.error.startswith("unconfirmed: none of its regions (ap, eu, us) reported, only default")


def test_an_unknown_verdict_keeps_the_reason_the_check_could_not_run() -> None:
    unknown = Result(
        key="api/health", at=NOW, ok=None, error="header refers to ${TOKEN}, which is not set", region="eu"
    )
    files = [ResultsFile(region="eu", started_at=NOW, finished_at=NOW, results=[unknown]), file("us", None)]
    result = verdict(CONFIRMED, *files)
    assert result.ok is None
    assert result.error is not None and "eu: header refers to ${TOKEN}, which is not set" in result.error


def test_a_probe_without_confirmation_that_no_region_could_check_says_so() -> None:
    result = verdict(PLAIN, file("eu", None), file("us", None))
    assert result.ok is None
    assert result.error is not None and result.error.startswith("unconfirmed: no region could check it")
