"""``watchbill escalate simulate|run|follow`` and ``watchbill ack``: parse, one call into ``paging``, report.

In JSON, ``step`` and ``round`` count from 0, as in the incident's timeline; the text counts from 1.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Annotated, Any

import typer

from ..errors import UsageError
from ..fields import format_duration, format_instant, parse_duration
from ..paging.follow import FollowOptions, FollowResult, SimulatedTime, follow
from ..paging.notify import SendRecord
from ..paging.plan import Firing, Notification
from ..paging.run import IncidentPaging
from ..paging.usecases import (
    Acknowledgement,
    EscalationPass,
    Simulation,
    acknowledge_incident,
    run_escalation,
    simulate_escalation,
)
from .common import AtOption, RemoteOption, RootOption, err, find_root, instant, organisation, out
from .output import FormatOption, emit


def offset(firing: Firing) -> str:
    seconds = round(firing.offset_seconds)
    return "+0m" if seconds == 0 else "+" + format_duration(timedelta(seconds=seconds))


def simulate_command(
    service: Annotated[str, typer.Option("--service", help="Service the hypothetical incident affects.")],
    severity: Annotated[
        str | None, typer.Option("--severity", help="Severity (default: the service's).", show_default=False)
    ] = None,
    fmt: FormatOption = "text",
    at: AtOption = None,
    root: RootOption = None,
) -> None:
    """Print who would be notified, through what and when, for an incident nobody acknowledges.

    JSON: {"at", "service", "severity", "policy", "firings": [{"step", "round", "at", "offset_seconds",
    "skipped", "unreachable", "notifications": [{"person", "channel", "target"}]}]}.
    """
    moment = instant(at)
    simulation = simulate_escalation(organisation(root, moment), service, severity, moment)
    data = {
        "at": moment,
        "service": simulation.service,
        "severity": simulation.severity,
        "policy": simulation.policy,
        "firings": [_firing_json(firing) for firing in simulation.firings],
    }
    emit(fmt, data, lambda: _print_simulation(simulation))


def _firing_json(firing: Firing) -> dict[str, Any]:
    return {
        "step": firing.step,
        "round": firing.round,
        "at": firing.at,
        "offset_seconds": round(firing.offset_seconds),
        "skipped": firing.skipped,
        "unreachable": list(firing.unreachable),
        "notifications": [_recipient_json(n) for n in firing.notifications],
    }


def _recipient_json(notification: Notification) -> dict[str, Any]:
    return {"person": notification.person, "channel": notification.channel, "target": notification.target}


def _print_simulation(simulation: Simulation) -> None:
    detected = simulation.detected_at.strftime("%Y-%m-%d %H:%M UTC")
    out.print(
        f"{simulation.severity} on {simulation.service}, detected {detected}: policy {simulation.policy}",
        markup=False,
    )
    if not simulation.firings:
        out.print(
            f"no step of policy {simulation.policy} applies to {simulation.severity}: nobody would be notified",
            markup=False,
        )
    for firing in simulation.firings:
        when = (
            f"{offset(firing):>8}  {firing.at.strftime('%Y-%m-%d %H:%M UTC')}  round {firing.round + 1} "
            f"step {firing.step + 1}:"
        )
        if firing.skipped:
            reasons = "; ".join(firing.unreachable)
            out.print(f"{when} reaches nobody ({reasons}); skipped at once", markup=False)
            continue
        for n in firing.notifications:
            out.print(f"{when} {n.describe()} ({n.target})", markup=False)


def run_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what is due; send and record nothing.")] = False,
    retries: Annotated[int, typer.Option("--retries", min=0, max=10, help="Retries per failed send.")] = 2,
    backoff: Annotated[float, typer.Option("--backoff", min=0, help="Seconds before the first retry.")] = 2.0,
    branches: Annotated[
        bool,
        typer.Option(
            "--branches/--no-branches",
            help="Also page for records the probes opened that still wait on their pull request.",
        ),
    ] = True,
    reminders: Annotated[
        bool,
        typer.Option(
            "--reminders/--no-reminders",
            help="Also remind the commander (or the on-call) of overdue public updates, once per overdue period.",
        ),
    ] = False,
    fmt: FormatOption = "text",
    remote: RemoteOption = "origin",
    at: AtOption = None,
    root: RootOption = None,
) -> None:
    """Send every due, unsent step for open incidents, exactly once per step, and record it.

    Nothing is pushed to the base branch: each step is claimed, then recorded, in the incident's journal
    on the data branch (paging/INC-….jsonl). Records on incident branches (opened by the probes, not merged
    yet) are paged too, and their notifications also committed to their branch. In a folder that is not a
    clone, the record files are updated instead. Exit 1 if any send failed (it is retried next run).

    JSON: {"at", "dry_run", "failed", "errors", "incidents": [{"incident", "note", "planned": [{"person",
    "channel", "target", "step", "round"}], "sent": [{..., "ok", "attempts", "error"}], "skipped": [{"step",
    "round", "unreachable"}]}]}.
    """
    moment = instant(at)
    result = run_escalation(
        organisation(root, moment),
        moment,
        env=os.environ,
        remote=remote,
        dry_run=dry_run,
        retries=retries,
        backoff=backoff,
        branches=branches,
        reminders=reminders,
    )
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    for error in result.errors:
        err.print(f"error: {error}", markup=False)
    data = {
        "at": result.at,
        "dry_run": result.dry_run,
        "failed": result.failed,
        "errors": result.errors,
        "incidents": [_paging_json(paging) for paging in result.incidents],
    }
    emit(fmt, data, lambda: _print_pass(result))
    raise typer.Exit(1 if result.failed else 0)


def _paging_json(paging: IncidentPaging) -> dict[str, Any]:
    return {
        "incident": paging.incident,
        "note": paging.note,
        "planned": [_notification_json(n) for n in paging.planned],
        "sent": [_send_json(record) for record in paging.sent],
        "skipped": [{"step": f.step, "round": f.round, "unreachable": list(f.unreachable)} for f in paging.skipped],
        "reminded": [{**_send_json(r), "reminder": getattr(r.notification, "reminder", None)} for r in paging.reminded],
    }


def _notification_json(notification: Notification) -> dict[str, Any]:
    return {**_recipient_json(notification), "step": notification.step, "round": notification.round}


def _send_json(record: SendRecord) -> dict[str, Any]:
    sent = {"ok": record.ok, "attempts": record.attempts, "error": record.error}
    return {**_notification_json(record.notification), **sent}


def _print_pass(result: EscalationPass) -> None:
    for paging in result.incidents:
        _print_paging(paging, result.dry_run)
    if result.quiet:
        out.print(f"nothing due ({len(result.incidents)} open unacknowledged incident(s))", markup=False)


def _print_paging(paging: IncidentPaging, dry_run: bool) -> None:
    incident = paging.incident
    if paging.note:
        out.print(f"{incident}: {paging.note}", markup=False)
    for firing in paging.skipped:
        out.print(
            f"{incident}: step {firing.step + 1} round {firing.round + 1} reaches nobody "
            f"({'; '.join(firing.unreachable)}); skipped",
            markup=False,
        )
    if dry_run:
        for n in paging.planned:
            out.print(
                f"{incident}: would notify {n.describe()} (step {n.step + 1}, round {n.round + 1}, {n.target})",
                markup=False,
            )
        return
    for n in paging.reminders if dry_run else []:
        out.print(f"{incident}: would remind {n.describe()} ({getattr(n, 'reminder', '')})", markup=False)
    for record in paging.reminded:
        n = record.notification
        state = "reminded" if record.ok else f"FAILED to remind ({record.error})"
        out.print(f"{incident}: {state} {n.describe()} ({getattr(n, 'reminder', '')})", markup=False)
    for record in paging.sent:
        n = record.notification
        if record.ok:
            out.print(f"{incident}: notified {n.describe()} (step {n.step + 1}, round {n.round + 1})", markup=False)
        else:
            tried = f"after {record.attempts} attempt(s)" if record.attempts else "not sent"
            out.print(f"{incident}: FAILED {n.describe()} {tried}: {record.error}", markup=False)


def follow_command(
    until_idle: Annotated[
        bool,
        typer.Option("--until-idle", help="Stop as soon as no open incident has a step or a reminder to come."),
    ] = False,
    deadline: Annotated[
        str,
        typer.Option(
            "--deadline",
            help="Stop, and hand over to a fresh run, before this much time has passed (job limit less a margin).",
        ),
    ] = "5h",
    poll: Annotated[
        str, typer.Option("--poll", help="Longest sleep: new incidents and closed pull requests are seen within it.")
    ] = "1m",
    reminders: Annotated[
        bool, typer.Option("--reminders/--no-reminders", help="Remind of overdue public updates.")
    ] = True,
    handover: Annotated[
        bool,
        typer.Option("--handover/--no-handover", help="At the deadline, dispatch 'watchbill-follow' to continue."),
    ] = True,
    retries: Annotated[int, typer.Option("--retries", min=0, max=10, help="Retries per failed send.")] = 2,
    backoff: Annotated[float, typer.Option("--backoff", min=0, help="Seconds before the first retry.")] = 2.0,
    fmt: FormatOption = "text",
    remote: RemoteOption = "origin",
    at: AtOption = None,
    root: RootOption = None,
) -> None:
    """Follow every open incident: send each step when it falls due, re-checking acknowledgement, resolution
    and the pull request first, until nothing is left (--until-idle) or the deadline; then hand over.

    Sleeps until the next step or reminder of any open incident is due (at most --poll), and runs a pass
    exactly like ``escalate run --reminders``. With --at (or WATCHBILL_NOW) time is simulated: it starts there
    and every sleep passes at once. Exit 1 if any send failed or the hand-over could not be sent.

    JSON: {"started", "ended", "stopped" (idle|deadline|handed_over), "handed_over", "wakes", "following",
    "failed", "errors", "notes", "passes": [{"at", "incidents": [... as escalate run ...]}]}.
    """
    try:
        limit, longest = parse_duration(deadline), parse_duration(poll)
    except ValueError as exc:
        raise UsageError(f"--deadline/--poll: {exc}") from None
    simulated = at is not None or bool(os.environ.get("WATCHBILL_NOW"))
    start = instant(at)
    timer = SimulatedTime(start) if simulated else None
    options = FollowOptions(
        deadline=start + limit,
        until_idle=until_idle,
        poll=longest,
        reminders=reminders,
        retries=retries,
        backoff=backoff,
        handover=handover,
    )
    result = follow(
        find_root(root),
        clock=timer.now if timer else lambda: instant(None),
        sleep=timer.sleep if timer else time.sleep,
        options=options,
        env=os.environ,
        remote=remote,
    )
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    for error in result.errors:
        err.print(f"error: {error}", markup=False)
    emit(fmt, _follow_json(result), lambda: _print_follow(result))
    raise typer.Exit(1 if result.failed else 0)


def _follow_json(result: FollowResult) -> dict[str, Any]:
    return {
        "started": result.started,
        "ended": result.ended,
        "stopped": result.stopped,
        "handed_over": result.handed_over,
        "wakes": result.wakes,
        "following": result.following,
        "failed": result.failed,
        "errors": result.errors,
        "notes": result.notes,
        "passes": [{"at": p.at, "incidents": [_paging_json(i) for i in p.incidents]} for p in result.passes],
    }


def _print_follow(result: FollowResult) -> None:
    for done in result.passes:
        for paging in done.incidents:
            _print_paging(paging, dry_run=False)
    ended = format_instant(result.ended) if result.ended else "?"
    following = f"; still open: {', '.join(result.following)}" if result.following else ""
    how = {"idle": "nothing left to follow", "deadline": "deadline reached", "handed_over": "handed over"}
    out.print(f"followed until {ended} ({result.wakes} wake(s)): {how[result.stopped]}{following}", markup=False)


def ack_command(
    incident: Annotated[str, typer.Argument(help="Incident id, e.g. INC-2026-0007.")],
    by: Annotated[str | None, typer.Option("--by", help="Who acknowledges (a person id).")] = None,
    fmt: FormatOption = "text",
    remote: RemoteOption = "origin",
    at: AtOption = None,
    root: RootOption = None,
) -> None:
    """Acknowledge an incident: escalation stops sending for it.

    A record on the remote's main branch is acknowledged on the data branch (main is never pushed to); one
    the probes opened that is still on its pull request's branch is acknowledged on that branch; one only
    in this checkout is acknowledged in its file, for you to commit.

    JSON: {"at", "incident", "acknowledged_at", "by", "changed", "branch"} (``changed`` is false when it was
    acknowledged already; ``branch`` is where it was recorded, null when the checkout's file was edited).
    """
    moment = instant(at)
    ack = acknowledge_incident(organisation(root, moment), incident, moment, by=by, remote=remote)
    data = {
        "at": moment,
        "incident": ack.incident.id,
        "acknowledged_at": ack.acknowledged_at,
        "by": ack.by,
        "changed": ack.changed,
        "branch": ack.branch,
    }
    emit(fmt, data, lambda: _print_ack(ack))


def _print_ack(ack: Acknowledgement) -> None:
    where = f" on {ack.branch}" if ack.branch else ""
    stamp = format_instant(ack.acknowledged_at)
    if ack.changed:
        out.print(f"{ack.incident.id} acknowledged at {stamp}{where}", markup=False)
    else:
        out.print(f"{ack.incident.id} was already acknowledged at {stamp}{where}", markup=False)


def register(app: typer.Typer) -> None:
    escalate_app = typer.Typer(
        help="Escalation: simulate a policy, or send what is due for open incidents.", no_args_is_help=True
    )
    escalate_app.command("simulate")(simulate_command)
    escalate_app.command("run")(run_command)
    escalate_app.command("follow")(follow_command)
    app.add_typer(escalate_app, name="escalate")
    app.command("ack")(ack_command)
