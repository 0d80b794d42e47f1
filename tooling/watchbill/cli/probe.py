"""``watchbill probe`` (run, merge, status, compact) and ``watchbill lifecycle``.

The probe workflow, as a GitHub Actions matrix::

    probe:   watchbill probe --shard ${{ matrix.shard }}/N --region ${{ matrix.region }} --out results-….json
    merge:   watchbill probe merge results-*.json --out merged.json
             watchbill lifecycle merged.json

A single runner can do both in one job: ``watchbill probe --out r.json && watchbill lifecycle r.json``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Annotated

import typer

from ..fields import format_instant, parse_duration
from ..forge.git import GitError, Repository
from ..forge.github import GitHubError, from_environment, repository_from
from ..lifecycle import Lifecycle, Open, Outcome, Recover, Relapse, Resolve, probes_by_key
from ..organisation import Organisation
from ..probes import (
    DEFAULT_REGION,
    ResultsFile,
    ResultsFileError,
    RunOptions,
    ShardError,
    merge,
    parse_shard,
    read_results,
    select,
    write_results,
)
from ..probes import run as run_probes
from ..state import compact, load_snapshot
from ..state.snapshot import Snapshot
from .common import AtOption, RemoteOption, RootOption, err, fail, find_root, instant, organisation, out

StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="A checkout of the data branch (default: fetch it from the remote).",
        show_default=False,
    ),
]


def _duration(text: str, option: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"{option}: {exc}", code=2)


@contextmanager
def _data_checkout(root: Path, org: Organisation, state: Path | None, remote: str) -> Iterator[Path | None]:
    """The data branch to read: the given folder, else a scratch copy fetched from the remote, else none."""
    if state is not None:
        if not state.is_dir():
            fail(f"--state {state} is not a directory", code=2)
        yield state
        return
    try:
        repo = Repository(root, remote=remote)
        head = repo.fetch(org.settings.data_branch)
    except GitError as exc:
        err.print(f"note: no probe state ({exc}); every probe counts as due", markup=False)
        yield None
        return
    if head is None:
        yield None
        return
    with repo.scratch(head) as scratch:
        yield scratch.path


def _print_results(results: ResultsFile) -> None:
    for result in results.results:
        verdict = {True: "up", False: "DOWN", None: "unknown"}[result.ok]
        latency = "" if result.latency_ms is None else f"{result.latency_ms:.0f} ms"
        detail = f"  {result.error}" if result.error else ""
        out.print(f"{verdict:8} {result.key:40} {latency:>9}{detail}", markup=False)
    failing = sum(1 for r in results.results if r.ok is False)
    err.print(f"{len(results.results)} probe(s), {failing} failing", markup=False)


def register(app: typer.Typer) -> None:
    probe_app = typer.Typer(
        help="Check services (HTTP, TCP, DNS, TLS) and combine the results of a matrix run.",
        invoke_without_command=True,
    )

    @probe_app.callback()
    def probe_command(
        ctx: typer.Context,
        all_probes: Annotated[bool, typer.Option("--all", help="Check every probe, due or not.")] = False,
        shard: Annotated[str, typer.Option("--shard", help="This matrix cell's share, 'i/n'.")] = "1/1",
        region: Annotated[str, typer.Option("--region", help="Region name this runner probes from.")] = (
            DEFAULT_REGION
        ),
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
        state: StateOption = None,
        remote: RemoteOption = "origin",
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Check the probes that are due (their own cron has fired since their last check), or --all."""
        if ctx.invoked_subcommand is not None:
            return
        now = instant(at)
        org = organisation(root, now)
        try:
            shard_pair = parse_shard(shard)
        except ShardError as exc:
            fail(str(exc), code=2)
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", region):
            fail(f"--region {region!r}: use a lower-case name such as 'eu-west' (letters, digits, - and _)", code=2)
        limit = _duration(budget, "--budget")
        if limit <= timedelta(0):
            fail("--budget must be longer than 0s", code=2)
        unknown = sorted(set(only or ()) - set(probes_by_key(org)))
        if unknown:
            fail(f"unknown probe(s): {', '.join(unknown)} (known: {', '.join(sorted(probes_by_key(org)))})", code=2)
        if ca_file is not None and not ca_file.is_file():
            fail(f"--ca-file {ca_file} is not a file", code=2)
        snapshot = Snapshot()
        if not all_probes:
            with _data_checkout(find_root(root), org, state, remote) as directory:
                snapshot = load_snapshot(directory, recent=1) if directory is not None else Snapshot()
        targets = select(
            org.services.values(),
            now=now,
            states=snapshot.probes,
            due_only=not all_probes,
            shard=shard_pair,
            region=region,
            only=only or (),
        )
        options = RunOptions(
            concurrency=concurrency,
            budget=limit,
            region=region,
            shard=shard,
            ca_file=ca_file,
        )
        results = run_probes(targets, options, now)
        if out_file is not None:
            write_results(out_file, results)
        if not targets:
            err.print("no probe is due in this shard and region", markup=False)
        _print_results(results)

    @probe_app.command("merge")
    def merge_command(
        files: Annotated[list[Path], typer.Argument(help="Results files of the matrix cells.")],
        out_file: Annotated[Path, typer.Option("--out", "-o", help="Where to write the merged results.")] = Path(
            "merged.json"
        ),
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Combine shard and region results into one verdict per probe, applying confirm {regions, min}."""
        now = instant(at)
        org = organisation(root, now)
        loaded = _read_all(files)
        merged = merge(loaded, probes_by_key(org), now)
        write_results(out_file, merged)
        _print_results(merged)

    @probe_app.command("status")
    def status_command(
        state: StateOption = None,
        remote: RemoteOption = "origin",
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Each probe's current streak, as recorded on the data branch."""
        now = instant(at)
        org = organisation(root, now)
        with _data_checkout(find_root(root), org, state, remote) as directory:
            snapshot = load_snapshot(directory, recent=1) if directory is not None else Snapshot()
        for problem in snapshot.problems:
            err.print(problem.text(), markup=False)
        if snapshot.last_run is None:
            out.print("no probe results recorded yet", markup=False)
            return
        age = now - snapshot.last_run
        out.print(f"last run {format_instant(snapshot.last_run)} ({_ago(age)} ago)", markup=False)
        for key in sorted(probes_by_key(org)):
            probe_state = snapshot.probes.get(key)
            if probe_state is None or probe_state.ok is None:
                out.print(f"{'never':8} {key}", markup=False)
                continue
            if probe_state.ok:
                line = f"{'up':8} {key:40} {probe_state.consecutive_successes} ok in a row"
            else:
                since = format_instant(probe_state.first_failure_at) if probe_state.first_failure_at else "?"
                line = (
                    f"{'DOWN':8} {key:40} {probe_state.consecutive_failures} failed in a row since {since}: "
                    f"{probe_state.last_error or ''}"
                )
            out.print(line, markup=False)

    @probe_app.command("compact")
    def compact_command(
        squash: Annotated[
            bool, typer.Option("--squash", help="Also replace the data branch's history with one commit.")
        ] = False,
        remote: RemoteOption = "origin",
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Roll old day logs into daily aggregates now; --squash also drops the branch's history to reclaim space."""
        now = instant(at)
        org = organisation(root, now)
        try:
            repo = Repository(find_root(root), remote=remote)
            published = repo.publish(
                org.settings.data_branch,
                lambda tree: compact(tree, now.astimezone(UTC).date()),
                "compact probe data" + (" (history squashed)" if squash else ""),
                orphan=squash,
            )
        except GitError as exc:
            fail(str(exc))
        for problem in published.value:
            err.print(problem.text(), markup=False)
        out.print("compacted" if published.changed else "nothing to compact", markup=False)

    app.add_typer(probe_app, name="probe")

    @app.command("lifecycle")
    def lifecycle_command(
        files: Annotated[list[Path], typer.Argument(help="Results of this run (merged, or one per cell).")],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show what would happen; push nothing, open nothing.")
        ] = False,
        remote: RemoteOption = "origin",
        repository: Annotated[
            str | None,
            typer.Option("--repository", help="GitHub owner/name (default: $GITHUB_REPOSITORY or the remote URL)."),
        ] = None,
        at: AtOption = None,
        root: RootOption = None,
    ) -> None:
        """Record the run on the data branch, then open, update or resolve incident records by pull request."""
        now = instant(at)
        org = organisation(root, now)
        loaded = _read_all(files)
        results = loaded[0] if len(loaded) == 1 and loaded[0].merged else merge(loaded, probes_by_key(org), now)
        try:
            repo = Repository(find_root(root), remote=remote)
            github = None
            if org.settings.lifecycle.mode == "pull_request" and not dry_run:
                name = repository or repository_from(os.environ, repo.remote.url)
                github = from_environment(os.environ, repository=name, now=now)
                if github is None:
                    err.print(
                        "note: no GitHub token (WATCHBILL_GITHUB_TOKEN, GH_TOKEN or GITHUB_TOKEN) and no GitHub "
                        "App (WATCHBILL_GITHUB_APP_ID, WATCHBILL_GITHUB_APP_PRIVATE_KEY): incident branches are "
                        "pushed, but no pull request is opened",
                        markup=False,
                    )
            outcome = Lifecycle(org, repo, now, github=github).run(results, dry_run=dry_run)
        except (GitError, GitHubError) as exc:
            fail(str(exc))
        _report(outcome, dry_run)
        if outcome.errors:
            raise typer.Exit(1)


def _read_all(files: list[Path]) -> list[ResultsFile]:
    loaded: list[ResultsFile] = []
    for path in files:
        try:
            loaded.append(read_results(path))
        except ResultsFileError as exc:
            fail(str(exc), code=2)
    return loaded


def _report(outcome: Outcome, dry_run: bool) -> None:
    for problem in outcome.problems:
        err.print(problem.text(), markup=False)
    recorded = outcome.recorded
    if recorded.run_id is None:
        out.print("no results to record", markup=False)
    elif recorded.appended:
        out.print(f"recorded run {recorded.run_id}" + (" (dry run)" if dry_run else ""), markup=False)
    else:
        out.print(f"run {recorded.run_id} was already recorded", markup=False)
    for note in outcome.plan.notes:
        out.print(f"note: {note}", markup=False)
    if dry_run:
        for action in outcome.plan.actions:
            if isinstance(action, Open):
                out.print(f"would open {action.incident.id} for {action.episode.probe}", markup=False)
            elif isinstance(action, Recover | Relapse | Resolve):
                verb = type(action).__name__.lower()
                out.print(f"would {verb} {action.episode.incident} ({action.episode.probe})", markup=False)
    for proposal in outcome.proposals:
        where = f" on {proposal.branch}" if proposal.branch else ""
        pull = f" ({proposal.pull.url})" if proposal.pull is not None else ""
        status = "" if proposal.changed else " (already done)"
        out.print(f"{proposal.incident} {proposal.action}{where}{pull}{status}", markup=False)
    for error in outcome.errors:
        err.print(f"error: {error}", markup=False)


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}m"
    return f"{minutes // 1440}d"


__all__ = ["register"]
