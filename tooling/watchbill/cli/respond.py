"""``watchbill severity | impact | mitigated | situation | rename | relate | action``: the rest of a responder's
changes, so nobody edits YAML during an incident.

Like the other incident verbs, each parses its options, makes one call into
:mod:`watchbill.incidents.usecases` and prints the result; all take ``--at`` to back-date, ``--pr`` to
propose the change on the incident's branch, and ``--format json`` (the object described under ``update``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import typer

from ..fields import parse_duration, parse_instant
from ..incidents import ops, usecases
from ..models.incident import ActionItem
from .common import AtOption, RootOption, fail, find_root, instant
from .incident import ByOption, IdArgument, PrOption, _by, _edit, _print_record, _remote, record_json
from .output import FormatOption, emit

ServiceStatusOption = Annotated[
    list[str],
    typer.Option(
        "--service",
        help="SERVICE:STATUS, the status one of operational, degraded_performance, partial_outage, major_outage "
        "(repeatable).",
        show_default=False,
    ),
]


def severity_command(
    incident_id: IdArgument,
    severity: Annotated[str, typer.Argument(help="The new severity id, e.g. SEV-1.", show_default=False)],
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Move the incident to another severity; the change is a timeline event and the status page follows it."""
    _edit(fmt, incident_id, ops.SeverityChange(severity, _by(by)), pr=pr, root=root, at=at)


def impact_command(
    incident_id: IdArgument,
    service: ServiceStatusOption,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Public update text.")] = None,
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Change services' impact with a public update that records it (Statuspage's affected components).

    The updates keep the impact history; the record's ``services`` keep each service's peak for metrics.
    """
    changes = tuple(ops.parse_service_status(s) for s in service)
    _edit(fmt, incident_id, ops.ImpactChange(changes, message, _by(by)), pr=pr, root=root, at=at)


def mitigated_command(
    incident_id: IdArgument,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Public update text.")] = None,
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Service restored: set ``mitigated_at`` and move to monitoring; ``resolve`` later posts the resolution."""
    _edit(fmt, incident_id, ops.Mitigation(message, _by(by)), pr=pr, root=root, at=at)


def _next_update(text: str | None, now: datetime) -> datetime | None:
    """An instant, or a duration from now such as ``30m``."""
    if not text:
        return None
    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    try:
        return parse_instant(text)
    except ValueError:
        fail(f"--next-update '{text}' is neither an instant nor a duration like 30m", code=2)


def situation_command(
    incident_id: IdArgument,
    scope: Annotated[str | None, typer.Option("--scope", help="What is affected, how widely.")] = None,
    tried: Annotated[str | None, typer.Option("--tried", help="What has been tried and what it did.")] = None,
    working: Annotated[
        list[str] | None, typer.Option("--working", help="Who is on what, e.g. 'bob: failover' (repeatable).")
    ] = None,
    next_update: Annotated[
        str | None, typer.Option("--next-update", help="When the next report is due: an instant or e.g. 30m.")
    ] = None,
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """The commander's internal status report (scope, tried, who is on what, next update): timeline only."""
    due = _next_update(next_update, instant(at))
    request = ops.SituationReport(scope, tried, tuple(working or ()), due, _by(by))
    _edit(fmt, incident_id, request, pr=pr, root=root, at=at)


def rename_command(
    incident_id: IdArgument,
    title: Annotated[str, typer.Option("--title", "-t", help="The new title.", show_default=False)],
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Give the incident a new title (kept in the timeline with the old one)."""
    _edit(fmt, incident_id, ops.Rename(title, _by(by)), pr=pr, root=root, at=at)


def relate_command(
    incident_id: IdArgument,
    other: Annotated[str, typer.Argument(help="The related incident's id.", show_default=False)],
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Relate two incidents both ways: each record lists the other under ``related``.

    ``--format json``: {"incidents": [the object described under ``update``, one per record]}.
    """
    first, second = usecases.relate(
        find_root(root), incident_id, other, now=instant(at), by=_by(by), remote=_remote(pr)
    )

    def text() -> None:
        _print_record(first)
        _print_record(second)

    emit(fmt, {"incidents": [record_json(first), record_json(second)]}, text)


ItemType = Literal["mitigate", "prevent", "process"]
Priority = Literal["P1", "P2", "P3"]


def action_add_command(
    incident_id: IdArgument,
    title: Annotated[str, typer.Option("--title", "-t", help="What will be done.", show_default=False)],
    owner: Annotated[str, typer.Option("--owner", help="Person id.", show_default=False)],
    due: Annotated[str, typer.Option("--due", help="Due day, YYYY-MM-DD.", show_default=False)],
    kind: Annotated[ItemType, typer.Option("--type", help="mitigate, prevent or process.")] = "prevent",
    priority: Annotated[Priority, typer.Option("--priority", help="P1, P2 or P3.")] = "P2",
    link: Annotated[str | None, typer.Option("--link", help="Tracking issue URL.")] = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Add a postmortem action item with owner, due day, type and priority."""
    try:
        item = ActionItem.model_validate(
            {"title": title, "owner": owner, "due": due, "type": kind, "priority": priority, "link": link},
            strict=False,
        )
    except ValueError as exc:
        fail(f"the action item is not valid: {exc}", code=2)
    _edit(fmt, incident_id, ops.NewActionItem(item), pr=pr, root=root, at=at)


def action_close_command(
    incident_id: IdArgument,
    number: Annotated[int, typer.Argument(help="Action item number, 1 for the first.", show_default=False)],
    status: Annotated[
        Literal["done", "wont_do", "in_progress", "open"], typer.Option("--status", help="The new status.")
    ] = "done",
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Close an action item (done, or wont_do), dated in the organisation's zone; or reopen it."""
    _edit(fmt, incident_id, ops.ActionItemStatus(number, status, _by(by)), pr=pr, root=root, at=at)


def register(app: typer.Typer) -> None:
    app.command("severity")(severity_command)
    app.command("impact")(impact_command)
    app.command("mitigated")(mitigated_command)
    app.command("situation")(situation_command)
    app.command("rename")(rename_command)
    app.command("relate")(relate_command)
    action_app = typer.Typer(help="Postmortem action items: add one, close one.", no_args_is_help=True)
    action_app.command("add")(action_add_command)
    action_app.command("close")(action_close_command)
    app.add_typer(action_app, name="action")
