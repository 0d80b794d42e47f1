"""The status page before any merge: the site build reads incident branches on the remote, shows what they
hold to each audience through the same view models as merged records, prefers a branch's newer state, and
drops incidents whose pull request was closed without merging.

Real git (a bare remote and branches pushed by a person's clone), the local GitHub stand-in for pull
request state, and the real mkdocs build of the repository's own site folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.github_server import TOKEN, FakeGitHub
from support.org_repo import clone, git, publish
from support.orgfactory import NOW
from support.site_org import site_org

from watchbill.forge.github import GitHub
from watchbill.site.branches import NO_GITHUB, with_branch_records
from watchbill.site.engine import build_organisation_site
from watchbill.validate import load_organisation

pytestmark = pytest.mark.slow  # mkdocs builds of a real site

ON_BRANCH_ONLY = """\
id: INC-2026-0042
title: Checkout is failing for some customers
severity: SEV-1
status: investigating
services:
  - service: api
    impact: major_outage
detected_by: monitor
probe: api/health
started_at: 2026-11-23T11:40:00Z
detected_at: 2026-11-23T11:45:00Z
updates:
  - at: 2026-11-23T11:50:00Z
    status: investigating
    message: We are investigating failed checkouts.
  - at: 2026-11-23T11:58:00Z
    status: identified
    message: A faulty release is being rolled back now.
timeline:
  - at: 2026-11-23T11:46:00Z
    kind: note
    message: Paged alice; suspect build 4711 from the payments team (secret-ish detail).
"""
DISMISSED = """\
id: INC-2026-0043
title: Phantom outage of the Public API
severity: SEV-1
status: investigating
services:
  - service: api
    impact: major_outage
detected_by: monitor
probe: api/health
started_at: 2026-11-23T11:10:00Z
detected_at: 2026-11-23T11:15:00Z
updates:
  - at: 2026-11-23T11:16:00Z
    status: investigating
    message: We are investigating a phantom problem.
"""
NEWER_UPDATE = """\
  - at: 2026-11-23T11:55:00Z
    status: monitoring
    message: The load balancer node was replaced; we are watching error rates.
"""
TIMELINE_SECRET = "suspect build 4711"


@dataclass
class World:
    tmp: Path
    work: Path
    remote: Path
    github: FakeGitHub
    client: GitHub

    def push_record(self, branch: str, relative: str, text: str, *, pull: bool = True) -> int | None:
        """A person (or the lifecycle) writes a record on an incident branch and opens its pull request."""
        person = clone(self.remote, self.tmp / branch.replace("/", "-"))
        git(person, "checkout", "-q", "-b", branch)
        path = person / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(person, "add", "-A")
        git(person, "commit", "-q", "--allow-empty", "-m", f"{branch}: record")
        git(person, "push", "-q", "origin", branch)
        if not pull:
            return None
        created, _ = self.client.create_pull(branch, "main", branch, "incident")
        return created.number

    def build(self, audience: str = "public", env: dict[str, str] | None = None) -> tuple[Path, tuple[str, ...]]:
        out = self.tmp / f"out-{audience}"
        org = load_organisation(self.work, now=NOW, use_cache=False)
        result = build_organisation_site(
            org,
            audience="public" if audience == "public" else "internal",
            now=NOW,
            out=out,
            branches=True,
            env=self.github.env() if env is None else env,
        )
        return out, result.notes


def text_of(out: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(out.rglob("*")) if p.suffix in (".html", ".json"))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    work = site_org(tmp_path / "work")
    remote = publish(work, tmp_path / "remote.git", "Organisation")
    with FakeGitHub(bare=remote, actions_create_pulls=True) as github:
        client = GitHub("example/ops", TOKEN, api_url=github.url, sleep=lambda s: None)
        yield World(tmp_path, work, remote, github, client)


def test_an_incident_only_on_its_branch_is_on_the_public_page_in_one_build_without_its_timeline(
    world: World,
) -> None:
    world.push_record("watchbill/inc-2026-0042", "incidents/2026/INC-2026-0042.yaml", ON_BRANCH_ONLY)

    out, notes = world.build()
    assert notes == ()
    home = (out / "index.html").read_text()
    assert "Checkout is failing for some customers" in home
    everything = text_of(out)
    assert "A faulty release is being rolled back now." in everything
    assert TIMELINE_SECRET not in everything and "Paged alice" not in everything

    internal, _ = world.build("internal")
    assert TIMELINE_SECRET in text_of(internal), "the internal audience sees the branch's timeline"


def test_a_pull_request_closed_without_merging_takes_its_incident_off_the_page(world: World) -> None:
    number = world.push_record("watchbill/inc-2026-0043", "incidents/2026/INC-2026-0043.yaml", DISMISSED)
    assert number is not None
    out, _ = world.build()
    assert "Phantom outage of the Public API" in text_of(out)

    world.github.close(number)
    out, _ = world.build()
    assert "Phantom outage" not in text_of(out) and "phantom problem" not in text_of(out)


def test_a_record_on_main_and_on_its_branch_shows_the_branchs_newer_state(world: World) -> None:
    relative = "incidents/2026/INC-2026-0002.yaml"
    on_main = (world.work / relative).read_text()
    marker = "timeline:\n"
    newer = on_main.replace("status: identified\n", "status: monitoring\n", 1).replace(marker, NEWER_UPDATE + marker, 1)
    assert newer != on_main and NEWER_UPDATE in newer
    world.push_record("watchbill/inc-2026-0002", relative, newer)

    out, _ = world.build()
    assert "The load balancer node was replaced; we are watching error rates." in text_of(out)


def test_a_merged_branch_with_nothing_newer_costs_no_github_request(world: World) -> None:
    relative = "incidents/2026/INC-2026-0002.yaml"
    world.push_record("watchbill/inc-2026-0002", relative, (world.work / relative).read_text(), pull=False)
    org = load_organisation(world.work, now=NOW, use_cache=False)
    overlay = with_branch_records(org, NOW, env={}, github=world.client)
    assert overlay.shown == () and overlay.notes == ()
    assert [c for c in world.github.calls if "/pulls" in c[1]] == []


def test_without_a_github_token_a_branch_record_is_shown_and_the_note_says_why_dismissals_are_unknown(
    world: World,
) -> None:
    world.push_record("watchbill/inc-2026-0042", "incidents/2026/INC-2026-0042.yaml", ON_BRANCH_ONLY, pull=False)
    org = load_organisation(world.work, now=NOW, use_cache=False)
    overlay = with_branch_records(org, NOW, env={})
    assert overlay.shown == ("INC-2026-0042",)
    assert overlay.notes == (NO_GITHUB,)
    assert overlay.organisation.incidents["INC-2026-0042"].updates[-1].status == "identified"
    assert "INC-2026-0042" not in org.incidents, "the organisation itself is left as it was"


def test_a_plain_folder_builds_from_its_own_records_with_no_note(tmp_path: Path) -> None:
    org = load_organisation(site_org(tmp_path / "plain"), now=NOW, use_cache=False)
    overlay = with_branch_records(org, NOW, env={})
    assert overlay.organisation is org and overlay.notes == ()
