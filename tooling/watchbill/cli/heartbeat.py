"""``watchbill heartbeat ping SERVICE/PROBE``: a batch or cron job says it ran (or, with --fail, that it failed).

Put it at the end of the job: ``backup.sh && watchbill heartbeat ping batch/nightly-backup``, or
``… || watchbill heartbeat ping batch/nightly-backup --fail -m "exit $?"``. The ping is recorded on the data
branch; the next probe run judges the heartbeat (failing once no ping came for ``every`` + ``grace``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..fields import format_instant
from ..probes.heartbeat import Ping, ping
from .common import AtOption, RemoteOption, RootOption, instant, organisation, out
from .output import FormatOption, emit


def ping_command(
    probe: Annotated[str, typer.Argument(help="The heartbeat probe, as service/probe.", show_default=False)],
    failed: Annotated[bool, typer.Option("--fail", help="Report that the job failed (counts at once).")] = False,
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="What the job says, with --fail (e.g. its exit code).")
    ] = None,
    fmt: FormatOption = "text",
    remote: RemoteOption = "origin",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Record that the job behind a heartbeat probe reported now, on the data branch.

    JSON: {"at", "probe", "failed", "last_ping", "pings", "late_after", "branch", "commit"}; ``late_after`` is
    when the probe run will count it failing without another ping (null after --fail).
    """
    now = instant(at)
    done = ping(organisation(root, now), probe, now, failed=failed, message=message, remote=remote)
    data = {
        "at": now,
        "probe": done.key,
        "failed": done.failed,
        "last_ping": done.entry.last_ping,
        "pings": done.entry.pings,
        "late_after": done.late_after,
        "branch": done.branch,
        "commit": done.commit,
    }
    emit(fmt, data, lambda: _print(done))


def _print(done: Ping) -> None:
    if done.failed:
        out.print(f"{done.key}: failure reported at {format_instant(done.at)}", markup=False)
        return
    late = f"; late after {format_instant(done.late_after)}" if done.late_after else ""
    out.print(f"{done.key}: ping recorded at {format_instant(done.at)} ({done.entry.pings} in all){late}", markup=False)


def register(app: typer.Typer) -> None:
    heartbeat_app = typer.Typer(help="Heartbeat checks: jobs that must report every so often.")
    heartbeat_app.command("ping")(ping_command)
    app.add_typer(heartbeat_app, name="heartbeat")


__all__ = ["register"]
