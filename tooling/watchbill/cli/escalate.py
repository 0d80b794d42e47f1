"""``watchbill escalate simulate|run`` and ``watchbill ack``."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated

import typer

from ..fields import format_duration, format_instant
from ..forge.git import GitError, Repository
from ..paging import run as pager
from ..paging.branches import acknowledge_on_branch, run_pending
from ..paging.plan import Firing, plan
from .common import AtOption, RemoteOption, RootOption, err, fail, find_root, instant, organisation, out


def offset(firing: Firing) -> str:
    seconds = round(firing.offset_seconds)
    return "+0m" if seconds == 0 else "+" + format_duration(timedelta(seconds=seconds))


def register(app: typer.Typer) -> None:
    escalate_app = typer.Typer(
        help="Escalation: simulate a policy, or send what is due for open incidents.", no_args_is_help=True
    )

    @escalate_app.command("simulate")
    def simulate_command(
        service: Annotated[str, typer.Option("--service", help="Service the hypothetical incident affects.")],
        severity: Annotated[
            str | None, typer.Option("--severity", help="Severity (default: the service's).", show_default=False)
        ] = None,
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Print who would be notified, through what and when, for an incident nobody acknowledges."""
        moment = instant(at)
        org = organisation(root, moment)
        if service not in org.services:
            fail(f"unknown service '{service}' (known: {', '.join(sorted(org.services)) or 'none'})")
        picked = org.services[service]
        severity = severity or picked.severity
        if severity not in org.severities:
            fail(f"unknown severity '{severity}' (known: {', '.join(sorted(org.severities))})")
        policy = org.policy_for(picked, org.severities[severity])
        if policy is None:
            fail(f"no escalation policy applies to service '{service}' at {severity}")
        out.print(
            f"{severity} on {service}, detected {moment.strftime('%Y-%m-%d %H:%M UTC')}: policy {policy.id}",
            markup=False,
        )
        firings = plan(policy, org, incident_id="INC-0000-0000", severity=severity, detected_at=moment)
        if not firings:
            out.print(f"no step of policy {policy.id} applies to {severity}: nobody would be notified", markup=False)
        for firing in firings:
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

    @escalate_app.command("run")
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
        remote: RemoteOption = "origin",
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Send every due, unsent step for open incidents and record it in the incident's timeline.

        Records on incident branches (opened by the probes, not merged yet) are paged too, and the
        notifications are committed to their branch. Exit 1 if any send failed (it is retried next run).
        """
        moment = instant(at)
        org = organisation(root, moment)
        send_options = {"retries": retries, "backoff": backoff}
        runs = pager.run(org, moment, env=os.environ, dry_run=dry_run, send_options=send_options)
        errors: list[str] = []
        if branches and org.settings.lifecycle.mode == "pull_request":
            try:
                pending = run_pending(
                    org,
                    Repository(find_root(root), remote=remote),
                    moment,
                    env=os.environ,
                    dry_run=dry_run,
                    send_options=send_options,
                )
            except GitError as exc:
                err.print(f"note: incident branches not checked ({exc})", markup=False)
            else:
                runs.extend(pending.runs)
                errors = pending.errors
        failed = len(errors)
        for error in errors:
            err.print(f"error: {error}", markup=False)
        for result in runs:
            if result.note:
                out.print(f"{result.incident}: {result.note}", markup=False)
            for firing in result.skipped:
                out.print(
                    f"{result.incident}: step {firing.step + 1} round {firing.round + 1} reaches nobody "
                    f"({'; '.join(firing.unreachable)}); skipped",
                    markup=False,
                )
            if dry_run:
                for n in result.planned:
                    out.print(
                        f"{result.incident}: would notify {n.describe()} "
                        f"(step {n.step + 1}, round {n.round + 1}, {n.target})",
                        markup=False,
                    )
                continue
            for record in result.sent:
                n = record.notification
                if record.ok:
                    out.print(
                        f"{result.incident}: notified {n.describe()} (step {n.step + 1}, round {n.round + 1})",
                        markup=False,
                    )
                else:
                    failed += 1
                    tried = f"after {record.attempts} attempt(s)" if record.attempts else "not sent"
                    out.print(f"{result.incident}: FAILED {n.describe()} {tried}: {record.error}", markup=False)
        quiet = not errors and not any(r.planned or r.skipped or r.note for r in runs)
        if quiet:
            out.print(f"nothing due ({len(runs)} open unacknowledged incident(s))", markup=False)
        raise typer.Exit(1 if failed else 0)

    app.add_typer(escalate_app, name="escalate")

    @app.command("ack")
    def ack_command(
        incident: Annotated[str, typer.Argument(help="Incident id, e.g. INC-2026-0007.")],
        by: Annotated[str | None, typer.Option("--by", help="Who acknowledges (a person id).")] = None,
        remote: RemoteOption = "origin",
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Acknowledge an incident: escalation stops sending for it.

        A record the probes opened that is still on its pull request's branch is acknowledged on that branch.
        """
        moment = instant(at)
        org = organisation(root, moment)
        where = ""
        try:
            if incident not in org.incidents and org.settings.lifecycle.mode == "pull_request":
                record, changed, branch = acknowledge_on_branch(
                    org, Repository(find_root(root), remote=remote), incident, moment, by
                )
                where = f" on {branch}"
            else:
                record, changed = pager.acknowledge(org, incident, moment, by)
        except pager.AckError as exc:
            fail(str(exc))
        except GitError as exc:
            fail(f"unknown incident {incident}: not in this checkout, and its branch could not be checked ({exc})")
        assert record.acknowledged_at is not None
        stamp = format_instant(record.acknowledged_at)
        if changed:
            out.print(f"{incident} acknowledged at {stamp}{where}", markup=False)
        else:
            out.print(f"{incident} was already acknowledged at {stamp}{where}", markup=False)
