"""``watchbill declare | update | assign | resolve | postmortem | list``: the people's side of an incident.

Every verb edits the record round-trip (comments and key order kept, validated, atomic). With ``--pr`` the
edit is made in a scratch tree of the incident's branch, committed, pushed, and the pull request is opened
or updated, so the person's own checkout is never touched.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer

from ..fields import format_instant
from ..forge import GitHub, Published, Repository
from ..incidents import ops
from ..incidents import publish as proposal
from ..kinds import KINDS
from ..models import Incident
from ..organisation import Organisation
from ..validate import validate
from ..yamledit import EditError, create_record, edit_record
from .common import AtOption, RootOption, err, fail, find_root, instant, out, print_problems

T = TypeVar("T")
PrOption = Annotated[
    bool,
    typer.Option(
        "--pr",
        help="Commit on the incident's branch, push, and open or update its pull request "
        "(needs WATCHBILL_GITHUB_TOKEN, GH_TOKEN or GITHUB_TOKEN, or a GitHub App's WATCHBILL_GITHUB_APP_ID and "
        "WATCHBILL_GITHUB_APP_PRIVATE_KEY; and GITHUB_REPOSITORY or a github.com origin).",
    ),
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who is acting, for the timeline (default: $WATCHBILL_USER).", show_default=False),
]
IdArgument = Annotated[str, typer.Argument(help="Incident id, e.g. INC-2026-0007.", show_default=False)]
OpenStatus = Literal["investigating", "identified", "monitoring"]

TOLERATED_RULES = frozenset({"postmortem-overdue"})
"""Errors that must not stop people from acting: an overdue postmortem is exactly what they come to fix."""
_ON_BRANCH = " (on its branch; your checkout is unchanged)"


def interactive() -> bool:
    """Prompt only for a person at a terminal; scripts and CI get a clear error for a missing flag."""
    return sys.stdin.isatty()


def load(root: Path, now: datetime, *, use_cache: bool = True) -> Organisation:
    report = validate(root, now=now, use_cache=use_cache)
    blocking = [p for p in report.errors if p.rule not in TOLERATED_RULES]
    if blocking:
        print_problems(blocking)
        fail(f"{len(blocking)} error(s) in the organisation's files; run 'watchbill validate'")
    return report.organisation


def _by(by: str | None) -> str | None:
    return by or os.environ.get("WATCHBILL_USER") or None


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


@dataclass(frozen=True)
class _Remote:
    """Where --pr sends an edit: the clone to push from, and GitHub."""

    repo: Repository
    github: GitHub


def _connect(home: Path) -> _Remote:
    """Checked before any work, so a missing token stops the command before anything is pushed."""
    try:
        # The wall clock, not --at: a GitHub App's token request is signed with it.
        repo, github = proposal.connect(home, os.environ, now=instant(None))
    except proposal.FAILURES as exc:
        fail(str(exc))
    return _Remote(repo, github)


def _push(
    remote: _Remote, org: Organisation, incident_id: str, change: Callable[[Path], T], message: str | Callable[[T], str]
) -> Published[T]:
    try:
        return proposal.push(remote.repo, org.settings, incident_id, change, message)
    except proposal.FAILURES as exc:
        fail(str(exc))


def _open_pull(remote: _Remote, org: Organisation, incident: Incident, pushed: Published[Any]) -> None:
    try:
        pull, created = proposal.open_pull(remote.github, org.settings, incident)
    except proposal.FAILURES as exc:
        fail(str(exc))
    finally:
        remote.github.close()
    commit = pushed.commit[:10] if pushed.changed and pushed.commit else "no new commit"
    out.print(f"  branch  {proposal.branch_for(org.settings, incident.id)} ({commit})", markup=False)
    out.print(f"  pull request #{pull.number} {'opened' if created else 'updated'}: {pull.url}", markup=False)


def _edit(here: Path, org: Organisation, incident: Incident, change: ops.Change) -> tuple[Path, Incident]:
    path = org.incident_path(incident.id)
    try:
        updated, _ = edit_record(path, Incident, change.apply, display=_relative(path, here))
    except EditError as exc:
        print_problems(exc.problems)
        fail(f"{incident.id} was not changed: the edit would make the record invalid")
    return path, updated


def _ask(value: str | None, prompt: str, *, flag: str, default: str | None = None, **kwargs: Any) -> str:
    if value:
        return value
    if not interactive():
        fail(f"missing {flag} (standard input is not a terminal, so I cannot ask)", code=2)
    answer: str = typer.prompt(prompt, default=default, **kwargs)
    return answer


def _services_prompt(org: Organisation) -> list[str]:
    listed = ", ".join(sorted(org.services))
    err.print(f"Services: {listed}", markup=False)
    err.print(f"Impacts: {', '.join(ops.IMPACTS)} (default major_outage)", markup=False)
    answer: str = typer.prompt("Affected services (service[:impact], comma-separated)")
    return [part for part in (p.strip() for p in answer.split(",")) if part]


def register(app: typer.Typer) -> None:
    @app.command("declare")
    def declare_command(
        title: Annotated[str | None, typer.Option("--title", "-t", help="What is broken, in a few words.")] = None,
        severity: Annotated[str | None, typer.Option("--severity", "-s", help="Severity id, e.g. SEV-2.")] = None,
        service: Annotated[
            list[str] | None,
            typer.Option("--service", help="Affected service as ID or ID:IMPACT (repeatable).", show_default=False),
        ] = None,
        summary: Annotated[str | None, typer.Option("--summary", help="One public paragraph.")] = None,
        message: Annotated[str | None, typer.Option("--message", "-m", help="First public update.")] = None,
        commander: Annotated[str | None, typer.Option("--commander", help="Incident commander (person id).")] = None,
        visibility: Annotated[
            Literal["public", "internal"] | None,
            typer.Option("--visibility", help="Default: public if the severity is public, else internal."),
        ] = None,
        detected_by: Annotated[
            Literal["customer", "internal"], typer.Option("--detected-by", help="Who noticed first.")
        ] = "internal",
        started_at: Annotated[
            str | None, typer.Option("--started-at", help="When the impact began (default: now).")
        ] = None,
        by: ByOption = None,
        pr: PrOption = False,
        root: RootOption = None,
        at: AtOption = None,
    ) -> None:
        """Open a new incident record with the next free id and its first public update.

        At a terminal, anything missing is asked for; scripts pass every flag.
        """
        now = instant(at)
        home = find_root(root)
        org = load(home, now)
        remote = _connect(home) if pr else None
        title = _ask(title, "Title (what is broken, in a few words)", flag="--title")
        if not severity:
            if not interactive():
                fail("missing --severity (standard input is not a terminal, so I cannot ask)", code=2)
            for sev in org.severities.values():
                err.print(f"  {sev.id}  {sev.name}: {sev.description.strip().splitlines()[0]}", markup=False)
            severity = _ask(None, "Severity", flag="--severity", default=list(org.severities)[-1])
        services = list(service or [])
        if not services:
            if not interactive():
                fail("missing --service (standard input is not a terminal, so I cannot ask)", code=2)
            services = _services_prompt(org)
        if interactive() and commander is None and not summary:
            commander = typer.prompt("Incident commander (person id, empty for none)", default="") or None
        try:
            request = ops.Declaration(
                title=title,
                severity=severity.strip().upper(),
                services=tuple(ops.parse_service(s) for s in services),
                summary=summary,
                commander=commander,
                visibility=visibility,
                detected_by=detected_by,
                started_at=instant(started_at) if started_at else None,
                message=message,
                by=_by(by),
            )
            taken = proposal.reserved_ids(remote.repo, org.settings) if remote else []
            ident = ops.next_free_id(org, now, taken)
            incident = ops.declare(org, request, now=now, ident=ident)
        except (ops.OperationError, *proposal.FAILURES) as exc:
            fail(str(exc))

        def write(here: Path) -> tuple[Organisation, str]:
            target_org = load(here, now, use_cache=False) if here != home else org
            if incident.id in target_org.incidents:
                fail(f"{incident.id} already exists on the base branch; pull and try again")
            path = target_org.incident_path(incident.id)
            try:
                create_record(path, here, incident, KINDS["incident"].schema_file)
            except EditError as exc:
                print_problems(exc.problems)
                fail("the new record would not be valid; nothing was written")
            except FileExistsError:
                fail(f"{_relative(path, here)} already exists; someone declared at the same moment, run again")
            return target_org, _relative(path, here)

        if remote is None:
            _, written = write(home)
        else:
            pushed = _push(remote, org, incident.id, write, f"Declare {incident.id}: {incident.title}")
            target_org, written = pushed.value
        tags = f"{incident.severity}, investigating, {incident.visibility}"
        out.print(f"Declared {incident.id}: {incident.title}  [{tags}]", markup=False)
        out.print(f"  file    {written}{_ON_BRANCH if remote else ''}", markup=False)
        if remote is not None:
            _open_pull(remote, target_org, incident, pushed)

    @app.command("update")
    def update_command(
        incident_id: IdArgument,
        message: Annotated[str | None, typer.Option("--message", "-m", help="Public update text.")] = None,
        status: Annotated[OpenStatus | None, typer.Option("--status", help="New status (default: unchanged).")] = None,
        by: ByOption = None,
        pr: PrOption = False,
        root: RootOption = None,
        at: AtOption = None,
    ) -> None:
        """Post a public update, optionally moving the status (investigating, identified, monitoring)."""
        now = instant(at)
        text = _ask(message, "Update for customers", flag="--message")
        _change_and_publish(
            root,
            incident_id,
            now,
            pr,
            lambda org, inc: ops.status_update(inc, now=now, message=text, status=status, by=_by(by)),
        )

    @app.command("assign")
    def assign_command(
        incident_id: IdArgument,
        commander: Annotated[str | None, typer.Option("--commander", help="Incident commander.")] = None,
        communications: Annotated[str | None, typer.Option("--communications", help="Communications lead.")] = None,
        technical_lead: Annotated[str | None, typer.Option("--technical-lead", help="Technical lead.")] = None,
        scribe: Annotated[str | None, typer.Option("--scribe", help="Scribe.")] = None,
        by: ByOption = None,
        pr: PrOption = False,
        root: RootOption = None,
        at: AtOption = None,
    ) -> None:
        """Hand incident roles to people (person ids from schedules/people.yaml)."""
        now = instant(at)
        roles = ops.roles_from(
            {
                "commander": commander,
                "communications": communications,
                "technical_lead": technical_lead,
                "scribe": scribe,
            }
        )
        _change_and_publish(
            root, incident_id, now, pr, lambda org, inc: ops.assign(org, inc, roles, now=now, by=_by(by))
        )

    @app.command("resolve")
    def resolve_command(
        incident_id: IdArgument,
        message: Annotated[str | None, typer.Option("--message", "-m", help="Final public update.")] = None,
        by: ByOption = None,
        pr: PrOption = False,
        root: RootOption = None,
        at: AtOption = None,
    ) -> None:
        """Resolve: set resolved_at, post the final update, and say when the postmortem is due."""
        now = instant(at)
        org, incident = _change_and_publish(
            root, incident_id, now, pr, lambda org, inc: ops.resolve(inc, now=now, message=message, by=_by(by))
        )
        due = ops.postmortem_due(org, incident)
        if due is not None:
            out.print(
                f"  postmortem due {format_instant(due)}; start it with 'watchbill postmortem {incident.id}'",
                markup=False,
            )

    @app.command("postmortem")
    def postmortem_command(
        incident_id: IdArgument,
        pr: PrOption = False,
        root: RootOption = None,
        at: AtOption = None,
    ) -> None:
        """Add a draft postmortem (Google SRE template) pre-filled from the record, due date from the severity."""
        now = instant(at)
        _, incident = _change_and_publish(
            root, incident_id, now, pr, lambda org, inc: ops.postmortem(org, inc, now=now)
        )
        todo = sum(
            1
            for value in (incident.postmortem.model_dump().values() if incident.postmortem else [])
            if isinstance(value, str) and value.startswith(ops.PLACEHOLDER)
        )
        out.print(
            f"  {todo} sections start with '{ops.PLACEHOLDER.strip()}'; fill them in, then set status: in_review",
            markup=False,
        )

    @app.command("list")
    def list_command(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
        root: RootOption = None,
        at: AtOption = None,
    ) -> None:
        """Open incidents, postmortems still due (and overdue), and overdue action items."""
        now = instant(at)
        org = load(find_root(root), now)
        opened = ops.open_incidents(org)
        postmortems = ops.pending_postmortems(org, now)
        actions = ops.overdue_action_items(org, now)
        if as_json:
            out.print(json.dumps(_list_json(opened, postmortems, actions, now), indent=2), markup=False)
            return
        _print_list(opened, postmortems, actions, now)


@dataclass(frozen=True)
class _Edited:
    org: Organisation
    incident: Incident
    summary: str | None
    """None when the change changed nothing."""
    path: str = ""


def _change_and_publish(
    root: Path | None,
    incident_id: str,
    now: datetime,
    pr: bool,
    make: Callable[[Organisation, Incident], ops.Change],
) -> tuple[Organisation, Incident]:
    """Load, build the change, apply it round-trip, and (with --pr) publish: the shape of every edit verb."""
    home = find_root(root)
    org = load(home, now)
    try:
        current = ops.find(org, incident_id)
    except ops.OperationError as exc:
        if not pr:
            fail(str(exc))
        current = None  # it may exist only on its branch, not yet merged
    ident = current.id if current else incident_id.strip().upper()
    remote = _connect(home) if pr else None

    def apply(here: Path) -> _Edited:
        target_org = load(here, now, use_cache=False) if here != home else org
        try:
            incident = ops.find(target_org, ident)
            change = make(target_org, incident)
        except ops.OperationError as exc:
            fail(str(exc))
        if not change.sets and not change.appends:
            return _Edited(target_org, incident, None)
        path, updated = _edit(here, target_org, incident, change)
        return _Edited(target_org, updated, change.summary, _relative(path, here))

    if remote is None:
        edited = apply(home)
    else:
        pushed = _push(remote, org, ident, apply, lambda edited: edited.summary or "")
        edited = pushed.value
    if edited.summary is None:
        out.print(f"{ident}: nothing to change", markup=False)
        return edited.org, edited.incident
    out.print(edited.summary, markup=False)
    out.print(f"  file    {edited.path}{_ON_BRANCH if remote else ''}", markup=False)
    if remote is not None:
        _open_pull(remote, edited.org, edited.incident, pushed)
    return edited.org, edited.incident


def _age(incident: Incident, now: datetime) -> str:
    return ops.human_span(now - incident.started_at)


def _print_list(
    opened: list[Incident],
    postmortems: list[ops.PendingPostmortem],
    actions: list[ops.OverdueAction],
    now: datetime,
) -> None:
    out.print(f"Open incidents ({len(opened)})", markup=False)
    for inc in opened:
        commander = f"  commander {inc.roles.commander}" if inc.roles.commander else "  no commander"
        out.print(
            f"  {inc.id}  {inc.severity}  {inc.status:<13}  {_age(inc, now):>8}  {inc.title}{commander}",
            markup=False,
        )
    out.print(f"Postmortems due ({len(postmortems)}, {sum(p.overdue for p in postmortems)} overdue)", markup=False)
    for pm in postmortems:
        late = f"overdue by {_days(now - pm.due)}" if pm.overdue else f"due in {_days(pm.due - now)}"
        out.print(
            f"  {pm.incident.id}  {pm.incident.severity}  due {pm.due.date().isoformat()}  {late:<16}  "
            f"{pm.state:<9}  {pm.incident.title}",
            markup=False,
        )
    out.print(f"Overdue action items ({len(actions)})", markup=False)
    for action in actions:
        out.print(
            f"  {action.incident.id}  due {action.item.due.isoformat()}  {action.days_late}d late  "
            f"{action.item.owner:<10}  {action.item.priority}  {action.item.title}",
            markup=False,
        )


def _days(delta: timedelta) -> str:
    return ops.human_span(delta)


def _list_json(
    opened: list[Incident],
    postmortems: list[ops.PendingPostmortem],
    actions: list[ops.OverdueAction],
    now: datetime,
) -> dict[str, Any]:
    return {
        "at": format_instant(now),
        "open_incidents": [
            {
                "id": i.id,
                "title": i.title,
                "severity": i.severity,
                "status": i.status,
                "visibility": i.visibility,
                "started_at": format_instant(i.started_at),
                "services": [s.service for s in i.services],
                "commander": i.roles.commander,
            }
            for i in opened
        ],
        "postmortems": [
            {
                "id": p.incident.id,
                "severity": p.incident.severity,
                "due": format_instant(p.due),
                "overdue": p.overdue,
                "state": p.state,
            }
            for p in postmortems
        ],
        "overdue_action_items": [
            {
                "id": a.incident.id,
                "index": a.index,
                "title": a.item.title,
                "owner": a.item.owner,
                "priority": a.item.priority,
                "due": a.item.due.isoformat(),
                "days_late": a.days_late,
                "status": a.item.status,
            }
            for a in actions
        ],
    }
