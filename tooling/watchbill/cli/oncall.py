"""``watchbill oncall``: who is on call, calendars, iCalendar export and the load report."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..atomic import write_text_atomic
from ..fields import parse_instant, zone
from ..models import Schedule
from ..oncall import Shift, current_shift, next_shift, shifts
from ..oncall.diff import Change, changes
from ..oncall.ical import calendar
from ..oncall.report import schedule_report
from ..organisation import Organisation
from ..revision import RevisionError, export_revision
from ..validate import validate
from .common import AtOption, RootOption, fail, instant, organisation, out

_WIDEN = timedelta(days=31)
ScheduleOption = Annotated[str | None, typer.Option("--schedule", "-s", help="Schedule id.", show_default=False)]
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


def boundary(text: str | None, default: datetime, *, inclusive_date: bool = False) -> datetime:
    """A date or an instant from the command line; bad input ends the command with a usage error."""
    if text is None:
        return default
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        try:
            return parse_instant(text).astimezone(UTC)
        except ValueError as exc:
            fail(str(exc), code=2)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(days=1) if inclusive_date else start


def window(start: str | None, end: str | None, now: datetime, days: int = 28) -> tuple[datetime, datetime]:
    opens = boundary(start, now)
    closes = boundary(end, opens + timedelta(days=days), inclusive_date=True)
    if closes <= opens:
        fail("--to must be after --from", code=2)
    if closes - opens > timedelta(days=732):
        fail("the range is longer than two years; ask for less at a time", code=2)
    return opens, closes


def local(moment: datetime, zone_name: str) -> str:
    return moment.astimezone(zone(zone_name)).strftime("%a %Y-%m-%d %H:%M %Z")


def hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.1f}"


def pick_schedules(org: Organisation, schedule: str | None, service: str | None = None) -> list[Schedule]:
    if schedule is not None and service is not None:
        fail("give --schedule or --service, not both", code=2)
    if service is not None:
        if service not in org.services:
            fail(f"unknown service '{service}' (known: {', '.join(sorted(org.services)) or 'none'})")
        schedule = org.services[service].owner
    if schedule is not None:
        if schedule not in org.schedules:
            fail(f"unknown schedule '{schedule}' (known: {', '.join(sorted(org.schedules)) or 'none'})")
        return [org.schedules[schedule]]
    if not org.schedules:
        fail("no schedules defined under schedules/")
    return [org.schedules[k] for k in sorted(org.schedules)]


def name_of(org: Organisation, person: str) -> str:
    known = org.people.get(person)
    return f"{known.name} ({person})" if known else person


def _now_command(org: Organisation, schedules: list[Schedule], at: datetime) -> None:
    table = Table(title=f"On call at {at.strftime('%Y-%m-%d %H:%M UTC')}", title_justify="left")
    for column in ("Schedule", "On call", "Layer", "Until", "Next"):
        table.add_column(column)
    for schedule in schedules:
        shift = current_shift(schedule, at)
        upcoming = next_shift(schedule, at)
        who = name_of(org, shift.person) if shift else "[bold red]nobody[/]"
        layer = ("override" if shift.override else shift.layer) if shift else ""
        until = local(shift.end, schedule.timezone) if shift else ""
        following = f"{name_of(org, upcoming.person)} at {local(upcoming.start, schedule.timezone)}" if upcoming else ""
        table.add_row(schedule.id, who, layer, until, following)
    out.print(table)


def _calendar_rows(org: Organisation, timeline: list[Shift]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("Schedule", "Person", "Start", "End", "Hours", "Layer"):
        table.add_column(column)
    for shift in timeline:
        zone_name = org.schedules[shift.schedule].timezone
        table.add_row(
            shift.schedule,
            name_of(org, shift.person),
            local(shift.start, zone_name),
            local(shift.end, zone_name),
            hours(shift.duration),
            "override" if shift.override else shift.layer,
        )
    return table


def register(app: typer.Typer) -> None:
    oncall_app = typer.Typer(
        help="Who is on call: now or --at an instant, calendars, iCalendar export, load report.",
        invoke_without_command=True,
        no_args_is_help=False,
    )

    @oncall_app.callback()
    def oncall_command(
        ctx: typer.Context,
        schedule: ScheduleOption = None,
        service: Annotated[
            str | None, typer.Option("--service", help="Service id: its owning schedule.", show_default=False)
        ] = None,
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Who is on call now (or --at an instant), per schedule, until when, and who is next."""
        if ctx.invoked_subcommand is not None:
            given = [
                name
                for name, value in (("--schedule", schedule), ("--service", service), ("--at", at), ("--root", root))
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
        _now_command(org, pick_schedules(org, schedule, service), moment)

    @oncall_app.command("calendar")
    def calendar_command(
        start: FromOption = None,
        end: ToOption = None,
        schedule: ScheduleOption = None,
        person: PersonOption = None,
        root: RootOption = None,
    ) -> None:
        """Every shift in a range, as a table in each schedule's own time zone."""
        now = instant(None)
        org = organisation(root, now)
        opens, closes = window(start, end, now)
        if person is not None and person not in org.people:
            fail(f"unknown person '{person}'")
        timeline = [
            s
            for sched in pick_schedules(org, schedule)
            for s in shifts(sched, opens, closes)
            if person is None or s.person == person
        ]
        timeline.sort(key=lambda s: (s.start, s.schedule))
        if not timeline:
            out.print("nobody is on call in that range", markup=False)
            return
        out.print(_calendar_rows(org, timeline))

    @oncall_app.command("ical")
    def ical_command(
        schedule: ScheduleOption = None,
        person: PersonOption = None,
        start: Annotated[
            str | None, typer.Option("--from", help="Start (default: 7 days ago).", show_default=False)
        ] = None,
        end: Annotated[
            str | None, typer.Option("--to", help="End (default: 90 days ahead).", show_default=False)
        ] = None,
        output: Annotated[
            Path | None, typer.Option("--out", "-o", help="Write to this file instead of standard output.")
        ] = None,
        root: RootOption = None,
    ) -> None:
        """An iCalendar file of a schedule's shifts (--schedule) or of one person's (--person)."""
        if (schedule is None) == (person is None):
            fail("give exactly one of --schedule or --person", code=2)
        now = instant(None)
        org = organisation(root, now)
        opens = boundary(start, now - timedelta(days=7))
        closes = boundary(end, now + timedelta(days=90), inclusive_date=True)
        if closes <= opens:
            fail("--to must be after --from", code=2)
        if person is not None:
            if person not in org.people:
                fail(f"unknown person '{person}'")
            picked_schedules = pick_schedules(org, None)
            title = f"On call: {org.people[person].name}"
        else:
            picked_schedules = pick_schedules(org, schedule)
            title = f"On call: {picked_schedules[0].name}"
        # Whole shifts, not ones cut at the range's edges: an event's UID follows its start.
        timeline = [
            s
            for sched in picked_schedules
            for s in shifts(sched, opens - _WIDEN, closes + _WIDEN)
            if s.end > opens and s.start < closes and (person is None or s.person == person)
        ]
        data = calendar(title, timeline, people=org.people, schedules=org.schedules, now=now).decode("utf-8")
        if output is None:
            typer.echo(data, nl=False)
        else:
            write_text_atomic(output, data)
            out.print(f"wrote {len(timeline)} shift(s) to {output}", markup=False)

    @oncall_app.command("report")
    def report_command(
        start: FromOption = None,
        end: ToOption = None,
        schedule: ScheduleOption = None,
        root: RootOption = None,
    ) -> None:
        """Coverage gaps, hours per person (night and weekend apart), longest stretch, night hand-offs."""
        now = instant(None)
        org = organisation(root, now)
        opens, closes = window(start, end, now)
        for picked in pick_schedules(org, schedule):
            report = schedule_report(picked, org.people, opens, closes)
            out.print(
                f"\n[bold]{picked.name}[/] ({picked.id}), {local(opens, picked.timezone)} to "
                f"{local(closes, picked.timezone)}"
            )
            if report.gaps:
                total = sum((g.end - g.start for g in report.gaps), timedelta(0))
                out.print(
                    f"[bold red]{len(report.gaps)} coverage gap(s), {hours(total)} h uncovered[/]; first: "
                    f"{local(report.gaps[0].start, picked.timezone)} to {local(report.gaps[0].end, picked.timezone)}"
                )
            else:
                out.print("no coverage gaps")
            table = Table(box=None, pad_edge=False)
            for column in ("Person", "Shifts", "Hours", "Night h", "Weekend h", "Longest stretch h", "Night hand-offs"):
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
                )
            out.print(table)
            for share in report.layers:
                split = ", ".join(f"{p} {hours(h)} h" for p, h in share.hours.items())
                out.print(f"layer {share.layer}: balance {share.balance:.2f} ({split})", markup=False)

    @oncall_app.command("diff")
    def diff_command(
        base: Annotated[str, typer.Option("--base", help="Git revision to compare with.")] = "origin/main",
        days: Annotated[int, typer.Option("--days", min=1, max=366, help="How far ahead to compare.")] = 14,
        markdown: Annotated[bool, typer.Option("--markdown", help="Markdown for a job summary.")] = False,
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Who would be on call differently than at --base: run it on a schedule pull request."""
        now = instant(at)
        org = organisation(root, now)
        with tempfile.TemporaryDirectory(prefix="watchbill-base-") as tmp:
            try:
                export_revision(org.root, base, Path(tmp))
            except RevisionError as exc:
                fail(str(exc), code=2)
            before = validate(Path(tmp), now=now, use_cache=False).organisation
        found = changes(before.schedules, org.schedules, now, now + timedelta(days=days))
        _print_changes(org, found, days, markdown)

    app.add_typer(oncall_app, name="oncall")


def _print_changes(org: Organisation, found: list[Change], days: int, markdown: bool) -> None:
    def who(person: str | None) -> str:
        return name_of(org, person) if person else "nobody"

    def when(change: Change) -> str:
        schedule = org.schedules.get(change.schedule)
        zone_name = schedule.timezone if schedule else "UTC"
        return f"{local(change.start, zone_name)} to {local(change.end, zone_name)}"

    if not found:
        text = f"No change to who is on call in the next {days} days."
        out.print(f"### On-call changes\n\n{text}" if markdown else text, markup=False)
        return
    if markdown:
        lines = [
            "### On-call changes",
            "",
            f"In the next {days} days:",
            "",
            "| Schedule | When | Before | After |",
            "|---|---|---|---|",
        ]
        lines += [f"| {c.schedule} | {when(c)} | {who(c.before)} | {who(c.after)} |" for c in found]
        out.print("\n".join(lines), markup=False)
        return
    table = Table(title=f"On-call changes in the next {days} days", box=None, pad_edge=False)
    for column in ("Schedule", "When", "Before", "After"):
        table.add_column(column)
    for change in found:
        table.add_row(change.schedule, when(change), who(change.before), who(change.after))
    out.print(table)
