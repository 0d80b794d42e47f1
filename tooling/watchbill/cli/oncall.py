"""``watchbill oncall``: who is on call, calendars, iCalendar export, the load report and the review diff.

Each command parses its options, asks ``watchbill.oncall`` one question and prints the answer as a table
or, with ``--format json``, as one JSON object (shapes in each command's help).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import AtOption, RemoteOption, RootOption, fail, find_root, instant, organisation, out
from .output import FormatOption, InstantTexts, LocalTimes, emit, stream_json, stream_json_texts

if TYPE_CHECKING:  # the library is imported where a command runs, so 'oncall --help' stays light
    from rich.table import Table

    from ..oncall.diff import Change, Review
    from ..oncall.queries import LoadReport, OnCallNow, Timeline
    from ..oncall.render import Shift
    from ..oncall.report import NightPaging, ScheduleReport
    from ..oncall.search import Stretch
    from ..organisation import Organisation

ScheduleOption = Annotated[str | None, typer.Option("--schedule", "-s", help="Schedule id.", show_default=False)]
ServiceOption = Annotated[
    str | None, typer.Option("--service", help="Service id: its owning schedule.", show_default=False)
]
PersonOption = Annotated[str | None, typer.Option("--person", "-p", help="Person id.", show_default=False)]
FromOption = Annotated[
    str | None,
    typer.Option(
        "--from", help="Start: a date (UTC midnight) or an instant with offset (default: now).", show_default=False
    ),
]
ToOption = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="End: a date (included, to UTC midnight after it) or an instant (default: +28 days).",
        show_default=False,
    ),
]
MAX_RANGE = timedelta(days=732)

oncall_app = typer.Typer(
    help="Who is on call: now or --at an instant, calendars, iCalendar export, load report.",
    invoke_without_command=True,
    no_args_is_help=False,
)


# --- parsing ----------------------------------------------------------------------------------------------


def boundary(text: str | None, default: datetime, *, inclusive_date: bool = False) -> datetime:
    """A date or an instant from the command line; bad input ends the command with a usage error."""
    from ..fields import parse_instant

    if text is None:
        return default
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        try:
            return parse_instant(text).astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            fail(str(exc), code=2)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        return start + timedelta(days=1) if inclusive_date else start
    except OverflowError:
        fail(f"'{text}' is past the last date Watchbill can count to", code=2)


def window(
    start: str | None, end: str | None, default_start: datetime, default_length: timedelta
) -> tuple[datetime, datetime]:
    opens = boundary(start, default_start)
    try:
        default_end = opens + default_length
    except OverflowError:
        default_end = datetime.max.replace(tzinfo=UTC)
    closes = boundary(end, default_end, inclusive_date=True)
    if closes <= opens:
        fail("--to must be after --from", code=2)
    if closes - opens > MAX_RANGE:
        fail("the range is longer than two years; ask for less at a time", code=2)
    return opens, closes


# --- text -------------------------------------------------------------------------------------------------


def local(moment: datetime, zone_name: str) -> str:
    """``moment`` on the wall clock of ``zone_name``: ``Wed 2026-11-25 09:00 CET``."""
    return _clock(zone_name, 0)(moment)


def hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.1f}"


def name_of(org: Organisation, person: str) -> str:
    known = org.people.get(person)
    return f"{known.name} ({person})" if known else person


def _now_text(org: Organisation, answer: OnCallNow) -> None:
    from rich.table import Table

    table = Table(title=f"On call at {answer.at.strftime('%Y-%m-%d %H:%M UTC')}", title_justify="left")
    for column in ("Schedule", "On call", "Layer", "Until", "Next"):
        table.add_column(column)
    for entry in answer.schedules:
        shift, upcoming, tz = entry.current, entry.next, entry.schedule.timezone
        who = name_of(org, shift.person) if shift else "[bold red]nobody[/]"
        layer = ("override" if shift.override else shift.layer) if shift else ""
        until = "" if shift is None else (local(shift.end, tz) if shift.end else "no hand-off ahead")
        table.add_row(entry.schedule.id, who, layer, until, _next_text(org, shift, upcoming, tz))
    out.print(table)


def _next_text(org: Organisation, current: Stretch | None, upcoming: Stretch | None, tz: str) -> str:
    """Who takes over when "Until" says; after a gap, when nobody is on call first."""
    if upcoming is None:
        return "" if current is not None and current.end is None else "nobody"
    following = f"{name_of(org, upcoming.person)} at {local(upcoming.start, tz)}"
    if current is not None and current.end is not None and current.end < upcoming.start:
        return f"nobody, then {following}"
    return following


_CALENDAR_COLUMNS = ("Schedule", "Person", "Start", "End", "Hours", "Layer")
_WHEN_WIDTH = len("Wed 2026-11-25 09:00 +0530")


def _calendar_text(org: Organisation, timeline: Timeline, schedules: list[str]) -> None:
    """One line per shift, written as it is computed; widths come from the organisation, not the rows.

    A year of a thousand schedules is over half a million rows, so a row is one f-string of pieces made
    once (the padded schedule and person, each instant's local text per zone, each length's hours with
    the layer) and rows are written a batch at a time, between schedules.
    """
    person_width = max((len(name_of(org, p)) for p in org.people), default=6)
    widths = (max(8, *map(len, schedules)), max(6, person_width), _WHEN_WIDTH, _WHEN_WIDTH, 6)
    pieces = _RowPieces(org, widths)
    write = sys.stdout.write
    lines = [_row(_CALENDAR_COLUMNS, widths)]
    current = ""
    last_end: datetime | None = None
    end = ""
    for shift in timeline.shifts:
        if shift.schedule != current:  # shifts come schedule by schedule (for a person: in time order)
            current = shift.schedule
            clock = _clock(org.schedules[current].timezone, _WHEN_WIDTH)
            texts, heads = clock.texts, pieces.heads_of(current)
            last_end = None  # another schedule's instant, even the same object, reads in another zone
            if len(lines) >= _BATCH:
                write("".join(lines))
                lines.clear()
        # A shift usually starts at the instant the one before it ended: the same object, the same text.
        start = end if shift.start is last_end else texts.get(shift.start) or clock(shift.start)
        last_end = shift.end
        end = texts.get(last_end) or clock(last_end)
        head = heads.get(shift.person) or pieces.head(shift)
        key = (shift.layer, shift.override, last_end - shift.start)
        lines.append(f"{head}{start}  {end}  {pieces.tails.get(key) or pieces.tail(shift)}")
    if not current:
        lines = ["nobody is on call in that range\n"]
    write("".join(lines))
    sys.stdout.flush()


_BATCH = 512
"""Rows per ``write``, at least."""


class _RowPieces:
    """The parts of calendar rows, each made once, so that a row is ``_row`` of its cells at the cost of a
    few dictionary lookups."""

    def __init__(self, org: Organisation, widths: tuple[int, ...]) -> None:
        self.org, self.widths = org, widths
        self.heads: dict[str, dict[str, str]] = {}
        """Schedule -> person -> the row's first two cells."""
        self.tails: dict[tuple[str, bool, timedelta], str] = {}
        """(layer, override, length) -> the row's last two cells."""

    def heads_of(self, schedule: str) -> dict[str, str]:
        return self.heads.setdefault(schedule, {})

    def head(self, shift: Shift) -> str:
        cells = (shift.schedule, name_of(self.org, shift.person))
        head = "".join(cell.ljust(width) + "  " for cell, width in zip(cells, self.widths[:2], strict=True))
        self.heads_of(shift.schedule)[shift.person] = head
        return head

    def tail(self, shift: Shift) -> str:
        """The hours, two spaces and the layer. A blank layer name leaves the hours unpadded, as ``_row``
        strips a row."""
        layer = ("override" if shift.override else shift.layer).rstrip()
        length = hours(shift.duration)
        tail = f"{length.ljust(self.widths[4])}  {layer}\n" if layer else length + "\n"
        self.tails[shift.layer, shift.override, shift.duration] = tail
        return tail


_PADDED_CLOCKS: dict[tuple[str, int], LocalTimes] = {}


def _clock(zone_name: str, width: int) -> LocalTimes:
    """One clock per zone and width, shared by every schedule in that zone."""
    clock = _PADDED_CLOCKS.get((zone_name, width))
    if clock is None:
        clock = _PADDED_CLOCKS[zone_name, width] = LocalTimes(zone_name, width)
    return clock


def _row(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return "  ".join([*padded, *cells[len(widths) :]]).rstrip() + "\n"


def _report_text(org: Organisation, answer: LoadReport) -> None:
    for report in answer.schedules:  # each printed as soon as it is computed
        picked = org.schedules[report.schedule]
        tz = picked.timezone
        out.print(f"\n[bold]{picked.name}[/] ({picked.id}), {local(answer.start, tz)} to {local(answer.end, tz)}")
        if report.gaps:
            total = sum((g.end - g.start for g in report.gaps), timedelta(0))
            first = report.gaps[0]
            out.print(
                f"[bold red]{len(report.gaps)} coverage gap(s), {hours(total)} h uncovered[/]; first: "
                f"{local(first.start, tz)} to {local(first.end, tz)}"
            )
        else:
            out.print("no coverage gaps")
        _print_unwrapped(_load_table(org, report))
        for share in report.layers:
            split = ", ".join(f"{p} {hours(h)} h" for p, h in share.hours.items())
            out.print(f"layer {share.layer}: balance {share.balance:.2f} ({split})", markup=False)
        for load in report.people:
            bad = ", ".join(f"{night:%a %Y-%m-%d} ({count})" for night, count in load.paging.bad_nights)
            if bad:
                out.print(f"nights with more than two pages, {name_of(org, load.person)}: {bad}", markup=False)
    for note in answer.notes:
        out.print(f"note: {note}", markup=False)


def _print_unwrapped(table: Table) -> None:
    """Never wrapped to the terminal's width: a header split over two lines is unreadable and breaks scripts
    (rich caps a print's width at its console's, so a wider console writes to the same stream)."""
    from rich.console import Console

    Console(file=out.file, width=max(out.width, 160), highlight=False, emoji=False).print(table)


def _load_table(org: Organisation, report: ScheduleReport) -> Table:
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    columns = ("Person", "Shifts", "Hours", "Night h", "Weekend h", "Longest stretch h", "Night hand-offs")
    for column in (*columns, "Night pages", "Nights >2 pages"):
        table.add_column(column, justify="left" if column == "Person" else "right")
    for load in report.people:
        table.add_row(
            name_of(org, load.person),
            str(load.shifts),
            hours(load.total),
            hours(load.night),
            hours(load.weekend),
            hours(load.longest_stretch),
            str(load.night_handoffs),
            str(load.paging.night_pages),
            str(len(load.paging.bad_nights)),
        )
    return table


def _diff_text(org: Organisation, answer: Review, markdown: bool) -> None:
    def who(person: str | None) -> str:
        return name_of(org, person) if person else "nobody"

    def when(change: Change) -> str:
        schedule = org.schedules.get(change.schedule)
        zone_name = schedule.timezone if schedule else "UTC"
        return f"{local(change.start, zone_name)} to {local(change.end, zone_name)}"

    days = answer.days
    if not answer.changes:
        text = f"No change to who is on call in the next {days} days."
        out.print(f"### On-call changes\n\n{text}" if markdown else text, markup=False)
        return
    if markdown:
        lines = ["### On-call changes", "", f"In the next {days} days:", "", "| Schedule | When | Before | After |"]
        lines += ["|---|---|---|---|"]
        lines += [f"| {c.schedule} | {when(c)} | {who(c.before)} | {who(c.after)} |" for c in answer.changes]
        out.print("\n".join(lines), markup=False)
        return
    from rich.table import Table

    table = Table(title=f"On-call changes in the next {days} days", box=None, pad_edge=False)
    for column in ("Schedule", "When", "Before", "After"):
        table.add_column(column)
    for change in answer.changes:
        table.add_row(change.schedule, when(change), who(change.before), who(change.after))
    out.print(table)


# --- JSON -------------------------------------------------------------------------------------------------


def _person(org: Organisation, person: str | None) -> dict[str, Any] | None:
    if person is None:
        return None
    known = org.people.get(person)
    return {"id": person, "name": known.name if known else person}


def _shift(org: Organisation, shift: Shift | None) -> dict[str, Any] | None:
    if shift is None:
        return None
    return {
        "schedule": shift.schedule,
        "person": _person(org, shift.person),
        "start": shift.start,
        "end": shift.end,
        "duration_seconds": shift.duration,
        "layer": None if shift.override else shift.layer,
        "override": shift.override,
    }


def _shift_texts(org: Organisation, timeline: Iterator[Shift]) -> Iterator[str]:
    """Each shift as ``stream_json`` writes ``_shift(org, shift)``, from pieces made once (see _calendar_text)."""
    heads: dict[tuple[str, str], str] = {}
    tails: dict[tuple[str, bool, timedelta], str] = {}
    instant = InstantTexts()
    texts = instant.texts
    last_end: datetime | None = None
    end = ""
    for shift in timeline:
        head = heads.get((shift.schedule, shift.person))
        if head is None:
            head = heads[shift.schedule, shift.person] = _json_head(org, shift)
        start = end if shift.start is last_end else texts.get(shift.start) or instant(shift.start)
        last_end = shift.end
        end = texts.get(last_end) or instant(last_end)
        span = last_end - shift.start
        tail = tails.get((shift.layer, shift.override, span))
        if tail is None:
            tail = tails[shift.layer, shift.override, span] = f"{round(span.total_seconds())}{_json_tail(shift)}"
        yield f'{head}"{start}",\n      "end": "{end}",\n      "duration_seconds": {tail}'


def _json_tail(shift: Shift) -> str:
    layer = "null" if shift.override else _json_text(shift.layer)
    return f',\n      "layer": {layer},\n      "override": {_json_text(shift.override)}\n    }}'


def _json_head(org: Organisation, shift: Shift) -> str:
    person = _person(org, shift.person) or {}
    return (
        f'{{\n      "schedule": {_json_text(shift.schedule)},\n      "person": {{\n'
        f'        "id": {_json_text(person["id"])},\n        "name": {_json_text(person["name"])}\n      }},\n'
        '      "start": '
    )


def _json_text(value: str | bool) -> str:
    return json.dumps(value, ensure_ascii=False)


def _stretch(org: Organisation, stretch: Stretch | None) -> dict[str, Any] | None:
    if stretch is None:
        return None
    return {
        "schedule": stretch.schedule,
        "person": _person(org, stretch.person),
        "start": stretch.start,
        "end": stretch.end,
        "duration_seconds": stretch.duration,
        "layer": None if stretch.override else stretch.layer,
        "override": stretch.override,
    }


def _night_pages_json(paging: NightPaging) -> dict[str, Any]:
    return {
        "pages": paging.pages,
        "night_pages": paging.night_pages,
        "nights_paged": len(paging.nights),
        "most_pages_in_a_night": paging.most_in_a_night,
        "nights_over_two_pages": len(paging.bad_nights),
        "nights": [{"night": night, "pages": count} for night, count in paging.nights.items()],
    }


def _report_json(org: Organisation, report: ScheduleReport) -> dict[str, Any]:
    return {
        "schedule": report.schedule,
        "name": org.schedules[report.schedule].name,
        "gaps": [{"start": g.start, "end": g.end, "duration_seconds": g.end - g.start} for g in report.gaps],
        "uncovered_seconds": sum((g.end - g.start for g in report.gaps), timedelta(0)),
        "people": [
            {
                "person": _person(org, load.person),
                "shifts": load.shifts,
                "total_seconds": load.total,
                "night_seconds": load.night,
                "weekend_seconds": load.weekend,
                "longest_stretch_seconds": load.longest_stretch,
                "night_handoffs": load.night_handoffs,
                **_night_pages_json(load.paging),
            }
            for load in report.people
        ],
        "layers": [
            {"layer": s.layer, "balance": round(s.balance, 4), "on_call_seconds": s.hours} for s in report.layers
        ],
    }


# --- commands ---------------------------------------------------------------------------------------------


def oncall_command(
    ctx: typer.Context,
    schedule: ScheduleOption = None,
    service: ServiceOption = None,
    at: AtOption = None,
    root: RootOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Who is on call now (or --at an instant), per schedule, until when, and who is next.

    "Until" is when the person on call stops being on call (across layers and overrides), which is when
    "Next" takes over, unless nobody is on call in between.

    JSON: {"at", "schedules": [{"schedule", "name", "timezone", "on_call": STRETCH|null, "next": STRETCH|null}]},
    a STRETCH being {"schedule", "person": {"id", "name"}, "start", "end", "duration_seconds", "layer",
    "override"}: one person's continuous time on call; "end" and "duration_seconds" are null when no hand-off
    lies ahead; "layer" is what puts them on call at "at" (for "next", at its start).
    """
    if ctx.invoked_subcommand is not None:
        given = [
            name
            for name, value in (
                ("--schedule", schedule),
                ("--service", service),
                ("--at", at),
                ("--root", root),
                ("--format", None if fmt == "text" else fmt),
            )
            if value is not None
        ]
        if given:
            fail(
                f"{', '.join(given)} before '{ctx.invoked_subcommand}' would be ignored; put the options after it "
                f"(see 'watchbill oncall {ctx.invoked_subcommand} --help')",
                code=2,
            )
        return
    moment = instant(at)
    org = organisation(root, moment)
    from ..oncall.queries import who_is_on_call

    answer = who_is_on_call(org, at=moment, schedule=schedule, service=service)
    data = {
        "at": answer.at,
        "schedules": [
            {
                "schedule": e.schedule.id,
                "name": e.schedule.name,
                "timezone": e.schedule.timezone,
                "on_call": _stretch(org, e.current),
                "next": _stretch(org, e.next),
            }
            for e in answer.schedules
        ],
    }
    emit(fmt, data, lambda: _now_text(org, answer))


def calendar_command(
    start: FromOption = None,
    end: ToOption = None,
    schedule: ScheduleOption = None,
    person: PersonOption = None,
    root: RootOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Every shift in a range, as a table in each schedule's own time zone.

    Rows are written as they are computed: schedule by schedule (in id order), each in time order; with
    --person, that person's shifts in time order across schedules.

    JSON: {"from", "to", "shifts": [SHIFT]} in that order (SHIFT as in 'watchbill oncall --help').
    """
    now = instant(None)
    org = organisation(root, now)
    opens, closes = window(start, end, now, timedelta(days=28))
    from ..oncall.queries import shift_calendar
    from ..validate.cache import pause_collector

    answer = shift_calendar(org, start=opens, end=closes, schedule=schedule, person=person)
    with pause_collector():  # a million shifts and pieces, not one reference cycle among them
        if fmt == "json":
            stream_json_texts({"from": answer.start, "to": answer.end}, "shifts", _shift_texts(org, answer.shifts))
        else:
            _calendar_text(org, answer, [schedule] if schedule else list(org.schedules))


def ical_command(
    schedule: ScheduleOption = None,
    person: PersonOption = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Start (default: 7 days ago).", show_default=False)
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="End (default: 90 days ahead).", show_default=False)] = None,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of standard output.")
    ] = None,
    root: RootOption = None,
) -> None:
    """An iCalendar file of a schedule's shifts (--schedule) or of one person's (--person)."""
    now = instant(None)
    org = organisation(root, now)
    opens = boundary(start, now - timedelta(days=7))
    closes = boundary(end, now + timedelta(days=90), inclusive_date=True)
    if closes <= opens:
        fail("--to must be after --from", code=2)
    from ..oncall.queries import ical_export

    export = ical_export(org, start=opens, end=closes, now=now, schedule=schedule, person=person, out=output)
    if output is None:
        for chunk in export.chunks:  # event by event, as computed
            sys.stdout.write(chunk)
        sys.stdout.flush()
    else:
        out.print(f"wrote {export.events} shift(s) to {output}", markup=False)


def report_command(
    start: FromOption = None,
    end: ToOption = None,
    schedule: ScheduleOption = None,
    root: RootOption = None,
    fmt: FormatOption = "text",
    remote: RemoteOption = "origin",
) -> None:
    """Coverage gaps, hours per person (night and weekend apart), longest stretch, night hand-offs, night pages.

    Night pages are the pages that reached the person between 22:00 and 07:00 in their own zone, from the
    records' timelines and the paging journals on the data branch; a bad night has more than two.

    JSON: {"from", "to", "notes", "schedules": [{"schedule", "name", "gaps": [{"start", "end",
    "duration_seconds"}], "uncovered_seconds", "people": [{"person": {"id", "name"}, "shifts", "total_seconds",
    "night_seconds", "weekend_seconds", "longest_stretch_seconds", "night_handoffs", "pages", "night_pages",
    "nights_paged", "most_pages_in_a_night", "nights_over_two_pages", "nights": [{"night" (the date it
    begins), "pages"}]}], "layers": [{"layer", "balance", "on_call_seconds": {person id: seconds}}]}]}.
    """
    from ..paging.pages import paged_load_report  # reads git: loaded only for this command

    now = instant(None)
    org = organisation(root, now)
    opens, closes = window(start, end, now, timedelta(days=28))
    answer = paged_load_report(org, start=opens, end=closes, schedule=schedule, remote=remote)
    if fmt == "json":
        head = {"from": answer.start, "to": answer.end, "notes": list(answer.notes)}
        stream_json(head, "schedules", (_report_json(org, r) for r in answer.schedules))
    else:
        _report_text(org, answer)


def diff_command(
    base: Annotated[str, typer.Option("--base", help="Git revision to compare with.")] = "origin/main",
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="How far ahead to compare.")] = 14,
    markdown: Annotated[bool, typer.Option("--markdown", help="Markdown for a job summary.")] = False,
    at: AtOption = None,
    root: RootOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Who would be on call differently than at --base: run it on a schedule pull request.

    Reads only schedules and people, at --base from git's object store and here from the work tree; a
    schedule or roster file with an error here stops it ('watchbill validate' checks everything else).

    JSON: {"at", "base", "days", "changes": [{"schedule", "start", "end", "before": PERSON|null,
    "after": PERSON|null}]}, a PERSON being {"id", "name"}; null means nobody.
    """
    if markdown and fmt == "json":
        fail("give --markdown or --format json, not both", code=2)
    now = instant(at)
    from ..revision import review_schedules

    compared = review_schedules(find_root(root), base, now=now, days=days)
    org, answer = compared.current, compared.review
    data = {
        "at": answer.at,
        "base": base,
        "days": answer.days,
        "changes": [
            {
                "schedule": c.schedule,
                "start": c.start,
                "end": c.end,
                "before": _person(org, c.before),
                "after": _person(org, c.after),
            }
            for c in answer.changes
        ],
    }
    emit(fmt, data, lambda: _diff_text(org, answer, markdown))


def register(app: typer.Typer) -> None:
    oncall_app.callback()(oncall_command)
    oncall_app.command("calendar")(calendar_command)
    oncall_app.command("ical")(ical_command)
    oncall_app.command("report")(report_command)
    oncall_app.command("diff")(diff_command)
    app.add_typer(oncall_app, name="oncall")
