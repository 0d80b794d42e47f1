"""Incidents on their pull-request branches, for a status page that shows an outage before anyone merges.

The probes (and people) open an incident as a record on its own branch (``watchbill/inc-2026-0007``) with a
pull request; responders write its public updates there. A status page that waited for the merge would
say "all systems operational" through the whole outage. So the site build reads every incident branch on
the remote and lays the records it finds over the checkout's:

- a record only on its branch is shown as it stands there (open, or resolved and not merged yet);
- a record on both the base branch and its branch shows the branch's state when the branch is newer (an
  open pull request after a merge, or commits the base branch does not have yet);
- a branch the base branch already contains (merged, nothing newer) changes nothing;
- a branch whose pull request GitHub reports closed without merging ("not an incident") is dropped, as
  :class:`~watchbill.incidents.branches.Dismissed` says; without a GitHub client that cannot be told,
  and the note says so;
- a record that does not validate (a person is mid-edit) is left out, with a note; the base branch's copy,
  if any, stands.

The overlaid records go through the same audience rules and view models as merged ones
(:mod:`watchbill.site.audience`), so the public build shows only public fields: the updates, never the
internal timeline. Cost per build: one ``ls-remote`` and one fetch per incident branch, and one GitHub
request per page of 100 pull requests, listed once when a branch differs from the base branch (see
:class:`~watchbill.incidents.branches.BranchRecords`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from ..forge.git import GitError, Repository
from ..forge.github import GitHub, GitHubError, from_environment, repository_from
from ..incidents.branches import BranchRecords, Unreadable
from ..incidents.ids import IncidentId
from ..models import Incident
from ..organisation import Organisation
from ..validate.records import load_every_incident

NO_REMOTE = "is not a clone with a remote '{remote}': incidents on their branches are not shown"
NO_GITHUB = (
    "no GitHub token: pull requests closed without merging cannot be told apart, so their records are shown; "
    "set GITHUB_TOKEN (pull-requests: read) for the site build"
)


@dataclass(frozen=True)
class BranchOverlay:
    """The organisation with its branch records laid over, and what was taken, dropped or left alone."""

    organisation: Organisation
    shown: tuple[str, ...] = ()
    """Incidents shown as their branch has them."""
    dismissed: tuple[str, ...] = ()
    """Incidents whose pull request was closed without merging: not shown (unless merged earlier)."""
    notes: tuple[str, ...] = ()


@dataclass
class _Reading:
    repo: Repository
    records: BranchRecords
    github: GitHub | None
    base_head: str | None
    shown: dict[str, Incident]
    dismissed: list[str]
    notes: list[str]


def with_branch_records(
    org: Organisation,
    now: datetime,
    *,
    env: Mapping[str, str],
    remote: str = "origin",
    github: GitHub | None = None,
) -> BranchOverlay:
    """``org`` with the records of its incident branches on ``remote`` laid over its own (see the module
    docstring). ``github`` defaults to a client from ``env`` (``GITHUB_TOKEN`` or a GitHub App); the site
    still builds, from the checkout alone, when the remote cannot be read."""
    if not (org.root / ".git").exists():
        return BranchOverlay(org)  # a plain folder (a preview, a test): its records are all there is
    try:
        repo = Repository(org.root, remote=remote)
    except GitError:
        return BranchOverlay(org, notes=(f"{org.root} " + NO_REMOTE.format(remote=remote),))
    notes: list[str] = []
    if github is None:
        github = from_environment(env, repository=repository_from(env, repo.remote.url), now=now)
    prefix = org.settings.lifecycle.branch_prefix
    try:
        heads = repo.heads(f"{prefix}*")
        records = BranchRecords(repo, org.settings, github=github)
        reading = _Reading(repo, records, github, records.base_head, {}, [], notes)
        for branch in sorted(heads):
            ident = IncidentId.from_branch(prefix, branch)
            if ident is not None:
                _read_branch(reading, ident, branch)
    except GitError as exc:
        notes.append(f"incident branches could not be read, so only merged records are shown: {exc}")
        return BranchOverlay(org, notes=tuple(notes))
    if github is None and reading.shown:
        notes.append(NO_GITHUB)
    if not reading.shown:  # keep the lazily built records (and their cache) when no branch adds one
        return BranchOverlay(org, (), tuple(reading.dismissed), tuple(notes))
    load_every_incident(org)  # from the record cache, as the build would: the overlay needs every record
    incidents = {**org.incidents, **reading.shown}
    overlaid = replace(org, incidents=dict(sorted(incidents.items())))
    return BranchOverlay(overlaid, tuple(reading.shown), tuple(reading.dismissed), tuple(notes))


def _read_branch(reading: _Reading, ident: IncidentId, branch: str) -> None:
    repo, path = reading.repo, ident.path
    head = repo.fetch(branch)
    if head is None:
        return  # deleted since the listing
    raw = repo.read(head, path)
    on_base = repo.read(reading.base_head, path) if reading.base_head is not None else None
    if raw is None or raw == on_base:
        return  # not an incident branch of ours, or merged with nothing newer
    if on_base is not None and reading.base_head is not None and repo.is_ancestor(head, reading.base_head):
        return  # merged, and the base branch has changed the record since: it is the newer one
    if _closed(reading, ident, branch, merged_record=on_base is not None):
        return
    found = reading.records.read(head, path)
    if isinstance(found, Incident) and found.id == str(ident):
        reading.shown[found.id] = found
    elif isinstance(found, Incident):
        reading.notes.append(f"{branch}: {path} holds {found.id}, not {ident}; left out")
    elif isinstance(found, Unreadable):
        reading.notes.append(f"{branch}: {found.reason}; left out until it validates")


def _closed(reading: _Reading, ident: IncidentId, branch: str, *, merged_record: bool) -> bool:
    """Whether GitHub says the branch's pull request is over: closed without merging (dismissed), or merged
    with no pull request open since (the base branch's record is then the one to show)."""
    if reading.github is None:
        return False
    try:
        if reading.records.open_pull(branch) is not None:
            return False
        closed = reading.records.last_closed(branch)
    except GitHubError as exc:
        # Better an incident shown that people dismissed than an outage hidden: show it, and say why.
        reading.notes.append(f"{branch}: GitHub could not say whether its pull request is open ({exc}); shown")
        return False
    if closed is None:
        return False  # no pull request yet (GitHub App missing, or opening failed): the branch is the record
    if not closed.merged:
        reading.dismissed.append(str(ident))
        return True
    return merged_record
