"""Exactly once per step through the data branch: claim, send what was claimed, record how it ended.

Every pass pushes its claims to the data branch before it sends anything, through
:meth:`~watchbill.forge.git.Repository.publish`. When two passes race, the loser's push is rejected and its
claim is replayed on the winner's tip, where the journal (``journal``) now shows those steps in flight: the
replay claims nothing and the loser sends nothing. After sending, one more commit says how each claimed send
ended; a failure releases its claim so the next pass retries it. Nothing here touches the base branch.

Records on the base branch (merged, or declared by a person) are recorded only here. Records that still wait
on their incident branch are claimed here too, and the caller also writes their events to that branch, so
merging the pull request carries the record of who was paged.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..forge.git import GitError, Repository
from ..models import Incident, TimelineEvent
from ..organisation import Organisation
from ..problems import Problem
from . import journal
from . import plan as escalation
from .notify import SendRecord
from .run import (
    IncidentPaging,
    Links,
    check_acknowledgeable,
    check_person,
    events_for,
    plan_pages,
    send_pages,
    skipped_message,
)
from .targets import Reminder, reminders_due


@dataclass
class ClaimedPass:
    """What one pass over some records did; ``events`` per incident are for records kept on a branch."""

    runs: list[IncidentPaging] = field(default_factory=list)
    events: dict[str, list[TimelineEvent]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seen: dict[str, Incident] = field(default_factory=dict)
    """Each open record as escalation saw it (its journal applied): what a follower plans its next wake from."""


@dataclass(frozen=True)
class _Claim:
    """What one record's claim holds: escalation steps (None when acknowledged) and reminders."""

    due: escalation.Due | None
    reminders: list[Reminder]

    @property
    def empty(self) -> bool:
        return not self.reminders and (self.due is None or not (self.due.notifications or self.due.skipped))


def _plan(org: Organisation, found: journal.Journal, seen: Incident, now: datetime, reminders: bool) -> _Claim:
    """What is due for one open record as its journal (``found``) has it: steps, then reminders."""
    due = plan_pages(org, seen, now)[1] if seen.acknowledged_at is None else None
    wanted = reminders_due(org, seen, now, found.reminders_done(now)) if reminders else []
    return _Claim(due, wanted)


def read_journals(org: Organisation, repo: Repository, ids: Sequence[str]) -> dict[str, journal.Journal]:
    """The journals as the data branch has them now (one fetch for all)."""
    head = repo.fetch(org.settings.data_branch)
    return {ident: journal.parse(ident, repo.read(head, journal.path_of(ident)) if head else None) for ident in ids}


def _survey(
    org: Organisation,
    repo: Repository,
    records: Sequence[Incident],
    now: datetime,
    reminders: bool,
    result: ClaimedPass,
) -> list[Incident]:
    """Plan every open record as its journal has it (into ``result``); returns the records with something due."""
    journals = read_journals(org, repo, [record.id for record in records])
    wanted: list[Incident] = []
    for record in records:
        found = journals[record.id]
        result.problems.extend(found.problems)
        seen = found.view(record, now)
        if not seen.is_open:
            continue
        result.seen[record.id] = seen
        planned = _plan(org, found, seen, now, reminders)
        if seen.acknowledged_at is None:
            result.runs.append(plan_pages(org, seen, now)[0])
        elif planned.reminders:
            result.runs.append(IncidentPaging(record.id))
        if planned.reminders:
            result.runs[-1].reminders = planned.reminders
        if not planned.empty:
            wanted.append(record)
    return wanted


def page_claimed(
    org: Organisation,
    repo: Repository,
    records: Sequence[Incident],
    now: datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    send_options: Mapping[str, Any] | None = None,
    reminders: bool = False,
    links: Callable[[str], Links] | None = None,
) -> ClaimedPass:
    """Page the open ``records`` whose journal does not say they were acknowledged; with ``reminders``, also
    remind people of overdue updates (``targets``) of every open record. ``links`` per incident id go into
    the messages (where to acknowledge).

    Raises ``GitError`` when the data branch cannot be read; a claim that cannot be pushed is an error in the
    result, and then nothing is sent (a page sent without its claim would be sent again next run)."""
    result = ClaimedPass()
    wanted = _survey(org, repo, records, now, reminders, result)
    if dry_run or not wanted:
        return result
    run = secrets.token_hex(6)
    try:
        claimed = _claim(org, repo, wanted, now, run, reminders)
    except GitError as exc:
        result.errors.append(
            f"nothing was sent: the claims could not be pushed to {org.settings.data_branch} ({exc}); "
            "check that the workflow may push to that branch"
        )
        return result
    outcomes: dict[str, list[SendRecord]] = {}
    by_id = {record.id: record for record in wanted}
    for paging in result.runs:
        claim = claimed.get(paging.incident)
        if claim is None:  # nothing due, or claimed by a pass running at the same time
            paging.planned, paging.skipped, paging.reminders = [], [], []
            continue
        record, due = by_id[paging.incident], claim.due or escalation.Due([], [])
        paging.planned, paging.skipped, paging.reminders = due.notifications, due.skipped, claim.reminders
        link = links(record.id) if links is not None else None
        paging.sent = send_pages(org, record, due.notifications, now, env=env, send_options=send_options, links=link)
        nudges: list[escalation.Notification] = list(claim.reminders)
        paging.reminded = send_pages(org, record, nudges, now, env=env, send_options=send_options, links=link)
        outcomes[record.id] = [*paging.sent, *paging.reminded]
        result.events[record.id] = events_for(paging.sent, due.skipped, now)
    try:
        _record_outcomes(org, repo, outcomes, now, run)
    except GitError as exc:
        result.errors.append(
            f"paged, but the outcome could not be pushed to {org.settings.data_branch} ({exc}); the claims stand "
            f"for {journal.CLAIM_LEASE}, then unconfirmed steps are sent again"
        )
    return result


def _claim(
    org: Organisation, repo: Repository, records: Sequence[Incident], now: datetime, run: str, reminders: bool
) -> dict[str, _Claim]:
    def change(tree: Path) -> dict[str, _Claim]:
        claimed: dict[str, _Claim] = {}
        for record in records:
            found = journal.load(tree, record.id)  # fresh: replayed on a newer tip
            seen = found.view(record, now)
            claim = _plan(org, found, seen, now, reminders)
            if claim.empty or not seen.is_open:
                continue
            due = claim.due or escalation.Due([], [])
            lines = [journal.claim_line(now, run, n) for n in due.notifications]
            lines += [journal.escalated_line(now, f.step, f.round, skipped_message(f)) for f in due.skipped]
            lines += [_reminder_line(now, run, r, "reminder-claimed") for r in claim.reminders]
            journal.append(tree, record.id, lines)
            claimed[record.id] = claim
        return claimed

    def message(claimed: dict[str, _Claim]) -> str:
        return f"paging: claim {', '.join(sorted(claimed))}"

    return repo.publish(org.settings.data_branch, change, message).value


def _record_outcomes(
    org: Organisation, repo: Repository, outcomes: Mapping[str, list[SendRecord]], now: datetime, run: str
) -> None:
    if not any(outcomes.values()):
        return

    def change(tree: Path) -> None:
        for ident, sent in outcomes.items():
            lines = [_outcome_line(now, run, r) for r in sent]
            journal.append(tree, ident, lines)

    tally = sum(1 for sent in outcomes.values() for r in sent if r.ok)
    repo.publish(org.settings.data_branch, change, f"paging: {tally} sent for {', '.join(sorted(outcomes))}")


def _outcome_line(now: datetime, run: str, record: SendRecord) -> dict[str, Any]:
    if isinstance(record.notification, Reminder):
        return _reminder_line(now, run, record.notification, "reminded" if record.ok else "reminder-failed")
    return journal.claim_line(now, run, record.notification, "notified" if record.ok else "failed", record.error)


def _reminder_line(now: datetime, run: str, reminder: Reminder, kind: str) -> dict[str, Any]:
    return journal.reminder_line(now, run, reminder.reminder, reminder.target, reminder.channel, kind)


def acknowledge_on_data_branch(
    org: Organisation, repo: Repository, record: Incident, now: datetime, by: str | None
) -> tuple[Incident, bool]:
    """Acknowledge a record that lives on the base branch: people protect that branch, so the acknowledgement
    is appended to the incident's journal on the data branch, where escalation reads it."""
    check_person(org, by)

    def change(tree: Path) -> tuple[Incident, bool]:
        seen = journal.load(tree, record.id).view(record, now)
        if seen.acknowledged_at is not None:
            return seen, False
        check_acknowledgeable(seen, now)
        journal.append(tree, record.id, [journal.ack_line(now, by)])
        return journal.load(tree, record.id).view(record, now), True

    who = f" by {by}" if by else ""
    published = repo.publish(org.settings.data_branch, change, f"{record.id}: acknowledged{who}")
    return published.value
