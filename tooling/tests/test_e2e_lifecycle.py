"""End to end: a real service goes down and comes back; probe runs, the data branch, incident branches
in a bare repository, and pull requests on a local GitHub stand-in, all through the real code paths."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support.github_server import TOKEN, FakeGitHub
from support.org_repo import clone, git, make_repo, remote_branches, remote_record
from support.orgfactory import NOW
from support.probe_servers import HttpServer, http_server, local_services, tcp_listener

from watchbill.forge.git import Identity, Repository
from watchbill.forge.github import GitHub
from watchbill.lifecycle import Lifecycle, LifecycleResult
from watchbill.models import Incident
from watchbill.paging.branches import pending
from watchbill.probes import RunOptions, run, select
from watchbill.state import read_probe_state
from watchbill.state.snapshot import Snapshot
from watchbill.validate import load_organisation, validate

pytestmark = pytest.mark.slow  # real probes, git remotes and GitHub server over simulated hours

STEP = timedelta(minutes=5)
BOT = Identity("watchbill-test", "bot@example.com")
BRANCH = "watchbill/inc-2026-0002"
RECORD = "incidents/2026/INC-2026-0002.yaml"


@dataclass
class World:
    tmp: Path
    remote: Path
    server: HttpServer
    github: FakeGitHub
    runners: int = 0

    def clone(self, branch: str | None = None) -> Path:
        self.runners += 1
        return clone(self.remote, self.tmp / f"runner{self.runners}", branch=branch)

    def step(self, now: datetime, root: Path | None = None) -> LifecycleResult:
        """One probe run plus lifecycle, as the probe workflow's jobs do it."""
        root = root or self.clone()
        org = load_organisation(root, now=now, use_cache=False)
        targets = select(org.services.values(), now=now, due_only=False)
        results = run(targets, RunOptions(budget=timedelta(seconds=5)), now)
        client = GitHub("example/ops", TOKEN, api_url=self.github.url, sleep=lambda s: None)
        return Lifecycle(org, Repository(root, identity=BOT), now, github=client).run(results)

    def show(self, ref: str, path: str) -> str:
        return git(self.remote, "show", f"{ref}:{path}")

    def record(self, branch: str = BRANCH) -> Incident:
        return remote_record(self.remote, branch, RECORD)

    def branches(self) -> list[str]:
        return remote_branches(self.remote)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """api/health probes a real HTTP server and db/port a real TCP listener; both are up to begin with."""
    with http_server() as server, tcp_listener() as port:
        _, remote = make_repo(tmp_path, {"policies/services.yaml": local_services(server.url, port)})
        with FakeGitHub(bare=remote, actions_create_pulls=True) as github:
            yield World(tmp_path, remote, server, github)


def test_an_outage_opens_one_pull_request_that_follows_it_to_resolved(world: World) -> None:
    world.step(NOW)
    world.server.behaviour.status = 503
    first_failure = world.step(NOW + STEP)
    assert first_failure.proposals == [] and BRANCH not in world.branches()

    opened = world.step(NOW + 2 * STEP)
    assert [p.action for p in opened.proposals] == ["opened"]
    assert BRANCH in world.branches()
    incident = world.record()
    assert (incident.status, incident.severity, incident.detected_by, incident.probe) == (
        "investigating",
        "SEV-1",
        "monitor",
        "api/health",
    )
    started = probe_state_at(world, "watchbill-data").probes["api/health"].first_failure_at
    assert incident.started_at == started
    assert NOW + 2 * STEP <= incident.detected_at < NOW + 2 * STEP + timedelta(seconds=5)
    assert [p.number for p in world.github.pulls] == [1]
    assert world.github.pulls[0].labels == ["incident", "SEV-1"]
    assert world.github.pulls[0].title == "INC-2026-0002: Public API: major outage [investigating]"

    runner = world.clone()
    org = load_organisation(runner, now=NOW + 2 * STEP, use_cache=False)
    waiting = pending(org, Repository(runner, identity=BOT))
    assert [(episode.probe, record.id, record.status) for episode, record in waiting] == [
        ("api/health", "INC-2026-0002", "investigating")
    ]

    still_down = world.step(NOW + 3 * STEP)
    assert still_down.plan.actions == []
    assert len(world.github.pulls) == 1 and world.record() == incident

    # A person edits the record on the pull request's branch while the lifecycle keeps running.
    human = world.clone()
    git(human, "fetch", "-q", "origin", BRANCH)
    git(human, "checkout", "-q", "-b", "edit", f"origin/{BRANCH}")
    path = human / RECORD
    text = path.read_text().replace("status: investigating\n", "status: identified  # bad deploy, rolling back\n", 1)
    text = text.replace("detected_by: monitor\n", "detected_by: monitor\nroles:\n  commander: alice\n", 1)
    path.write_text(text)
    git(human, "commit", "-q", "-am", "commander and status")
    git(human, "push", "-q", "origin", f"HEAD:{BRANCH}")

    world.server.behaviour.status = 200
    world.step(NOW + 4 * STEP)
    recovered = world.step(NOW + 5 * STEP)
    assert [p.action for p in recovered.proposals] == ["recovered"]
    assert world.record().status == "monitoring"
    assert world.github.comments(1) == ["watchbill: probe `api/health` recovered; INC-2026-0002 is now `monitoring`."]

    assert world.step(NOW + 6 * STEP).proposals == []  # still inside SEV-1's 15-minute recovery watch
    resolved = world.step(NOW + 9 * STEP)
    assert [p.action for p in resolved.proposals] == ["resolved"]

    final = world.record()
    assert final.status == "resolved"
    assert final.resolved_at is not None and final.resolved_at >= NOW + 9 * STEP
    assert final.mitigated_at is not None and NOW + 4 * STEP <= final.mitigated_at < NOW + 5 * STEP
    assert [u.status for u in final.updates] == ["investigating", "monitoring", "resolved"]
    assert final.roles.commander == "alice"
    assert "# bad deploy, rolling back" in world.show(BRANCH, RECORD)
    assert len(world.github.pulls) == 1 and world.github.pulls[0].title.endswith("[resolved]")
    assert '"episodes": {}' in world.show("watchbill-data", "episodes.json")
    assert_branch_validates(world, BRANCH, NOW + 10 * STEP)


def probe_state_at(world: World, branch: str) -> Snapshot:
    return read_probe_state(world.clone(branch))


def assert_branch_validates(world: World, branch: str, now: datetime) -> None:
    where = world.clone(branch)
    report = validate(where, now=now, use_cache=False)
    assert report.errors == [], [p.text() for p in report.errors]


def test_a_repeated_run_records_once_and_opens_nothing_new(world: World) -> None:
    world.server.behaviour.status = 503
    world.step(NOW)
    root = world.clone()
    org = load_organisation(root, now=NOW + STEP, use_cache=False)
    results = run(select(org.services.values(), now=NOW + STEP, due_only=False), RunOptions(), NOW + STEP)
    client = GitHub("example/ops", TOKEN, api_url=world.github.url)
    lifecycle = Lifecycle(org, Repository(root, identity=BOT), NOW + STEP, github=client)
    first = lifecycle.run(results)
    again = Lifecycle(org, Repository(root, identity=BOT), NOW + STEP, github=client).run(results)
    assert first.recorded.appended and not again.recorded.appended
    assert [p.action for p in first.proposals] == ["opened"]
    assert again.plan.actions == []
    assert len(world.github.pulls) == 1
    assert world.branches() == ["main", "watchbill-data", BRANCH]


def test_two_runs_at_once_open_one_incident_and_one_pull_request(world: World) -> None:
    world.server.behaviour.status = 503
    world.step(NOW)
    roots = [world.clone(), world.clone()]
    barrier = threading.Barrier(2)
    outcomes: list[LifecycleResult] = []
    failures: list[BaseException] = []

    def racer(root: Path, offset: int) -> None:
        now = NOW + STEP + timedelta(seconds=offset)
        org = load_organisation(root, now=now, use_cache=False)
        results = run(select(org.services.values(), now=now, due_only=False), RunOptions(), now)
        client = GitHub("example/ops", TOKEN, api_url=world.github.url)
        lifecycle = Lifecycle(org, Repository(root, identity=BOT), now, github=client)
        barrier.wait()
        try:
            outcomes.append(lifecycle.run(results))
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=racer, args=(root, i)) for i, root in enumerate(roots)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert len(outcomes) == 2 and all(o.recorded.appended for o in outcomes)
    incident_branches = [b for b in world.branches() if b.startswith("watchbill/inc-")]
    assert incident_branches == [BRANCH]
    assert len(world.github.pulls) == 1
    log = world.show("watchbill-data", f"log/{NOW.date().isoformat()}.tsv")
    assert len([line for line in log.splitlines() if not line.startswith("#")]) == 3  # no run was lost
    assert probe_state_at(world, "watchbill-data").probes["api/health"].consecutive_failures == 3  # whoever won


def test_follow_ups_after_a_merge_start_from_the_base_branch(world: World) -> None:
    world.server.behaviour.status = 503
    world.step(NOW)
    world.step(NOW + STEP)
    # The team merges the incident's pull request.
    merger = world.clone()
    git(merger, "fetch", "-q", "origin", BRANCH)
    git(merger, "merge", "-q", "--ff-only", f"origin/{BRANCH}")
    git(merger, "push", "-q", "origin", "HEAD:main")
    world.github.merge(1)

    world.server.behaviour.status = 200
    world.step(NOW + 2 * STEP)
    recovered = world.step(NOW + 3 * STEP)
    assert [p.action for p in recovered.proposals] == ["recovered"]
    assert world.record(BRANCH).status == "monitoring"
    assert world.record("main").status == "investigating"  # main changes only when the new PR merges
    assert [(p.number, p.state) for p in world.github.pulls] == [(1, "closed"), (2, "open")]


def test_the_data_branch_serves_the_status_page_before_any_merge(world: World) -> None:
    world.server.behaviour.status = 503
    world.step(NOW)
    snapshot = probe_state_at(world, "watchbill-data")
    assert snapshot.probes["api/health"].ok is False
    assert snapshot.probes["db/port"].ok is True
    assert snapshot.last_run is not None and snapshot.last_run >= NOW


def test_an_id_a_person_took_meanwhile_is_renumbered(world: World) -> None:
    world.server.behaviour.status = 503
    world.step(NOW)
    root = world.clone()  # the runner's checkout of main, made before the person's push below
    person = world.clone()
    declared = (
        "id: INC-2026-0002\ntitle: Billing emails delayed\nseverity: SEV-2\nstatus: investigating\n"
        "services:\n  - service: db\n    impact: degraded_performance\ndetected_by: customer\n"
        f"started_at: {NOW.isoformat()}\ndetected_at: {NOW.isoformat()}\n"
    )
    (person / RECORD).write_text(declared)
    git(person, "add", RECORD)
    git(person, "commit", "-q", "-m", "declare INC-2026-0002")
    git(person, "push", "-q", "origin", "HEAD:main")

    outcome = world.step(NOW + STEP, root)
    assert [(p.incident, p.action) for p in outcome.proposals] == [("INC-2026-0003", "opened")]
    ours = remote_record(world.remote, "watchbill/inc-2026-0003", "incidents/2026/INC-2026-0003.yaml")
    assert ours.probe == "api/health"
    assert world.record("main").title == "Billing emails delayed"  # the person's record is untouched
    assert '"incident": "INC-2026-0003"' in world.show("watchbill-data", "episodes.json")
    assert [p.title.split(":")[0] for p in world.github.pulls] == ["INC-2026-0003"]


def test_a_closed_pull_request_is_left_alone_until_the_next_outage(world: World) -> None:
    world.server.behaviour.status = 503
    world.step(NOW)
    world.step(NOW + STEP)
    world.github.close(1)  # the team decides this was not an incident
    tip = git(world.remote, "rev-parse", BRANCH)
    assert world.step(NOW + 2 * STEP).plan.actions == []
    assert git(world.remote, "rev-parse", BRANCH) == tip
    world.server.behaviour.status = 200
    world.step(NOW + 3 * STEP)
    world.server.behaviour.status = 503
    world.step(NOW + 4 * STEP)
    reopened = world.step(NOW + 5 * STEP)
    assert [(p.incident, p.action) for p in reopened.proposals] == [("INC-2026-0003", "opened")]
    assert [(p.number, p.state) for p in world.github.pulls] == [(1, "closed"), (2, "open")]
