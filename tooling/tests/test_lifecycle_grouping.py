"""One alert, not ten: the probes of one service that fail together open one incident, one pull request and
one set of pages, and the record lists every failing probe.

End to end with a real HTTP server and a real TCP listener behind one service, a bare remote, the local
GitHub stand-in and a real webhook receiver; the plan's grouping rules are also checked on their own (pure).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support.github_server import TOKEN, FakeGitHub
from support.org_repo import clone, git, make_repo, remote_branches, remote_record
from support.orgfactory import NOW, build_org
from support.probe_servers import HttpServer, http_server
from support.receivers import Receiver

from watchbill.fields import format_instant
from watchbill.files.loader import parse
from watchbill.forge.git import Identity, Repository
from watchbill.forge.github import GitHub
from watchbill.lifecycle import (
    DISMISSED,
    Forget,
    Join,
    Lifecycle,
    LifecycleResult,
    Open,
    Plan,
    Recover,
    Relapse,
    Resolve,
    apply,
    apply_to_ledger,
    plan_actions,
)
from watchbill.lifecycle import episodes as ledger_file
from watchbill.lifecycle.plan import Found
from watchbill.models import Incident, Update
from watchbill.organisation import Organisation
from watchbill.paging.branches import pending
from watchbill.paging.usecases import run_escalation
from watchbill.probes import RunOptions, run, select
from watchbill.state.snapshot import ProbeState, Sample, Snapshot
from watchbill.validate import load_organisation

STEP = timedelta(minutes=5)
BOT = Identity("watchbill-test", "bot@example.com")
BRANCH = "watchbill/inc-2026-0002"
RECORD = "incidents/2026/INC-2026-0002.yaml"


def services(url: str, port: int) -> str:
    """One service, two probes of different kinds: what goes down together when the host does."""
    return f"""\
services:
  - id: api
    name: Public API
    owner: primary
    probes:
      - id: health
        severity: SEV-1
        timeout: 1s
        retries: 0
        http:
          url: {url}/
      - id: port
        severity: SEV-1
        timeout: 1s
        retries: 0
        tcp:
          host: 127.0.0.1
          port: {port}
  - id: db
    name: Database
    owner: primary
    public: false
"""


def channels(port: int) -> str:
    return f"""\
channels:
  - id: email
    name: Pager
    kind: webhook
    url: json://127.0.0.1:{port}/person/{{address}}
    personal: true
  - id: slack
    name: Incident room
    kind: webhook
    url: json://127.0.0.1:{port}/room
"""


class Listener:
    """A TCP port that can be closed and opened again on the same number: the service's host going away."""

    def __init__(self) -> None:
        self.socket: socket.socket | None = None
        self.port = 0
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.socket = listener

    def down(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None


@dataclass
class World:
    tmp: Path
    remote: Path
    server: HttpServer
    listener: Listener
    github: FakeGitHub
    receiver: Receiver
    runners: int = 0

    def clone(self) -> Path:
        self.runners += 1
        return clone(self.remote, self.tmp / f"runner{self.runners}")

    def step(self, now: datetime) -> LifecycleResult:
        """One probe run plus lifecycle, as the probe workflow's jobs do it."""
        root = self.clone()
        org = load_organisation(root, now=now, use_cache=False)
        targets = select(org.services.values(), now=now, due_only=False)
        results = run(targets, RunOptions(budget=timedelta(seconds=5)), now)
        client = GitHub("example/ops", TOKEN, api_url=self.github.url, sleep=lambda s: None)
        return Lifecycle(org, Repository(root, identity=BOT), now, github=client).run(results)

    def escalate(self, now: datetime) -> None:
        org = load_organisation(self.clone(), now=now, use_cache=False)
        passed = run_escalation(org, now, env={}, backoff=0)
        assert passed.errors == []

    def down(self) -> None:
        self.server.behaviour.status = 503
        self.listener.down()

    def up(self) -> None:
        self.server.behaviour.status = 200
        self.listener.up()

    def record(self) -> Incident:
        return remote_record(self.remote, BRANCH, RECORD)

    def ledger(self) -> ledger_file.Ledger:
        return ledger_file.parse(git(self.remote, "show", f"watchbill-data:{ledger_file.FILE}"))

    def incident_branches(self) -> list[str]:
        return [b for b in remote_branches(self.remote) if b.startswith("watchbill/inc-")]


@pytest.fixture
def world(tmp_path: Path, receiver: Receiver) -> Iterator[World]:
    listener = Listener()
    try:
        with http_server() as server:
            changes = {
                "policies/services.yaml": services(server.url, listener.port),
                "policies/channels.yaml": channels(receiver.port),
            }
            _, remote = make_repo(tmp_path, changes)
            with FakeGitHub(bare=remote, actions_create_pulls=True) as github:
                yield World(tmp_path, remote, server, listener, github, receiver)
    finally:
        listener.down()


@pytest.mark.slow
def test_an_http_and_a_tcp_probe_on_one_down_service_open_one_incident_one_pull_request_one_page(
    world: World,
) -> None:
    world.step(NOW)
    world.down()
    world.step(NOW + STEP)
    opened = world.step(NOW + 2 * STEP)

    assert [(p.incident, p.action) for p in opened.proposals] == [("INC-2026-0002", "opened")]
    assert world.incident_branches() == [BRANCH]
    assert [p.number for p in world.github.pulls] == [1]
    record = world.record()
    assert (record.probe, record.probes) == ("api/health", ["api/health", "api/port"])
    detected = [e.message for e in record.timeline if e.kind == "detected"]
    assert len(detected) == 2
    assert detected[0].startswith("Probe api/health failing since") and detected[1].startswith("Probe api/port")
    assert "`api/health`, `api/port`" in world.github.pulls[0].body
    ledger = world.ledger()
    assert {key: e.incident for key, e in ledger.episodes.items()} == {
        "api/health": "INC-2026-0002",
        "api/port": "INC-2026-0002",
    }

    runner = world.clone()
    org = load_organisation(runner, now=NOW + 2 * STEP, use_cache=False)
    assert [record.id for _, record in pending(org, Repository(runner, identity=BOT))] == ["INC-2026-0002"]
    world.escalate(NOW + 2 * STEP + timedelta(minutes=1))
    world.escalate(NOW + 2 * STEP + timedelta(minutes=2))
    assert len(world.receiver.paths) == 1, world.receiver.paths

    still_down = world.step(NOW + 3 * STEP)
    assert still_down.proposals == [] and len(world.github.pulls) == 1


@pytest.mark.slow
def test_the_incident_recovers_only_when_every_probe_has_and_then_resolves_once(world: World) -> None:
    world.step(NOW)
    world.down()
    world.step(NOW + STEP)
    world.step(NOW + 2 * STEP)

    world.server.behaviour.status = 200  # the web server answers again; the port stays closed
    for i in (3, 4, 5):
        world.step(NOW + i * STEP)
    assert world.record().status == "investigating"

    world.listener.up()
    at = NOW + 6 * STEP
    statuses = []
    while world.record().status != "resolved" and at < NOW + timedelta(hours=2):
        world.step(at)
        statuses.append(world.record().status)
        at += STEP
    final = world.record()
    assert final.status == "resolved"
    assert [u.status for u in final.updates] == ["investigating", "monitoring", "resolved"]
    assert "monitoring" in statuses
    assert world.ledger().episodes == {}
    assert world.incident_branches() == [BRANCH] and len(world.github.pulls) == 1


@pytest.mark.slow
def test_a_probe_that_fails_later_joins_the_open_incident_of_its_service(world: World) -> None:
    world.step(NOW)
    world.server.behaviour.status = 503
    world.step(NOW + STEP)
    world.step(NOW + 2 * STEP)
    assert world.record().probes == ["api/health"]
    [pull] = world.github.pulls
    assert "| Probe | `api/health` |" in pull.body
    pull.body += "\n## Checklist (ours)\n- [x] status page updated\n"  # people write in the body too

    world.listener.down()
    world.step(NOW + 3 * STEP)
    joined = world.step(NOW + 4 * STEP)
    assert [(p.incident, p.action) for p in joined.proposals] == [("INC-2026-0002", "joined")]
    assert world.incident_branches() == [BRANCH] and len(world.github.pulls) == 1
    record = world.record()
    assert record.probes == ["api/health", "api/port"]
    assert record.timeline[-1].kind == "detected" and record.timeline[-1].message.startswith("Probe api/port")
    assert [u.status for u in record.updates] == ["investigating"], "a joining probe adds no public update"
    comments = world.github.comments(1)
    assert any("api/port" in c and "joined" in c for c in comments), comments
    assert "| Probes | `api/health`, `api/port` |" in pull.body, "the table in the body follows the record"
    assert "| Probe | `api/health` |" not in pull.body
    assert pull.body.endswith("## Checklist (ours)\n- [x] status page updated\n")
    patches = [path for method, path in world.github.calls if method == "PATCH"]
    assert patches == ["/repos/example/ops/pulls/1"], "one PATCH, when the probe joined"


def test_the_pull_request_table_is_rewritten_in_place_and_peoples_text_is_kept() -> None:
    from watchbill.lifecycle.flow import pull_body, refresh_pull_body

    record = Incident.model_validate(
        {
            "id": "INC-2026-0002",
            "title": "API returns errors",
            "severity": "SEV-2",
            "status": "investigating",
            "services": [{"service": "api", "impact": "major_outage"}],
            "detected_by": "monitor",
            "probe": "api/health",
            "started_at": "2026-11-23T11:40:00Z",
            "detected_at": "2026-11-23T11:45:00Z",
        }
    )
    joined = record.model_copy(update={"probes": ["api/health", "api/port"]})
    body = pull_body(record) + "\nNotes from the IC.\n"
    assert refresh_pull_body(body, record) == body
    assert refresh_pull_body(body, joined) == pull_body(joined) + "\nNotes from the IC.\n"
    before_markers = "Opened.\n\n| | |\n|---|---|\n| Incident | `INC-2026-0002` |\n| Probe | `api/health` |\n\nMore."
    refreshed = refresh_pull_body(before_markers, joined)
    assert "`api/health`, `api/port`" in refreshed and refreshed.startswith("Opened.\n\n<!-- watchbill:summary -->")
    assert refreshed.endswith("<!-- /watchbill:summary -->\n\nMore.")
    assert refresh_pull_body("People replaced the whole body.", joined) == "People replaced the whole body."


# ---------------------------------------------------------------- the plan's grouping rules (pure)

START = NOW - timedelta(minutes=30)
TWO_PROBES = """\
services:
  - id: api
    name: Public API
    owner: primary
    probes:
      - id: health
        http:
          url: https://api.example.com/health
      - id: port
        severity: SEV-1
        impact: partial_outage
        tcp:
          host: api.example.com
          port: 443
  - id: db
    name: Database
    owner: primary
    public: false
    probes:
      - id: port
        tcp:
          host: db.example.com
          port: 5432
"""


def two_probes(tmp_path: Path) -> Organisation:
    return load_organisation(build_org(tmp_path, {"policies/services.yaml": TWO_PROBES}), now=NOW, use_cache=False)


def failing(key: str, start: datetime, count: int) -> ProbeState:
    samples = tuple(Sample(start + STEP * i, False, None) for i in range(count))
    return ProbeState(
        key,
        ok=False,
        last_checked=samples[-1].at,
        consecutive_failures=count,
        first_failure_at=start,
        last_error="connection refused",
        recent=samples,
    )


def healthy(key: str, since: datetime, count: int) -> ProbeState:
    samples = tuple(Sample(since + STEP * i, True, 80.0) for i in range(count))
    return ProbeState(
        key, ok=True, last_checked=samples[-1].at, consecutive_successes=count, first_success_at=since, recent=samples
    )


def decide(
    org: Organisation,
    *states: ProbeState,
    ledger: ledger_file.Ledger | None = None,
    records: dict[str, Found] | None = None,
    now: datetime = NOW,
) -> Plan:
    issued = ledger if ledger is not None else ledger_file.Ledger()
    snapshot = Snapshot(probes={s.key: s for s in states}, last_run=now)
    return plan_actions(org, snapshot, issued, records or {}, now, allocate=lambda year: issued.issue(year, 2))


def opened_together(org: Organisation) -> tuple[ledger_file.Ledger, Open]:
    ledger = ledger_file.Ledger()
    result = decide(org, failing("api/health", START, 3), failing("api/port", START + STEP, 2), ledger=ledger)
    (action,) = result.actions
    assert isinstance(action, Open)
    apply_to_ledger(ledger, result.actions)
    return ledger, action


def test_probes_of_one_service_failing_in_one_run_open_one_record_listing_both(tmp_path: Path) -> None:
    _, action = opened_together(two_probes(tmp_path))
    record = action.incident
    assert record.id == "INC-2026-0002"
    assert (record.probe, record.probes) == ("api/health", ["api/health", "api/port"])
    assert [e.probe for e in action.episodes] == ["api/health", "api/port"]
    assert {e.incident for e in action.episodes} == {"INC-2026-0002"}
    assert record.started_at == START and record.detected_at == START + STEP
    assert [e.message.split(" failing")[0] for e in record.timeline] == ["Probe api/health", "Probe api/port"]
    # the worst impact and the most severe severity of the two probes; SEV-1 on a public service is public
    assert (record.severity, record.visibility, record.services[0].impact) == ("SEV-1", "public", "major_outage")
    assert record.updates[0].message == "We are investigating a major outage of Public API."


def test_probes_of_different_services_still_open_their_own_incidents(tmp_path: Path) -> None:
    org = two_probes(tmp_path)
    result = decide(org, failing("api/health", START, 3), failing("db/port", START, 3))
    assert [(a.incident.id, a.incident.probes) for a in result.actions if isinstance(a, Open)] == [
        ("INC-2026-0002", ["api/health"]),
        ("INC-2026-0003", ["db/port"]),
    ]


def test_a_later_failure_joins_the_open_incident_without_a_public_update(tmp_path: Path) -> None:
    org = two_probes(tmp_path)
    ledger = ledger_file.Ledger()
    first = decide(org, failing("api/health", START, 3), ledger=ledger)
    apply_to_ledger(ledger, first.actions)
    (opening,) = first.actions
    assert isinstance(opening, Open)
    result = decide(
        org,
        failing("api/health", START, 5),
        failing("api/port", START + 3 * STEP, 2),
        ledger=ledger,
        records={opening.incident.id: opening.incident},
    )
    (join,) = result.actions
    assert isinstance(join, Join)
    assert (join.episode.probe, join.episode.incident, join.episode.branch) == (
        "api/port",
        "INC-2026-0002",
        "watchbill/inc-2026-0002",
    )
    assert join.episode.started_at == START + 3 * STEP
    assert join.event.kind == "detected" and "connection refused" in join.event.message

    path = tmp_path / "tree"
    assert apply(path, opening) is True
    assert apply(path, join) is True
    assert apply(path, join) is False, "joining twice changes nothing"
    record = Incident.model_validate(parse((path / opening.episode.path).read_text(), "x").data)
    assert record.probes == ["api/health", "api/port"]
    assert record.services[0].impact == "major_outage", "never lowered by a milder probe"
    assert len(record.updates) == 1


def test_a_record_the_ledger_does_not_hold_yet_takes_its_probes_when_proposed_again(tmp_path: Path) -> None:
    org = two_probes(tmp_path)
    ledger, action = opened_together(org)
    (again,) = decide(org, failing("api/health", START, 5), failing("api/port", START, 5), ledger=ledger).actions
    assert isinstance(again, Open)
    assert again.incident.id == action.incident.id and again.incident.probes == ["api/health", "api/port"]


def test_recovery_waits_for_every_probe_of_the_incident(tmp_path: Path) -> None:
    org = two_probes(tmp_path)
    ledger, action = opened_together(org)
    records: dict[str, Found] = {action.incident.id: action.incident}
    half = decide(
        org, healthy("api/health", NOW - STEP, 3), failing("api/port", START, 8), ledger=ledger, records=records
    )
    assert half.actions == []
    unknown = decide(org, healthy("api/health", NOW - STEP, 3), ledger=ledger, records=records)
    (recover,) = unknown.actions
    assert isinstance(recover, Recover), "a probe with no state does not hold the recovery back"
    both = decide(
        org,
        healthy("api/health", NOW - 2 * STEP, 3),
        healthy("api/port", NOW - STEP, 2),
        ledger=ledger,
        records=records,
    )
    (recover,) = both.actions
    assert isinstance(recover, Recover)
    assert recover.mitigated_at == NOW - STEP, "mitigated when the last probe came back"
    assert recover.event.message.startswith(f"Probes healthy since {format_instant(NOW - STEP)}: api/health")


def test_any_probe_failing_again_in_monitoring_is_a_relapse_and_all_must_be_watched_to_resolve(
    tmp_path: Path,
) -> None:
    org = two_probes(tmp_path)
    ledger, action = opened_together(org)
    updates = [*action.incident.updates, Update(at=NOW, status="monitoring", message="Watching.")]
    watched = action.incident.model_copy(update={"status": "monitoring", "updates": updates, "mitigated_at": NOW})
    records: dict[str, Found] = {action.incident.id: watched}
    later = NOW + timedelta(minutes=20)
    relapse = decide(
        org,
        healthy("api/health", NOW, 4),
        failing("api/port", NOW + STEP, 2),
        ledger=ledger,
        records=records,
        now=later,
    )
    (action_,) = relapse.actions
    assert isinstance(action_, Relapse) and action_.event.message.startswith("Probe api/port failing again")
    done = decide(
        org, healthy("api/health", NOW, 4), healthy("api/port", NOW, 4), ledger=ledger, records=records, now=later
    )
    resolve, *forgets = done.actions
    assert isinstance(resolve, Resolve)
    assert resolve.event.message == "Probes api/health, api/port stayed healthy through the 15-minute recovery watch."
    assert forgets == [Forget("api/health"), Forget("api/port")]


def test_a_dismissed_incident_lets_each_probe_go_once_it_is_healthy(tmp_path: Path) -> None:
    org = two_probes(tmp_path)
    ledger, action = opened_together(org)
    result = decide(
        org,
        healthy("api/health", NOW, 1),
        failing("api/port", START, 9),
        ledger=ledger,
        records={action.incident.id: DISMISSED},
    )
    assert result.actions == [Forget("api/health")]
