"""The on-call questions people and workflows ask: who now, which shifts in a range, an export, the load.

Each answer is a plain result object; the CLI only formats it, so a workflow step or a chat command can ask
the same question without the command line. Names the organisation does not know are refused here, with
the known ones listed, so every caller gives the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import RequestError, UsageError
from ..files.atomic import write_text_atomic
from ..models import Schedule
from ..organisation import Organisation
from .ical import calendar
from .render import Shift, current_shift, next_shift, shifts
from .report import ScheduleReport, schedule_report

WIDEN = timedelta(days=31)
"""How far past an export's range to render, so shifts cut by its edges are exported whole."""


def _known(kind: str, ident: str, known: list[str]) -> RequestError:
    return RequestError(f"unknown {kind} '{ident}' (known: {', '.join(sorted(known)) or 'none'})")


def pick_schedules(org: Organisation, schedule: str | None = None, service: str | None = None) -> list[Schedule]:
    """The schedule asked for, the one owning ``service``, or all of them in id order."""
    if schedule is not None and service is not None:
        raise UsageError("give --schedule or --service, not both")
    if service is not None:
        if service not in org.services:
            raise _known("service", service, list(org.services))
        schedule = org.services[service].owner
    if schedule is not None:
        if schedule not in org.schedules:
            raise _known("schedule", schedule, list(org.schedules))
        return [org.schedules[schedule]]
    if not org.schedules:
        raise RequestError("no schedules defined under schedules/")
    return [org.schedules[k] for k in sorted(org.schedules)]


def _check_person(org: Organisation, person: str | None) -> None:
    if person is not None and person not in org.people:
        raise RequestError(f"unknown person '{person}'")


@dataclass(frozen=True)
class OnCall:
    schedule: Schedule
    current: Shift | None
    """None: nobody is on call (a coverage gap)."""
    next: Shift | None


@dataclass(frozen=True)
class OnCallNow:
    at: datetime
    schedules: list[OnCall]


def who_is_on_call(
    org: Organisation, *, at: datetime, schedule: str | None = None, service: str | None = None
) -> OnCallNow:
    """Per schedule: the shift in progress at ``at`` with its true end, and who takes over after it."""
    picked = pick_schedules(org, schedule, service)
    return OnCallNow(at, [OnCall(s, current_shift(s, at), next_shift(s, at)) for s in picked])


@dataclass(frozen=True)
class Timeline:
    start: datetime
    end: datetime
    shifts: list[Shift]


def shift_calendar(
    org: Organisation, *, start: datetime, end: datetime, schedule: str | None = None, person: str | None = None
) -> Timeline:
    """Every shift in ``[start, end)``, cut at its edges, in time order across schedules."""
    _check_person(org, person)
    timeline = [
        s
        for picked in pick_schedules(org, schedule)
        for s in shifts(picked, start, end)
        if person is None or s.person == person
    ]
    return Timeline(start, end, sorted(timeline, key=lambda s: (s.start, s.schedule)))


@dataclass(frozen=True)
class CalendarExport:
    title: str
    shifts: list[Shift]
    text: str
    """The iCalendar file."""
    written_to: Path | None = None


def ical_export(
    org: Organisation,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    schedule: str | None = None,
    person: str | None = None,
    out: Path | None = None,
) -> CalendarExport:
    """One schedule's shifts or one person's, as iCalendar; written atomically to ``out`` when given."""
    if (schedule is None) == (person is None):
        raise UsageError("give exactly one of --schedule or --person")
    _check_person(org, person)
    picked = pick_schedules(org, schedule)
    title = f"On call: {org.people[person].name}" if person is not None else f"On call: {picked[0].name}"
    # Whole shifts, not ones cut at the range's edges: an event's UID follows its start.
    timeline = [
        s
        for sched in picked
        for s in shifts(sched, start - WIDEN, end + WIDEN)
        if s.end > start and s.start < end and (person is None or s.person == person)
    ]
    text = calendar(title, timeline, people=org.people, schedules=org.schedules, now=now).decode("utf-8")
    if out is not None:
        write_text_atomic(out, text)  # raises OutputError with the reason
    return CalendarExport(title, timeline, text, out)


@dataclass(frozen=True)
class LoadReport:
    start: datetime
    end: datetime
    schedules: list[ScheduleReport]


def load_report(org: Organisation, *, start: datetime, end: datetime, schedule: str | None = None) -> LoadReport:
    """Coverage gaps and each person's load, per schedule, over ``[start, end)``."""
    picked = pick_schedules(org, schedule)
    return LoadReport(start, end, [schedule_report(s, org.people, start, end) for s in picked])
