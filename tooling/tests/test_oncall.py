"""On-call resolution: rotations, layers, restrictions, overrides, member changes and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from watchbill.models import Schedule
from watchbill.oncall import coverage_gaps, current_shift, first_gap, next_shift, on_call, shifts
from watchbill.oncall.localtime import first_of_day, last_of_day

HOUR = timedelta(hours=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def schedule(*layers: dict[str, Any], zone: str = "America/New_York", overrides: Any = ()) -> Schedule:
    return Schedule.model_validate(
        {"id": "primary", "name": "Primary", "timezone": zone, "layers": list(layers), "overrides": list(overrides)}
    )


def weekly(
    start: str = "2026-01-05T09:00:00-05:00", members: Any = ("ann", "ben", "cat"), **extra: Any
) -> dict[str, Any]:
    return {
        "name": extra.pop("name", "Weekly"),
        "start": start,
        "members": list(members),
        "rotation": "weekly",
        "handoff": {"weekday": "monday", "time": "09:00"},
        **extra,
    }


def daily(start: str, members: Any, time: str = "09:00", **extra: Any) -> dict[str, Any]:
    return {
        "name": extra.pop("name", "Daily"),
        "start": start,
        "members": list(members),
        "rotation": "daily",
        "handoff": {"time": time},
        **extra,
    }


def test_weekly_handoff_stays_at_nine_local_across_spring_forward_making_a_167_hour_shift() -> None:
    timeline = shifts(schedule(weekly()), utc("2026-03-02T14:00:00Z"), utc("2026-03-09T13:00:00Z"))
    assert [(s.start, s.end) for s in timeline] == [(utc("2026-03-02T09:00-05:00"), utc("2026-03-09T09:00-04:00"))]
    assert timeline[0].duration == 167 * HOUR


def test_weekly_handoff_stays_at_nine_local_across_fall_back_making_a_169_hour_shift() -> None:
    timeline = shifts(schedule(weekly()), utc("2026-10-26T09:00-04:00"), utc("2026-11-02T09:00-05:00"))
    assert len(timeline) == 1
    assert timeline[0].duration == 169 * HOUR


def test_southern_hemisphere_weekly_shift_is_169_hours_in_april_and_167_in_october() -> None:
    sydney = schedule(weekly(start="2026-01-05T09:00:00+11:00"), zone="Australia/Sydney")
    april = current_shift(sydney, utc("2026-04-05T12:00+10:00"))
    october = current_shift(sydney, utc("2026-10-04T12:00+11:00"))
    assert april is not None and april.duration == 169 * HOUR
    assert october is not None and october.duration == 167 * HOUR


def test_first_member_is_on_call_from_start_until_the_first_handoff_strictly_after_it() -> None:
    plan = schedule(weekly(start="2026-01-07T12:00:00-05:00"))
    timeline = shifts(plan, utc("2026-01-07T17:00Z"), utc("2026-01-20T00:00Z"))
    assert [(s.person, s.start, s.end) for s in timeline[:2]] == [
        ("ann", utc("2026-01-07T12:00-05:00"), utc("2026-01-12T09:00-05:00")),
        ("ben", utc("2026-01-12T09:00-05:00"), utc("2026-01-19T09:00-05:00")),
    ]


def test_a_start_on_a_handoff_gives_the_first_member_a_whole_shift() -> None:
    timeline = shifts(schedule(weekly()), utc("2026-01-05T14:00Z"), utc("2026-01-13T00:00Z"))
    assert timeline[0].person == "ann"
    assert timeline[0].end == utc("2026-01-12T09:00-05:00")


def test_rotation_wraps_round_the_member_list() -> None:
    plan = schedule(weekly())
    assert [on_call(plan, utc("2026-01-05T15:00Z") + timedelta(weeks=w)) for w in range(4)] == [
        ["ann"],
        ["ben"],
        ["cat"],
        ["ann"],
    ]


def test_nobody_is_on_call_before_a_layer_starts_or_after_it_ends() -> None:
    plan = schedule(weekly(end="2026-02-01T00:00:00Z"))
    assert on_call(plan, utc("2026-01-01T00:00Z")) == []
    assert on_call(plan, utc("2026-02-01T00:00Z")) == []
    assert on_call(plan, utc("2026-01-31T23:59Z")) != []


def test_daily_handoff_at_a_skipped_time_moves_to_the_first_instant_after_the_gap() -> None:
    plan = schedule(daily("2026-03-01T02:30:00-05:00", ["ann", "ben"], time="02:30"))
    assert first_of_day("America/New_York", datetime(2026, 3, 8).date(), datetime(2026, 1, 1, 2, 30).time()) == utc(
        "2026-03-08T03:00-04:00"
    )
    assert on_call(plan, utc("2026-03-08T01:59:59-05:00")) == ["ann"]
    assert on_call(plan, utc("2026-03-08T03:00:00-04:00")) == ["ben"]


def test_daily_handoff_at_a_repeated_time_takes_its_first_occurrence() -> None:
    plan = schedule(daily("2026-10-30T01:30:00-04:00", ["ann", "ben"], time="01:30"))
    handoff = [s.start for s in shifts(plan, utc("2026-11-01T00:00-04:00"), utc("2026-11-01T04:00-05:00"))]
    assert utc("2026-11-01T01:30-04:00") in handoff
    assert utc("2026-11-01T01:30-05:00") not in handoff


def test_restriction_start_takes_first_occurrence_and_end_the_last_on_a_fall_back_night() -> None:
    window = {"days": ["sunday"], "start": "01:30", "end": "01:30"}
    assert first_of_day(
        "America/New_York", datetime(2026, 11, 1).date(), window_time := datetime(1, 1, 1, 1, 30).time()
    ) == utc("2026-11-01T01:30-04:00")
    assert last_of_day("America/New_York", datetime(2026, 11, 1).date(), window_time) == utc("2026-11-01T01:30-05:00")
    plan = schedule(daily("2026-10-01T09:00:00-04:00", ["ann"], restrictions=[{**window, "start": "01:00"}]))
    covered = shifts(plan, utc("2026-10-31T00:00Z"), utc("2026-11-03T00:00Z"))
    assert [(s.start, s.end) for s in covered] == [(utc("2026-11-01T01:00-04:00"), utc("2026-11-01T01:30-05:00"))]


def test_restricted_daily_rotation_still_gives_every_member_shifts() -> None:
    members = ["ann", "ben", "cat", "dan", "eve", "fay", "gus"]
    weekdays = {"days": ["monday", "tuesday", "wednesday", "thursday", "friday"], "start": "09:00", "end": "17:00"}
    plan = schedule(daily("2026-01-05T09:00:00-05:00", members, restrictions=[weekdays]))
    people = {s.person for s in shifts(plan, utc("2026-01-05T00:00Z"), utc("2026-01-19T00:00Z"))}
    assert people == set(members)


def test_restriction_keeps_only_the_parts_of_a_shift_inside_its_windows() -> None:
    business = {"days": ["monday", "tuesday", "wednesday", "thursday", "friday"], "start": "09:00", "end": "17:00"}
    plan = schedule(weekly(restrictions=[business]))
    timeline = shifts(plan, utc("2026-01-05T00:00Z"), utc("2026-01-12T00:00Z"))
    assert len(timeline) == 5
    assert all(s.duration == 8 * HOUR and s.person == "ann" for s in timeline)


def test_window_that_ends_before_it_starts_crosses_midnight() -> None:
    nights = {"days": ["friday"], "start": "22:00", "end": "06:00"}
    plan = schedule(weekly(restrictions=[nights]))
    timeline = shifts(plan, utc("2026-01-05T00:00Z"), utc("2026-01-12T00:00Z"))
    assert [(s.start, s.end) for s in timeline] == [(utc("2026-01-09T22:00-05:00"), utc("2026-01-10T06:00-05:00"))]


def test_later_layer_wins_where_it_covers_time() -> None:
    nights = daily(
        "2026-01-05T18:00:00-05:00",
        ["nia"],
        time="18:00",
        name="Nights",
        restrictions=[{"days": ["monday"], "start": "18:00", "end": "23:00"}],
    )
    plan = schedule(weekly(), nights)
    assert on_call(plan, utc("2026-01-05T19:00-05:00")) == ["nia"]
    assert on_call(plan, utc("2026-01-05T23:00-05:00")) == ["ann"]


def test_earlier_layer_covers_where_the_later_one_leaves_gaps() -> None:
    nights = daily(
        "2026-01-05T18:00:00-05:00",
        ["nia"],
        time="18:00",
        name="Nights",
        restrictions=[{"days": ["monday"], "start": "18:00", "end": "23:00"}],
    )
    timeline = shifts(schedule(weekly(), nights), utc("2026-01-05T14:00Z"), utc("2026-01-06T14:00Z"))
    assert [(s.person, s.layer) for s in timeline] == [("ann", "Weekly"), ("nia", "Nights"), ("ann", "Weekly")]


def test_override_wins_over_every_layer() -> None:
    cover = {"person": "zoe", "start": "2026-01-06T00:00:00Z", "end": "2026-01-07T00:00:00Z", "reason": "swap"}
    plan = schedule(weekly(), overrides=[cover])
    timeline = shifts(plan, utc("2026-01-05T14:00Z"), utc("2026-01-08T00:00Z"))
    assert [(s.person, s.override) for s in timeline] == [("ann", False), ("zoe", True), ("ann", False)]


def test_later_override_wins_over_an_earlier_one() -> None:
    first = {"person": "zoe", "start": "2026-01-06T00:00:00Z", "end": "2026-01-07T00:00:00Z"}
    second = {"person": "yan", "start": "2026-01-06T06:00:00Z", "end": "2026-01-06T12:00:00Z"}
    plan = schedule(weekly(), overrides=[first, second])
    assert on_call(plan, utc("2026-01-06T07:00Z")) == ["yan"]
    assert on_call(plan, utc("2026-01-06T13:00Z")) == ["zoe"]


def test_member_change_never_moves_who_is_on_call_before_it_takes_effect() -> None:
    before = schedule(weekly())
    effective = "2026-03-04T12:00:00-05:00"
    after = schedule(weekly(changes=[{"effective": effective, "members": ["dan", "ann"]}]))
    checked = 0
    for hours in range(0, 24 * 7 * 10, 5):
        instant = utc("2026-01-05T14:00Z") + hours * HOUR
        if instant < utc(effective):
            checked += 1
            assert on_call(before, instant) == on_call(after, instant)
        else:
            assert on_call(after, instant)[0] in ("dan", "ann")
    assert checked > 100


def test_member_change_reanchors_the_rotation_with_the_new_first_member_from_effective() -> None:
    change = {"effective": "2026-03-04T12:00:00-05:00", "members": ["dan", "ann"]}
    plan = schedule(weekly(changes=[change]))
    timeline = shifts(plan, utc("2026-03-02T14:00Z"), utc("2026-03-17T00:00Z"))
    assert [(s.person, s.start) for s in timeline] == [
        ("cat", utc("2026-03-02T09:00-05:00")),
        ("dan", utc("2026-03-04T12:00-05:00")),
        ("ann", utc("2026-03-09T09:00-04:00")),
        ("dan", utc("2026-03-16T09:00-04:00")),
    ]


def test_custom_rotation_counts_shift_length_in_absolute_time_from_start() -> None:
    custom = {
        "name": "12h",
        "start": "2026-03-07T08:00:00-05:00",
        "members": ["ann", "ben"],
        "rotation": "custom",
        "shift_length": "12h",
    }
    timeline = shifts(schedule(custom), utc("2026-03-07T13:00Z"), utc("2026-03-09T13:00Z"))
    assert all(s.duration == 12 * HOUR for s in timeline)
    assert timeline[-1].start == utc("2026-03-09T01:00Z")


def test_daily_rotation_in_a_zone_without_dst_hands_off_at_local_time() -> None:
    plan = schedule(daily("2026-01-01T10:00:00+05:30", ["ann", "ben"], time="10:00"), zone="Asia/Kolkata")
    timeline = shifts(plan, utc("2026-06-01T00:00Z"), utc("2026-06-03T00:00Z"))
    assert [s.start for s in timeline[1:]] == [utc("2026-06-01T10:00+05:30"), utc("2026-06-02T10:00+05:30")]


def test_coverage_gaps_are_the_stretches_nobody_covers() -> None:
    business = {"days": ["monday"], "start": "09:00", "end": "17:00"}
    plan = schedule(weekly(restrictions=[business]))
    gaps = coverage_gaps(plan, utc("2026-01-05T00:00Z"), utc("2026-01-06T00:00Z"))
    assert [(g.start, g.end) for g in gaps] == [
        (utc("2026-01-05T00:00Z"), utc("2026-01-05T09:00-05:00")),
        (utc("2026-01-05T17:00-05:00"), utc("2026-01-06T00:00Z")),
    ]


def test_a_round_the_clock_rotation_has_no_gap() -> None:
    assert first_gap(schedule(weekly()), utc("2026-06-01T00:00Z")) is None


def test_nobody_is_on_call_in_a_gap() -> None:
    plan = schedule(weekly(restrictions=[{"days": ["monday"], "start": "09:00", "end": "17:00"}]))
    assert on_call(plan, utc("2026-01-06T12:00Z")) == []


def test_next_shift_names_the_next_person_and_when_they_take_over() -> None:
    upcoming = next_shift(schedule(weekly()), utc("2026-01-07T00:00Z"))
    assert upcoming is not None
    assert (upcoming.person, upcoming.start) == ("ben", utc("2026-01-12T09:00-05:00"))


def test_resolving_far_from_the_anchor_matches_walking_there() -> None:
    plan = schedule(daily("2020-01-01T09:00:00-05:00", ["ann", "ben", "cat"]))
    far = on_call(plan, utc("2026-07-04T14:00Z"))
    days = (datetime(2026, 7, 4).date() - datetime(2020, 1, 1).date()).days
    assert far == [["ann", "ben", "cat"][days % 3]]
