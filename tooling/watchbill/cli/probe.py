"""``watchbill probe`` (run, merge, status, compact) and ``watchbill lifecycle``: parse, one library call, report.

The probe workflow, as a GitHub Actions matrix::

    probe:   watchbill probe --shard ${{ matrix.shard }}/N --region ${{ matrix.region }} --out results-….json
    merge:   watchbill probe merge results-*.json --out merged.json
             watchbill lifecycle merged.json

A single runner can do both in one job: ``watchbill probe --out r.json && watchbill lifecycle r.json``.
The results file ``--out`` writes is its own format (``watchbill-results/1``); ``--format json`` only shapes
what is printed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from ..fields import format_instant
from ..lifecycle import LifecycleResult, Open, Recover, Relapse, Resolve
from ..lifecycle.plan import Action
from ..lifecycle.usecases import LifecycleReport, run_lifecycle
from ..probes import DEFAULT_REGION, ResultsFile
from ..probes.usecases import (
    Compaction,
    ProbeStatus,
    check_probes,
    compact_probe_data,
    merge_results_files,
    probe_status,
)
from ..problems import Problem
from .common import AtOption, RemoteOption, RootOption, err, instant, organisation, out
from .output import FormatOption, emit

StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="A checkout of the data branch (default: fetch it from the remote).",
        show_default=False,
    ),
]


def probe_command(
    ctx: typer.Context,
    all_probes: Annotated[bool, typer.Option("--all", help="Check every probe, due or not.")] = False,
    shard: Annotated[str, typer.Option("--shard", help="This matrix cell's share, 'i/n'.")] = "1/1",
    region: Annotated[str, typer.Option("--region", help="Region name this runner probes from.")] = DEFAULT_REGION,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Check just this service/probe (repeatable).")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the results file here.", show_default=False)
    ] = None,
    budget: Annotated[str, typer.Option("--budget", help="Hard limit for the whole run.")] = "4m",
    concurrency: Annotated[int, typer.Option("--concurrency", help="Checks in flight at once.", min=1)] = 200,
    ca_file: Annotated[
        Path | None,
        typer.Option("--ca-file", help="Extra trusted CA certificates (PEM) for private services."),
    ] = None,
    fmt: FormatOption = "text",
    state: StateOption = None,
    remote: RemoteOption = "origin",
    at: AtOption = None,
    root: RootOption = None,
) -> None:
    """Check the probes that are due (their own cron has fired since their last check), or --all.

    JSON: {"at", "region", "shard", "out", "probes", "failing", "results": [{"key", "at", "ok", "latency_ms",
    "error", "attempts", "region", "regions"}]}; ``ok`` is null for a probe that could not be checked.
    """
    if ctx.invoked_subcommand is not None:
        return
    now = instant(at)
    checked = check_probes(
        organisation(root, now),
        now,
        all_probes=all_probes,
        shard=shard,
        region=region,
        only=only or (),
        budget=budget,
        concurrency=concurrency,
        ca_file=ca_file,
        state=state,
        remote=remote,
        out=out_file,
    )
    _notes(checked.notes)
    data = {"at": now, "region": region, "shard": shard, "out": out_file, **_results_json(checked.results)}
    emit(fmt, data, lambda: _print_results(checked.results))


def _results_json(results: ResultsFile) -> dict[str, Any]:
    failing = sum(1 for r in results.results if r.ok is False)
    return {"probes": len(results.results), "failing": failing, "results": results.results}


def _print_results(results: ResultsFile) -> None:
    for result in results.results:
        verdict = {True: "up", False: "DOWN", None: "unknown"}[result.ok]
        latency = "" if result.latency_ms is None else f"{result.latency_ms:.0f} ms"
        detail = f"  {result.error}" if result.error else ""
        out.print(f"{verdict:8} {result.key:40} {latency:>9}{detail}", markup=False)
    failing = sum(1 for r in results.results if r.ok is False)
    err.print(f"{len(results.results)} probe(s), {failing} failing", markup=False)


def merge_command(
    files: Annotated[list[Path], typer.Argument(help="Results files of the matrix cells.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="Where to write the merged results.")] = Path(
        "merged.json"
    ),
    fmt: FormatOption = "text",
    at: AtOption = None,
    root: RootOption = None,
) -> None:
    """Combine shard and region results into one verdict per probe, applying confirm {regions, min}.

    JSON: {"at", "out", "probes", "failing", "results": [...]}, each result as for ``probe``, with "regions"
    saying what each region saw.
    """
    now = instant(at)
    merged = merge_results_files(organisation(root, now), files, now, out=out_file)
    emit(fmt, {"at": now, "out": out_file, **_results_json(merged)}, lambda: _print_results(merged))


def status_command(
    fmt: FormatOption = "text",
    state: StateOption = None,
    remote: RemoteOption = "origin",
    at: AtOption = None,
    root: RootOption = None,
) -> None:
    """Each probe's current streak, as recorded on the data branch.

    JSON: {"at", "last_run", "age_seconds", "problems", "probes": [{"key", "state" (up, down or never),
    "last_checked", "consecutive_successes", "consecutive_failures", "first_failure_at", "last_error"}]};
    ``last_run`` and ``age_seconds`` are null before the first recorded run.
    """
    now = instant(at)
    status = probe_status(organisation(root, now), state=state, remote=remote)
    _notes(status.notes)
    _problems(status.snapshot.problems)
    last_run = status.snapshot.last_run
    data = {
        "at": now,
        "last_run": last_run,
        "age_seconds": None if last_run is None else now - last_run,
        "problems": status.snapshot.problems,
        "probes": [_probe_json(status, key) for key in sorted(status.probes)],
    }
    emit(fmt, data, lambda: _print_status(status, now))


_PROBE_FIELDS = ("last_checked", "consecutive_successes", "consecutive_failures", "first_failure_at", "last_error")


def _probe_json(status: ProbeStatus, key: str) -> dict[str, Any]:
    probe = status.snapshot.probes.get(key)
    if probe is None or probe.ok is None:
        return {"key": key, "state": "never", **dict.fromkeys(_PROBE_FIELDS)}
    return {"key": key, "state": "up" if probe.ok else "down", **{name: getattr(probe, name) for name in _PROBE_FIELDS}}


def _print_status(status: ProbeStatus, now: datetime) -> None:
    if status.snapshot.last_run is None:
        out.print("no probe results recorded yet", markup=False)
        return
    age = now - status.snapshot.last_run
    out.print(f"last run {format_instant(status.snapshot.last_run)} ({_ago(age)} ago)", markup=False)
    for key in sorted(status.probes):
        probe = status.snapshot.probes.get(key)
        if probe is None or probe.ok is None:
            out.print(f"{'never':8} {key}", markup=False)
            continue
        if probe.ok:
            line = f"{'up':8} {key:40} {probe.consecutive_successes} ok in a row"
        else:
            since = format_instant(probe.first_failure_at) if probe.first_failure_at else "?"
            line = (
                f"{'DOWN':8} {key:40} {probe.consecutive_failures} failed in a row since {since}: "
                f"{probe.last_error or ''}"
            )
        out.print(line, markup=False)


def compact_command(
    squash: Annotated[
        bool, typer.Option("--squash", help="Also replace the data branch's history with one commit.")
    ] = False,
    fmt: FormatOption = "text",
    remote: RemoteOption = "origin",
    at: AtOption = None,
    root: RootOption = None,
) -> None:
    """Roll old day logs into daily aggregates now; --squash also drops the branch's history to reclaim space.

    JSON: {"at", "changed", "squashed", "commit", "problems"}.
    """
    now = instant(at)
    compaction = compact_probe_data(organisation(root, now), now, squash=squash, remote=remote)
    _problems(compaction.problems)
    emit(fmt, {"at": now, **_compaction_json(compaction)}, lambda: _print_compaction(compaction))


def _compaction_json(compaction: Compaction) -> dict[str, Any]:
    return {
        "changed": compaction.changed,
        "squashed": compaction.squashed,
        "commit": compaction.commit,
        "problems": compaction.problems,
    }


def _print_compaction(compaction: Compaction) -> None:
    out.print("compacted" if compaction.changed else "nothing to compact", markup=False)


def lifecycle_command(
    files: Annotated[list[Path], typer.Argument(help="Results of this run (merged, or one per cell).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would happen; push nothing, open nothing.")
    ] = False,
    fmt: FormatOption = "text",
    remote: RemoteOption = "origin",
    repository: Annotated[
        str | None,
        typer.Option("--repository", help="GitHub owner/name (default: $GITHUB_REPOSITORY or the remote URL)."),
    ] = None,
    at: AtOption = None,
    root: RootOption = None,
) -> None:
    """Record the run on the data branch, then open, update or resolve incident records by pull request.

    Exit 1 if any record could not be brought up to date. JSON: {"at", "dry_run", "run_id", "recorded",
    "data_commit", "notes", "problems", "planned": [{"action", "incident", "probe"}], "proposals": [{"incident",
    "action", "branch", "commit", "changed", "pull_url", "pull_created"}], "errors"}; ``recorded`` is false
    when the run was recorded before (or had no results).
    """
    now = instant(at)
    report = run_lifecycle(
        organisation(root, now),
        files,
        now,
        env=os.environ,
        dry_run=dry_run,
        remote=remote,
        repository=repository,
    )
    _notes(report.notes)
    _problems(report.result.problems)
    emit(fmt, _lifecycle_json(report), lambda: _report(report.result, dry_run))
    for error in report.result.errors:
        err.print(f"error: {error}", markup=False)
    if report.result.errors:
        raise typer.Exit(1)


def _lifecycle_json(report: LifecycleReport) -> dict[str, Any]:
    result = report.result
    return {
        "at": report.at,
        "dry_run": report.dry_run,
        "run_id": result.recorded.run_id,
        "recorded": result.recorded.appended,
        "data_commit": result.data_commit,
        "notes": [*report.notes, *result.plan.notes],
        "problems": result.problems,
        "planned": [planned for planned in map(_planned_json, result.plan.actions) if planned is not None],
        "proposals": [
            {
                "incident": p.incident,
                "action": p.action,
                "branch": p.branch,
                "commit": p.commit,
                "changed": p.changed,
                "pull_url": p.pull.url if p.pull is not None else None,
                "pull_created": p.pull_created,
            }
            for p in result.proposals
        ],
        "errors": result.errors,
    }


def _planned_json(action: Action) -> dict[str, str] | None:
    if isinstance(action, Open):
        return {"action": "open", "incident": action.incident.id, "probe": action.episode.probe}
    if isinstance(action, Recover | Relapse | Resolve):
        return {"action": _verb(action), "incident": action.episode.incident, "probe": action.episode.probe}
    return None


def _verb(action: Recover | Relapse | Resolve) -> str:
    return type(action).__name__.lower()


def _report(result: LifecycleResult, dry_run: bool) -> None:
    """The lifecycle's text report; the probe workflow greps it (see ``test_workflows``)."""
    recorded = result.recorded
    if recorded.run_id is None:
        out.print("no results to record", markup=False)
    elif recorded.appended:
        out.print(f"recorded run {recorded.run_id}" + (" (dry run)" if dry_run else ""), markup=False)
    else:
        out.print(f"run {recorded.run_id} was already recorded", markup=False)
    for note in result.plan.notes:
        out.print(f"note: {note}", markup=False)
    if dry_run:
        for action in result.plan.actions:
            if isinstance(action, Open):
                out.print(f"would open {action.incident.id} for {action.episode.probe}", markup=False)
            elif isinstance(action, Recover | Relapse | Resolve):
                out.print(f"would {_verb(action)} {action.episode.incident} ({action.episode.probe})", markup=False)
    for proposal in result.proposals:
        where = f" on {proposal.branch}" if proposal.branch else ""
        pull = f" ({proposal.pull.url})" if proposal.pull is not None else ""
        status = "" if proposal.changed else " (already done)"
        out.print(f"{proposal.incident} {proposal.action}{where}{pull}{status}", markup=False)


def _notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        err.print(f"note: {note}", markup=False)


def _problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        err.print(problem.text(), markup=False)


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}m"
    return f"{minutes // 1440}d"


def register(app: typer.Typer) -> None:
    probe_app = typer.Typer(
        help="Check services (HTTP, TCP, DNS, TLS) and combine the results of a matrix run.",
        invoke_without_command=True,
    )
    probe_app.callback()(probe_command)
    probe_app.command("merge")(merge_command)
    probe_app.command("status")(status_command)
    probe_app.command("compact")(compact_command)
    app.add_typer(probe_app, name="probe")
    app.command("lifecycle")(lifecycle_command)


__all__ = ["register"]
