"""``watchbill declare | update | assign | resolve | postmortem | list``: the people's side of an incident.

Each command parses its options, makes one call into :mod:`watchbill.incidents.usecases` and prints the result.
With ``--pr`` the edit is made in a scratch tree of the incident's branch, committed, pushed, and the pull
request is opened or updated, so the person's own checkout is never touched.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from ..fields import format_instant
from ..incidents import ops, usecases
from ..incidents.usecases import Attention, RecordResult
from ..models import Incident
from .common import AtOption, RootOption, err, fail, find_root, instant, out
from .output import Format, FormatOption, emit

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
_ON_BRANCH = " (on its branch; your checkout is unchanged)"


def interactive() -> bool:
    """Prompt only for a person at a terminal; scripts and CI get a clear error for a missing flag."""
    return sys.stdin.isatty()


def _by(by: str | None) -> str | None:
    return by or os.environ.get("WATCHBILL_USER") or None


def _remote(pr: bool) -> usecases.Remote | None:
    # The wall clock, not --at: a GitHub App's token request is signed with it.
    return usecases.Remote(os.environ, signed_at=instant(None)) if pr else None


def _ask(value: str | None, prompt: str, *, flag: str, default: str | None = None) -> str:
    if value:
        return value
    if not interactive():
        fail(f"missing {flag} (standard input is not a terminal, so I cannot ask)", code=2)
    answer: str = typer.prompt(prompt, default=default)
    return answer


# ---------------------------------------------------------------- reporting a declaration or an edit


def record_json(result: RecordResult) -> dict[str, Any]:
    """The JSON every verb prints with ``--format json``; ``pull_request`` is null without ``--pr``."""
    incident = result.incident
    pull = None
    if result.pull_number is not None:
        pull = {"number": result.pull_number, "url": result.pull_url, "created": result.pull_created}
    return {
        "incident": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "summary": result.summary,
        "changed": result.changed,
        "file": result.file,
        "branch": result.branch,
        "commit": result.commit,
        "pull_request": pull,
        "postmortem_due": result.postmortem_due,
    }


def _print_record(result: RecordResult, *, declared: bool = False) -> None:
    incident = result.incident
    if declared:
        tags = f"{incident.severity}, investigating, {incident.visibility}"
        out.print(f"{result.summary}  [{tags}]", markup=False)
    else:
        out.print(result.summary, markup=False)
    if not result.changed:
        return
    out.print(f"  file    {result.file}{_ON_BRANCH if result.branch else ''}", markup=False)
    if result.pull_number is not None:
        commit = result.commit[:10] if result.commit else "no new commit"
        out.print(f"  branch  {result.branch} ({commit})", markup=False)
        verb = "opened" if result.pull_created else "updated"
        out.print(f"  pull request #{result.pull_number} {verb}: {result.pull_url}", markup=False)


def _edit(
    fmt: Format, incident_id: str, request: ops.EditRequest, *, pr: bool, root: Path | None, at: str | None
) -> RecordResult:
    result = usecases.edit(find_root(root), incident_id, request, now=instant(at), remote=_remote(pr))
    emit(fmt, record_json(result), lambda: _print_record(result))
    return result


# ---------------------------------------------------------------- the verbs


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
        Literal["monitor", "customer", "internal"],
        typer.Option("--detected-by", help="Who noticed first: monitoring, a customer, or someone inside."),
    ] = "internal",
    probe: Annotated[
        str | None,
        typer.Option(
            "--probe",
            help="With --detected-by monitor: the probe that fired, as SERVICE/PROBE (omit for an outside monitor).",
            show_default=False,
        ),
    ] = None,
    started_at: Annotated[
        str | None, typer.Option("--started-at", help="When the impact began (default: now).")
    ] = None,
    detected_at: Annotated[
        str | None,
        typer.Option("--detected-at", help="When it was first noticed, if before the declaration (default: now)."),
    ] = None,
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Open a new incident record with the next free id and its first public update.

    At a terminal, anything missing is asked for; scripts pass every flag. With ``--format json``: the
    object described under ``update``.
    """
    now = instant(at)
    home = find_root(root)
    title = _ask(title, "Title (what is broken, in a few words)", flag="--title")
    if not severity:
        severity = _ask_severity(home, now)
    services = list(service or []) or _ask_services(home, now)
    if interactive() and commander is None and not summary:
        commander = typer.prompt("Incident commander (person id, empty for none)", default="") or None
    request = ops.Declaration(
        title=title,
        severity=severity.strip().upper(),
        services=tuple(ops.parse_service(s) for s in services),
        summary=summary,
        commander=commander,
        visibility=visibility,
        detected_by=detected_by,
        probe=probe,
        started_at=instant(started_at) if started_at else None,
        detected_at=instant(detected_at) if detected_at else None,
        message=message,
        by=_by(by),
    )
    result = usecases.declare(home, request, now=now, remote=_remote(pr))
    emit(fmt, record_json(result), lambda: _print_record(result, declared=True))


def _ask_severity(home: Path, now: datetime) -> str:
    if not interactive():
        fail("missing --severity (standard input is not a terminal, so I cannot ask)", code=2)
    org = usecases.load(home, now)
    for sev in org.severities.values():
        err.print(f"  {sev.id}  {sev.name}: {sev.description.strip().splitlines()[0]}", markup=False)
    return _ask(None, "Severity", flag="--severity", default=list(org.severities)[-1])


def _ask_services(home: Path, now: datetime) -> list[str]:
    if not interactive():
        fail("missing --service (standard input is not a terminal, so I cannot ask)", code=2)
    org = usecases.load(home, now)
    err.print(f"Services: {', '.join(sorted(org.services))}", markup=False)
    err.print(f"Impacts: {', '.join(ops.IMPACTS)} (default major_outage)", markup=False)
    answer: str = typer.prompt("Affected services (service[:impact], comma-separated)")
    return [part for part in (p.strip() for p in answer.split(",")) if part]


def update_command(
    incident_id: IdArgument,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Public update text.")] = None,
    status: Annotated[OpenStatus | None, typer.Option("--status", help="New status (default: unchanged).")] = None,
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Post a public update, optionally moving the status (investigating, identified, monitoring).

    ``--format json`` (also for declare, assign, resolve, postmortem) prints one object: ``incident``,
    ``title``, ``severity``, ``status``, ``summary`` (the commit subject), ``changed``, ``file``, ``branch``,
    ``commit``, ``pull_request`` ({``number``, ``url``, ``created``} or null without ``--pr``) and
    ``postmortem_due`` (an instant, or null).
    """
    text = _ask(message, "Update for customers", flag="--message")
    _edit(fmt, incident_id, ops.StatusUpdate(text, status, _by(by)), pr=pr, root=root, at=at)


def assign_command(
    incident_id: IdArgument,
    commander: Annotated[str | None, typer.Option("--commander", help="Incident commander.")] = None,
    communications: Annotated[str | None, typer.Option("--communications", help="Communications lead.")] = None,
    technical_lead: Annotated[str | None, typer.Option("--technical-lead", help="Technical lead.")] = None,
    scribe: Annotated[str | None, typer.Option("--scribe", help="Scribe.")] = None,
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Hand incident roles to people (person ids from schedules/people.yaml)."""
    named = {"commander": commander, "communications": communications, "technical_lead": technical_lead}
    roles = ops.roles_from({**named, "scribe": scribe})
    _edit(fmt, incident_id, ops.RoleAssignment(roles, _by(by)), pr=pr, root=root, at=at)


def resolve_command(
    incident_id: IdArgument,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Final public update.")] = None,
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Resolve: set resolved_at, post the final update, and say when the postmortem is due."""
    result = _edit(fmt, incident_id, ops.Resolution(message, _by(by)), pr=pr, root=root, at=at)
    if fmt == "text" and result.changed and result.postmortem_due is not None:
        out.print(
            f"  postmortem due {format_instant(result.postmortem_due)}; "
            f"start it with 'watchbill postmortem {result.incident.id}'",
            markup=False,
        )


_Lines = list[str] | None


def _timeline_entries(entries: list[str]) -> tuple[tuple[datetime, str], ...]:
    """``"2021-06-08T09:47:00Z Config pushed"``: an instant, a space, what happened."""
    parsed: list[tuple[datetime, str]] = []
    for entry in entries:
        moment, _, message = entry.strip().partition(" ")
        if not message.strip():
            fail(f"--timeline '{entry}' needs an instant, a space and what happened", code=2)
        parsed.append((instant(moment), message))
    return tuple(parsed)


def postmortem_command(
    incident_id: IdArgument,
    summary: Annotated[str | None, typer.Option("--summary", help="What happened, briefly.")] = None,
    impact: Annotated[str | None, typer.Option("--impact", help="Who was affected and how.")] = None,
    trigger: Annotated[str | None, typer.Option("--trigger", help="What set it off.")] = None,
    root_cause: Annotated[str | None, typer.Option("--root-cause", help="Why it could happen.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Root-cause category, e.g. dns.")] = None,
    resolution: Annotated[str | None, typer.Option("--resolution", help="What stopped and fixed it.")] = None,
    detection: Annotated[str | None, typer.Option("--detection", help="How we found out.")] = None,
    contributing: Annotated[_Lines, typer.Option("--contributing", help="A contributing factor (repeatable).")] = None,
    went_well: Annotated[_Lines, typer.Option("--went-well", help="What went well (repeatable).")] = None,
    to_improve: Annotated[_Lines, typer.Option("--to-improve", help="What went wrong (repeatable).")] = None,
    got_lucky: Annotated[_Lines, typer.Option("--got-lucky", help="Where we got lucky (repeatable).")] = None,
    timeline: Annotated[
        _Lines, typer.Option("--timeline", help="Engineering timeline entry: 'INSTANT what happened' (repeatable).")
    ] = None,
    author: Annotated[_Lines, typer.Option("--author", help="An author (person id, repeatable).")] = None,
    review_at: Annotated[
        str | None, typer.Option("--review-at", help="Review meeting (default: 48 h after resolution).")
    ] = None,
    reviewed: Annotated[bool, typer.Option("--reviewed", help="The review meeting was held (now, or --at).")] = False,
    status: Annotated[
        Literal["draft", "in_review", "published"] | None, typer.Option("--status", help="Postmortem status.")
    ] = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Add a draft postmortem (Google SRE template) pre-filled from the record, due date from the severity;
    with options, write its sections, engineering timeline, review meeting and status (drafting it if needed).
    """
    named = {
        "summary": summary,
        "impact": impact,
        "trigger": trigger,
        "root_cause": root_cause,
        "root_cause_category": category,
        "resolution": resolution,
        "detection": detection,
    }
    lines = {"contributing_factors": contributing, "went_well": went_well, "to_improve": to_improve}
    lines["got_lucky"] = got_lucky
    change = ops.PostmortemChange(
        texts={k: v for k, v in named.items() if v is not None},
        lists={k: tuple(v) for k, v in lines.items() if v},
        timeline=_timeline_entries(timeline or []),
        authors=tuple(author or ()),
        review_at=instant(review_at) if review_at else None,
        reviewed=reviewed,
        status=status,
    )
    request: ops.EditRequest = change if change else ops.PostmortemDraft()
    result = _edit(fmt, incident_id, request, pr=pr, root=root, at=at)
    if fmt == "text":
        todo = ops.unwritten_sections(result.incident)
        out.print(
            f"  {todo} sections start with '{ops.PLACEHOLDER.strip()}'; fill them in, then set status: in_review",
            markup=False,
        )


def list_command(
    fmt: FormatOption = "text",
    as_json: Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json (deprecated).")] = False,
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Open incidents, postmortems still due (and overdue), and overdue action items.

    ``--format json`` prints one object: ``at``; ``open_incidents`` [{``id``, ``title``, ``severity``,
    ``status``, ``visibility``, ``started_at``, ``services`` (ids), ``commander``,
    ``overdue`` [{``target`` (acknowledge, first_update, update, resolve), ``due``, ``late_seconds``}]}];
    ``postmortems`` [{``id``,
    ``severity``, ``due``, ``overdue``, ``state`` (missing, draft or in_review)}]; ``overdue_action_items``
    [{``id``, ``index``, ``title``, ``owner``, ``priority``, ``due`` (a date), ``days_late``, ``status``}];
    ``missed_reviews`` [{``id``, ``due``}] (postmortem review meetings not held by their date, by default 48 h
    after resolution); ``targets`` {incident id: [{``name`` (acknowledge, first_update, update_every,
    resolve), ``target``, ``actual``, ``met`` (null while it can still be met)}]} for open incidents.
    """
    attention = usecases.list_open(find_root(root), now=instant(at))
    emit("json" if as_json else fmt, list_json(attention), lambda: _print_list(attention))


def _print_list(attention: Attention) -> None:
    now = attention.at
    opened, postmortems, actions = attention.open_incidents, attention.postmortems, attention.overdue_action_items
    out.print(f"Open incidents ({len(opened)})", markup=False)
    for inc in opened:
        commander = f"  commander {inc.roles.commander}" if inc.roles.commander else "  no commander"
        out.print(
            f"  {inc.id}  {inc.severity}  {inc.status:<13}  {_age(inc, now):>8}  {inc.title}{commander}",
            markup=False,
        )
        behind = attention.overdue.get(inc.id)
        if behind:
            out.print(f"    overdue: {'; '.join(o.describe() for o in behind)}", markup=False)
    out.print(f"Postmortems due ({len(postmortems)}, {sum(p.overdue for p in postmortems)} overdue)", markup=False)
    for pm in postmortems:
        late = f"overdue by {_span(now - pm.due)}" if pm.overdue else f"due in {_span(pm.due - now)}"
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
    _print_reviews_and_targets(attention)


def _print_reviews_and_targets(attention: Attention) -> None:
    out.print(f"Missed postmortem reviews ({len(attention.missed_reviews)})", markup=False)
    for missed in attention.missed_reviews:
        out.print(
            f"  {missed.incident.id}  review was due {format_instant(missed.due)}  {missed.incident.title}",
            markup=False,
        )
    for ident, checks in attention.targets.items():
        missed_targets = [c for c in checks if c.met is False]
        if missed_targets:
            names = ", ".join(f"{c.name.replace('_', ' ')} ({_span(c.target)})" for c in missed_targets)
            out.print(f"  {ident}  targets missed: {names}", markup=False)


def _age(incident: Incident, now: datetime) -> str:
    return ops.human_span(now - incident.started_at)


def _span(delta: timedelta) -> str:
    return ops.human_span(delta)


def list_json(attention: Attention) -> dict[str, Any]:
    return {
        "at": attention.at,
        "open_incidents": [
            {
                "id": i.id,
                "title": i.title,
                "severity": i.severity,
                "status": i.status,
                "visibility": i.visibility,
                "started_at": i.started_at,
                "services": [s.service for s in i.services],
                "commander": i.roles.commander,
                "overdue": [
                    {"target": o.target, "due": o.due, "late_seconds": int(o.late.total_seconds())}
                    for o in attention.overdue.get(i.id, [])
                ],
            }
            for i in attention.open_incidents
        ],
        "postmortems": [
            {
                "id": p.incident.id,
                "severity": p.incident.severity,
                "due": p.due,
                "overdue": p.overdue,
                "state": p.state,
            }
            for p in attention.postmortems
        ],
        "overdue_action_items": [
            {
                "id": a.incident.id,
                "index": a.index,
                "title": a.item.title,
                "owner": a.item.owner,
                "priority": a.item.priority,
                "due": a.item.due,
                "days_late": a.days_late,
                "status": a.item.status,
            }
            for a in attention.overdue_action_items
        ],
        "missed_reviews": [{"id": m.incident.id, "due": m.due} for m in attention.missed_reviews],
        "targets": {
            ident: [{"name": c.name, "target": c.target, "actual": c.actual, "met": c.met} for c in checks]
            for ident, checks in attention.targets.items()
        },
    }


def register(app: typer.Typer) -> None:
    app.command("declare")(declare_command)
    app.command("update")(update_command)
    app.command("assign")(assign_command)
    app.command("resolve")(resolve_command)
    app.command("postmortem")(postmortem_command)
    app.command("list")(list_command)
