"""iCalendar export of on-call shifts, per schedule or per person, for any calendar app to subscribe to.

Times are written in UTC, so no client has to agree with us on zone rules; each event's UID is derived
from what it is (schedule, person, start, layer), so re-importing an updated file replaces events
instead of duplicating them. Only names go in: never contacts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from ..models import Person, Schedule
from .render import Shift

if TYPE_CHECKING:  # icalendar is imported by the export alone, not by every on-call command
    from icalendar import Event

PRODID = "-//Watchbill//On-call//EN"


def _uid(shift: Shift) -> str:
    key = f"{shift.schedule}|{shift.person}|{shift.start.isoformat()}|{shift.layer}|{shift.override}"
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@watchbill"


def _event(shift: Shift, people: Mapping[str, Person], schedules: Mapping[str, Schedule], now: datetime) -> Event:
    from icalendar import Event

    person = people.get(shift.person)
    schedule = schedules.get(shift.schedule)
    who = person.name if person else shift.person
    where = schedule.name if schedule else shift.schedule
    event = Event()
    event.add("uid", _uid(shift))
    event.add("dtstamp", now)
    event.add("dtstart", shift.start)
    event.add("dtend", shift.end)
    event.add("summary", f"On call: {who} ({where})")
    source = "override" if shift.override else f"layer {shift.layer}"
    event.add("description", f"{who} is on call for {where} ({source}).")
    event.add("categories", ["on-call"])
    event.add("transp", "TRANSPARENT")
    return event


def stream(
    name: str,
    timeline: Iterable[Shift],
    *,
    people: Mapping[str, Person],
    schedules: Mapping[str, Schedule],
    now: datetime,
) -> Iterator[bytes]:
    """The VCALENDAR as it is computed: its head, one VEVENT per shift in the order given, its end."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    empty: bytes = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    yield empty.removesuffix(end)
    for shift in timeline:
        chunk: bytes = _event(shift, people, schedules, now).to_ical()
        yield chunk
    yield end


def calendar(
    name: str,
    timeline: list[Shift],
    *,
    people: Mapping[str, Person],
    schedules: Mapping[str, Schedule],
    now: datetime,
) -> bytes:
    """An RFC 5545 VCALENDAR with one VEVENT per shift, in time order so a diff of two exports reads well."""
    ordered = sorted(timeline, key=lambda s: (s.start, s.schedule, s.person))
    return b"".join(stream(name, ordered, people=people, schedules=schedules, now=now))
