"""The people's verbs (declare, update, assign, resolve, postmortem, list) against a real git repository with
a bare remote on disk, and a local GitHub API server for the pull requests they open with --pr."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.github_server import FakeGitHub
from support.org_repo import clone, git, make_repo, remote_branches, remote_file, remote_log
from support.orgfactory import NOW, build_org
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.files.loader import parse
from watchbill.forge import Repository
from watchbill.incidents import ops, usecases
from watchbill.incidents import publish as proposal
from watchbill.incidents.branches import reserved_ids
from watchbill.incidents.ids import IncidentId
from watchbill.models import Incident
from watchbill.validate import load_organisation

OPEN = """\
# Written during the incident; keep the timeline terse.
id: INC-2026-0002
title: Slow API responses   # shown on the status page
severity: SEV-2
status: investigating
services:
  - service: api
    impact: degraded_performance
detected_by: customer
started_at: 2026-11-23T09:00:00Z
detected_at: 2026-11-23T09:10:00Z
roles:
  commander: alice
updates:
  - at: 2026-11-23T09:15:00Z
    status: investigating
    message: >-
      We are looking into slow API responses.
timeline:
  # first report came from ACME support
  - at: 2026-11-23T09:10:00Z
    kind: detected
    message: Ticket from ACME.
"""
OPEN_PATH = "incidents/2026/INC-2026-0002.yaml"
AT = "2026-11-23T12:05:00Z"


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    return make_repo(tmp_path, {OPEN_PATH: OPEN})


@pytest.fixture
def github(repo: tuple[Path, Path]) -> Iterator[FakeGitHub]:
    with FakeGitHub(bare=repo[1], actions_create_pulls=True) as server:
        yield server


def run(work: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--root", str(work)], env=env or {}, catch_exceptions=False)
    return result.exit_code, result.output


def record(work: Path, relative: str = OPEN_PATH) -> Incident:
    return Incident.model_validate(parse((work / relative).read_text(), relative).data)


# ---------------------------------------------------------------- declare


def test_declare_writes_the_next_free_id_with_a_first_public_update(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(
        work,
        "declare",
        "--title",
        "Checkout fails",
        "--severity",
        "SEV-1",
        "--service",
        "api:partial_outage",
        "--service",
        "db",
        "--commander",
        "bob",
        "--at",
        AT,
    )
    assert code == 0, output
    assert "Declared INC-2026-0003: Checkout fails" in output
    incident = record(work, "incidents/2026/INC-2026-0003.yaml")
    assert incident.status == "investigating"
    assert [(s.service, s.impact) for s in incident.services] == [("api", "partial_outage"), ("db", "major_outage")]
    assert incident.roles.commander == "bob"
    assert incident.visibility == "public"  # SEV-1 is a public severity
    assert incident.detected_by == "internal"
    assert [u.status for u in incident.updates] == ["investigating"]
    assert (work / "incidents/2026/INC-2026-0003.yaml").read_text().startswith("# yaml-language-server: $schema=")


def test_declare_takes_its_visibility_from_the_severity(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "declare", "-t", "Slow search", "-s", "SEV-2", "--service", "api", "--at", AT)
    assert code == 0, output
    assert record(work, "incidents/2026/INC-2026-0003.yaml").visibility == "internal"


def test_declare_without_a_terminal_names_the_missing_flag(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "declare", "--title", "Checkout fails", "--at", AT)
    assert code == 2
    assert "missing --severity" in output
    assert not (work / "incidents/2026/INC-2026-0003.yaml").exists()


def test_declare_refuses_an_unknown_service_and_lists_the_known_ones(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "declare", "-t", "X", "-s", "SEV-1", "--service", "../../etc/passwd", "--at", AT)
    assert code == 1
    assert "unknown service '../../etc/passwd'; known: api, db" in output
    assert "Traceback" not in output


def test_a_huge_title_is_refused_with_a_clear_message(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "declare", "-t", "A" * 100_000, "-s", "SEV-1", "--service", "api", "--at", AT)
    assert code == 1, output
    assert "the title is 100,000 characters long; keep it under 200" in output
    assert not (work / "incidents/2026/INC-2026-0003.yaml").exists()


def test_a_title_of_two_lines_is_refused_since_it_would_split_the_commit_subject(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "declare", "-t", "Checkout fails\nSecond line", "-s", "SEV-1", "--service", "api")
    assert code == 1, output
    assert "the title must be one line: it becomes the commit subject and the pull request's title" in output
    assert not (work / "incidents/2026/INC-2026-0003.yaml").exists()


def test_declare_reports_what_it_wrote_as_json(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(
        work, "declare", "-t", "Checkout fails", "-s", "SEV-1", "--service", "api", "-f", "json", "--at", AT
    )
    assert code == 0, output
    data = json.loads(output)
    assert data["incident"] == "INC-2026-0003"
    assert (data["status"], data["changed"], data["pull_request"]) == ("investigating", True, None)
    assert data["file"] == "incidents/2026/INC-2026-0003.yaml"
    assert data["summary"] == "Declared INC-2026-0003: Checkout fails"


def test_the_verbs_are_library_calls_without_typer(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    at = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
    result = usecases.edit(work, "inc-2026-0002", ops.StatusUpdate("Fix deployed.", "monitoring"), now=at)
    assert (result.incident.id, result.incident.status, result.changed) == ("INC-2026-0002", "monitoring", True)
    assert result.summary == "INC-2026-0002: monitoring: Fix deployed."
    assert result.file == OPEN_PATH and result.branch is None and result.pull_number is None
    again = usecases.edit(work, "INC-2026-0002", ops.RoleAssignment({"commander": "alice"}), now=at)
    assert (again.changed, again.summary) == (False, "INC-2026-0002: nothing to change")
    attention = usecases.list_open(work, now=at)
    assert [i.id for i in attention.open_incidents] == ["INC-2026-0002"]


def test_declare_at_a_terminal_asks_for_what_is_missing(repo: tuple[Path, Path]) -> None:
    """A real pseudo-terminal, as a person at a shell would have."""
    work, _ = repo
    import pty

    main, secondary = pty.openpty()
    env = {**os.environ, "WATCHBILL_ROOT": str(work), "COLUMNS": "200", "NO_COLOR": "1"}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("watchbill")), "declare", "--at", AT],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    answers = iter(["Login page blank\n", "SEV-2\n", "api:degraded_performance\n", "alice\n"])
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(main, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
                if seen.rstrip().endswith(b":"):
                    answer = next(answers, None)
                    if answer is not None:
                        os.write(main, answer.encode())
                        seen += b"\n"
            elif process.poll() is not None:
                break
        process.wait(timeout=30)
    finally:
        os.close(main)
        if process.poll() is None:
            process.kill()
    text = seen.decode(errors="replace")
    assert process.returncode == 0, text
    assert "Title" in text and "Severity" in text and "Affected services" in text
    incident = record(work, "incidents/2026/INC-2026-0003.yaml")
    assert incident.title == "Login page blank"
    assert incident.severity == "SEV-2"
    assert incident.roles.commander == "alice"


# ---------------------------------------------------------------- edits keep what people wrote


def test_update_keeps_comments_key_order_and_folded_text(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(
        work, "update", "INC-2026-0002", "--status", "identified", "-m", "A cache node is overloaded.", "--at", AT
    )
    assert code == 0, output
    text = (work / OPEN_PATH).read_text()
    assert text.startswith("# Written during the incident; keep the timeline terse.\nid: INC-2026-0002\n")
    assert "title: Slow API responses   # shown on the status page" in text
    assert "  # first report came from ACME support" in text
    assert "    message: >-\n      We are looking into slow API responses." in text
    keys = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]
    assert keys == [
        "id",
        "title",
        "severity",
        "status",
        "services",
        "detected_by",
        "started_at",
        "detected_at",
        "roles",
        "updates",
        "timeline",
    ]
    incident = record(work)
    assert incident.status == "identified"
    assert incident.updates[-1].message == "A cache node is overloaded."
    assert incident.timeline[-1].kind == "status"


def test_update_to_monitoring_records_when_it_was_mitigated(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "update", "INC-2026-0002", "--status", "monitoring", "-m", "Fix deployed.", "--at", AT)
    assert code == 0, output
    incident = record(work)
    assert incident.mitigated_at is not None and incident.mitigated_at.isoformat() == "2026-11-23T12:05:00+00:00"
    text = (work / OPEN_PATH).read_text()
    assert text.index("mitigated_at:") < text.index("roles:")  # placed in the template's order


def test_update_refuses_an_instant_before_the_latest_entry(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    before = (work / OPEN_PATH).read_text()
    code, output = run(work, "update", "INC-2026-0002", "-m", "x", "--at", "2026-11-23T09:12:00Z")
    assert code == 1
    assert "before the record's latest entry" in output
    assert (work / OPEN_PATH).read_text() == before


def test_assign_hands_roles_over_in_the_templates_order(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "assign", "INC-2026-0002", "--scribe", "alice", "--commander", "bob", "--at", AT)
    assert code == 0, output
    text = (work / OPEN_PATH).read_text()
    assert "roles:\n  commander: bob\n  scribe: alice\n" in text
    messages = [e.message for e in record(work).timeline if e.kind == "role"]
    assert messages == ["bob is incident commander (was alice).", "alice is scribe."]


def test_assign_refuses_an_unknown_person_and_leaves_the_file_alone(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    before = (work / OPEN_PATH).read_text()
    code, output = run(work, "assign", "INC-2026-0002", "--commander", "mallory", "--at", AT)
    assert code == 1
    assert "unknown person 'mallory' for commander; known: alice, bob" in output
    assert (work / OPEN_PATH).read_text() == before


def test_resolve_sets_resolved_at_the_final_update_and_says_when_the_postmortem_is_due(
    repo: tuple[Path, Path],
) -> None:
    work, _ = repo
    run(work, "assign", "INC-2026-0002", "--commander", "alice", "--at", AT)
    code, output = run(work, "resolve", "INC-2026-0002", "-m", "All good again.", "--at", "2026-11-23T13:00:00Z")
    assert code == 0, output
    incident = record(work)
    assert incident.status == "resolved"
    assert incident.resolved_at is not None and incident.mitigated_at == incident.resolved_at
    assert (incident.updates[-1].status, incident.updates[-1].message) == ("resolved", "All good again.")
    assert "postmortem due" not in output  # SEV-2 in this organisation requires none


def test_a_resolved_incident_cannot_be_updated(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "update", "INC-2026-0001", "-m", "Still fine.", "--at", AT)
    assert code == 1
    assert "INC-2026-0001 was resolved at 2026-03-02T11:00:00Z" in output


def test_an_unknown_incident_is_named_with_the_open_ones(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "resolve", "INC-2026-0099", "--at", AT)
    assert code == 1
    assert "there is no incident 'INC-2026-0099'; open incidents: INC-2026-0002" in output


def test_postmortem_scaffolds_the_sre_template_with_its_due_date(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    run(work, "declare", "-t", "Outage", "-s", "SEV-1", "--service", "api", "--commander", "alice", "--at", AT)
    run(work, "resolve", "INC-2026-0003", "--at", "2026-11-23T13:05:00Z")
    code, output = run(work, "postmortem", "INC-2026-0003", "--at", "2026-11-23T14:00:00Z")
    assert code == 0, output
    text = (work / "incidents/2026/INC-2026-0003.yaml").read_text()
    assert "# Postmortem due 2026-11-28T13:05:00Z: SEV-1 wants it published within 5 days of resolution." in text
    postmortem = record(work, "incidents/2026/INC-2026-0003.yaml").postmortem
    assert postmortem is not None and postmortem.status == "draft"
    assert postmortem.authors == ["alice"]
    assert "Public API (major outage) for 1h" in postmortem.impact
    for key in ("summary", "impact", "trigger", "root_cause", "resolution", "detection"):
        assert getattr(postmortem, key).startswith("TODO: ")
    for key in ("contributing_factors", "went_well", "to_improve", "got_lucky", "action_items"):
        assert f"  {key}: []" in text
    result = CliRunner().invoke(app, ["validate", str(work), "--no-cache", "--at", "2026-11-23T14:00:00Z"])
    assert result.exit_code == 0, result.output


def test_postmortem_refuses_to_overwrite_an_existing_one(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    code, output = run(work, "postmortem", "INC-2026-0001", "--at", AT)
    assert code == 1
    assert "already has a postmortem (published)" in output


def test_list_shows_open_incidents_postmortems_due_and_overdue_action_items(tmp_path: Path) -> None:
    overdue = OPEN.replace("INC-2026-0002", "INC-2026-0003").replace(
        "status: investigating\nservices", "status: resolved\nservices"
    )
    overdue = overdue.replace("2026-11-23T09", "2026-11-09T09").replace("severity: SEV-2", "severity: SEV-1").replace(
        "roles:", "resolved_at: 2026-11-10T10:00:00Z\nroles:"
    ) + (
        "postmortem:\n  status: draft\n  summary: s\n  impact: i\n  root_cause: r\n  action_items:\n"
        "    - title: Add a queue-depth alert\n      owner: bob\n      due: 2026-11-01\n"
    )
    work, _ = make_repo(tmp_path, {OPEN_PATH: OPEN, "incidents/2026/INC-2026-0003.yaml": overdue})
    code, output = run(work, "list", "--at", AT)
    assert code == 0, output  # an overdue postmortem is what people come to fix: it must not block them
    assert "Open incidents (1)\n  INC-2026-0002  SEV-2  investigating" in output
    assert "Postmortems due (1, 1 overdue)\n  INC-2026-0003  SEV-1  due 2026-11-15  overdue by 8d" in output
    assert "Overdue action items (1)\n  INC-2026-0003  due 2026-11-01  22d late  bob" in output
    code, output = run(work, "list", "--format", "json", "--at", AT)
    assert code == 0, output
    data = json.loads(output)
    assert data["at"] == AT
    assert run(work, "list", "--json", "--at", AT)[1] == output  # the old flag stays as a hidden alias
    assert [i["id"] for i in data["open_incidents"]] == ["INC-2026-0002"]
    assert data["postmortems"][0] == {
        "id": "INC-2026-0003",
        "severity": "SEV-1",
        "due": "2026-11-15T10:00:00Z",
        "overdue": True,
        "state": "draft",
    }
    assert data["overdue_action_items"][0]["days_late"] == 22


# ---------------------------------------------------------------- --pr: branch, commit, push, pull request


def test_declare_with_pr_pushes_a_branch_and_opens_one_pull_request(
    repo: tuple[Path, Path], github: FakeGitHub
) -> None:
    work, remote = repo
    head = git(work, "rev-parse", "HEAD")
    code, output = run(
        work, "declare", "-t", "Checkout fails", "-s", "SEV-1", "--service", "api", "--pr", "--at", AT, env=github.env()
    )
    assert code == 0, output
    assert "pull request #1 opened: https://github.com/example/ops/pull/1" in output
    branch = "watchbill/inc-2026-0003"
    assert remote_log(remote, branch) == ["Declare INC-2026-0003: Checkout fails", "Organisation"]
    assert git(remote, "log", "-1", "--format=%an <%ae>", branch) == "Test Person <test@example.com>"  # the person's
    text = remote_file(remote, branch, "incidents/2026/INC-2026-0003.yaml")
    assert "title: Checkout fails" in text
    [pull] = github.pulls
    assert (pull.head, pull.base) == (branch, "main")
    assert pull.title == "INC-2026-0003: Checkout fails [investigating]"
    assert pull.labels == ["incident", "SEV-1"]  # the severity id, as the probe lifecycle labels its PRs
    # The person's own checkout is untouched: same commit, same branch, nothing new in the tree.
    assert git(work, "rev-parse", "HEAD") == head
    assert git(work, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(work, "status", "--porcelain") == ""


def test_later_edits_with_pr_update_the_same_pull_request(repo: tuple[Path, Path], github: FakeGitHub) -> None:
    work, remote = repo
    env = github.env()
    run(work, "declare", "-t", "Checkout fails", "-s", "SEV-1", "--service", "api", "--pr", "--at", AT, env=env)
    code, output = run(
        work, "update", "INC-2026-0003", "--status", "identified", "-m", "Bad deploy.", "--pr", "--at", AT, env=env
    )
    assert code == 0, output
    assert "pull request #1 updated" in output
    code, output = run(work, "assign", "INC-2026-0003", "--scribe", "bob", "--pr", "--at", AT, env=env)
    assert code == 0, output
    assert [p.number for p in github.pulls] == [1]
    assert remote_log(remote, "watchbill/inc-2026-0003") == [
        "INC-2026-0003: scribe bob",
        "INC-2026-0003: identified: Bad deploy.",
        "Declare INC-2026-0003: Checkout fails",
        "Organisation",
    ]
    text = remote_file(remote, "watchbill/inc-2026-0003", "incidents/2026/INC-2026-0003.yaml")
    assert "status: identified" in text and "scribe: bob" in text
    assert github.pulls[0].title == "INC-2026-0003: Checkout fails [identified]"
    assert "Public update when this was opened" in github.pulls[0].body, "written once, then left to people"
    creates = [r for r in github.requests if r.method == "POST" and r.path.endswith("/pulls")]
    assert len(creates) == 1


def test_a_second_declaration_skips_ids_taken_by_open_branches(repo: tuple[Path, Path], github: FakeGitHub) -> None:
    work, _ = repo
    env = github.env()
    run(work, "declare", "-t", "First", "-s", "SEV-1", "--service", "api", "--pr", "--at", AT, env=env)
    code, output = run(work, "declare", "-t", "Second", "-s", "SEV-1", "--service", "db", "--pr", "--at", AT, env=env)
    assert code == 0, output
    assert "Declared INC-2026-0004: Second" in output
    assert [p.head for p in github.pulls] == ["watchbill/inc-2026-0003", "watchbill/inc-2026-0004"]


def test_declare_with_pr_from_a_stale_checkout_refuses_the_id_main_took_meanwhile(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, remote = repo
    other = clone(remote, tmp_path / "other")
    (other / "incidents/2026/INC-2026-0003.yaml").write_text(OPEN.replace("INC-2026-0002", "INC-2026-0003"))
    git(other, "add", "-A")
    git(other, "commit", "-qm", "Someone else's incident")
    git(other, "push", "--quiet", "origin", "main")
    code, output = run(
        work, "declare", "-t", "X", "-s", "SEV-1", "--service", "api", "--pr", "--at", AT, env=github.env()
    )
    assert code == 1, output
    assert "INC-2026-0003 is already taken on main (this checkout is behind it); pull, run again" in output
    assert remote_branches(remote) == ["main"]
    assert github.pulls == []


def test_pr_without_a_token_fails_before_anything_is_pushed(repo: tuple[Path, Path]) -> None:
    work, remote = repo
    env = {"GITHUB_TOKEN": "", "GH_TOKEN": "", "WATCHBILL_GITHUB_TOKEN": "", "GITHUB_REPOSITORY": "example/ops"}
    code, output = run(work, "update", "INC-2026-0002", "-m", "x", "--pr", "--at", AT, env=env)
    assert code == 1
    assert "set WATCHBILL_GITHUB_TOKEN, GH_TOKEN or GITHUB_TOKEN" in output
    assert remote_branches(remote) == ["main"]


def test_a_token_github_refuses_is_reported_without_a_traceback(repo: tuple[Path, Path], github: FakeGitHub) -> None:
    work, _ = repo
    env = {**github.env(), "GITHUB_TOKEN": "revoked"}
    code, output = run(work, "update", "INC-2026-0002", "-m", "x", "--pr", "--at", AT, env=env)
    assert code == 1
    assert "GitHub answered 401: Bad credentials" in output
    assert "Traceback" not in output


def test_pr_outside_a_git_repository_is_refused(tmp_path: Path) -> None:
    work = build_org(tmp_path / "plain")
    env = {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "example/ops"}
    code, output = run(work, "declare", "-t", "X", "-s", "SEV-1", "--service", "api", "--pr", "--at", AT, env=env)
    assert code == 1
    assert "is not a git repository with an 'origin' remote" in output
    assert not (work / "incidents/2026/INC-2026-0002.yaml").exists()


def test_an_edit_raced_by_another_push_is_replayed_on_the_new_tip(repo: tuple[Path, Path], tmp_path: Path) -> None:
    work, remote = repo
    branch = "watchbill/inc-2026-0002"
    git(work, "push", "--quiet", "origin", f"main:refs/heads/{branch}")
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", "--branch", branch, str(remote), str(other))
    attempts = []

    def edit(tree: Path) -> None:
        attempts.append(tree)
        if len(attempts) == 1:  # the lifecycle pushes to the branch between our fetch and our push
            (other / "NOTES.md").write_text("lifecycle was here\n")
            git(other, "add", "NOTES.md")
            git(other, "-c", "user.name=bot", "-c", "user.email=bot@example.com", "commit", "-qm", "Lifecycle")
            git(other, "push", "--quiet", "origin", "HEAD")
        path = tree / OPEN_PATH
        path.write_text(path.read_text().replace("Slow API responses", "Very slow API responses"))

    settings = load_organisation(work, now=NOW, use_cache=False).settings
    published = proposal.push(Repository(work), settings, IncidentId(2026, 2), edit, "Person's edit")
    assert published.attempts == 2
    assert remote_log(remote, branch)[:2] == ["Person's edit", "Lifecycle"]
    assert "Very slow" in remote_file(remote, branch, OPEN_PATH)
    assert remote_file(remote, branch, "NOTES.md") == "lifecycle was here\n"


def test_only_branches_named_for_incidents_reserve_ids(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    for name in ("watchbill/inc-2026-0007", "watchbill/inc-2026-0008-old", "other/inc-2026-0009", "watchbill-data"):
        git(work, "push", "--quiet", "origin", f"main:refs/heads/{name}")
    assert reserved_ids(Repository(work), "watchbill/") == [IncidentId(2026, 7)]
