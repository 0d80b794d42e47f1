"""The on-call load report: hours per person, night and weekend apart, stretches, night hand-offs, balance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from watchbill.models import Person, Schedule
from watchbill.oncall.report import night_time, schedule_report, weekend_time

HOUR = timedelta(hours=1)
PEOPLE = {
    "ann": Person(id="ann", name="Ann", timezone="Europe/Berlin"),
    "ben": Person(id="ben", name="Ben", timezone="America/New_York"),
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def plan(*layers: dict[str, Any], overrides: Any = ()) -> Schedule:
    return Schedule.model_validate(
        {"id": "p", "name": "P", "timezone": "Europe/Berlin", "layers": list(layers), "overrides": list(overrides)}
    )


WEEKLY = {
    "name": "Weekly",
    "start": "2026-01-05T09:00:00+01:00",
    "members": ["ann", "ben"],
    "rotation": "weekly",
    "handoff": {"weekday": "monday", "time": "09:00"},
}


def test_night_hours_are_counted_in_the_persons_own_zone() -> None:
    noon_to_noon = (utc("2026-01-06T12:00Z"), utc("2026-01-07T12:00Z"))
    assert night_time(*noon_to_noon, "Europe/Berlin") == 9 * HOUR
    assert night_time(*noon_to_noon, "America/New_York") == 9 * HOUR
    assert night_time(utc("2026-01-06T22:00Z"), utc("2026-01-07T03:00Z"), "Europe/Berlin") == 5 * HOUR
    assert night_time(utc("2026-01-06T22:00Z"), utc("2026-01-07T03:00Z"), "America/New_York") == 0 * HOUR


def test_weekend_hours_cover_saturday_and_sunday_local() -> None:
    week = (utc("2026-01-05T00:00+01:00"), utc("2026-01-12T00:00+01:00"))
    assert weekend_time(*week, "Europe/Berlin") == 48 * HOUR
    assert weekend_time(utc("2026-01-11T12:00+01:00"), utc("2026-01-12T12:00+01:00"), "Europe/Berlin") == 12 * HOUR


def test_weekend_over_a_dst_change_is_as_long_as_the_clock_makes_it() -> None:
    spring = (utc("2026-03-27T00:00Z"), utc("2026-04-01T00:00Z"))
    assert weekend_time(*spring, "Europe/Berlin") == 47 * HOUR


def test_report_sums_hours_per_person_and_counts_night_handoffs() -> None:
    report = schedule_report(plan(WEEKLY), PEOPLE, utc("2026-01-05T09:00+01:00"), utc("2026-01-19T09:00+01:00"))
    loads = {load.person: load for load in report.people}
    assert loads["ann"].total == loads["ben"].total == 168 * HOUR
    assert loads["ann"].night_handoffs == 0  # 09:00 in Berlin
    assert loads["ben"].night_handoffs == 1  # takes over at 03:00 New York; the range ends before he hands back
    assert report.gaps == []


def test_longest_stretch_joins_back_to_back_shifts_across_layers() -> None:
    cover = {"person": "ann", "start": "2026-01-12T09:00:00+01:00", "end": "2026-01-13T09:00:00+01:00"}
    report = schedule_report(
        plan(WEEKLY, overrides=[cover]), PEOPLE, utc("2026-01-05T09:00+01:00"), utc("2026-01-19T09:00+01:00")
    )
    assert {load.person: load.longest_stretch for load in report.people}["ann"] == 192 * HOUR


def test_layer_balance_shows_a_member_who_got_nothing() -> None:
    three = {**WEEKLY, "members": ["ann", "ben", "cat"]}
    report = schedule_report(plan(three), PEOPLE, utc("2026-01-05T09:00+01:00"), utc("2026-01-19T09:00+01:00"))
    assert report.layers[0].hours["cat"] == timedelta(0)
    assert report.layers[0].balance == 0.0


def test_a_fair_layer_balances_to_one() -> None:
    report = schedule_report(plan(WEEKLY), PEOPLE, utc("2026-01-05T09:00+01:00"), utc("2026-01-19T09:00+01:00"))
    assert report.layers[0].balance == 1.0
