"""The people's verbs on an incident as library calls: declare, edit, list what needs attention, intake.

The CLI, a workflow step and a pull-request comment handler call these with plain arguments and get a result
object back; nothing here prints or exits. Every verb loads the organisation from ``root`` and writes the
record round-trip (comments and key order kept, validated, atomic). Given a :class:`Remote`, the write goes
to a scratch tree of the incident's branch instead, which is committed, pushed, and proposed as a pull
request, so the person's own checkout is never touched. Declaring from the CLI and from a reported issue
share one path (:func:`_create`), so both refuse an id the base branch took meanwhile in the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from .. import metrics
from ..errors import DataError, RequestError, WatchbillError
from ..files.kinds import KINDS
from ..files.yamledit import EditError, create_record, edit_record
from ..forge.git import Published, Repository
from ..forge.github import GitHub, PullRequest
from ..models import Incident, TimelineEvent
from ..organisation import InvalidOrganisation, Organisation
from ..paging.targets import Overdue, overdue
from ..validate import validate
from . import intake as form
from . import ops, publish
from .branches import reserved_ids
from .ids import IncidentId, IncidentIdError, next_free_id

TOLERATED_RULES = frozenset({"postmortem-overdue"})
"""Errors that must not stop people from acting: an overdue postmortem is exactly what they come to fix."""


@dataclass(frozen=True)
class Remote:
    """Send the change as a pull request: the token and repository are read from ``environ`` (see
    :func:`watchbill.incidents.publish.connect`) before anything is written, so a missing token stops early."""

    environ: Mapping[str, str]
    signed_at: datetime
    """The wall clock, not the ``now`` the record is written at: a GitHub App's token request is signed with it."""


@dataclass(frozen=True)
class RecordResult:
    """What a declaration or an edit did; ``pull_*`` and ``branch`` are set when it went out as a pull request."""

    incident: Incident
    summary: str
    """One line for the person and the commit message."""
    changed: bool
    file: str | None = None
    """The record's path relative to the root (on the branch, with a remote)."""
    branch: str | None = None
    commit: str | None = None
    """The branch's new tip; None when nothing new was committed."""
    pull_number: int | None = None
    pull_url: str | None = None
    pull_created: bool = False
    postmortem_due: datetime | None = None


@dataclass(frozen=True)
class Attention:
    """What needs people now: open incidents, postmortems still due, overdue action items."""

    at: datetime
    open_incidents: list[Incident]
    postmortems: list[ops.PendingPostmortem]
    overdue_action_items: list[ops.OverdueAction]
    missed_reviews: list[ops.MissedReview] = field(default_factory=list)
    targets: dict[str, list[metrics.TargetCheck]] = field(default_factory=dict)
    """Open incident id -> its severity's targets against what happened so far."""
    overdue: dict[str, list[Overdue]] = field(default_factory=dict)
    """Open incident id -> what its severity's targets say is overdue now (``paging.targets``)."""


@dataclass(frozen=True)
class IntakeResult:
    """How one reported issue was handled; ``reasons`` were written back to the reporter when rejected."""

    issue: int
    action: Literal["ignored", "already_handled", "rejected", "declared"]
    reasons: tuple[str, ...] = ()
    declared: RecordResult | None = None


# ---------------------------------------------------------------- loading and connecting


def load(root: Path, now: datetime, *, use_cache: bool = True) -> Organisation:
    """The organisation to act on; errors other than :data:`TOLERATED_RULES` refuse the action.

    Records are not judged against ``now`` (``--at``): the operation checks the record it changes, so a
    past incident can be entered with its real dates in an organisation holding later ones.
    """
    report = validate(root, now=now, use_cache=use_cache, clock=False)
    blocking = [p for p in report.errors if p.rule not in TOLERATED_RULES]
    if blocking:
        raise InvalidOrganisation(blocking)
    return report.organisation


@contextmanager
def _connected(root: Path, remote: Remote) -> Iterator[tuple[Repository, GitHub]]:
    repo, github = publish.connect(root, remote.environ, now=remote.signed_at)
    try:
        yield repo, github
    finally:
        github.close()


def _in(tree: Path, root: Path, org: Organisation, now: datetime) -> Organisation:
    """The organisation as the tree being written holds it: a scratch tree is the remote's newer state."""
    return org if tree == root else load(tree, now, use_cache=False)


# ---------------------------------------------------------------- declare


def _create(tree: Path, org: Organisation, incident: Incident) -> str:
    """Write a new record into ``tree``; an id the tree already holds is refused, never overwritten."""
    ident = IncidentId.parse(incident.id)
    base = org.settings.lifecycle.base_branch
    if incident.id in org.incidents:
        raise IncidentIdError(f"{incident.id} is already taken on {base} (this checkout is behind it); pull, run again")
    try:
        create_record(tree / ident.path, tree, incident, KINDS["incident"].schema_file)
    except FileExistsError:
        raise IncidentIdError(f"{ident.path} already exists; someone declared at the same moment, run again") from None
    except EditError as exc:
        raise DataError("the new record would not be valid; nothing was written", problems=exc.problems) from None
    return ident.path


def _propose(
    root: Path,
    org: Organisation,
    incident: Incident,
    *,
    now: datetime,
    repo: Repository,
    github: GitHub,
    message: str,
    extra: str = "",
) -> RecordResult:
    """Push the new record to its branch (from the base branch's tip) and open its pull request."""
    ident = IncidentId.parse(incident.id)

    def write(tree: Path) -> str:
        return _create(tree, _in(tree, root, org, now), incident)

    pushed = publish.push(repo, org.settings, ident, write, message)
    pull, created = publish.open_pull(github, org.settings, incident, extra)
    return RecordResult(
        incident,
        f"Declared {incident.id}: {incident.title}",
        changed=True,
        file=pushed.value,
        branch=ident.branch(org.settings.lifecycle.branch_prefix),
        commit=pushed.commit if pushed.changed else None,
        pull_number=pull.number,
        pull_url=pull.url,
        pull_created=created,
    )


def declare(root: Path, request: ops.Declaration, *, now: datetime, remote: Remote | None = None) -> RecordResult:
    """A new incident with the next free id: written into ``root``, or proposed as a pull request."""
    org = load(root, now)
    if remote is None:
        incident = ops.declare(org, request, now=now, ident=str(next_free_id(org, now.year)))
        written = _create(root, org, incident)
        return RecordResult(incident, f"Declared {incident.id}: {incident.title}", changed=True, file=written)
    with _connected(root, remote) as (repo, github):
        taken = reserved_ids(repo, org.settings.lifecycle.branch_prefix)
        incident = ops.declare(org, request, now=now, ident=str(next_free_id(org, now.year, taken)))
        message = f"Declare {incident.id}: {incident.title}"
        return _propose(root, org, incident, now=now, repo=repo, github=github, message=message)


# ---------------------------------------------------------------- edit


@dataclass(frozen=True)
class _Edited:
    org: Organisation
    incident: Incident
    summary: str | None
    """None when the request changed nothing."""
    file: str | None = None


def _apply(tree: Path, org: Organisation, ident: str, request: ops.EditRequest, now: datetime) -> _Edited:
    incident = ops.find(org, ident)
    change = ops.edit_for(org, incident, request, now=now)
    if not change:
        return _Edited(org, incident, None)
    path = org.incident_path(incident.id)
    relative = path.relative_to(org.root).as_posix()
    try:
        updated, _ = edit_record(tree / relative, Incident, change.apply, display=relative)
    except EditError as exc:
        message = f"{incident.id} was not changed: the edit would make the record invalid"
        raise DataError(message, problems=exc.problems) from None
    return _Edited(org, updated, change.summary, relative)


def edit(
    root: Path, incident_id: str, request: ops.EditRequest, *, now: datetime, remote: Remote | None = None
) -> RecordResult:
    """Update, assign, resolve or scaffold the postmortem: one path for every change to an existing record.

    With a remote the record may exist only on its branch (its pull request not merged yet)."""
    org = load(root, now)
    if remote is None:
        edited = _apply(root, org, incident_id, request, now)
        return _result(edited)
    try:
        ident = IncidentId.parse(ops.find(org, incident_id).id)
    except ops.OperationError:
        ident = IncidentId.parse(incident_id)  # it may exist only on its branch, not yet merged
    with _connected(root, remote) as (repo, github):

        def change(tree: Path) -> _Edited:
            return _apply(tree, _in(tree, root, org, now), str(ident), request, now)

        pushed = publish.push(repo, org.settings, ident, change, lambda edited: edited.summary or "", github=github)
        edited = pushed.value
        if edited.summary is None:
            return _result(edited)
        pull, created = publish.open_pull(github, edited.org.settings, edited.incident)
        branch = ident.branch(org.settings.lifecycle.branch_prefix)
        return _result(edited, branch=branch, pushed=pushed, pull=pull, created=created)


def _result(
    edited: _Edited,
    *,
    branch: str | None = None,
    pushed: Published[_Edited] | None = None,
    pull: PullRequest | None = None,
    created: bool = False,
) -> RecordResult:
    incident = edited.incident
    return RecordResult(
        incident,
        edited.summary or f"{incident.id}: nothing to change",
        changed=edited.summary is not None,
        file=edited.file,
        branch=branch,
        commit=pushed.commit if pushed is not None and pushed.changed else None,
        pull_number=pull.number if pull else None,
        pull_url=pull.url if pull else None,
        pull_created=created,
        postmortem_due=ops.postmortem_due(edited.org, incident),
    )


# ---------------------------------------------------------------- list


def list_open(root: Path, *, now: datetime) -> Attention:
    org = load(root, now)
    opened = ops.open_incidents(org)
    return Attention(
        now,
        opened,
        ops.pending_postmortems(org, now),
        ops.overdue_action_items(org, now),
        missed_reviews=ops.missed_reviews(org, now),
        overdue={i.id: overdue(org, i, now) for i in opened},
        targets={
            i.id: metrics.target_checks(i, org.severities[i.severity].targets, now)
            for i in opened
            if i.severity in org.severities
        },
    )


# ---------------------------------------------------------------- relate


def relate(
    root: Path, incident_id: str, other_id: str, *, now: datetime, by: str | None = None, remote: Remote | None = None
) -> tuple[RecordResult, RecordResult]:
    """List two incidents under each other's ``related``: both records change (with a remote, both branches)."""
    first = edit(root, incident_id, ops.Relation(other_id, by), now=now, remote=remote)
    second = edit(root, other_id, ops.Relation(first.incident.id, by), now=now, remote=remote)
    return first, second


# ---------------------------------------------------------------- intake


def intake(root: Path, event_file: Path, *, now: datetime, remote: Remote) -> IntakeResult:
    """A submitted "Report an incident" issue becomes an incident pull request, or a comment saying why not.

    Every outcome the reporter must know about is commented on the issue, failures included; a report that
    cannot be used is an expected outcome, not an error. The connection is made only for a labelled issue.
    """
    event = form.read_event(event_file)
    try:
        number = form.issue_number(event)
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    if not form.has_form_label(event):
        return IntakeResult(number, "ignored")
    with _connected(root, remote) as (repo, github):
        comments = github.comments(number)
        if form.was_accepted(comments):
            return IntakeResult(number, "already_handled")
        org = load(root, now)
        try:
            report = form.read_report(event, org, now=now)
        except form.ReportRejected as exc:
            rejection = form.rejected_comment(exc.reasons)
            if not comments or comments[-1] != rejection:  # an edit that changed nothing gets no second copy
                github.comment(number, rejection)
            return IntakeResult(number, "rejected", tuple(exc.reasons))
        try:
            declared = _declare_report(root, org, report, now=now, repo=repo, github=github)
        except WatchbillError as exc:
            github.comment(number, form.rejected_comment([_reason(exc)]))
            exc.args = (f"issue #{number}: {exc}",)  # the same failure, its exit code kept, named for the log
            raise
        pull_url, pull_number = declared.pull_url or "", declared.pull_number or 0
        github.comment(number, form.accepted_comment(declared.incident, pull_url, pull_number, report))
        return IntakeResult(number, "declared", declared=declared)


def _declare_report(
    root: Path, org: Organisation, report: form.IssueReport, *, now: datetime, repo: Repository, github: GitHub
) -> RecordResult:
    ident = next_free_id(org, now.year, reserved_ids(repo, org.settings.lifecycle.branch_prefix))
    incident = ops.declare(org, form.declaration(report), now=now, ident=str(ident))
    note = TimelineEvent(at=now, kind="note", message=form.timeline_note(report))
    incident = incident.model_copy(update={"timeline": [*incident.timeline, note]})
    extra = f"Reported in #{report.issue_number}; the reporter's words are in the record's timeline."
    message = f"Declare {incident.id} from issue #{report.issue_number}"
    return _propose(root, org, incident, now=now, repo=repo, github=github, message=message, extra=extra)


def _reason(exc: WatchbillError) -> str:
    """What the reporter reads; the details stay in the workflow's log."""
    if isinstance(exc, IncidentIdError):
        return (
            "another incident took its id at the same moment, so it was not recorded; please submit the report "
            "again as a new issue"
        )
    if isinstance(exc, ops.OperationError):
        return f"the organisation's files do not allow it: {exc}"
    if isinstance(exc, DataError):
        return "the report could not be stored as a valid record"
    return "it could not be recorded because of a problem on our side; the intake workflow's log has the details"
