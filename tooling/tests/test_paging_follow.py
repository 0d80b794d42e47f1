"""Paging that follows the incident (``escalate follow``): each step sent at its due time on simulated time,
acknowledgement and closed pull requests re-checked before every send, a hand-over before the deadline, and
never a duplicate page whatever runs beside it (real git with a bare remote, a real webhook receiver, the
local GitHub server; time is an explicit clock, nothing sleeps)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support.github_server import FakeGitHub
from support.org_repo import clone, git, make_repo, remote_record
from support.orgfactory import build_org
from support.paging_org import PAGING_PEOPLE, open_incident
from support.probe_servers import HttpServer, http_server, local_services
from support.receivers import Receiver
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.forge.git import Identity, Repository
from watchbill.forge.github import GitHub
from watchbill.lifecycle import Lifecycle
from watchbill.models import Update
from watchbill.paging.follow import HANDOVER_EVENT, FollowOptions, FollowResult, SimulatedTime, follow
from watchbill.paging.targets import overdue
from watchbill.paging.usecases import acknowledge_incident, run_escalation
from watchbill.probes import RunOptions, run, select
from watchbill.validate import load_organisation

DETECTED = datetime.fromisoformat("2026-11-23T12:00:00+00:00")
MINUTE = timedelta(minutes=1)
RECORD = "incidents/2026/INC-2026-0002.yaml"
JOURNAL = "paging/INC-2026-0002.jsonl"
BOT = Identity("watchbill-test", "bot@example.com")
BRANCH = "watchbill/inc-2026-0002"
OPEN = open_incident(DETECTED.isoformat())
POLICY = """\
id: standard
name: Standard
steps:
  - after: 0m
    targets:
      - person:alice
  - after: 5m
    targets:
      - person:alice
  - after: 10m
    targets:
      - person:bob
  - after: 15m
    targets:
      - channel:room
"""
PEOPLE = PAGING_PEOPLE


def channels(port: int) -> str:
    return f"""\
channels:
  - id: hook
    name: Personal webhook
    kind: webhook
    url: json://127.0.0.1:{port}/person/{{address}}
    personal: true
  - id: room
    name: Incident room
    kind: webhook
    url: json://127.0.0.1:{port}/room
"""


class Killed(Exception):
    """The runner went away mid-sleep."""


class World:
    def __init__(self, tmp: Path, receiver: Receiver, record: str | None = OPEN) -> None:
        changes = {
            "policies/channels.yaml": channels(receiver.port),
            "schedules/people.yaml": PEOPLE,
            "policies/escalation/standard.yaml": POLICY,
            RECORD: record,
        }
        _, self.remote = make_repo(tmp, changes)
        self.tmp, self.receiver, self.clones = tmp, receiver, 0

    def clone(self) -> Path:
        self.clones += 1
        return clone(self.remote, self.tmp / f"clone{self.clones}")

    def journal(self) -> list[dict[str, object]]:
        text = git(self.remote, "show", f"refs/heads/watchbill-data:{JOURNAL}")
        return [json.loads(line) for line in text.splitlines()]

    def sent(self) -> list[tuple[str, object, object]]:
        """(at, step, reminder) of every successful send, from the journal."""
        return [
            (str(line["at"]), line.get("step"), line.get("reminder"))
            for line in self.journal()
            if line["kind"] in ("notified", "reminded")
        ]

    def follow(
        self,
        start: datetime,
        *,
        hours: float = 2,
        reminders: bool = False,
        hook: Callable[[datetime], None] | None = None,
        env: dict[str, str] | None = None,
        until_idle: bool = True,
        handover: bool = True,
    ) -> FollowResult:
        """A follower from a fresh clone; ``hook`` runs at each wake-up instant before the follower's pass."""
        timer = SimulatedTime(start)

        def sleep(seconds: float) -> None:
            timer.sleep(seconds)
            if hook is not None:
                hook(timer.now())

        options = FollowOptions(
            deadline=start + timedelta(hours=hours),
            reminders=reminders,
            backoff=0,
            until_idle=until_idle,
            handover=handover,
        )
        return follow(self.clone(), clock=timer.now, sleep=sleep, options=options, env=env or {})


@pytest.fixture
def world(tmp_path: Path, receiver: Receiver) -> World:
    return World(tmp_path, receiver)


@pytest.mark.slow
def test_with_no_cron_at_all_the_follower_sends_every_step_at_its_due_time(world: World) -> None:
    result = world.follow(DETECTED + 10 * timedelta(seconds=1))
    assert result.stopped == "idle" and result.failed == 0, result.errors
    assert [(at, step) for at, step, _ in world.sent()] == [
        ("2026-11-23T12:00:10Z", 0),
        ("2026-11-23T12:05:00Z", 1),
        ("2026-11-23T12:10:00Z", 2),
        ("2026-11-23T12:15:00Z", 3),
    ]
    assert world.receiver.paths == ["/person/alice", "/person/alice", "/person/bob", "/room"]


def test_an_acknowledgement_between_steps_stops_the_follower_before_the_next_send(world: World) -> None:
    acker = world.clone()

    def hook(now: datetime) -> None:
        if now >= DETECTED + 7 * MINUTE and not world.acked:
            org = load_organisation(acker, now=now, use_cache=False)
            acknowledge_incident(org, "INC-2026-0002", DETECTED + 7 * MINUTE, by="alice")
            world.acked = True

    world.acked = False  # type: ignore[attr-defined]
    result = world.follow(DETECTED, hook=hook)
    assert result.stopped == "idle"
    assert [step for _, step, _ in world.sent()] == [0, 1]
    assert len(world.receiver.requests) == 2


@pytest.mark.slow
def test_a_scheduled_run_at_the_same_instants_as_the_follower_never_doubles_a_page(world: World) -> None:
    runner = world.clone()

    def scheduled(now: datetime) -> None:  # cron lands exactly when the follower wakes, and goes first
        run_escalation(load_organisation(runner, now=now, use_cache=False), now, env={}, backoff=0)

    result = world.follow(DETECTED, hook=scheduled)
    assert result.failed == 0
    assert [step for _, step, _ in world.sent()] == [0, 1, 2, 3]
    assert len(world.receiver.requests) == 4, "each step once, whichever of the two claimed it"


@pytest.mark.slow
def test_a_follower_killed_mid_sleep_and_restarted_picks_up_from_the_journal(world: World) -> None:
    def killer(now: datetime) -> None:
        if now >= DETECTED + 5 * MINUTE:
            raise Killed

    with pytest.raises(Killed):
        world.follow(DETECTED, hook=killer)
    assert [step for _, step, _ in world.sent()] == [0]

    restarted = world.follow(DETECTED + 6 * MINUTE)  # the runner came back a minute late
    assert restarted.failed == 0
    assert [(at, step) for at, step, _ in world.sent()] == [
        ("2026-11-23T12:00:00Z", 0),
        ("2026-11-23T12:06:00Z", 1),
        ("2026-11-23T12:10:00Z", 2),
        ("2026-11-23T12:15:00Z", 3),
    ]
    assert len(world.receiver.requests) == 4


def test_a_resolution_merged_while_following_stops_the_pages(world: World) -> None:
    person = world.clone()

    def resolve(now: datetime) -> None:
        if now >= DETECTED + 8 * MINUTE and "resolved" not in (person / RECORD).read_text():
            resolved = (
                OPEN.replace("investigating", "resolved") + f"resolved_at: {(DETECTED + 8 * MINUTE).isoformat()}\n"
            )
            (person / RECORD).write_text(resolved.replace("status: resolved\n", "status: resolved\n", 1))
            git(person, "commit", "-qam", "resolve")
            git(person, "push", "-q", "origin", "HEAD:main")

    result = world.follow(DETECTED, hook=resolve)
    assert result.stopped == "idle"
    assert [step for _, step, _ in world.sent()] == [0, 1]


def test_before_its_deadline_the_follower_hands_over_with_a_dispatch(world: World) -> None:
    with FakeGitHub(bare=world.remote) as github:
        result = world.follow(DETECTED, hours=0.125, env=github.env())  # 7.5 minutes
        assert result.stopped == "handed_over" and result.handed_over
        assert result.following == ["INC-2026-0002"]
        assert github.dispatches == [
            {
                "event_type": HANDOVER_EVENT,
                "client_payload": {"incidents": "INC-2026-0002", "at": result.ended.isoformat()},
            }
        ]
    assert [step for _, step, _ in world.sent()] == [0, 1]
    continued = world.follow(DETECTED + 7 * MINUTE + 40 * timedelta(seconds=1))  # the dispatched run
    assert continued.stopped == "idle"
    assert [step for _, step, _ in world.sent()] == [0, 1, 2, 3]
    assert len(world.receiver.requests) == 4


def test_without_a_token_the_follower_says_it_could_not_hand_over(world: World) -> None:
    result = world.follow(DETECTED, hours=0.125)
    assert result.stopped == "deadline" and not result.handed_over
    assert result.errors == [
        "1 incident(s) still open at the deadline and no GitHub token to hand over with: "
        "the scheduled escalate run takes over"
    ]


@pytest.mark.slow
def test_the_cli_follows_on_simulated_time_with_at(world: World) -> None:
    root = world.clone()
    args = ["escalate", "follow", "--until-idle", "--backoff", "0", "--root", str(root), "--at", DETECTED.isoformat()]
    result = CliRunner().invoke(app, [*args, "--format", "json", "--no-reminders"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["stopped"] == "idle" and data["ended"] == "2026-11-23T12:15:00Z"
    assert [p["at"] for p in data["passes"]] == [
        "2026-11-23T12:00:00Z",
        "2026-11-23T12:05:00Z",
        "2026-11-23T12:10:00Z",
        "2026-11-23T12:15:00Z",
    ]
    assert len(world.receiver.requests) == 4


# --- an incident's pull request: closed unmerged stops paging; pages link to it ------------------------------


def _branch_world(tmp_path: Path, receiver: Receiver, server: HttpServer) -> tuple[World, FakeGitHub]:
    """INC-2026-0002 exists only on its incident branch, opened by the probes (two failing runs), with an
    open pull request."""
    world = World(tmp_path, receiver, record=None)
    changes = {"policies/services.yaml": local_services(server.url), "incidents/maintenance/MNT-2026-0001.yaml": None}
    person = world.clone()
    for relative, text in changes.items():
        if text is None:
            (person / relative).unlink()
        else:
            (person / relative).write_text(text)
    git(person, "commit", "-qam", "probe the local server")
    git(person, "push", "-q", "origin", "HEAD:main")
    server.behaviour.status = 503
    for at in (DETECTED - 5 * MINUTE, DETECTED):
        root = world.clone()
        org = load_organisation(root, now=at, use_cache=False)
        results = run(select(org.services.values(), now=at, due_only=False), RunOptions(), at)
        Lifecycle(org, Repository(root, identity=BOT), at).run(results)
    assert remote_record(world.remote, BRANCH, RECORD).status == "investigating"
    return world, FakeGitHub(bare=world.remote, actions_create_pulls=True)


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with http_server() as running:
        yield running


@pytest.mark.slow
def test_pages_link_to_the_pull_request_and_say_how_to_acknowledge(
    tmp_path: Path, receiver: Receiver, server: HttpServer
) -> None:
    world, github = _branch_world(tmp_path, receiver, server)
    with github:
        client = GitHub(github.repository, github.token, api_url=github.url)
        pull, _ = client.create_pull(BRANCH, "main", "INC-2026-0002: API returns errors", "")
        org = load_organisation(world.clone(), now=DETECTED, use_cache=False)
        done = run_escalation(org, DETECTED + MINUTE, env=github.env(), backoff=0)
    assert done.failed == 0, done.errors
    [page] = receiver.requests
    record = remote_record(world.remote, BRANCH, RECORD)
    severity, impact = record.severity, record.services[0].impact.replace("_", " ")
    assert page.json["title"] == f"[{severity}] INC-2026-0002: {record.title}"
    assert page.json["message"].splitlines() == [
        record.title,
        f"Severity: {severity} (Critical); services: api ({impact}); status: investigating",
        f"Detected at {record.detected_at:%Y-%m-%dT%H:%M:%SZ}. Escalation step 1, round 1.",
        f"Pull request: {pull.url}",
        f"To acknowledge, reply /ack on {pull.url}",
        "or run: watchbill ack INC-2026-0002",
    ]
    assert pull.url == "https://github.com/example/ops/pull/1"


@pytest.mark.slow
def test_closing_the_pull_request_unmerged_stops_paging_at_once(
    tmp_path: Path, receiver: Receiver, server: HttpServer
) -> None:
    world, github = _branch_world(tmp_path, receiver, server)
    with github:
        client = GitHub(github.repository, github.token, api_url=github.url)
        pull, _ = client.create_pull(BRANCH, "main", "INC-2026-0002: API returns errors", "")

        def dismiss(now: datetime) -> None:
            if now >= DETECTED + 6 * MINUTE:
                github.close(pull.number)  # "not an incident"

        result = world.follow(DETECTED, hook=dismiss, env=github.env())
    assert result.stopped == "idle" and result.failed == 0, result.errors
    assert [step for _, step, _ in world.sent()] == [0, 1]
    assert len(receiver.requests) == 2


def test_a_merged_record_page_links_to_the_record_on_the_base_branch(world: World) -> None:
    org = load_organisation(world.clone(), now=DETECTED, use_cache=False)
    env = {"GITHUB_REPOSITORY": "example/ops", "GITHUB_SERVER_URL": "https://github.example.com"}
    run_escalation(org, DETECTED, env=env, backoff=0)
    lines = world.receiver.requests[0].json["message"].splitlines()
    assert lines[-2:] == [
        "Record: https://github.example.com/example/ops/blob/main/incidents/2026/INC-2026-0002.yaml",
        "To acknowledge, run: watchbill ack INC-2026-0002",
    ]


# --- reminders from the severity's targets -------------------------------------------------------------------


def test_overdue_lists_every_missed_target(tmp_path: Path) -> None:
    org = load_organisation(build_org(tmp_path, {RECORD: OPEN}), now=DETECTED, use_cache=False)
    incident = org.incidents["INC-2026-0002"]
    assert overdue(org, incident, DETECTED + 4 * MINUTE) == []
    late = overdue(org, incident, DETECTED + 5 * timedelta(hours=1))
    assert [(o.target, o.due.strftime("%H:%M"), o.describe()) for o in late] == [
        ("acknowledge", "12:05", "acknowledgement overdue by 4h55m"),
        ("first_update", "12:15", "first update overdue by 4h45m"),
        ("resolve", "16:00", "resolution overdue by 1h"),
    ]
    updated = incident.model_copy(
        update={"updates": [Update(at=DETECTED + 10 * MINUTE, status="investigating", message="Looking.")]}
    )
    assert [o.describe() for o in overdue(org, updated, DETECTED + 45 * MINUTE)] == [
        "acknowledgement overdue by 40m",
        "next update overdue by 5m",
    ]


@pytest.mark.slow
def test_the_commander_is_reminded_once_per_overdue_update_period(tmp_path: Path, receiver: Receiver) -> None:
    commanded = OPEN + "acknowledged_at: 2026-11-23T12:01:00Z\nroles:\n  commander: bob\n"
    world = World(tmp_path, receiver, record=commanded)
    result = world.follow(DETECTED + 2 * MINUTE, hours=1.2, reminders=True, until_idle=False, handover=False)
    assert result.failed == 0, result.errors
    # SEV-1: first update within 15m, then every 30m: reminded at 12:15 and again at 12:45, once each
    assert world.sent() == [
        ("2026-11-23T12:15:00Z", None, "first_update@2026-11-23T12:15:00Z"),
        ("2026-11-23T12:45:00Z", None, "first_update@2026-11-23T12:45:00Z"),
    ]
    assert world.receiver.paths == ["/person/bob", "/person/bob"]
    page = world.receiver.requests[0].json
    assert page["title"] == "[SEV-1] INC-2026-0002: first public update overdue"
    assert "watchbill update INC-2026-0002 -m '<text>' --pr" in page["message"]
    again = run_escalation(
        load_organisation(world.clone(), now=DETECTED, use_cache=False),
        DETECTED + 50 * MINUTE,
        env={},
        reminders=True,
    )
    assert again.quiet and len(world.receiver.requests) == 2, "a scheduled run does not remind again"


def test_list_shows_what_is_overdue_for_each_open_incident(tmp_path: Path) -> None:
    root = build_org(tmp_path, {RECORD: OPEN})
    at = (DETECTED + 45 * MINUTE).isoformat()
    result = CliRunner().invoke(app, ["list", "--root", str(root), "--at", at])
    assert result.exit_code == 0, result.output
    assert "    overdue: acknowledgement overdue by 40m; first update overdue by 30m\n" in result.output
    data = json.loads(CliRunner().invoke(app, ["list", "--root", str(root), "--at", at, "--format", "json"]).output)
    [incident] = [i for i in data["open_incidents"] if i["id"] == "INC-2026-0002"]
    assert incident["overdue"] == [
        {"target": "acknowledge", "due": "2026-11-23T12:05:00Z", "late_seconds": 2400},
        {"target": "first_update", "due": "2026-11-23T12:15:00Z", "late_seconds": 1800},
    ]
