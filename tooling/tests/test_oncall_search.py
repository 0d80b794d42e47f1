"""Whole shifts however long, one coherent "until" and "next", and hand-off times that mean one instant.

Quarterly rotations, long overrides and layers that start far ahead used to be cut by a fixed look-around
window: an invented end, a blank next person, and iCalendar events whose start (and UID) moved with the
range exported. Each test below is one of those cases, answered against the rendered timeline.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from pydantic import ValidationError
from support.orgfactory import build_org
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.models import Schedule
from watchbill.oncall import current_shift, next_shift, on_call_stretches, shifts
from watchbill.oncall.search import first_from, stretch_end

QUARTER = timedelta(days=91)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def schedule(*layers: dict[str, Any], overrides: Any = (), zone: str = "Europe/Berlin") -> Schedule:
    return Schedule.model_validate(
        {"id": "primary", "name": "Primary", "timezone": zone, "layers": list(layers), "overrides": list(overrides)}
    )


def quarterly(members: Any = ("ann", "ben"), start: str = "2026-01-01T09:00:00+01:00", **extra: Any) -> dict[str, Any]:
    layer = {"name": "Quarterly", "start": start, "members": list(members), "rotation": "custom"}
    return layer | {"shift_length": "91d"} | extra


def weekly(members: Any = ("ann", "ben"), start: str = "2026-01-05T09:00:00+01:00", **extra: Any) -> dict[str, Any]:
    layer = {"name": "Weekly", "start": start, "members": list(members), "rotation": "weekly"}
    return layer | {"handoff": {"weekday": "monday", "time": "09:00"}} | extra


# ---------------------------------------------------------------- shifts longer than any window


def test_a_quarterly_shift_is_found_whole_from_its_middle() -> None:
    plan = schedule(quarterly())
    shift = current_shift(plan, utc("2026-06-01T00:00Z"))  # ben's quarter: 2 Apr to 2 Jul
    assert shift is not None
    start = utc("2026-01-01T09:00+01:00") + QUARTER
    assert (shift.person, shift.start, shift.end) == ("ben", start, start + QUARTER)


def test_the_next_person_after_a_quarter_is_named_with_the_instant_they_take_over() -> None:
    plan = schedule(quarterly())
    upcoming = next_shift(plan, utc("2026-06-01T00:00Z"))
    assert upcoming is not None
    assert (upcoming.person, upcoming.start) == ("ann", utc("2026-01-01T09:00+01:00") + 2 * QUARTER)


def test_a_layer_starting_next_year_is_the_next_shift_even_a_year_ahead() -> None:
    plan = schedule(weekly(start="2027-03-01T09:00:00+01:00"))
    assert current_shift(plan, utc("2026-03-01T00:00Z")) is None
    upcoming = first_from(plan, utc("2026-03-01T00:00Z"))
    assert upcoming is not None
    assert (upcoming.person, upcoming.start, upcoming.end) == (
        "ann",
        utc("2027-03-01T09:00+01:00"),
        utc("2027-03-08T09:00+01:00"),
    )


def test_a_hundred_day_override_has_its_true_end() -> None:
    cover = {"person": "cat", "start": "2026-02-01T00:00:00Z", "end": "2026-05-12T00:00:00Z", "reason": "leave cover"}
    plan = schedule(weekly(), overrides=[cover])
    shift = current_shift(plan, utc("2026-03-15T12:00Z"))
    assert shift is not None and shift.override
    assert (shift.person, shift.start, shift.end) == ("cat", utc("2026-02-01T00:00Z"), utc("2026-05-12T00:00Z"))


def test_the_only_member_of_an_open_ended_rotation_never_hands_over() -> None:
    plan = schedule(weekly(members=["ann"]))
    assert stretch_end(plan, "ann", utc("2026-11-24T12:00Z")) is None
    current, following = on_call_stretches(plan, utc("2026-11-24T12:00Z"))
    assert current is not None and (current.person, current.start, current.end) == (
        "ann",
        utc("2026-01-05T09:00+01:00"),
        None,
    )
    assert following is None


def test_a_rotation_that_ends_leaves_nobody_next() -> None:
    plan = schedule(weekly(end="2026-02-02T09:00:00+01:00"))
    current, following = on_call_stretches(plan, utc("2026-01-28T12:00Z"))
    assert current is not None and current.end == utc("2026-02-02T09:00+01:00")
    assert following is None


# ---------------------------------------------------------------- "until" and "next": one pair of instants


def test_until_runs_through_an_override_of_the_same_person_and_next_starts_then() -> None:
    # Ann's week ends Monday 12 Jan, but she covers Ben's Monday too: she is on call until Tuesday 13 Jan.
    cover = {"person": "ann", "start": "2026-01-12T08:00:00Z", "end": "2026-01-13T08:00:00Z"}
    plan = schedule(weekly(), overrides=[cover])
    current, following = on_call_stretches(plan, utc("2026-01-07T12:00Z"))
    assert current is not None and following is not None
    assert (current.person, current.end) == ("ann", utc("2026-01-13T08:00Z"))
    assert (following.person, following.start) == ("ben", current.end)
    assert following.end == utc("2026-01-19T09:00+01:00")


def test_until_and_next_name_one_instant_across_layers() -> None:
    # Ann's weekly shift is overlaid by Ben on a weekend layer: Ann is on call until Saturday.
    saturdays = [{"days": ["saturday"], "start": "00:00", "end": "00:00"}]
    weekend = weekly(members=["ben"], name="Weekend", restrictions=saturdays)
    plan = schedule(weekly(), weekend)
    current, following = on_call_stretches(plan, utc("2026-01-06T12:00Z"))
    assert current is not None and following is not None
    assert current.person == "ann" and following.person == "ben"
    assert current.end == following.start == utc("2026-01-10T00:00+01:00")


def test_after_a_gap_next_starts_later_than_until() -> None:
    business = weekly(restrictions=[{"days": ["monday", "tuesday"], "start": "09:00", "end": "17:00"}])
    current, following = on_call_stretches(schedule(business), utc("2026-01-06T10:00Z"))
    assert current is not None and following is not None
    assert current.end == utc("2026-01-06T17:00+01:00")
    assert (following.person, following.start) == ("ben", utc("2026-01-12T09:00+01:00"))


# ---------------------------------------------------------------- the command and the export


def invoke(root: Path, *args: str) -> Any:
    env = {"WATCHBILL_NOW": "2026-11-23T12:00:00Z", "COLUMNS": "200"}
    return CliRunner().invoke(app, [*args, "--root", str(root)], env=env)


QUARTERLY_ORG = """\
id: primary
name: Primary on-call
timezone: Europe/Berlin
layers:
  - name: Quarterly
    start: 2026-01-01T09:00:00+01:00
    members:
      - alice
      - bob
    rotation: custom
    shift_length: 91d
"""


def test_oncall_json_until_is_the_next_persons_start_for_a_quarterly_rotation(tmp_path: Path) -> None:
    root = build_org(tmp_path, {"schedules/primary.yaml": QUARTERLY_ORG})
    result = invoke(root, "oncall", "--schedule", "primary", "--at", "2026-11-24T12:00:00Z", "--format", "json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)["schedules"]
    assert entry["on_call"]["person"]["id"] == "bob"  # the fourth quarter: 1 Oct to 31 Dec
    assert entry["on_call"]["end"] == entry["next"]["start"] == "2026-12-31T08:00:00Z"  # 1 Jan + 4 x 91 days
    assert entry["next"]["person"]["id"] == "alice"
    assert entry["next"]["end"] == "2027-04-01T08:00:00Z"


def uids(text: str) -> dict[str, tuple[datetime, datetime]]:
    events = Calendar.from_ical(text).walk("VEVENT")
    return {str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND")) for e in events}


def test_ical_exports_quarters_whole_with_uids_that_do_not_move_with_the_range(tmp_path: Path) -> None:
    root = build_org(tmp_path, {"schedules/primary.yaml": QUARTERLY_ORG})
    narrow = invoke(root, "oncall", "ical", "--schedule", "primary", "--from", "2026-11-01", "--to", "2026-11-30")
    wide = invoke(root, "oncall", "ical", "--schedule", "primary", "--from", "2026-06-01", "--to", "2027-03-01")
    assert narrow.exit_code == 0 and wide.exit_code == 0, narrow.output + wide.output
    few, many = uids(narrow.stdout), uids(wide.stdout)
    ((uid, (start, end)),) = few.items()
    assert (start, end) == (utc("2026-10-01T08:00Z"), utc("2026-12-31T08:00Z"))
    assert many[uid] == (start, end)  # the same event, whatever range was exported
    assert len(many) == 4


# ---------------------------------------------------------------- 24:00 means one thing


def test_a_handoff_at_24_00_is_refused_with_what_to_write() -> None:
    layer = weekly(handoff={"weekday": "monday", "time": "24:00"})
    with pytest.raises(ValidationError, match="a day early; write '00:00'"):
        schedule(layer)


def test_a_window_ending_at_24_00_runs_to_the_end_of_the_day() -> None:
    evening = weekly(restrictions=[{"days": ["monday"], "start": "18:00", "end": "24:00"}])
    timeline = shifts(schedule(evening), utc("2026-01-05T00:00Z"), utc("2026-01-07T00:00Z"))
    assert [(s.start, s.end) for s in timeline] == [(utc("2026-01-05T18:00+01:00"), utc("2026-01-06T00:00+01:00"))]
