"""A record the probes opened pages the on-call before anyone merges its pull request, exactly once, and the
page is recorded on the incident's branch (real git with a bare remote, a real webhook receiver)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support.org_repo import clone, git, make_repo, remote_record
from support.orgfactory import NOW
from support.probe_servers import HttpServer, http_server, local_services
from support.receivers import Receiver, channels
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.forge.git import Identity, Repository
from watchbill.lifecycle import Lifecycle
from watchbill.models import Incident
from watchbill.probes import RunOptions, run, select
from watchbill.validate import load_organisation

STEP = timedelta(minutes=5)
BOT = Identity("watchbill-test", "bot@example.com")
BRANCH = "watchbill/inc-2026-0002"
RECORD = "incidents/2026/INC-2026-0002.yaml"
POLICY = """\
id: standard
name: Standard
steps:
  - after: 0m
    targets:
      - channel:pager
  - after: 15m
    targets:
      - channel:pager
"""


@dataclass
class World:
    tmp: Path
    remote: Path
    server: HttpServer
    receiver: Receiver
    clones: int = 0

    def clone(self) -> Path:
        self.clones += 1
        return clone(self.remote, self.tmp / f"clone{self.clones}")

    def probe_run(self, now: datetime) -> None:
        root = self.clone()
        org = load_organisation(root, now=now, use_cache=False)
        results = run(select(org.services.values(), now=now, due_only=False), RunOptions(), now)
        Lifecycle(org, Repository(root, identity=BOT), now).run(results)

    def escalate(self, now: datetime, *extra: str) -> tuple[int, str]:
        root = self.clone()
        result = CliRunner().invoke(
            app, ["escalate", "run", "--root", str(root), "--at", now.isoformat(), "--backoff", "0", *extra]
        )
        return result.exit_code, result.output

    def record(self, branch: str) -> Incident:
        return remote_record(self.remote, branch, RECORD)


@pytest.fixture
def world(tmp_path: Path, receiver: Receiver) -> Iterator[World]:
    """api/health fails from the start; every step of the policy pages the receiver's ``/page``."""
    with http_server() as server:
        _, remote = make_repo(
            tmp_path,
            {
                "policies/services.yaml": local_services(server.url),
                "policies/channels.yaml": channels(receiver.port, "pager"),
                "policies/escalation/standard.yaml": POLICY,
                "incidents/maintenance/MNT-2026-0001.yaml": None,
            },
        )
        server.behaviour.status = 503
        yield World(tmp_path, remote, server, receiver)


def _opened(world: World) -> datetime:
    world.probe_run(NOW)
    world.probe_run(NOW + STEP)
    record = world.record(BRANCH)
    assert record.status == "investigating" and record.acknowledged_at is None
    return NOW + STEP


def test_an_unmerged_monitor_incident_pages_once_and_records_it_on_its_branch(world: World) -> None:
    opened = _opened(world)

    code, output = world.escalate(opened + timedelta(minutes=1))
    assert code == 0, output
    assert world.receiver.paths == ["/page"]
    assert "INC-2026-0002" in world.receiver.requests[0].json["title"]
    notified = [e for e in world.record(BRANCH).timeline if e.kind == "notified"]
    assert [(e.step, e.round, e.via) for e in notified] == [(0, 0, "pager")]

    again, output = world.escalate(opened + timedelta(minutes=2))
    assert again == 0, output
    assert len(world.receiver.requests) == 1, "the step recorded on the branch is not sent again"


def test_the_next_step_follows_on_the_branch_after_its_delay(world: World) -> None:
    opened = _opened(world)
    world.escalate(opened + timedelta(minutes=1))
    world.escalate(opened + timedelta(minutes=16))
    steps = [e.step for e in world.record(BRANCH).timeline if e.kind == "notified"]
    assert steps == [0, 1]
    assert len(world.receiver.requests) == 2


def test_no_branches_leaves_unmerged_records_alone(world: World) -> None:
    opened = _opened(world)
    code, output = world.escalate(opened + timedelta(minutes=1), "--no-branches")
    assert code == 0, output
    assert world.receiver.requests == []
    assert "nothing due" in output


def test_a_dry_run_sends_and_records_nothing(world: World) -> None:
    opened = _opened(world)
    code, output = world.escalate(opened + timedelta(minutes=1), "--dry-run")
    assert code == 0, output
    assert "INC-2026-0002: would notify" in output
    assert world.receiver.requests == []
    assert [e for e in world.record(BRANCH).timeline if e.kind == "notified"] == []


def test_an_incident_acknowledged_on_its_branch_is_not_paged(world: World) -> None:
    opened = _opened(world)
    human = world.clone()
    git(human, "checkout", "-q", BRANCH)
    result = CliRunner().invoke(
        app, ["ack", "INC-2026-0002", "--root", str(human), "--at", (opened + timedelta(seconds=30)).isoformat()]
    )
    assert result.exit_code == 0, result.output
    git(human, "commit", "-qam", "ack")
    git(human, "push", "-q", "origin", BRANCH)

    code, output = world.escalate(opened + timedelta(minutes=1))
    assert code == 0, output
    assert world.receiver.requests == []


def test_ack_from_a_clone_without_the_record_acknowledges_it_on_its_branch(world: World) -> None:
    opened = _opened(world)
    mine = world.clone()
    at = opened + timedelta(seconds=30)
    args = ["ack", "INC-2026-0002", "--by", "alice", "--root", str(mine), "--at", at.isoformat()]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "INC-2026-0002 acknowledged at 2026-11-23T12:05:30Z on watchbill/inc-2026-0002" in result.output
    assert world.record(BRANCH).acknowledged_at == at
    assert not (mine / RECORD).exists(), "the person's checkout is not touched"

    again = CliRunner().invoke(app, ["ack", "INC-2026-0002", "--root", str(mine), "--at", at.isoformat()])
    assert again.exit_code == 0 and "already acknowledged" in again.output

    code, output = world.escalate(opened + timedelta(minutes=1))
    assert code == 0, output
    assert world.receiver.requests == []


def test_ack_of_an_id_nobody_opened_names_the_missing_branch(world: World) -> None:
    result = CliRunner().invoke(app, ["ack", "INC-2026-0042", "--root", str(world.clone()), "--at", NOW.isoformat()])
    assert result.exit_code == 1
    assert "unknown incident INC-2026-0042" in result.output and "watchbill/inc-2026-0042" in result.output


def test_a_damaged_ledger_is_reported_and_escalation_still_ends_cleanly(world: World) -> None:
    opened = _opened(world)
    data = world.clone()
    git(data, "checkout", "-q", "watchbill-data")
    (data / "episodes.json").write_text('{"episodes": {"api/health": {"incident": "INC-2026-0002"')
    git(data, "commit", "-qam", "damage")
    git(data, "push", "-q", "origin", "watchbill-data")

    code, output = world.escalate(opened + timedelta(minutes=1))
    assert code == 1
    assert "records on incident branches were not paged: episodes.json" in output
    assert "Traceback" not in output


def test_ack_of_a_merged_record_from_a_stale_clone_goes_to_the_data_branch(world: World) -> None:
    opened = _opened(world)
    stale = world.clone()
    merger = world.clone()
    git(merger, "merge", "-q", f"origin/{BRANCH}")
    git(merger, "push", "-q", "origin", "HEAD:main")
    before = world.record(BRANCH)
    main = git(world.remote, "rev-parse", "main")

    args = ["ack", "INC-2026-0002", "--root", str(stale), "--at", (opened + timedelta(minutes=1)).isoformat()]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "INC-2026-0002 acknowledged at 2026-11-23T12:06:00Z on watchbill-data" in result.output
    assert world.record(BRANCH) == before and git(world.remote, "rev-parse", "main") == main
    journal = git(world.remote, "show", "watchbill-data:paging/INC-2026-0002.jsonl")
    assert '"kind":"acknowledged"' in journal

    code, output = world.escalate(opened + timedelta(minutes=20))
    assert code == 0, output
    assert world.receiver.requests == [], "acknowledged on the data branch: no step is sent"
