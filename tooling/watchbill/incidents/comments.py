"""Responders act by commenting on the incident's pull request: ``/ack``, ``/update …`` and the rest.

A comment whose first line starts with ``/`` is a command. Each maps to the library use case behind the CLI
verb of the same name (``acknowledge_incident`` for ``/ack``, :func:`~watchbill.incidents.usecases.edit` for
everything that changes the record), is recorded with who (the person whose ``github`` login in
``schedules/people.yaml`` wrote it) and when, and is answered by a reply comment saying what changed and where,
or why not, plus a reaction (``+1`` done, ``confused`` refused).

Semantics (GitHub's ``issue_comment`` event, types created and edited):

- Only people in the roster with a matching ``github`` login (compared without regard to case, as GitHub
  does) may act, and the guests ``policies/settings.yaml`` names under ``comments.guests``, each for the
  commands listed there (a support lead's ``/update``); anyone else gets one polite refusal and nothing
  changes. Bots never command. This is checked offline, against files people review: a team lookup would
  need a token that can read the organisation's members, which a workflow's own token cannot. A guest is not
  a person of the roster, so what a guest changes is recorded without ``by``; the comment log keeps the login
  and a guest's ``/note`` starts with it.
- A comment acts at most once. Every comment that was answered is logged by its id (and a digest of its
  text) in ``comments/<INCIDENT>.jsonl`` on the data branch: a re-delivered event, a re-run job or an edit
  of a comment that already acted changes nothing (an edit is told so, once). The log is claimed before
  acting, through the same push-with-lease path as paging, so two runs at once cannot both act. An edit of
  a refused comment (a typo fixed) is tried again. A run that fails on our side releases its claim. A run
  killed between claiming and answering (a cancelled job, a lost runner) leaves a claim with no outcome: it
  counts as in flight for :data:`CLAIM_LEASE` (15 minutes, as paging's claims), then the next delivery or
  re-run claims it again and acts, exactly once (the new claim is written only if the old one is still the
  last word on the branch's newest tip). Acting twice is possible only when the killed run had already
  changed the record; answering never is the worse failure.
- The comment is read again from GitHub before acting, so a deleted comment does nothing and an edited one
  acts as it reads now. Its text is data: at most :data:`MAX_COMMENT_CHARS`, control characters and
  bidirectional overrides refused, and it never reaches a shell (the workflow passes the event file only).
- Where the change goes: a record whose pull request is open is committed on its incident branch. A record
  already merged lives on the protected base branch, where no machine pushes: ``/ack`` is appended to its
  paging journal on the data branch (where escalation reads it), and every other command commits on the
  incident branch, rebuilt from the base branch, and opens a new pull request for it. The reply says which.
- Comments on the merged pull request keep working, and so do comments on an issue labelled
  :data:`TRACKING_LABEL` whose title starts with the incident's id.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast

from ..errors import RequestError, WatchbillError
from ..fields import format_instant, parse_instant
from ..forge.git import Repository
from ..forge.github import GitHub, IssueComment
from ..models import Incident
from ..models.incident import Status
from ..models.settings import CommentGuest
from ..oncall import on_call
from ..organisation import Organisation
from ..paging import notify
from ..paging.journal import CLAIM_LEASE
from ..paging.plan import Notification
from ..paging.usecases import acknowledge_incident
from ..state.logfile import ends_a_line
from . import ops, publish, usecases
from .branches import BranchRecords
from .ids import IncidentId, IncidentIdError
from .intake import read_event

MAX_COMMENT_CHARS = 6_000
MAX_TEXT_CHARS = 4_000
"""A public update or note; a long post-incident write-up belongs in the postmortem."""
MAX_WORD_CHARS = 100
TRACKING_LABEL = "incident-tracking"
"""An issue with this label and a title starting with an incident id takes commands like the pull request."""
REPLY_MARKER = "<!-- watchbill:comment-reply -->"
LOG_FOLDER = "comments"
ROLE_ALIASES = {role.replace("_", "-"): role for role in ops.ROLE_NAMES} | {"ic": "commander", "tl": "technical_lead"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
"""C0 controls (tab and newlines allowed) and bidirectional overrides, which can disguise text."""
_LOGIN = re.compile(r"^@?([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))$")

Action = Literal["ignored", "repeated", "refused", "done", "failed"]
Decision = Literal["act", "repeat", "in_flight", "edited_after_done"]


class CommandRefused(RequestError):
    """The comment is a command that cannot be carried out; the message is the reply's reason."""


# ---------------------------------------------------------------- parsing a comment into a command


@dataclass(frozen=True)
class Command:
    """One parsed command: its name and arguments; ``text`` is the free text after them."""

    name: str
    text: str = ""
    word: str = ""
    """The first argument where the command has one: a status, severity, role, or page target."""
    who: str = ""
    """The person for ``/assign``: ``@login`` or a person id."""

    @property
    def shown(self) -> str:
        return f"/{self.name}"


USAGE: dict[str, str] = {
    "ack": "/ack",
    "status": "/status identified|investigating|monitoring <public text>",
    "update": "/update <public text>",
    "mitigated": "/mitigated [public text]",
    "resolve": "/resolve [public text]",
    "severity": "/severity SEV-1",
    "assign": "/assign commander|communications|technical_lead|scribe @login",
    "page": "/page <person|@login|schedule> [reason]",
    "note": "/note <internal text>",
}
"""Every command and how to write it; the refusal for an unknown command lists them."""


def normalise(body: str) -> str:
    return unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n")).strip()


def is_command(body: str) -> bool:
    """Whether a comment is meant as a command (its first line starts with ``/``); others are conversation."""
    return normalise(body[: MAX_COMMENT_CHARS * 4]).startswith("/")


def parse(body: str) -> Command:
    """The command a comment gives, or :class:`CommandRefused` saying what is wrong (never echoing hostile text)."""
    text = normalise(body)
    if len(text) > MAX_COMMENT_CHARS:
        raise CommandRefused(
            f"the comment is {len(text):,} characters long; commands take at most {MAX_COMMENT_CHARS:,}"
        )
    if _CONTROL.search(text):
        raise CommandRefused("the comment contains control characters; type the command again as plain text")
    head, _, rest = text.partition("\n")
    word, _, tail = head[1:].strip().partition(" ")
    name = word.strip().lower()
    if name not in USAGE:
        raise CommandRefused(f"`/{name[:20]}` is not a command; the commands are: " + ", ".join(USAGE))
    argument = "\n".join(part for part in (tail.strip(), rest.strip()) if part)
    return _ARGUMENTS[name](name, argument)


def _no_argument(name: str, argument: str) -> Command:
    return Command(name)


def _text(required: bool) -> Callable[[str, str], Command]:
    def parse_text(name: str, argument: str) -> Command:
        if required and not argument:
            raise CommandRefused(f"`/{name}` needs text after it: {USAGE[name]}")
        _limit(argument)
        return Command(name, text=argument)

    return parse_text


def _status(name: str, argument: str) -> Command:
    word, _, text = argument.partition(" ") if " " in argument.split("\n")[0] else argument.partition("\n")
    status = word.strip().lower()
    if status not in ops.OPEN_STATUSES:
        raise CommandRefused(f"the status must be one of {', '.join(ops.OPEN_STATUSES)}: {USAGE[name]}")
    if not text.strip():
        raise CommandRefused(f"`/status` needs the public text after the status: {USAGE[name]}")
    _limit(text)
    return Command(name, text=text.strip(), word=status)


def _severity(name: str, argument: str) -> Command:
    words = argument.split()
    if len(words) != 1 or len(words[0]) > MAX_WORD_CHARS:
        raise CommandRefused(f"name one severity: {USAGE[name]}")
    return Command(name, word=words[0].upper())


def _parse_assign(name: str, argument: str) -> Command:
    words = argument.split()
    if len(words) != 2 or any(len(w) > MAX_WORD_CHARS for w in words):
        raise CommandRefused(f"name one role and one person: {USAGE[name]}")
    role = ROLE_ALIASES.get(words[0].lower().replace("_", "-"))
    if role is None:
        raise CommandRefused(f"the role must be one of {', '.join(ops.ROLE_NAMES)}: {USAGE[name]}")
    return Command(name, word=role, who=words[1])


def _parse_page(name: str, argument: str) -> Command:
    target, _, reason = argument.partition(" ") if " " in argument.split("\n")[0] else argument.partition("\n")
    if not target.strip() or len(target.strip()) > MAX_WORD_CHARS:
        raise CommandRefused(f"name whom to page: {USAGE[name]}")
    _limit(reason)
    return Command(name, text=reason.strip(), word=target.strip())


def _limit(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise CommandRefused(f"the text is {len(text):,} characters long; keep it under {MAX_TEXT_CHARS:,}")


_ARGUMENTS: dict[str, Callable[[str, str], Command]] = {
    "ack": _no_argument,
    "status": _status,
    "update": _text(required=True),
    "mitigated": _text(required=False),
    "resolve": _text(required=False),
    "severity": _severity,
    "assign": _parse_assign,
    "page": _parse_page,
    "note": _text(required=True),
}


# ---------------------------------------------------------------- who may act


def person_for(org: Organisation, login: str) -> str | None:
    """The roster's person whose ``github`` login is ``login`` (GitHub logins ignore case); None for anyone else."""
    wanted = login.strip().lstrip("@").casefold()
    found = [p.id for p in org.people.values() if p.github and p.github.casefold() == wanted]
    return found[0] if len(found) == 1 else None


def guest_for(org: Organisation, login: str) -> CommentGuest | None:
    """The guest ``policies/settings.yaml`` lets act by comment under ``login``; None for anyone else."""
    wanted = login.strip().lstrip("@").casefold()
    return next((g for g in org.settings.comments.guests if g.github.casefold() == wanted), None)


def _named_person(org: Organisation, text: str) -> str | None:
    """``@login`` or a person id -> the person id."""
    if text.startswith("@"):
        return person_for(org, text)
    return text if text in org.people else person_for(org, text)


# ---------------------------------------------------------------- the comment log on the data branch


def log_path(incident_id: str) -> str:
    return f"{LOG_FOLDER}/{incident_id}.jsonl"


def digest(body: str) -> str:
    return hashlib.sha256(normalise(body).encode("utf-8")).hexdigest()[:16]


def read_log(tree: Path, incident_id: str) -> list[dict[str, Any]]:
    """The answered comments logged for an incident; damaged lines are skipped (the rest still counts)."""
    path = tree / log_path(incident_id)
    return parse_log(path.read_bytes() if path.is_file() else None)


def parse_log(raw: bytes | None) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for line in (raw or b"").decode("utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("comment"), int):
            entries.append(entry)
    return entries


def decide(entries: list[dict[str, Any]], comment_id: int, text_digest: str, now: datetime) -> Decision:
    """What to do with a comment at ``now``, given the log: act, stay silent (answered, or being answered), or
    tell an edit that the comment already acted. A claim older than :data:`CLAIM_LEASE` with no outcome was
    left by a run that died: the comment is due again."""
    mine = [e for e in entries if e["comment"] == comment_id]
    if any(e.get("kind") in ("done", "refused") and e.get("digest") == text_digest for e in mine):
        return "repeat"
    if any(e.get("kind") == "done" for e in mine):
        return "edited_after_done"
    if mine and mine[-1].get("kind") == "claimed" and not _expired(mine[-1], now):
        return "in_flight"
    return "act"


def _expired(claim: Mapping[str, Any], now: datetime) -> bool:
    """Whether a claim is past its lease; one with no readable time counts as expired (it would never end)."""
    try:
        claimed_at = parse_instant(str(claim.get("at")))
    except ValueError:
        return True
    return now >= claimed_at + CLAIM_LEASE


def _append(tree: Path, incident_id: str, entry: dict[str, Any]) -> None:
    path = tree / log_path(incident_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = "" if ends_a_line(path) else "\n"
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(prefix + json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class _Entry:
    incident: str
    comment: IssueComment
    command: str | None
    now: datetime

    def line(self, kind: str, **extra: Any) -> dict[str, Any]:
        entry = {"at": format_instant(self.now), "kind": kind, "comment": self.comment.id}
        entry |= {"digest": digest(self.comment.body), "login": self.comment.login, "command": self.command}
        return entry | extra


def _log(
    repo: Repository,
    data_branch: str,
    entry: _Entry,
    kind: str,
    *,
    expect: Decision | None = None,
    **extra: Any,
) -> bool:
    """Append one line. With ``expect`` (a claim, or an answer that needs none) it is written only when
    :func:`decide` still says so on the branch's newest tip, so of two runs at once only one acts or answers.
    Returns whether the line was written."""

    def change(tree: Path) -> bool:
        text_digest = digest(entry.comment.body)
        found = decide(read_log(tree, entry.incident), entry.comment.id, text_digest, entry.now)
        if expect is not None and found != expect:
            return False
        _append(tree, entry.incident, entry.line(kind, **extra))
        return True

    message = f"{entry.incident}: comment {entry.comment.id} {kind}"
    return repo.publish(data_branch, change, message).value


# ---------------------------------------------------------------- carrying a command out


@dataclass(frozen=True)
class Outcome:
    """What a command did: one line for the reply, and where the change went."""

    summary: str
    where: str
    changed: bool = True
    pull_number: int | None = None
    pull_url: str | None = None


@dataclass(frozen=True)
class _Context:
    root: Path
    org: Organisation
    incident: str
    person: str | None
    """The roster's person acting; None for a guest of ``comments.guests``."""
    actor: str
    """Who acts, as replies and notes name them: the person id, or a guest's ``@login``."""
    now: datetime
    remote: usecases.Remote
    thread_url: str
    record: Incident | None
    """The record as its branch (or the base branch) has it, for the page's text."""


def _edit(context: _Context, request: ops.EditRequest) -> Outcome:
    result = usecases.edit(context.root, context.incident, request, now=context.now, remote=context.remote)
    if not result.changed:
        return Outcome(result.summary, "nothing was committed", changed=False)
    commit = f" ({result.commit[:10]})" if result.commit else ""
    where = f"committed on `{result.branch}`{commit}"
    if result.pull_created:
        where += (
            f"; the record was already merged and the base branch is protected, so this change is in a new pull "
            f"request, #{result.pull_number}: merge it to publish the change"
        )
    elif result.pull_number is not None:
        where += f", pull request #{result.pull_number}"
    return Outcome(result.summary, where, pull_number=result.pull_number, pull_url=result.pull_url)


def _ack(context: _Context, command: Command) -> Outcome:
    ack = acknowledge_incident(context.org, context.incident, context.now, by=context.person)
    at = format_instant(ack.acknowledged_at)
    if not ack.changed:
        return Outcome(f"{context.incident} was already acknowledged at {at} by {ack.by or 'someone'}", "", False)
    if ack.branch == context.org.settings.data_branch:
        where = (
            f"recorded in its paging journal on `{ack.branch}` (the record is merged and the base branch is "
            "protected); escalation reads it there"
        )
    else:
        where = f"committed on `{ack.branch}`" if ack.branch else "recorded in the record's file"
    return Outcome(f"{context.incident} acknowledged at {at} by {context.actor}; escalation stops", where)


def _assign(context: _Context, command: Command) -> Outcome:
    person = _named_person(context.org, command.who)
    if person is None:
        raise CommandRefused(
            f"nobody in schedules/people.yaml has the GitHub login or id `{command.who.lstrip('@')[:40]}`"
        )
    return _edit(context, ops.RoleAssignment({command.word: person}, context.person))


def _page_targets(org: Organisation, word: str, now: datetime) -> tuple[str, list[str]]:
    """``person:ID`` or ``schedule:ID`` and the people it reaches now."""
    person = _named_person(org, word)
    if person is not None:
        return f"person:{person}", [person]
    if word in org.schedules:
        people = on_call(org.schedules[word], now)
        if not people:
            raise CommandRefused(f"nobody is on call for schedule `{word}` right now")
        return f"schedule:{word}", people
    raise CommandRefused(f"`{word.lstrip('@')[:40]}` is neither a person (id or @login) nor a schedule")


def _page(context: _Context, command: Command) -> Outcome:
    org, ident, incident = context.org, context.incident, context.record
    target, people = _page_targets(org, command.word, context.now)
    notifications = [
        Notification(ident, 0, 0, target, channel, person, context.now)
        for person in people
        for channel in org.people[person].contacts
        if channel in org.channels
    ]
    if not notifications:
        raise CommandRefused(f"{', '.join(people)} has no contact on any channel in policies/channels.yaml")
    message = _page_message(context, command, incident)
    sent = notify.send(notifications, org, lambda _: message, env=context.remote.environ, now=context.now)
    reached = [r.notification.describe() for r in sent if r.ok]
    if not reached:
        errors = "; ".join(f"{r.notification.describe()}: {r.error}" for r in sent)
        raise _PageFailed(f"the page could not be delivered ({errors})")
    channels = ",".join(dict.fromkeys(r.notification.channel for r in sent if r.ok))
    reason = f": {command.text}" if command.text else ""
    note = f"Paged {', '.join(reached)} at {context.actor}'s request{reason}"
    recorded = _edit(context, ops.InternalNote(note, context.person, "notified", target, channels))
    failed = [f"{r.notification.describe()} ({r.error})" for r in sent if not r.ok]
    summary = f"paged {', '.join(reached)}" + (f"; not reached: {'; '.join(failed)}" if failed else "")
    return Outcome(summary, recorded.where, pull_number=recorded.pull_number, pull_url=recorded.pull_url)


class _PageFailed(WatchbillError):
    """Every send of a ``/page`` failed: a problem on the channels' side, worth trying again."""


def _page_message(context: _Context, command: Command, incident: Incident | None) -> notify.Message:
    head = f"{incident.severity} " if incident else ""
    title = f"[{head}{context.incident}] {context.actor} asks for your help"
    lines = [f"{context.actor} paged you for {context.incident}" + (f": {incident.title}" if incident else ".")]
    if command.text:
        lines.append(f"Why: {command.text}")
    lines.append(f"Join on the pull request: {context.thread_url}")
    return notify.Message(title, "\n".join(lines))


def _dispatch(context: _Context, command: Command) -> Outcome:
    by = context.person
    match command.name:
        case "ack":
            return _ack(context, command)
        case "status":
            return _edit(context, ops.StatusUpdate(command.text, cast(Status, command.word), by))
        case "update":
            return _edit(context, ops.StatusUpdate(command.text, None, by))
        case "mitigated":
            return _edit(context, ops.Mitigation(command.text or None, by))
        case "resolve":
            return _edit(context, ops.Resolution(command.text or None, by))
        case "severity":
            return _edit(context, ops.SeverityChange(command.word, by))
        case "assign":
            return _assign(context, command)
        case "page":
            return _page(context, command)
    text = command.text if context.person is not None else f"{context.actor} (by comment): {command.text}"
    return _edit(context, ops.InternalNote(text, by))


# ---------------------------------------------------------------- replies


def reply_done(login: str, command: Command, outcome: Outcome) -> str:
    where = f"\n\n{outcome.where[0].upper()}{outcome.where[1:]}." if outcome.where else ""
    return f"{REPLY_MARKER}\n@{login} `{command.shown}`: {outcome.summary}.{where}"


def reply_refused(login: str, name: str | None, reason: str) -> str:
    what = f"`/{name}`" if name else "Your command"
    return f"{REPLY_MARKER}\n@{login} {what} was not carried out: {reason}. Nothing was changed."


def reply_stranger(login: str) -> str:
    return (
        f"{REPLY_MARKER}\nThank you, @{login}. Only responders listed in `schedules/people.yaml` with their GitHub "
        "login can act on an incident from here, so nothing was changed. If you should be able to, ask an "
        f"incident commander to add `github: {login}` to your entry."
    )


def reply_not_for_guest(login: str, name: str, guest: CommentGuest) -> str:
    allowed = ", ".join(f"`/{c}`" for c in guest.commands)
    return reply_refused(
        login,
        name,
        f"`policies/settings.yaml` lets @{login} give {allowed} by comment, not `/{name}`; ask a responder "
        "listed in `schedules/people.yaml`",
    )


def reply_edited(login: str) -> str:
    return (
        f"{REPLY_MARKER}\n@{login} this comment already acted, and editing it does not act again; "
        "nothing was changed. Write a new comment for a new command."
    )


def reply_failed(login: str, name: str | None, reason: str) -> str:
    what = f"`/{name}`" if name else "Your command"
    return (
        f"{REPLY_MARKER}\n@{login} {what} could not be carried out because of a problem on our side ({reason}). "
        "Nothing was recorded; post the command again, or re-run the workflow."
    )


# ---------------------------------------------------------------- the use case


@dataclass(frozen=True)
class CommentResult:
    """How one comment was handled; ``reply`` is what was written back (None when nothing was)."""

    comment: int
    number: int
    action: Action
    reason: str = ""
    command: str | None = None
    incident: str | None = None
    person: str | None = None
    where: str | None = None
    reply: str | None = None
    pull_number: int | None = None
    pull_url: str | None = None


@dataclass(frozen=True)
class _Event:
    action: str
    comment: int
    number: int
    is_pull: bool
    labels: tuple[str, ...]
    title: str
    url: str
    body: str
    bot: bool


def read_comment_event(path: Path) -> _Event:
    """The parts of an ``issue_comment`` event payload this needs; anything else is refused as a usage error."""
    event = read_event(path)
    comment, issue = event.get("comment"), event.get("issue")
    if not isinstance(comment, Mapping) or not isinstance(issue, Mapping):
        raise RequestError(f"{path} is not an issue_comment event payload: it has no 'comment' and 'issue'")
    ident, number = _number(comment.get("id")), _number(issue.get("number"))
    if ident is None or number is None:
        raise RequestError(f"{path}: the comment or its issue has no number")
    user = comment.get("user") if isinstance(comment.get("user"), Mapping) else {}
    labels = tuple(str(lb.get("name")) for lb in issue.get("labels") or [] if isinstance(lb, Mapping))
    return _Event(
        action=str(event.get("action") or ""),
        comment=ident,
        number=number,
        is_pull=isinstance(issue.get("pull_request"), Mapping),
        labels=labels,
        title=str(issue.get("title") or ""),
        url=str(issue.get("html_url") or ""),
        body=str(comment.get("body") or ""),
        bot=str(user.get("type") or "") == "Bot",  # type: ignore[union-attr]
    )


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _incident_of(github: GitHub, prefix: str, event: _Event) -> str | None:
    """The incident a thread is about: its pull request's head branch, or a tracking issue's title."""
    if event.is_pull:
        pull = github.pull(event.number)
        found = IncidentId.from_branch(prefix, pull.branch) if pull else None
        return str(found) if found else None
    if TRACKING_LABEL not in event.labels:
        return None
    try:
        return str(IncidentId.parse(event.title.split(":")[0].split()[0])) if event.title.strip() else None
    except IncidentIdError:
        return None


def respond(root: Path, event_file: Path, *, now: datetime, remote: usecases.Remote) -> CommentResult:
    """Carry out the command in a pull-request (or tracking-issue) comment and answer it.

    Refusals are expected outcomes and are answered, not raised; a failure on our side (git, GitHub, every
    page undeliverable) is answered, its claim released, and raised, so the workflow run fails visibly."""
    event = read_comment_event(event_file)
    if event.action not in ("created", "edited"):
        return CommentResult(event.comment, event.number, "ignored", f"the comment was {event.action or 'not sent'}")
    if event.bot or not is_command(event.body):
        return CommentResult(event.comment, event.number, "ignored", "not a command")
    org = usecases.load(root, now)
    repo, github = publish.connect(root, remote.environ, now=remote.signed_at)
    try:
        return _respond(root, org, event, repo, github, now=now, remote=remote)
    finally:
        github.close()


def _respond(
    root: Path,
    org: Organisation,
    event: _Event,
    repo: Repository,
    github: GitHub,
    *,
    now: datetime,
    remote: usecases.Remote,
) -> CommentResult:
    incident = _incident_of(github, org.settings.lifecycle.branch_prefix, event)
    if incident is None:
        return CommentResult(event.comment, event.number, "ignored", "not an incident's pull request or tracking issue")
    comment = github.issue_comment(event.comment)  # as it reads now: deleted, or edited again since
    if comment is None or comment.bot or not is_command(comment.body):
        return CommentResult(event.comment, event.number, "ignored", "deleted, or no longer a command")
    base = CommentResult(event.comment, event.number, "ignored", incident=incident)
    head = repo.fetch(org.settings.data_branch)
    raw = repo.read(head, log_path(incident)) if head else None
    seen = decide(parse_log(raw), comment.id, digest(comment.body), now)
    if seen in ("repeat", "in_flight"):
        return _with(base, action="repeated", reason="already answered" if seen == "repeat" else "being answered")
    name = _name(comment.body)
    thread = _Thread(github, repo, org.settings.data_branch, _Entry(incident, comment, name, now), base)
    if seen == "edited_after_done":
        return thread.refuse(reply_edited(comment.login), "an edit of a comment that acted", seen)
    command = _allowed_command(org, comment, name)
    if not isinstance(command, Command):
        return thread.refuse(*command)
    person = person_for(org, comment.login)
    if not thread.log("claimed", expect="act"):
        return _with(base, action="repeated", reason="another run is answering it")
    thread = replace(thread, base=_with(base, person=person, command=command.name))
    actor = person or f"@{comment.login}"
    record = _record(repo, org, incident)
    context = _Context(root, org, incident, person, actor, now, remote, event.url, record)
    return thread.carry_out(context, command)


def _allowed_command(org: Organisation, comment: IssueComment, name: str | None) -> Command | tuple[str, str]:
    """The command a responder (or a guest, one of theirs) gives; else the reply and the reason refusing it."""
    person = person_for(org, comment.login)
    guest = guest_for(org, comment.login) if person is None else None
    if person is None and guest is None:
        return reply_stranger(comment.login), "not a known responder"
    try:
        command = parse(comment.body)
    except CommandRefused as exc:
        return reply_refused(comment.login, name, str(exc)), str(exc)
    if guest is not None and command.name not in guest.commands:
        return reply_not_for_guest(comment.login, command.name, guest), f"a guest may not give /{command.name}"
    return command


@dataclass(frozen=True)
class _Thread:
    """Answering one comment: the log on the data branch, the reply and the reaction."""

    github: GitHub
    repo: Repository
    data_branch: str
    entry: _Entry
    base: CommentResult

    def log(self, kind: str, *, expect: Decision | None = None, **extra: Any) -> bool:
        return _log(self.repo, self.data_branch, self.entry, kind, expect=expect, **extra)

    def refuse(self, text: str, reason: str, expect: Decision = "act") -> CommentResult:
        """Answer without acting; silent when another run answered meanwhile."""
        if not self.log("refused", expect=expect, reason=reason[:300]):
            return _with(self.base, action="repeated", reason="already answered")
        return self.answer(_with(self.base, action="refused", reason=reason), text, "confused")

    def carry_out(self, context: _Context, command: Command) -> CommentResult:
        """Act on a claimed comment: done, refused (it does not apply), or failed (released, and raised)."""
        login = self.entry.comment.login
        try:
            outcome = _dispatch(context, command)
        except RequestError as exc:
            self.log("refused", reason=str(exc)[:300])
            text = reply_refused(login, command.name, str(exc).rstrip("."))
            return self.answer(_with(self.base, action="refused", reason=str(exc)), text, "confused")
        except WatchbillError as exc:
            self.log("failed", reason=str(exc)[:300])
            self.answer(self.base, reply_failed(login, command.name, str(exc).rstrip(".")), "confused")
            raise
        self.log("done", where=outcome.where[:300])
        done = _with(
            self.base,
            action="done",
            reason=outcome.summary,
            where=outcome.where,
            pull_number=outcome.pull_number,
            pull_url=outcome.pull_url,
        )
        return self.answer(done, reply_done(login, command, outcome), "+1")

    def answer(self, result: CommentResult, text: str, reaction: str) -> CommentResult:
        self.github.react(self.entry.comment.id, reaction)
        self.github.reply(result.number, text)
        return _with(result, reply=text)


def _with(result: CommentResult, **changes: Any) -> CommentResult:
    return CommentResult(**{**result.__dict__, **changes})


def _name(body: str) -> str | None:
    """The command's name as written, for the log and a refusal (only when it is one we know)."""
    word = normalise(body)[1:].split(maxsplit=1)
    name = word[0].lower() if word else ""
    return name if name in USAGE else None


def _record(repo: Repository, org: Organisation, incident: str) -> Incident | None:
    """The record where its next edit would build from (its open branch, else the base branch)."""
    ident = IncidentId.parse(incident)
    records = BranchRecords(repo, org.settings)
    branch = ident.branch(org.settings.lifecycle.branch_prefix)
    found = records.read(records.start_for(_Place(ident.path, branch), repo.fetch(branch)), ident.path)
    return found if isinstance(found, Incident) else org.incidents.get(incident)


@dataclass(frozen=True)
class _Place:
    path: str
    branch: str | None
