"""``watchbill lifecycle`` as one call: results files in, the data branch and incident records brought up to date.

The probe workflow's last job calls this after ``probe`` (and ``probe merge``); a test or another runner can
call it the same way. Without a GitHub token or App the incident branches are still pushed, and the returned
notes say that no pull request was opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..forge.git import Repository
from ..forge.github import GitHub, from_environment, repository_from
from ..organisation import Organisation
from ..probes.usecases import combined_results
from .flow import Lifecycle, LifecycleResult

NO_GITHUB_ACCESS = (
    "no GitHub token (WATCHBILL_GITHUB_TOKEN, GH_TOKEN or GITHUB_TOKEN) and no GitHub App "
    "(WATCHBILL_GITHUB_APP_ID, WATCHBILL_GITHUB_APP_PRIVATE_KEY): incident branches are pushed, "
    "but no pull request is opened"
)


@dataclass(frozen=True)
class LifecycleReport:
    at: datetime
    dry_run: bool
    result: LifecycleResult
    notes: tuple[str, ...] = ()


def run_lifecycle(
    org: Organisation,
    files: Sequence[Path],
    now: datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    remote: str = "origin",
    repository: str | None = None,
) -> LifecycleReport:
    """Record the run on the data branch, then open, update or resolve incident records by pull request.
    ``repository`` is GitHub's owner/name, by default from ``env`` or the remote's URL. Errors on single
    records are collected in the result; the run goes on past them."""
    results = combined_results(org, files, now)
    repo = Repository(org.root, remote=remote)
    github: GitHub | None = None
    notes: list[str] = []
    if not dry_run:
        name = repository or repository_from(env, repo.remote.url)
        github = from_environment(env, repository=name, now=now)
        if github is None:
            notes.append(NO_GITHUB_ACCESS)
    result = Lifecycle(org, repo, now, github=github).run(results, dry_run=dry_run)
    return LifecycleReport(now, dry_run, result, tuple(notes))


__all__ = ["LifecycleReport", "run_lifecycle"]
