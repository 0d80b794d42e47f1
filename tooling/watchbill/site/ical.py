"""Maintenance as iCalendar (RFC 5545): one calendar of every window, and one per service.

Readers subscribe in Google Calendar, Outlook or Apple Calendar as they do to Statuspage's and incident.io's
maintenance calendars. A one-off window is one event. A recurring window is one event with a rule when its cron
maps to an ``RRULE`` (minutes and hours as lists, weekdays, days of the month, months, the last day of the month,
the n-th weekday), in its own zone with the zone written out (``VTIMEZONE``); a cron no rule can say (a day of
the month *or* a weekday, every minute) is written as its occurrences over the next 90 days, one event each.
One known difference: a start inside a spring-forward gap (02:30 on the night clocks skip 02:00-03:00) opens
at 03:00 on the page (the first valid minute) and at 03:30 in a calendar (RFC 5545 keeps the offset before the
gap).

UIDs are stable across builds (``MNT-2026-0002@page`` for a window or a series, ``MNT-…-20261201T050000Z@page``
for one spelled-out occurrence), so a calendar updates an event instead of adding it twice. ``DTSTAMP`` is the
record's announcement, not the build time, so an unchanged record writes an unchanged file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import UTC, datetime, timedelta

from croniter import croniter
from icalendar import Calendar, Event

from ..fields import zone
from .urls import public_url
from .views import CalendarEntry, SiteView

CALENDAR_PATH = "feeds/maintenance.ics"
_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
Rule = dict[str, list[int] | list[str] | str]


def service_calendar_path(service_id: str) -> str:
    return f"feeds/{service_id}.ics"


def _values(field: Sequence[int | str]) -> list[int] | None:
    """A cron field's values; None for ``*``; ValueError for anything else (``L`` is handled by the caller)."""
    if list(field) == ["*"]:
        return None
    if not all(isinstance(v, int) for v in field):
        raise ValueError(f"not a plain list: {field}")
    return sorted({int(v) for v in field})


def _days(dom: Sequence[int | str], dow: Sequence[int | str], nth: Mapping[int, Set[int | str]]) -> Rule:
    """The day part of the rule; cron's "day of month OR weekday" has no RRULE form, so both set is an error."""
    if list(dom) == ["l"]:
        days_of_month: list[int] | None = [-1]
    else:
        days_of_month = _values(dom)
    weekdays = _values(dow)
    if days_of_month is not None and weekdays is not None:
        raise ValueError("day of month and weekday both set")
    if weekdays is not None:
        if nth:
            if set(nth) != set(weekdays) or any(len(n) != 1 or "l" in n for n in nth.values()):
                raise ValueError("mixed or last n-th weekdays")
            return {"FREQ": "MONTHLY", "BYDAY": [f"{next(iter(nth[d]))}{_WEEKDAYS[d % 7]}" for d in weekdays]}
        return {"FREQ": "WEEKLY", "BYDAY": sorted({_WEEKDAYS[d % 7] for d in weekdays}, key=_WEEKDAYS.index)}
    if days_of_month is not None:
        return {"FREQ": "MONTHLY", "BYMONTHDAY": days_of_month}
    return {"FREQ": "DAILY"}


def rrule(cron: str) -> Rule | None:
    """The RRULE that fires exactly when ``cron`` does (in the same zone), or None when none does."""
    try:
        (minutes, hours, dom, months, dow), nth = croniter.expand(cron)
        minute = _values(minutes)
        if minute is None:
            return None  # every minute: not a maintenance window anyone means
        hour = _values(hours) or list(range(24))
        rule = _days(dom, dow, nth)
    except (ValueError, TypeError, KeyError):
        return None
    month = _values(months)
    if month is not None:
        rule["BYMONTH"] = month
    rule["BYHOUR"] = hour
    rule["BYMINUTE"] = minute
    return rule


def _uid(site: SiteView, key: str) -> str:
    return f"{key}@{site.page_id}.watchbill"


def _utc_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(site: SiteView, entry: CalendarEntry, start: datetime, end: datetime, uid: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", entry.created_at.astimezone(UTC))
    event.add("summary", f"Maintenance: {entry.title}")
    names = ", ".join(name for _, name in entry.services)
    text = entry.description_text.strip()
    event.add("description", f"Affects {names}." + (f"\n\n{text}" if text else ""))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")  # a status notice, not a meeting: it should not block the reader's time
    event.add("categories", ["Maintenance"])
    if site.site_url:
        event.add("url", public_url(site.site_url, "index.md"))
    return event


def events(site: SiteView, entry: CalendarEntry) -> list[Event]:
    if entry.cron is None:
        return [_event(site, entry, entry.start.astimezone(UTC), entry.end.astimezone(UTC), _uid(site, entry.id))]
    rule = rrule(entry.cron)
    if rule is not None:
        tz = zone(entry.timezone)
        event = _event(site, entry, entry.start.astimezone(tz), entry.end.astimezone(tz), _uid(site, entry.id))
        event.add("rrule", rule)
        return [event]
    return [
        _event(
            site, entry, w.start.astimezone(UTC), w.end.astimezone(UTC), _uid(site, f"{entry.id}-{_utc_key(w.start)}")
        )
        for w in entry.occurrences
    ]


def calendar(site: SiteView, entries: Iterable[CalendarEntry], name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Watchbill//Maintenance calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", site.time_zone)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for entry in entries:
        for event in events(site, entry):
            cal.add_component(event)
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data


def files(site: SiteView) -> dict[str, str | bytes]:
    out: dict[str, str | bytes] = {CALENDAR_PATH: calendar(site, site.calendar, f"{site.title}: maintenance")}
    for service in site.services:
        own = [e for e in site.calendar if any(s == service.id for s, _ in e.services)]
        out[service_calendar_path(service.id)] = calendar(site, own, f"{site.title}: {service.name} maintenance")
    return out
