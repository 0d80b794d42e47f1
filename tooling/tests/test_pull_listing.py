"""What GitHub says about incident pull requests costs one request per page of pull requests, not two per
incident branch: :meth:`GitHub.list_pulls` (``state=all``, paginated, bounded) answers every branch a follower
pass or a site build asks about, through :class:`~watchbill.incidents.branches.BranchRecords`. Real git (a bare
remote with incident branches) and the local GitHub API server, counting its requests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.github_server import TOKEN, FakeGitHub
from support.org_repo import clone, git, make_repo

from watchbill.forge.git import Repository
from watchbill.forge.github import GitHub
from watchbill.incidents.branches import DISMISSED, BranchRecords
from watchbill.incidents.ids import IncidentId
from watchbill.models import Incident, Settings

RECORD = """\
id: {ident}
title: Checkout fails
severity: SEV-1
status: investigating
services:
  - service: api
    impact: major_outage
detected_by: monitor
started_at: 2026-11-23T11:40:00Z
detected_at: 2026-11-23T11:45:00Z
"""


@dataclass(frozen=True)
class _Place:
    path: str
    branch: str | None


@dataclass
class World:
    tmp: Path
    work: Path
    remote: Path
    github: FakeGitHub
    client: GitHub

    def incident_branch(self, number: int) -> _Place:
        """A record pushed on its own incident branch, as the probes or a person leave it."""
        ident = IncidentId.parse(f"INC-2026-{number:04d}")
        branch = ident.branch("watchbill/")
        person = clone(self.remote, self.tmp / f"person-{number}")
        git(person, "checkout", "-q", "-b", branch)
        (person / ident.path).parent.mkdir(parents=True, exist_ok=True)
        (person / ident.path).write_text(RECORD.format(ident=ident))
        git(person, "add", "-A")
        git(person, "commit", "-q", "-m", f"{ident}: opened")
        git(person, "push", "-q", "origin", branch)
        return _Place(ident.path, branch)

    def records(self) -> BranchRecords:
        repo = Repository(clone(self.remote, self.tmp / "reader"))
        return BranchRecords(repo, Settings(organisation="Example"), github=self.client)

    def pull_calls(self) -> int:
        return sum(1 for method, path in self.github.calls if method == "GET" and path.endswith("/pulls"))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    work, remote = make_repo(tmp_path)
    with FakeGitHub(bare=remote, actions_create_pulls=True) as github:
        client = GitHub(github.repository, TOKEN, api_url=github.url, sleep=lambda s: None)
        yield World(tmp_path, work, remote, github, client)
        client.close()


def test_the_listing_reads_every_page_once_and_groups_pull_requests_by_branch(world: World) -> None:
    for n in range(150):
        world.github.add_pull(f"feature/{n}", state="closed", merged=n % 2 == 0)
    world.github.add_pull("watchbill/inc-2026-0001", state="closed")
    reopened = world.github.add_pull("watchbill/inc-2026-0001")
    listing = world.client.list_pulls()
    assert listing.complete and world.pull_calls() == 2  # 152 pull requests: two pages of 100
    assert listing.open_pull("watchbill/inc-2026-0001") is not None
    assert listing.open_pull("watchbill/inc-2026-0001").number == reopened  # type: ignore[union-attr]
    assert not listing.dismissed("watchbill/inc-2026-0001")  # closed once, open again
    assert listing.last_closed("feature/0") is not None and listing.last_closed("feature/0").merged  # type: ignore[union-attr]
    assert listing.knows("watchbill/inc-2026-0099") and listing.open_pull("watchbill/inc-2026-0099") is None


def test_a_listing_stopped_at_its_bound_says_it_cannot_answer_for_older_branches(world: World) -> None:
    world.github.add_pull("watchbill/inc-2026-0001", state="closed")
    for n in range(100):
        world.github.add_pull(f"feature/{n}")
    listing = world.client.list_pulls(max_pages=1)
    assert not listing.complete and world.pull_calls() == 1
    assert not listing.knows("watchbill/inc-2026-0001") and listing.knows("feature/42")


def test_locating_many_incident_branches_costs_one_request_per_page_not_two_per_branch(world: World) -> None:
    opened, dismissed, no_pull = (world.incident_branch(n) for n in (1, 2, 3))
    client = world.client
    client.create_pull(opened.branch or "", "main", "INC-2026-0001", "")
    gone, _ = client.create_pull(dismissed.branch or "", "main", "INC-2026-0002", "")
    world.github.close(gone.number)  # "not an incident"
    for n in range(120):
        world.github.add_pull(f"feature/{n}", state="closed")
    before = len(world.github.calls)
    records = world.records()
    found = [records.locate(place) for place in (opened, dismissed, no_pull)]
    assert isinstance(found[0], Incident) and found[1] is DISMISSED and isinstance(found[2], Incident)
    assert world.github.calls[before:] == [("GET", "/repos/example/ops/pulls")] * 2  # 122 pull requests
    assert records.open_pull(opened.branch or "") is not None  # answered from the listing: no new request
    assert len(world.github.calls) == before + 2


def test_a_branch_older_than_the_listing_is_asked_about_on_its_own(world: World) -> None:
    old = world.incident_branch(1)
    gone, _ = world.client.create_pull(old.branch or "", "main", "INC-2026-0001", "")
    world.github.close(gone.number)
    for n in range(1_000):  # the listing's bound: ten pages of 100, all newer than the incident's
        world.github.add_pull(f"feature/{n}", state="closed", merged=True)
    records = world.records()
    before = len(world.github.calls)
    assert records.locate(old) is DISMISSED
    asked = [path for _, path in world.github.calls[before:]]
    assert asked == ["/repos/example/ops/pulls"] * 12  # ten pages, then open and closed for this branch
