"""``watchbill drill start | report`` and ``watchbill channel``: rehearsing the practice, and where responders meet.

``drill start`` declares through the same path as ``declare`` (so ``--pr`` works the same), marked
``drill: true``; ``drill report`` reads what the drill's pages and acknowledgements showed.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..fields import format_instant
from ..incidents import drills, ops, usecases
from ..incidents.drills import DrillReport
from ..incidents.ops import human_span
from .common import AtOption, RemoteOption, RootOption, find_root, instant, out
from .incident import ByOption, IdArgument, PrOption, _by, _print_record, _remote, record_json
from .output import FormatOption, emit


def start_command(
    service: Annotated[str, typer.Option("--service", help="Service the exercise is about (its id).")],
    severity: Annotated[str, typer.Option("--severity", "-s", help="Severity to rehearse, e.g. SEV-2.")],
    title: Annotated[str | None, typer.Option("--title", "-t", help="Default: 'Drill: <service name> outage'.")] = None,
    commander: Annotated[str | None, typer.Option("--commander", help="Incident commander (person id).")] = None,
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Declare a drill: an internal incident marked drill: true that escalation pages as usual (pages say DRILL).

    Nothing of it reaches the status site, its API, feeds or the reliability figures. JSON: as for ``update``.
    """
    result = drills.start(
        find_root(root),
        service=service,
        severity=severity,
        now=instant(at),
        title=title,
        commander=commander,
        by=_by(by),
        remote=_remote(pr),
    )
    emit(fmt, record_json(result), lambda: _print_record(result, declared=True))


def report_command(
    incident_id: IdArgument,
    fmt: FormatOption = "text",
    remote: RemoteOption = "origin",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """What a drill showed: each responder's time to acknowledge, and every send or step that failed.

    JSON: {"at", "incident", "title", "severity", "detected_at", "acknowledged_at", "acknowledged_by",
    "time_to_acknowledge_seconds", "target_seconds", "target_met", "responders": [{"person", "first_paged_at",
    "pages", "channels", "acknowledged", "time_to_acknowledge_seconds"}], "failures": [{"at", "kind"
    (send_failed or unreachable), "detail", "person", "channel", "step"}], "notes"}.
    """
    found = drills.report(find_root(root), incident_id, now=instant(at), remote=remote)
    emit(fmt, report_json(found), lambda: _print_report(found))


def report_json(found: DrillReport) -> dict[str, Any]:
    return {
        "at": found.at,
        "incident": found.incident.id,
        "title": found.incident.title,
        "severity": found.incident.severity,
        "detected_at": found.detected_at,
        "acknowledged_at": found.acknowledged_at,
        "acknowledged_by": found.acknowledged_by,
        "time_to_acknowledge_seconds": found.time_to_acknowledge,
        "target_seconds": found.target,
        "target_met": found.target_met,
        "responders": [
            {
                "person": r.person,
                "first_paged_at": r.first_paged_at,
                "pages": r.pages,
                "channels": r.channels,
                "acknowledged": r.acknowledged,
                "time_to_acknowledge_seconds": r.time_to_acknowledge,
            }
            for r in found.responders
        ],
        "failures": found.failures,
        "notes": found.notes,
    }


def _print_report(found: DrillReport) -> None:
    incident = found.incident
    out.print(f"Drill {incident.id}: {incident.title} [{incident.severity}]", markup=False)
    out.print(f"  detected      {format_instant(found.detected_at)}", markup=False)
    if found.acknowledged_at is None or found.time_to_acknowledge is None:
        out.print("  acknowledged  never", markup=False)
    else:
        who = f" by {found.acknowledged_by}" if found.acknowledged_by else ""
        target = ""
        if found.target is not None:
            target = f" (target {human_span(found.target)}: {'met' if found.target_met else 'MISSED'})"
        out.print(
            f"  acknowledged  {format_instant(found.acknowledged_at)}{who}, "
            f"{human_span(found.time_to_acknowledge)} after detection{target}",
            markup=False,
        )
    out.print(f"Responders ({len(found.responders)})", markup=False)
    for r in found.responders:
        paged = (
            f"first paged {format_instant(r.first_paged_at)} via {', '.join(r.channels)}"
            if r.first_paged_at
            else "not paged"
        )
        if r.acknowledged:
            acked = (
                f"acknowledged after {human_span(r.time_to_acknowledge)}" if r.time_to_acknowledge else "acknowledged"
            )
        else:
            acked = "did not acknowledge"
        out.print(f"  {r.person:<12} {paged}; {r.pages} page(s); {acked}", markup=False)
    out.print(f"Failures ({len(found.failures)})", markup=False)
    for failure in found.failures:
        out.print(f"  {format_instant(failure.at)}  {failure.kind:<12} {failure.detail}", markup=False)
    for note in found.notes:
        out.print(f"note: {note}", markup=False)


def channel_command(
    incident_id: IdArgument,
    link: Annotated[
        str | None,
        typer.Argument(help="Chat channel (#name) or a call or channel link; default: from settings' war_room."),
    ] = None,
    by: ByOption = None,
    pr: PrOption = False,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Record where responders meet (a chat channel or call link); every later page names it.

    Without LINK the name comes from the settings' war_room templates (e.g. #inc-2026-0007-checkout-fails).
    JSON: as for ``update``, plus ``channel``.
    """
    now = instant(at)
    result = usecases.edit(find_root(root), incident_id, ops.ChannelLink(link, _by(by)), now=now, remote=_remote(pr))
    data = {**record_json(result), "channel": result.incident.channel}
    emit(fmt, data, lambda: _print_record(result))


def register(app: typer.Typer) -> None:
    drill_app = typer.Typer(help="Rehearse the incident practice: declare a drill, then read what it showed.")
    drill_app.command("start")(start_command)
    drill_app.command("report")(report_command)
    app.add_typer(drill_app, name="drill")
    app.command("channel")(channel_command)


__all__ = ["register"]
