"""The pages that reached people, for the on-call report's night-time paging load.

Two places record a page, and a send may be in both:

- the record's own timeline: ``notified`` events written by ``escalate run`` in a plain folder or on the
  incident's branch (``Notified alice via sms (step 1, round 1).``), and pages sent by hand with ``/page``
  (``Paged alice via sms, bob via sms at carol's request``); an event written by hand that names nobody this
  way but targets a schedule (``Paged the primary``) reached whoever that schedule had on call then;
- the incident's paging journal on the data branch (``paging/INC-….jsonl``, see :mod:`.journal`): every
  ``notified`` line names the person, for records on the base branch and on incident branches alike.

A page is counted once per person and escalation step and round (the channels of one send wake a person
once, and a send recorded in both places is one page); a page by hand, which has no step, once per person
and instant. Drills are left out, as from every other figure. Only incidents that were open during the
range are read (their journals one by one), so the work grows with the incidents of the range, not with the
organisation's history. Without a clone or a data branch, the timelines alone are read, and the report
says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..fields import parse_instant
from ..forge.git import GitError, Repository
from ..models import Incident, TimelineEvent
from ..oncall import on_call
from ..oncall.queries import LoadReport, load_report, pick_schedules
from ..oncall.report import Page
from ..organisation import Organisation
from ..state.logfile import text_lines
from . import journal

_NOTIFIED = re.compile(r"^Notified (?P<person>\S+) via ")
_PAGED = re.compile(r"(?:^Paged |, )(?P<person>\S+) via ")
SLACK = timedelta(days=1)
"""Pages may follow a record's resolution by a little (a pass already under way): read a day beyond it."""

PageKey = tuple[str, str, object, object]


@dataclass
class PagesSent:
    """Pages per person within a range, in time order, and what could not be read."""

    by_person: dict[str, list[Page]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass
class _Collector:
    start: datetime
    end: datetime
    seen: set[PageKey] = field(default_factory=set)
    pages: list[Page] = field(default_factory=list)

    def add(self, person: str, at: datetime, incident: str, step: object, round_: object) -> None:
        if not self.start <= at < self.end:
            return
        by_hand = not isinstance(step, int) or step < 0
        key: PageKey = (incident, person, at, None) if by_hand else (incident, person, step, round_)
        if key not in self.seen:
            self.seen.add(key)
            self.pages.append(Page(person, at, incident))


def open_during(incident: Incident, start: datetime, end: datetime) -> bool:
    """Whether the incident could have paged anyone in ``[start, end)``."""
    closed = incident.resolved_at
    return incident.started_at < end and (closed is None or closed + SLACK >= start)


def timeline_people(message: str) -> list[str]:
    """Who a ``notified`` event's message names: one person for escalation, one or more for a page by hand."""
    match = _NOTIFIED.match(message)
    if match:
        person = match.group("person")
        return [] if person == "channel" else [person]
    if message.startswith("Paged "):
        head = message.split(" at ", 1)[0]  # the reason after "at X's request" is free text
        return [m.group("person") for m in _PAGED.finditer(head) if m.group("person") != "channel"]
    return []


def paged_people(org: Organisation, event: TimelineEvent) -> list[str]:
    """The people a ``notified`` event reached: its person target, the people its message names, else (a
    record written by hand: "Paged the primary (Lena Fischer)") whoever its schedule target had on call."""
    target = event.target or ""
    kind, _, ident = target.partition(":")
    if kind == "person":
        return [ident]
    named = timeline_people(event.message)
    if named or kind != "schedule" or ident not in org.schedules:
        return named
    return on_call(org.schedules[ident], event.at)


def _from_timeline(collect: _Collector, org: Organisation, incident: Incident) -> None:
    for event in incident.timeline:
        if event.kind == "notified" and collect.start <= event.at < collect.end:
            for person in paged_people(org, event):
                collect.add(person, event.at, incident.id, event.step, event.round)


def _from_journal(collect: _Collector, incident_id: str, raw: bytes) -> None:
    """The journal's ``notified`` lines; damaged ones are skipped (``escalate run`` reports them)."""
    for _, line in text_lines(raw):
        try:
            data = json.loads(line or "null")
            if not isinstance(data, dict) or data.get("kind") != "notified":
                continue
            person, at = data.get("person"), parse_instant(data["at"])
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(person, str):
            collect.add(person, at, incident_id, data.get("step"), data.get("round"))


def _journals(
    org: Organisation, wanted: Callable[[str], bool], remote: str
) -> tuple[Iterator[tuple[str, bytes]], str | None]:
    """The journals of the incidents ``wanted`` lets through, read one at a time as they are consumed."""
    branch = org.settings.data_branch
    try:
        repo = Repository(org.root, remote=remote)
        head = repo.fetch(branch)
    except GitError as exc:
        return iter(()), f"paging journals on {branch} not read ({exc}): night pages from the records' timelines only"
    if head is None:
        return iter(()), None  # no data branch yet: nothing was ever paged through it

    def read(commit: str) -> Iterator[tuple[str, bytes]]:
        for name in repo.names(commit, journal.FOLDER):
            ident = name.removesuffix(".jsonl")
            raw = repo.read(commit, journal.path_of(ident)) if name != ident and wanted(ident) else None
            if raw is not None:
                yield ident, raw

    return read(head), None


def pages_sent(org: Organisation, *, start: datetime, end: datetime, remote: str = "origin") -> PagesSent:
    """Every page that reached a person in ``[start, end)``, from the records and the paging journals."""

    def wanted(ident: str) -> bool:
        # a record the checkout does not hold yet (opened by the probes, its pull request not merged) counts
        known = org.incidents.get(ident)
        return known is None or (not known.drill and open_during(known, start, end))

    collect = _Collector(start, end)
    for incident in org.incidents.values():
        if wanted(incident.id):
            _from_timeline(collect, org, incident)
    journals, note = _journals(org, wanted, remote)
    for ident, raw in journals:
        _from_journal(collect, ident, raw)
    by_person: dict[str, list[Page]] = {}
    for page in sorted(collect.pages, key=lambda p: (p.at, p.incident)):
        by_person.setdefault(page.person, []).append(page)
    return PagesSent(by_person, (note,) if note else ())


def paged_load_report(
    org: Organisation,
    *,
    start: datetime,
    end: datetime,
    schedule: str | None = None,
    remote: str = "origin",
) -> LoadReport:
    """The on-call load report (``oncall.queries.load_report``) with each person's night-time paging load."""
    pick_schedules(org, schedule)  # an unknown name is refused before any git work
    sent = pages_sent(org, start=start, end=end, remote=remote)
    report = load_report(org, start=start, end=end, schedule=schedule, pages=sent.by_person)
    return replace(report, notes=sent.notes)
