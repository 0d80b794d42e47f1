"""Field types: human durations, instants with offsets, zones, cron and wall-clock times."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchbill.fields import (
    MAX_DURATION,
    check_cron,
    check_timezone,
    format_duration,
    format_instant,
    parse_date,
    parse_duration,
    parse_instant,
    parse_local_time,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("800ms", timedelta(milliseconds=800)),
        ("1m30s", timedelta(seconds=90)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "5", "m", "5 minutes", "1h-5m", "5M", "30m1h"])
def test_bad_durations_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_bare_number_duration_asks_for_a_unit() -> None:
    with pytest.raises(ValueError, match="add a unit"):
        parse_duration(5)


@given(st.integers(min_value=0, max_value=10**10))
def test_duration_round_trips_through_text(ms: int) -> None:
    value = timedelta(milliseconds=ms)
    assert parse_duration(format_duration(value)) == value


def test_instant_needs_an_offset() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_instant("2026-03-08T09:00:00")
    assert parse_instant("2026-03-08T09:00:00Z").utcoffset() == timedelta(0)


def test_instant_formats_utc_with_z() -> None:
    assert format_instant(parse_instant("2026-03-08T09:00:00+00:00")) == "2026-03-08T09:00:00Z"
    assert format_instant(parse_instant("2026-03-08T09:00:00+01:00")) == "2026-03-08T09:00:00+01:00"


def test_unknown_time_zone_suggests_the_right_name() -> None:
    with pytest.raises(ValueError, match="did you mean America/New_York"):
        check_timezone("america/new_york")
    assert check_timezone("Asia/Kolkata") == "Asia/Kolkata"


def test_cron_needs_five_valid_fields() -> None:
    assert check_cron("*/5 * * * *") == "*/5 * * * *"
    with pytest.raises(ValueError):
        check_cron("61 * * * *")
    with pytest.raises(ValueError, match="five fields"):
        check_cron("0 */5 * * * *")


def test_local_time_is_hours_and_minutes() -> None:
    assert parse_local_time("09:30").hour == 9
    with pytest.raises(ValueError, match="HH:MM"):
        parse_local_time("9:30am")


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59-12:00"])
def test_instants_outside_the_supported_years_are_refused_before_any_arithmetic(text: str) -> None:
    with pytest.raises(ValueError, match="outside the supported years 1970 to 9000"):
        parse_instant(text)


def test_the_supported_years_keep_every_sum_with_a_duration_in_range() -> None:
    latest = parse_instant("9000-12-31T23:59:59-14:00").astimezone(UTC)
    earliest = parse_instant("1970-01-01T00:00:00+14:00").astimezone(UTC)
    assert latest + MAX_DURATION > latest and earliest - MAX_DURATION < earliest
    with pytest.raises(ValueError, match="outside the supported years"):
        parse_date("9999-12-31")


@pytest.mark.parametrize("text", ["99999999999999999999d", "5201w", "9" * 5000 + "ms"])
def test_durations_beyond_a_century_are_refused_with_a_short_message(text: str) -> None:
    with pytest.raises(ValueError, match="is too long; a duration is at most 5200w") as caught:
        parse_duration(text)
    assert len(str(caught.value)) < 120
    assert parse_duration("5200w") == MAX_DURATION
