"""Night-time paging load on the on-call report: pages per person per night (22:00-07:00 in the person's own
zone), nights with more than two pages, read from the records' timelines and the data branch's journals."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from support.org_repo import configure, git, make_repo
from support.orgfactory import build_org
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.models import Person, Schedule, TimelineEvent
from watchbill.oncall.report import Page, night_of, night_paging, schedule_report
from watchbill.paging.pages import paged_people, timeline_people
from watchbill.validate import load_organisation

NOW = "2026-11-23T12:00:00Z"
RANGE = ("--from", "2026-11-02", "--to", "2026-11-15")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- the night a page falls in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "zone", "night"),
    [
        ("2026-03-03T21:59:59+01:00", "Europe/Berlin", None),
        ("2026-03-03T22:00:00+01:00", "Europe/Berlin", date(2026, 3, 3)),
        ("2026-03-04T02:30:00+01:00", "Europe/Berlin", date(2026, 3, 3)),
        ("2026-03-04T06:59:59+01:00", "Europe/Berlin", date(2026, 3, 3)),
        ("2026-03-04T07:00:00+01:00", "Europe/Berlin", None),
        # the same instant is daytime in New York (20:30) and night in Berlin (02:30)
        ("2026-03-04T01:30:00Z", "America/New_York", None),
        ("2026-03-04T01:30:00Z", "Europe/Berlin", date(2026, 3, 3)),
        # across the spring change: 02:30 does not exist, 03:30 CEST is still that night
        ("2026-03-29T03:30:00+02:00", "Europe/Berlin", date(2026, 3, 28)),
    ],
)
def test_a_page_belongs_to_the_night_it_interrupts_in_the_persons_own_zone(
    instant: str, zone: str, night: date | None
) -> None:
    assert night_of(utc(instant), zone) == night


def test_pages_are_counted_per_night_and_a_night_with_more_than_two_is_a_bad_one() -> None:
    pages = [
        Page("ann", utc(text), "INC-2026-0001")
        for text in (
            "2026-03-03T23:10:00+01:00",
            "2026-03-04T01:00:00+01:00",
            "2026-03-04T04:00:00+01:00",
            "2026-03-04T12:00:00+01:00",  # daytime
            "2026-03-05T03:00:00+01:00",
            "2026-03-10T03:00:00+01:00",  # after the range
        )
    ]
    paging = night_paging(pages, "Europe/Berlin", utc("2026-03-02T00:00Z"), utc("2026-03-09T00:00Z"))
    assert paging.pages == 5
    assert paging.nights == {date(2026, 3, 3): 3, date(2026, 3, 4): 1}
    assert (paging.night_pages, paging.most_in_a_night, paging.bad_nights) == (4, 3, [(date(2026, 3, 3), 3)])


def test_the_schedule_report_gives_each_person_their_own_night_pages() -> None:
    schedule = Schedule.model_validate(
        {
            "id": "p",
            "name": "P",
            "timezone": "Europe/Berlin",
            "layers": [
                {
                    "name": "Weekly",
                    "start": "2026-01-05T09:00:00+01:00",
                    "members": ["ann", "ben"],
                    "rotation": "weekly",
                    "handoff": {"weekday": "monday", "time": "09:00"},
                }
            ],
        }
    )
    people = {
        "ann": Person(id="ann", name="Ann", timezone="Europe/Berlin"),
        "ben": Person(id="ben", name="Ben", timezone="America/New_York"),
    }
    at = utc("2026-01-07T03:00:00Z")  # 04:00 in Berlin, 22:00 the evening before in New York
    pages = {"ann": [Page("ann", at, "INC-2026-0001")], "ben": [Page("ben", at, "INC-2026-0001")]}
    report = schedule_report(schedule, people, utc("2026-01-05T09:00+01:00"), utc("2026-01-19T09:00+01:00"), pages)
    nights = {load.person: load.paging.nights for load in report.people}
    assert nights == {"ann": {date(2026, 1, 6): 1}, "ben": {date(2026, 1, 6): 1}}


def test_the_people_a_recorded_page_names_are_read_from_its_message() -> None:
    assert timeline_people("Notified alice via email (step 1, round 2).") == ["alice"]
    assert timeline_people("Notified channel slack (step 2, round 1).") == []
    assert timeline_people("Paged alice via email, bob via sms at carol's request: x, y via z") == ["alice", "bob"]
    assert timeline_people("Something else.") == []


def test_a_page_written_by_hand_to_a_schedule_reached_whoever_was_on_call_then(tmp_path: Path) -> None:
    org = load_organisation(build_org(tmp_path), now=utc(NOW), use_cache=False)
    event = TimelineEvent(
        at=utc("2026-11-11T03:02:00Z"), kind="notified", message="Paged the primary by SMS.", target="schedule:primary"
    )
    assert paged_people(org, event) == ["alice"]  # the week of 9 November is alice's
    later = event.model_copy(update={"at": utc("2026-11-17T03:02:00Z")})
    assert paged_people(org, later) == ["bob"]
    assert paged_people(org, event.model_copy(update={"target": "person:bob"})) == ["bob"]


# --- the report, from records and journals ----------------------------------------------------------------


def record(ident: str, timeline: str, *, drill: bool = False) -> str:
    return f"""\
id: {ident}
title: Database errors
severity: SEV-2
status: resolved
services:
  - service: db
    impact: major_outage
detected_by: monitor
started_at: 2026-11-03T20:00:00Z
detected_at: 2026-11-03T20:00:00Z
acknowledged_at: 2026-11-11T03:05:00Z
mitigated_at: 2026-11-11T04:00:00Z
resolved_at: 2026-11-11T05:00:00Z
drill: {"true" if drill else "false"}
updates:
  - at: 2026-11-03T20:05:00Z
    status: investigating
    message: We are looking into database errors.
timeline:
{timeline}"""


PAGES = """\
  - at: 2026-11-10T23:30:00Z
    kind: notified
    message: Notified alice via email (step 1, round 1).
    step: 0
    round: 0
    target: schedule:primary
    via: email
  - at: 2026-11-10T23:30:00Z
    kind: notified
    message: Notified alice via slack (step 1, round 1).
    step: 0
    round: 0
    target: schedule:primary
    via: slack
  - at: 2026-11-11T00:00:00Z
    kind: notified
    message: Notified alice via email (step 1, round 2).
    step: 0
    round: 1
    target: schedule:primary
    via: email
  - at: 2026-11-11T01:00:00Z
    kind: notified
    message: "Paged alice via email, bob via email at bob's request: the replica is down too"
    by: bob
    target: schedule:primary
    via: email
"""

DRILL_PAGE = """\
  - at: 2026-11-12T01:00:00Z
    kind: notified
    message: Notified alice via email (step 1, round 1).
    step: 0
    round: 0
    target: schedule:primary
    via: email
"""


def journal(*lines: dict[str, Any]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


def sent(at: str, person: str, step: int = 0, round_: int = 0, kind: str = "notified") -> dict[str, Any]:
    return {
        "at": at,
        "kind": kind,
        "run": "r1",
        "step": step,
        "round": round_,
        "target": "schedule:primary",
        "via": "email",
        "person": person,
    }


FILES = {
    "incidents/2026/INC-2026-0002.yaml": record("INC-2026-0002", PAGES),
    "incidents/2026/INC-2026-0003.yaml": record("INC-2026-0003", "  []\n"),
    "incidents/2026/INC-2026-0004.yaml": record("INC-2026-0004", DRILL_PAGE, drill=True),
}

JOURNALS = {
    # the send the record's timeline also holds: one page, not two
    "paging/INC-2026-0002.jsonl": journal(sent("2026-11-10T23:30:00Z", "alice")),
    "paging/INC-2026-0003.jsonl": journal(
        sent("2026-11-04T07:59:00Z", "bob", kind="claimed"),
        sent("2026-11-04T08:00:00Z", "bob"),  # 03:00 in New York: the night of 3 November
        sent("2026-11-11T03:00:00Z", "alice", step=1),  # 04:00 in Berlin: alice's fourth page that night
        sent("2026-11-11T03:01:00Z", "bob", step=1, kind="failed"),
    )
    + "{not json\n",
    "paging/INC-2026-0004.jsonl": journal(sent("2026-11-12T01:00:00Z", "alice")),  # a drill
}


def push_data_branch(tmp_path: Path, remote: Path, files: dict[str, str]) -> None:
    data = tmp_path / "data"
    for relative, text in files.items():
        (data / relative).parent.mkdir(parents=True, exist_ok=True)
        (data / relative).write_text(text, encoding="utf-8")
    git(tmp_path, "init", "--quiet", "--initial-branch=watchbill-data", str(data))
    configure(data)
    git(data, "add", "-A")
    git(data, "commit", "--quiet", "-m", "paging journals")
    git(data, "push", "--quiet", str(remote), "watchbill-data")


def report(root: Path, *args: str) -> Any:
    result = CliRunner().invoke(
        app, ["oncall", "report", *RANGE, *args, "--root", str(root)], env={"WATCHBILL_NOW": NOW, "COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result


def people(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (schedule,) = data["schedules"]
    return {p["person"]["id"]: p for p in schedule["people"]}


def test_night_pages_come_from_timelines_and_the_journals_on_the_data_branch_each_page_once(
    tmp_path: Path,
) -> None:
    work, remote = make_repo(tmp_path, FILES)
    push_data_branch(tmp_path, remote, JOURNALS)
    data = json.loads(report(work, "-f", "json").stdout)
    assert data["notes"] == []
    loads = people(data)
    alice, bob = loads["alice"], loads["bob"]
    assert alice["nights"] == [{"night": "2026-11-10", "pages": 4}]
    assert (alice["pages"], alice["night_pages"], alice["nights_paged"]) == (4, 4, 1)
    assert (alice["most_pages_in_a_night"], alice["nights_over_two_pages"]) == (4, 1)
    assert bob["nights"] == [{"night": "2026-11-03", "pages": 1}]
    assert (bob["pages"], bob["night_pages"], bob["nights_over_two_pages"]) == (2, 1, 0)

    text = report(work).stdout
    assert "Night pages  Nights >2 pages" in text
    assert "nights with more than two pages, Alice Example (alice): Tue 2026-11-10 (4)\n" in text
    assert "note:" not in text


def test_without_a_clone_the_timelines_alone_are_read_and_the_report_says_so(tmp_path: Path) -> None:
    root = build_org(tmp_path, FILES)
    data = json.loads(report(root, "-f", "json").stdout)
    [note] = data["notes"]
    assert note.startswith("paging journals on watchbill-data not read (") and "is not a git repository" in note
    assert note.endswith("): night pages from the records' timelines only")
    loads = people(data)
    assert loads["alice"]["nights"] == [{"night": "2026-11-10", "pages": 3}]
    assert loads["alice"]["nights_over_two_pages"] == 1
    assert (loads["bob"]["pages"], loads["bob"]["night_pages"]) == (1, 0)  # 20:00 in New York
    assert "note: paging journals on watchbill-data not read (" in report(root).stdout


def test_a_clone_without_a_data_branch_reads_the_timelines_quietly(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path, FILES)
    data = json.loads(report(work, "-f", "json").stdout)
    assert data["notes"] == []
    assert people(data)["alice"]["night_pages"] == 3
