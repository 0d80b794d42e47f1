"""Incident records as they stand on the remote's branches, before anyone merges their pull request.

The probe lifecycle, paging and acknowledgement ask the same questions of the remote: which ids incident
branches already hold, where a record's next edit builds from (its open branch, or the base branch once the
pull request was merged), and what the record there says. The answers live here once. Git goes through
:class:`~watchbill.forge.git.Repository`; GitHub, when given, tells a pull request closed without merging
(people decided it was no incident) apart from one still open.

GitHub's rate limit is small (1,000 requests an hour for a workflow's token) and a follower pass or a site
build asks about every incident branch: the pull requests are listed once per :class:`BranchRecords`
(``state=all``, one request per page of 100, see :meth:`~watchbill.forge.github.GitHub.list_pulls`) and every
branch is answered from that listing; only a branch older than the listing's bound costs requests of its own.
A listing that fails fails every question the same way, without asking again.
"""

from __future__ import annotations

from functools import cached_property
from typing import Protocol

from pydantic import ValidationError

from ..files.loader import parse
from ..forge.git import Repository
from ..forge.github import GitHub, GitHubError, PullListing, PullRequest
from ..models import Incident, Settings
from ..problems import LocatedError
from .ids import IncidentId


class Dismissed:
    """A record whose pull request was closed without merging: people decided it was not an incident."""

    def __repr__(self) -> str:
        return "DISMISSED"


DISMISSED = Dismissed()


class Unreadable:
    """A record that exists but does not parse or validate (a person is mid-edit): left alone until fixed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


Found = Incident | Dismissed | Unreadable | None
"""A record as found: the incident, dismissed, unreadable, or None when it does not exist (yet)."""


class Place(Protocol):
    """Where one record lives: its file, and its incident branch (None when records go to the base branch)."""

    @property
    def path(self) -> str: ...

    @property
    def branch(self) -> str | None: ...


def reserved_ids(repo: Repository, prefix: str) -> list[IncidentId]:
    """Ids that incident branches on the remote already hold: a new incident must not take them."""
    found = (IncidentId.from_branch(prefix, head) for head in repo.heads(f"{prefix}*"))
    return [ident for ident in found if ident is not None]


class BranchRecords:
    """Reads records from one remote for one organisation's settings; the base branch's tip is fetched once."""

    def __init__(self, repo: Repository, settings: Settings, *, github: GitHub | None = None) -> None:
        self.repo = repo
        self.github = github
        self.base = settings.lifecycle.base_branch
        self.pull_requests = settings.lifecycle.mode == "pull_request"

    @cached_property
    def base_head(self) -> str | None:
        return self.repo.fetch(self.base)

    @cached_property
    def _pulls(self) -> PullListing | GitHubError:
        assert self.github is not None
        try:
            return self.github.list_pulls()
        except GitHubError as exc:
            return exc

    def _listing(self, branch: str) -> PullListing | None:
        """The listing when it answers for ``branch``; None when the branch must be asked about alone."""
        listing = self._pulls
        if isinstance(listing, GitHubError):
            raise listing
        return listing if listing.knows(branch) else None

    def open_pull(self, branch: str) -> PullRequest | None:
        """The branch's open pull request (raises ``GitHubError``; only with a GitHub client)."""
        assert self.github is not None
        listing = self._listing(branch)
        return listing.open_pull(branch) if listing is not None else self.github.find_pull(branch)

    def last_closed(self, branch: str) -> PullRequest | None:
        """The branch's newest closed pull request, merged or not (raises ``GitHubError``)."""
        assert self.github is not None
        listing = self._listing(branch)
        return listing.last_closed(branch) if listing is not None else self.github.find_pull(branch, "closed")

    def dismissed(self, branch: str) -> bool:
        """Whether the branch's pull request was closed without merging and none is open (``GitHubError``)."""
        assert self.github is not None
        listing = self._listing(branch)
        return listing.dismissed(branch) if listing is not None else self.github.dismissed(branch)

    def read(self, commit: str | None, path: str) -> Found:
        """The record at ``path`` in ``commit``; None when either is missing."""
        if commit is None:
            return None
        raw = self.repo.read(commit, path)
        if raw is None:
            return None
        try:
            return Incident.model_validate(parse(raw.decode("utf-8"), path).data)
        except (LocatedError, ValidationError, UnicodeDecodeError) as exc:
            return Unreadable(f"{path} does not validate: {str(exc).splitlines()[0]}")

    def start_for(self, place: Place, head: str | None) -> str | None:
        """Where the next edit of the record builds from: its open branch, else the base branch."""
        if head is None:
            return self.base_head
        if self.github is not None:
            try:
                if self.open_pull(place.branch or "") is not None:
                    return head
            except GitHubError:
                return head
        on_base = self.read(self.base_head, place.path)
        if on_base is None:
            return head  # never merged: the branch is the record's only home
        if self.base_head is not None and self.repo.is_ancestor(head, self.base_head):
            return self.base_head  # merged: follow-up changes start from the base branch
        if self.repo.read(head, place.path) == self.repo.read(self.base_head or head, place.path):
            return self.base_head  # squash-merged, nothing newer on the branch
        return head

    def locate(self, place: Place) -> Found:
        """The record as it stands where its next edit would build from."""
        if not self.pull_requests or place.branch is None:
            return self.read(self.base_head, place.path)
        head = self.repo.fetch(place.branch)
        if self.github is not None and head is not None:
            try:
                if self.dismissed(place.branch):
                    return DISMISSED
            except GitHubError:
                pass
        start = self.start_for(place, head)
        found = self.read(start, place.path)
        if found is None and head is not None and start == self.base_head:
            return DISMISSED  # merged, then removed from the base branch by a person
        return found
