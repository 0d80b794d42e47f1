"""The on-call questions people and workflows ask: who now, which shifts in a range, an export, the load.

Each answer is a plain result object; the CLI only formats it, so a workflow step or a chat command can ask
the same question without the command line. Names the organisation does not know are refused here, with
the known ones listed, so every caller gives the same message.

Answers that can be long (a year of shifts for a thousand schedules) are iterators computed as they are read,
one schedule at a time, so memory stays bounded by one schedule's shifts (or, for one person, by that
person's shifts) and the first rows reach the reader before the last are computed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import RequestError, UsageError
from ..files.atomic import write_text_atomic
from ..models import Schedule
from ..organisation import Organisation
from .ical import stream
from .render import Shift, shifts
from .report import Page, ScheduleReport, schedule_report
from .search import Stretch, on_call_stretches, whole


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
    current: Stretch | None
    """Who is on call, since when and until when, across layers and overrides; None: nobody (a gap)."""
    next: Stretch | None
    """Who takes over: from ``current.end`` when someone does at once, later after a gap; None: nobody ever."""


@dataclass(frozen=True)
class OnCallNow:
    at: datetime
    schedules: list[OnCall]


def who_is_on_call(
    org: Organisation, *, at: datetime, schedule: str | None = None, service: str | None = None
) -> OnCallNow:
    """Per schedule: who is on call at ``at`` until they hand over, and who takes over then."""
    picked = pick_schedules(org, schedule, service)
    return OnCallNow(at, [OnCall(s, *on_call_stretches(s, at)) for s in picked])


@dataclass(frozen=True)
class Timeline:
    start: datetime
    end: datetime
    shifts: Iterator[Shift]
    """Computed as read: schedule by schedule in id order, each in time order; one person's in time order."""


def _person_shifts(picked: list[Schedule], start: datetime, end: datetime, person: str) -> list[Shift]:
    """One person's shifts across schedules, in time order (bounded by that person's shifts)."""
    mine = [s for schedule in picked for s in shifts(schedule, start, end) if s.person == person]
    return sorted(mine, key=lambda s: (s.start, s.schedule))


def _schedule_by_schedule(picked: list[Schedule], start: datetime, end: datetime) -> Iterator[Shift]:
    for schedule in picked:
        yield from shifts(schedule, start, end)


def shift_calendar(
    org: Organisation, *, start: datetime, end: datetime, schedule: str | None = None, person: str | None = None
) -> Timeline:
    """Every shift in ``[start, end)``, cut at its edges: per schedule, or one person's in time order."""
    _check_person(org, person)
    picked = pick_schedules(org, schedule)
    if person is not None:
        return Timeline(start, end, iter(_person_shifts(picked, start, end, person)))
    return Timeline(start, end, _schedule_by_schedule(picked, start, end))


@dataclass(frozen=True)
class CalendarExport:
    title: str
    chunks: Iterator[str]
    """The iCalendar file, produced event by event as it is read; empty when written to ``written_to``."""
    written_to: Path | None = None
    events: int = 0
    """How many events were written to ``written_to``."""


def _whole_shifts(picked: list[Schedule], start: datetime, end: datetime, person: str | None) -> list[Shift]:
    # Whole shifts, however long, not ones cut at the range's edges: an event's UID follows its start.
    if person is not None:
        mine = [s for one in picked for s in whole(one, shifts(one, start, end), start, end) if s.person == person]
        return sorted(mine, key=lambda s: (s.start, s.schedule))
    (one,) = picked
    return whole(one, shifts(one, start, end), start, end)


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
    timeline = _whole_shifts(picked, start, end, person)
    chunks = (c.decode("utf-8") for c in stream(title, timeline, people=org.people, schedules=org.schedules, now=now))
    if out is None:
        return CalendarExport(title, chunks)
    write_text_atomic(out, "".join(chunks))  # raises OutputError with the reason
    return CalendarExport(title, iter(()), out, len(timeline))


@dataclass(frozen=True)
class LoadReport:
    start: datetime
    end: datetime
    schedules: Iterator[ScheduleReport]
    """Computed as read, one schedule at a time in id order."""
    notes: tuple[str, ...] = ()
    """What could not be read (e.g. no paging journals: night pages from the records' timelines only)."""


def load_report(
    org: Organisation,
    *,
    start: datetime,
    end: datetime,
    schedule: str | None = None,
    pages: Mapping[str, Sequence[Page]] | None = None,
) -> LoadReport:
    """Coverage gaps and each person's load, per schedule, over ``[start, end)``; ``pages`` by person (see
    ``paging.pages``) adds the night-time paging load."""
    picked = pick_schedules(org, schedule)
    return LoadReport(start, end, (schedule_report(s, org.people, start, end, pages) for s in picked))
