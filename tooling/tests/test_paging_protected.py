"""Paging against a remote whose ``main`` is protected as real teams protect it: every step is sent exactly
once, acknowledgements stop escalation, and the machine never even tries to push to ``main`` (a bare remote
with a ``pre-receive`` hook, a real webhook receiver, explicit clocks)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support.org_repo import clone, git, make_repo
from support.paging_org import open_incident
from support.protected_remote import protect, refused
from support.receivers import Receiver, channels
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.forge.git import Identity
from watchbill.paging.usecases import EscalationPass, run_escalation
from watchbill.validate import load_organisation

DETECTED = datetime.fromisoformat("2026-11-23T12:00:00+00:00")
MINUTE = timedelta(minutes=1)
RECORD = "incidents/2026/INC-2026-0002.yaml"
JOURNAL = "paging/INC-2026-0002.jsonl"
OPEN = open_incident(DETECTED.isoformat())
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
BOT = Identity("watchbill-test", "bot@example.com")


class Protected:
    """An organisation with INC-2026-0002 open on ``main``; ``main`` is protected once it exists."""

    def __init__(self, tmp: Path, receiver: Receiver, **rules: object) -> None:
        changes = {RECORD: OPEN, "policies/channels.yaml": channels(receiver.port, "pager")}
        _, self.remote = make_repo(tmp, {**changes, "policies/escalation/standard.yaml": POLICY})
        protect(self.remote, **rules)  # type: ignore[arg-type]
        self.main = self.tip("main")
        self.tmp = tmp
        self.clones = 0

    def clone(self) -> Path:
        self.clones += 1
        return clone(self.remote, self.tmp / f"clone{self.clones}")

    def tip(self, branch: str) -> str:
        return git(self.remote, "rev-parse", f"refs/heads/{branch}")

    def cli(self, *args: str, at: datetime) -> tuple[int, str]:
        result = CliRunner().invoke(app, [*args, "--root", str(self.clone()), "--at", at.isoformat()])
        return result.exit_code, result.output

    def escalate(self, at: datetime) -> tuple[int, str]:
        return self.cli("escalate", "run", "--backoff", "0", at=at)

    def journal(self) -> list[dict[str, object]]:
        text = git(self.remote, "show", f"refs/heads/watchbill-data:{JOURNAL}")
        return [json.loads(line) for line in text.splitlines()]

    def untouched(self) -> bool:
        """``main`` is where the person left it, and nothing tried to move it."""
        return self.tip("main") == self.main and refused(self.remote) == []


@pytest.fixture
def org(tmp_path: Path, receiver: Receiver) -> Protected:
    return Protected(tmp_path, receiver)


def test_the_hook_refuses_a_persons_push_to_main(org: Protected) -> None:
    person = org.clone()
    (person / RECORD).write_text(OPEN + "# a person's edit\n")
    git(person, "commit", "-qam", "straight to main")
    with pytest.raises(AssertionError, match="GH006"):
        git(person, "push", "-q", "origin", "HEAD:main")
    assert refused(org.remote) == ["refs/heads/main\tChanges must be made through a pull request."]


def test_a_merged_incident_is_paged_once_per_step_across_runs_and_main_is_never_pushed(
    org: Protected, receiver: Receiver
) -> None:
    sent = []
    for minutes in (1, 2, 6, 16, 17, 30):
        code, output = org.escalate(DETECTED + minutes * MINUTE)
        assert code == 0, output
        sent.append(len(receiver.requests))
    assert sent == [1, 1, 1, 2, 2, 2]
    assert org.untouched()
    kinds = [(line["kind"], line.get("step")) for line in org.journal()]
    assert kinds == [("claimed", 0), ("notified", 0), ("claimed", 1), ("notified", 1)]


def test_a_failed_send_releases_its_claim_and_is_retried_by_the_next_run(org: Protected, receiver: Receiver) -> None:
    person = org.clone()
    failing = (person / "policies/channels.yaml").read_text().replace("/page", "/fail")
    (person / "policies/channels.yaml").write_text(failing)
    org_root = load_organisation(person, now=DETECTED, use_cache=False)
    first = run_escalation(org_root, DETECTED + MINUTE, env={}, retries=0, backoff=0)
    assert first.failed == 1 and org.untouched()
    code, output = org.escalate(DETECTED + 2 * MINUTE)  # the shipped channel works again
    assert code == 0, output
    assert receiver.paths == ["/fail", "/page"]
    assert [line["kind"] for line in org.journal()] == ["claimed", "failed", "claimed", "notified"]


def test_two_escalation_runs_at_once_send_each_step_once(tmp_path: Path, receiver: Receiver) -> None:
    org = Protected(tmp_path, receiver, hold="watchbill-data", crowd=2)
    roots = [org.clone(), org.clone()]
    at = DETECTED + 16 * MINUTE  # both steps are due
    barrier = threading.Barrier(2)
    outcomes: list[EscalationPass] = []
    failures: list[BaseException] = []

    def racer(root: Path) -> None:
        loaded = load_organisation(root, now=at, use_cache=False)
        barrier.wait()
        try:
            outcomes.append(run_escalation(loaded, at, env={}, backoff=0))
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=racer, args=(root,)) for root in roots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and len(outcomes) == 2
    assert [o.failed for o in outcomes] == [0, 0]
    assert len(receiver.requests) == 2, "steps 1 and 2 are due: each is sent once, by whichever run claimed it"
    assert sorted(len(p.sent) for o in outcomes for p in o.incidents) == [0, 2]
    assert len(list((org.remote / "arrivals").iterdir())) >= 3  # the loser's claim was rejected and replayed
    assert org.untouched()


def test_an_acknowledged_merged_incident_gets_no_further_steps(org: Protected, receiver: Receiver) -> None:
    code, output = org.escalate(DETECTED + MINUTE)
    assert code == 0 and len(receiver.requests) == 1, output

    code, output = org.cli("ack", "INC-2026-0002", "--by", "alice", at=DETECTED + 5 * MINUTE)
    assert code == 0, output
    assert "INC-2026-0002 acknowledged at 2026-11-23T12:05:00Z on watchbill-data" in output
    code, output = org.cli("ack", "INC-2026-0002", at=DETECTED + 6 * MINUTE)
    assert code == 0 and "already acknowledged at 2026-11-23T12:05:00Z" in output

    for minutes in (16, 45):
        code, output = org.escalate(DETECTED + minutes * MINUTE)
        assert code == 0, output
        assert "nothing due (0 open unacknowledged incident(s))" in output
    assert len(receiver.requests) == 1
    assert org.journal()[-1] == {"at": "2026-11-23T12:05:00Z", "kind": "acknowledged", "by": "alice"}
    assert org.untouched()


def test_with_signed_off_commits_required_the_machines_commits_still_land(tmp_path: Path, receiver: Receiver) -> None:
    org = Protected(tmp_path, receiver, signoff=True)
    for minutes in (1, 2):
        code, output = org.escalate(DETECTED + minutes * MINUTE)
        assert code == 0, output
    assert len(receiver.requests) == 1
    assert "Signed-off-by: " in git(org.remote, "log", "-1", "--format=%B", "refs/heads/watchbill-data")
    assert org.untouched()


def test_a_damaged_journal_line_is_reported_with_its_place_and_the_rest_is_read(
    org: Protected, receiver: Receiver
) -> None:
    assert org.escalate(DETECTED + MINUTE)[0] == 0
    data = clone(org.remote, org.tmp / "data", branch="watchbill-data")
    with (data / JOURNAL).open("a") as handle:
        handle.write('{"kind": "notified", "at": \n')
    git(data, "commit", "-qam", "damage")
    git(data, "push", "-q", "origin", "watchbill-data")
    code, output = org.escalate(DETECTED + 2 * MINUTE)
    assert code == 0, output
    assert f"note: {JOURNAL}:3:1: warning: damaged line skipped" in output
    assert len(receiver.requests) == 1
