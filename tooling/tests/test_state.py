"""Probe state on the data branch: append-only day logs, streaks, daily aggregates, damage, compaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from watchbill.probes import Result, ResultsFile
from watchbill.state import compact, read_probe_state, record_results
from watchbill.state.logfile import log_days, log_path

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
UP = (True, 120.0, None)
DOWN = (False, None, "status 503, expected 200")


def results(at: datetime, **verdicts: tuple[bool | None, float | None, str | None]) -> ResultsFile:
    items = [
        Result(key=key.replace("__", "/"), at=at, ok=ok, latency_ms=latency, error=error)
        for key, (ok, latency, error) in verdicts.items()
    ]
    return ResultsFile(started_at=at, finished_at=at, results=items)


def record(directory: Path, at: datetime, **verdicts: tuple[bool | None, float | None, str | None]) -> None:
    record_results(directory, results(at, **verdicts))


def test_an_empty_directory_is_an_empty_snapshot(tmp_path: Path) -> None:
    snapshot = read_probe_state(tmp_path)
    assert snapshot.probes == {} and snapshot.last_run is None and snapshot.problems == ()


def test_a_missing_directory_is_an_empty_snapshot(tmp_path: Path) -> None:
    assert read_probe_state(tmp_path / "nothing").probes == {}


def test_a_recorded_run_reads_back_as_the_last_result(tmp_path: Path) -> None:
    record(tmp_path, T0, api__health=UP, db__port=DOWN)
    snapshot = read_probe_state(tmp_path)
    health, port = snapshot.probes["api/health"], snapshot.probes["db/port"]
    assert (health.ok, health.latency_ms, health.last_checked, health.consecutive_successes) == (True, 120, T0, 1)
    assert (port.ok, port.last_error, port.consecutive_failures, port.first_failure_at) == (
        False,
        "status 503, expected 200",
        1,
        T0,
    )
    assert snapshot.last_run == T0


def test_consecutive_failures_count_from_the_first_failing_result(tmp_path: Path) -> None:
    for minutes, verdict in ((0, UP), (5, DOWN), (10, DOWN), (15, DOWN)):
        record(tmp_path, T0 + timedelta(minutes=minutes), api__health=verdict)
    state = read_probe_state(tmp_path).probes["api/health"]
    assert state.consecutive_failures == 3
    assert state.consecutive_successes == 0
    assert state.first_failure_at == T0 + timedelta(minutes=5)


def test_a_success_ends_the_failing_streak_and_starts_a_healthy_one(tmp_path: Path) -> None:
    for minutes, verdict in ((0, DOWN), (5, DOWN), (10, UP), (15, UP)):
        record(tmp_path, T0 + timedelta(minutes=minutes), api__health=verdict)
    state = read_probe_state(tmp_path).probes["api/health"]
    assert (state.consecutive_failures, state.consecutive_successes) == (0, 2)
    assert state.first_failure_at is None
    assert state.first_success_at == T0 + timedelta(minutes=10)
    assert state.last_error is None


def test_unknown_verdicts_neither_extend_nor_break_a_streak(tmp_path: Path) -> None:
    record(tmp_path, T0, api__health=DOWN)
    outcome = record_results(tmp_path, results(T0 + timedelta(minutes=5), api__health=(None, None, "unconfirmed")))
    assert outcome.appended is False
    record(tmp_path, T0 + timedelta(minutes=10), api__health=DOWN)
    assert read_probe_state(tmp_path).probes["api/health"].consecutive_failures == 2


def test_recording_the_same_run_twice_appends_it_once(tmp_path: Path) -> None:
    run = results(T0, api__health=DOWN)
    assert record_results(tmp_path, run).appended is True
    assert record_results(tmp_path, run).appended is False
    assert read_probe_state(tmp_path).probes["api/health"].consecutive_failures == 1


def test_a_late_result_that_agrees_with_the_streak_counts(tmp_path: Path) -> None:
    record(tmp_path, T0, api__health=DOWN)
    record(tmp_path, T0 + timedelta(minutes=10), api__health=DOWN)
    record(tmp_path, T0 + timedelta(minutes=5), api__health=DOWN)  # a concurrent run that pushed second
    state = read_probe_state(tmp_path).probes["api/health"]
    assert (state.consecutive_failures, state.first_failure_at) == (3, T0)
    assert state.last_checked == T0 + timedelta(minutes=10)


def test_a_late_result_is_history_but_does_not_move_the_streak(tmp_path: Path) -> None:
    record(tmp_path, T0 + timedelta(minutes=10), api__health=DOWN)
    record(tmp_path, T0 + timedelta(minutes=5), api__health=UP)  # a slower concurrent run, pushed second
    state = read_probe_state(tmp_path).probes["api/health"]
    assert (state.ok, state.consecutive_failures) == (False, 1)
    assert [s.ok for s in state.recent] == [False, True]
    assert state.days[-1].checks == 2


def test_streaks_carry_over_into_the_next_day(tmp_path: Path) -> None:
    record(tmp_path, T0.replace(hour=23, minute=55), api__health=DOWN)
    record(tmp_path, T0.replace(hour=23, minute=55) + timedelta(minutes=10), api__health=DOWN)
    state = read_probe_state(tmp_path).probes["api/health"]
    assert state.consecutive_failures == 2
    assert state.first_failure_at == T0.replace(hour=23, minute=55)
    assert log_days(tmp_path) == [date(2026, 11, 23), date(2026, 11, 24)]


def test_a_finished_day_is_rolled_up_into_the_month_file(tmp_path: Path) -> None:
    record(tmp_path, T0, api__health=UP)
    record(tmp_path, T0 + timedelta(minutes=5), api__health=(True, 300.0, None))
    record(tmp_path, T0 + timedelta(minutes=10), api__health=DOWN)
    record(tmp_path, T0 + timedelta(days=1), api__health=UP)
    lines = (tmp_path / "days" / "2026-11.tsv").read_text().splitlines()
    assert lines == ["#watchbill-days 1", "2026-11-23\tapi/health\t3\t1\t210\t300"]
    days = read_probe_state(tmp_path).probes["api/health"].days
    assert [(d.day, d.checks, d.failures, d.latency_ms_avg, d.latency_ms_max) for d in days] == [
        (date(2026, 11, 23), 3, 1, 210.0, 300.0),
        (date(2026, 11, 24), 1, 0, 120.0, 120.0),
    ]


def test_recent_samples_are_the_newest_oldest_first(tmp_path: Path) -> None:
    for minutes in range(0, 50, 5):
        record(tmp_path, T0 + timedelta(minutes=minutes), api__health=(True, float(minutes), None))
    recent = read_probe_state(tmp_path, recent=3).probes["api/health"].recent
    assert [s.latency_ms for s in recent] == [35.0, 40.0, 45.0]
    assert recent[-1].at == T0 + timedelta(minutes=45)


def test_history_is_limited_to_the_requested_days(tmp_path: Path) -> None:
    for day in range(10):
        record(tmp_path, T0 + timedelta(days=day), api__health=UP)
    days = read_probe_state(tmp_path, history_days=3).probes["api/health"].days
    assert [d.day for d in days] == [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]


def test_a_damaged_line_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    record(tmp_path, T0, api__health=DOWN)
    path = log_path(tmp_path, T0.date())
    path.write_text(path.read_text() + "garbage without tabs\n")
    record(tmp_path, T0 + timedelta(minutes=5), api__health=DOWN)
    snapshot = read_probe_state(tmp_path)
    assert snapshot.probes["api/health"].consecutive_failures == 2
    assert [(p.path, p.line, p.rule) for p in snapshot.problems] == [("log/2026-11-23.tsv", 5, "probe-data")]


def test_an_unreadable_aggregate_file_is_reported_and_the_logs_still_load(tmp_path: Path) -> None:
    record(tmp_path, T0, api__health=UP)
    record(tmp_path, T0 + timedelta(days=1), api__health=UP)
    (tmp_path / "days" / "2026-11.tsv").write_bytes(b"\xff\xfe\x00garbage")
    snapshot = read_probe_state(tmp_path)
    assert snapshot.probes["api/health"].ok is True
    assert snapshot.problems[0].path == "days/2026-11.tsv"


def test_a_damaged_header_takes_the_streaks_from_the_day_before(tmp_path: Path) -> None:
    record(tmp_path, T0, api__health=DOWN)
    record(tmp_path, T0 + timedelta(days=1), api__health=DOWN)
    path = log_path(tmp_path, (T0 + timedelta(days=1)).date())
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = "#state\t{broken json\n"
    path.write_text("".join(lines))
    snapshot = read_probe_state(tmp_path)
    assert snapshot.probes["api/health"].consecutive_failures == 2
    assert snapshot.problems and snapshot.problems[0].line == 2


def test_a_probe_number_without_its_probe_line_is_reported(tmp_path: Path) -> None:
    record(tmp_path, T0, api__health=UP)
    path = log_path(tmp_path, T0.date())
    path.write_text(path.read_text() + "43500\tabcdef0123\t7=12\n")
    snapshot = read_probe_state(tmp_path)
    assert "probe number '7' has no #probe line" in snapshot.problems[0].message


def test_a_late_run_from_yesterday_lands_in_todays_file(tmp_path: Path) -> None:
    record(tmp_path, T0.replace(hour=0, minute=1) + timedelta(days=1), api__health=UP)
    record(tmp_path, T0.replace(hour=23, minute=59), api__health=UP)
    assert log_days(tmp_path) == [date(2026, 11, 24)]
    recent = read_probe_state(tmp_path).probes["api/health"].recent
    assert recent[-1].at == T0.replace(hour=23, minute=59)


def test_old_day_logs_are_compacted_into_aggregates(tmp_path: Path) -> None:
    for day in range(6):
        record(tmp_path, T0 + timedelta(days=day), api__health=UP)
    compact(tmp_path, (T0 + timedelta(days=6)).date(), keep_log_days=2)
    assert log_days(tmp_path) == [date(2026, 11, 27), date(2026, 11, 28)]
    days = read_probe_state(tmp_path).probes["api/health"].days
    assert len(days) == 6 and all(d.checks == 1 for d in days)


def test_a_day_log_is_a_few_bytes_per_result(tmp_path: Path) -> None:
    for minutes in range(0, 24 * 60, 5):
        verdicts = {f"svc{i:02d}__probe": (True, 100.0 + i, None) for i in range(50)}
        record(tmp_path, T0.replace(hour=0) + timedelta(minutes=minutes), **verdicts)
    size = log_path(tmp_path, T0.date()).stat().st_size
    assert size < 288 * 50 * 8  # under 8 bytes per probe result, headers included


def test_the_data_branch_explains_itself(tmp_path: Path) -> None:
    record(tmp_path, T0, api__health=UP)
    assert "Do not merge" in (tmp_path / "README.md").read_text()
