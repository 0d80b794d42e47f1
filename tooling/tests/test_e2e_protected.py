"""From an empty folder to a resolved outage on a remote whose ``main`` is protected, step by step as the
shipped workflows run: ``init``, a person's first push, then probe -> lifecycle (a pull request on the local
GitHub) -> escalate -> ack -> recovery -> resolved. Zero failed steps, one page, and ``main`` never pushed to
by the machine (a ``pre-receive`` hook refuses it and logs any attempt)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support.github_server import FakeGitHub
from support.org_repo import clone, commit_all, git, remote_record
from support.probe_servers import HttpServer, http_server
from support.protected_remote import protect, refused
from support.receivers import Receiver
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.models import Incident

pytestmark = pytest.mark.slow  # real probes, git, GitHub stand-in and receiver over a simulated hour

T0 = datetime.fromisoformat("2026-11-23T12:00:00+00:00")
STEP = timedelta(minutes=5)
BRANCH = "watchbill/inc-2026-0001"
RECORD = "incidents/2026/INC-2026-0001.yaml"


def channels(port: int) -> str:
    """The new organisation's two channels, pointed at the local receiver (a person's first edit)."""
    return f"""\
channels:
  - id: email
    name: Pager
    kind: webhook
    url: json://127.0.0.1:{port}/person/{{address}}
    personal: true
  - id: slack-incidents
    name: Incident channel
    kind: webhook
    url: json://127.0.0.1:{port}/room
"""


@dataclass
class Emulation:
    tmp: Path
    remote: Path
    server: HttpServer
    github: FakeGitHub
    receiver: Receiver
    failed: list[str] = field(default_factory=list)
    jobs: int = 0

    def runner(self) -> Path:
        """A job's fresh checkout of main, with the identity the workflows configure."""
        self.jobs += 1
        root = clone(self.remote, self.tmp / f"job{self.jobs}")
        git(root, "config", "user.name", "watchbill[bot]")
        git(root, "config", "user.email", "watchbill@users.noreply.github.com")
        return root

    def step(self, root: Path, *args: str, at: datetime) -> str:
        env = {**self.github.env(), "ONCALL_EMAIL": "oncall"}
        result = CliRunner().invoke(app, [*args, "--root", str(root), "--at", at.isoformat()], env=env)
        if result.exit_code != 0:
            self.failed.append(f"{' '.join(args)} at {at.isoformat()}: exit {result.exit_code}\n{result.output}")
        return result.output

    def probe_job(self, at: datetime) -> str:
        """probe.yml: probe every service, then the lifecycle job on the results."""
        root = self.runner()
        results = self.tmp / f"results{self.jobs}.json"
        self.step(root, "probe", "--all", "--out", str(results), at=at)
        return self.step(root, "lifecycle", str(results), at=at)

    def escalate_job(self, at: datetime) -> str:
        return self.step(self.runner(), "escalate", "run", "--backoff", "0", at=at)

    def record(self) -> Incident:
        return remote_record(self.remote, BRANCH, RECORD)


@pytest.fixture
def emulation(tmp_path: Path, receiver: Receiver) -> Iterator[Emulation]:
    with http_server() as server:
        org = tmp_path / "acme"
        init = CliRunner().invoke(app, ["init", str(org), "--url", f"{server.url}/", "--at", "2026-11-23T09:00:00Z"])
        assert init.exit_code == 0, init.output
        (org / "policies" / "channels.yaml").write_text(channels(receiver.port))
        remote = tmp_path / "acme.git"
        git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
        protect(remote)  # the first push creates main (a person's); every later push to main is refused
        commit_all(org, "Start our incident repository")
        git(org, "remote", "add", "origin", str(remote))
        git(org, "push", "--quiet", "origin", "main")
        with FakeGitHub(bare=remote, actions_create_pulls=True) as github:
            yield Emulation(tmp_path, remote, server, github, receiver)


def test_an_outage_from_an_empty_folder_pages_once_and_never_pushes_to_main(emulation: Emulation) -> None:
    world = emulation
    main = git(world.remote, "rev-parse", "main")

    world.probe_job(T0)
    world.server.behaviour.status = 503
    world.probe_job(T0 + STEP)
    opened = world.probe_job(T0 + 2 * STEP)
    assert "INC-2026-0001" in opened, opened
    assert [(p.number, p.state) for p in world.github.pulls] == [(1, "open")]
    assert world.record().status == "investigating"

    world.escalate_job(T0 + 2 * STEP + timedelta(minutes=1))
    world.escalate_job(T0 + 2 * STEP + timedelta(minutes=2))
    assert world.receiver.paths == ["/person/oncall"]

    person = clone(world.remote, world.tmp / "person")  # the paged person's clone: it has no record yet
    acked = world.step(person, "ack", "INC-2026-0001", "--by", "oncall", at=T0 + 2 * STEP + timedelta(minutes=3))
    assert f"on {BRANCH}" in acked, acked
    world.escalate_job(T0 + 2 * STEP + timedelta(minutes=20))  # step 2 would be due now
    assert world.receiver.paths == ["/person/oncall"]

    world.server.behaviour.status = 200
    at = T0 + 6 * STEP
    while world.record().status != "resolved" and at < T0 + timedelta(hours=3):
        world.probe_job(at)
        world.escalate_job(at + timedelta(minutes=1))
        at += STEP
    final = world.record()
    assert final.status == "resolved" and final.acknowledged_at is not None
    assert [u.status for u in final.updates] == ["investigating", "monitoring", "resolved"]
    assert [(e.kind, e.via) for e in final.timeline if e.kind == "notified"] == [("notified", "email")]

    assert world.failed == []
    assert world.receiver.paths == ["/person/oncall"], "zero repeated pages"
    assert git(world.remote, "rev-parse", "main") == main and refused(world.remote) == []
    assert world.github.pulls[0].title.endswith("[resolved]")
