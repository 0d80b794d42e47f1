"""Propose a person's edit to an incident as a pull request, without touching their checkout.

What is particular to a person's edit lives here: pushing it to the incident's branch (named by
:class:`~watchbill.incidents.ids.IncidentId`), and the pull request's text. The git work (a scratch tree of the
branch, commit, push, and replaying the edit on a newer tip when someone else pushed first, e.g. the probe
lifecycle) is :class:`~watchbill.forge.git.Repository`'s; the GitHub work is
:class:`~watchbill.forge.github.GitHub`'s, configured from the same environment as the probe lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from ..errors import ForgeError
from ..forge.git import GitError, Published, Repository
from ..forge.github import GitHub, PullRequest, from_environment, repository_from
from ..models import Incident, Settings
from .ids import IncidentId

T = TypeVar("T")


class ProposalError(ForgeError):
    """The repository or the environment is not set up for --pr; the message says what to set."""


def connect(root: Path, environ: Mapping[str, str], *, now: datetime) -> tuple[Repository, GitHub]:
    """The clone to push from and the GitHub client, both checked before anything is pushed.

    ``now`` is the wall clock: a GitHub App's token request is signed with it.
    """
    try:
        repo = Repository(root)
    except GitError:
        raise ProposalError(f"{root} is not a git repository with an 'origin' remote; --pr pushes there") from None
    name = repository_from(environ, repo.remote.url)
    if name is None:
        raise ProposalError("set GITHUB_REPOSITORY=owner/name; the origin remote is not on github.com")
    github = from_environment(environ, repository=name, now=now)
    if github is None:
        raise ProposalError(
            "set WATCHBILL_GITHUB_TOKEN, GH_TOKEN or GITHUB_TOKEN (a token that may push and open pull requests), "
            "or a GitHub App's WATCHBILL_GITHUB_APP_ID and WATCHBILL_GITHUB_APP_PRIVATE_KEY, to use --pr"
        )
    return repo, github


def push(
    repo: Repository,
    settings: Settings,
    incident_id: IncidentId,
    change: Callable[[Path], T],
    message: str | Callable[[T], str],
    *,
    github: GitHub | None = None,
) -> Published[T]:
    """Apply ``change`` to a scratch tree of the incident's branch (the base branch's tip for a new one),
    commit and push it. When the branch moved meanwhile, ``change`` runs again on its new tip, so it must
    read what it edits from the tree it is given.

    A branch whose pull request was merged is stale once its record lives on the base branch: the change
    then builds on the base branch's tip, so the follow-up pull request carries no old commits and cannot
    conflict. Merged means the branch's tip is in the base branch (a merge commit, a fast-forward), or, given
    ``github``, that its last pull request was merged and none is open (a squash or rebase merge)."""
    base = settings.lifecycle.base_branch
    branch = incident_id.branch(settings.lifecycle.branch_prefix)

    def start(head: str | None) -> str:
        base_tip = repo.fetch(base)
        tip = head if head is not None and not _merged(repo, github, branch, head, base_tip) else base_tip
        if tip is None:
            raise ProposalError(f"the base branch '{base}' is not on the remote; check lifecycle.base_branch")
        return tip

    return repo.publish(branch, change, message, start=start)


def _merged(repo: Repository, github: GitHub | None, branch: str, head: str, base_tip: str | None) -> bool:
    if base_tip is not None and repo.is_ancestor(head, base_tip):
        return True
    if github is None or github.find_pull(branch) is not None:
        return False
    last = github.find_pull(branch, "closed")
    return last is not None and last.merged


def open_pull(github: GitHub, settings: Settings, incident: Incident, extra: str = "") -> tuple[PullRequest, bool]:
    """Open the incident's pull request, or bring the open one's title and labels up to date."""
    title, body = pull_request_text(incident, extra)
    labels = list(dict.fromkeys([*settings.lifecycle.labels, incident.severity]))
    branch = IncidentId.parse(incident.id).branch(settings.lifecycle.branch_prefix)
    return github.ensure_pull(branch, settings.lifecycle.base_branch, title, body, labels)


def pull_title(incident: Incident) -> str:
    """One title format for every incident pull request, whoever opens it (a person or the probes), so a
    later edit by the other does not flip it; the status in brackets is kept current."""
    return f"{incident.id}: {incident.title} [{incident.status}]"


def pull_request_text(incident: Incident, extra: str = "") -> tuple[str, str]:
    title = pull_title(incident)
    latest = incident.updates[-1].message if incident.updates else ""
    services = ", ".join(f"`{s.service}` ({s.impact.replace('_', ' ')})" for s in incident.services)
    lines = [
        f"Incident record `{incident.id}`: {incident.severity}, {incident.visibility}; its status is in the title.",
        "",
        f"- Services: {services}",
        f"- Detected by: {incident.detected_by}",
    ]
    if latest:
        lines += ["", "Public update when this was opened:", "", "> " + latest.replace("\n", "\n> ")]
    if extra:
        lines += ["", extra]
    lines += [
        "",
        "`watchbill` keeps the status in the title current; this text is yours to edit. Merging publishes the record.",
    ]
    return title, "\n".join(lines)
