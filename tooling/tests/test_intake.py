"""The "Report an incident" issue form -> incident pull request path, including hostile reports, against a real
git repository with a bare remote and a local GitHub API server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.github_server import Comment, FakeGitHub
from support.org_repo import clone, git, make_repo, remote_branches, remote_file, remote_record
from support.orgfactory import NOW, build_org
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.files.loader import parse
from watchbill.incidents import intake as report_form
from watchbill.models import Incident
from watchbill.validate import load_organisation

AT = "2026-11-23T12:05:00Z"
BRANCH = "watchbill/inc-2026-0002"
RECORD = "incidents/2026/INC-2026-0002.yaml"


def form(
    service: str = "Public API",
    impact: str = "Some things fail (partial outage)",
    source: str = "A customer told us",
    description: str = "Customers see 502 Bad Gateway when they log in.",
    started: str | None = None,
    reference: str | None = None,
) -> str:
    """The body GitHub writes for a submitted issue form: '### Label', a blank line, the value."""
    parts = [
        (report_form.SERVICE, service),
        (report_form.IMPACT, impact),
        (report_form.SOURCE, source),
        (report_form.DESCRIPTION, description),
        (report_form.STARTED, started or report_form.NO_RESPONSE),
        (report_form.REFERENCE, reference or report_form.NO_RESPONSE),
    ]
    return "\n\n".join(f"### {label}\n\n{value}" for label, value in parts)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    return make_repo(tmp_path)


@pytest.fixture
def github(repo: tuple[Path, Path]) -> Iterator[FakeGitHub]:
    with FakeGitHub(bare=repo[1], actions_create_pulls=True) as server:
        yield server


def submit(
    github: FakeGitHub,
    tmp_path: Path,
    body: str,
    *,
    labels: tuple[str, ...] = ("incident-report",),
    action: str = "opened",
) -> tuple[int, Path]:
    number = github.open_issue("Incident report: login broken", body, login="carol-support", labels=list(labels))
    event = {"action": action, "issue": github.issue(number), "repository": {"full_name": github.repository}}
    path = tmp_path / f"event-{number}-{action}.json"
    path.write_text(json.dumps(event))
    return number, path


def intake(work: Path, github: FakeGitHub, event: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["intake", "--issue-json", str(event), "--root", str(work), "--at", AT], env=github.env()
    )
    return result.exit_code, result.output


# ---------------------------------------------------------------- the happy path


def test_a_submitted_report_becomes_an_incident_pull_request_and_the_link_is_commented_back(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, remote = repo
    number, event = submit(github, tmp_path, form(reference="ZD-4711"))
    code, output = intake(work, github, event)
    assert code == 0, output
    assert f"issue #{number} -> INC-2026-0002" in output
    text = remote_file(remote, BRANCH, RECORD)
    incident = Incident.model_validate(parse(text, RECORD).data)
    assert incident.detected_by == "customer"
    assert incident.severity == "SEV-2"  # the service's default severity
    assert [(s.service, s.impact) for s in incident.services] == [("api", "partial_outage")]
    assert incident.title == "Public API: partial outage reported"
    note = incident.timeline[-1].message
    assert "    message: |-\n      Reported through issue #1 by @carol-support" in text  # a block, not one \n line
    assert "issue #1 by @carol-support" in note and "502 Bad Gateway" in note and "ZD-4711" in note
    [pull] = github.pulls
    comments = github.comments(number)
    assert len(comments) == 1
    assert report_form.COMMENT_MARKER in comments[0]
    assert f"#{pull.number} (https://github.com/example/ops/pull/{pull.number})" in comments[0]
    assert f"Reported in #{number}" in pull.body
    assert (pull.head, pull.base) == (BRANCH, "main")


def test_the_reporters_words_never_reach_the_public_parts_of_the_record(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, remote = repo
    _, event = submit(github, tmp_path, form(description="<script>alert(1)</script> Acme Corp is furious"))
    code, output = intake(work, github, event)
    assert code == 0, output
    incident = remote_record(remote, BRANCH, RECORD)
    public = " ".join([incident.title, incident.summary or "", *(u.message for u in incident.updates)])
    assert "Acme" not in public and "script" not in public
    assert "Acme Corp is furious" in incident.timeline[-1].message


def test_a_report_noticed_inside_the_company_is_detected_internally(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, remote = repo
    _, event = submit(github, tmp_path, form(service="  public   api ", source="I noticed it myself"))
    code, output = intake(work, github, event)
    assert code == 0, output
    incident = remote_record(remote, BRANCH, RECORD)
    assert incident.detected_by == "internal"


def test_the_second_event_for_the_same_issue_changes_nothing(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    """GitHub sends 'opened' and then 'labeled' for one new form: one incident, one PR, one comment."""
    work, remote = repo
    number, event = submit(github, tmp_path, form())
    intake(work, github, event)
    labeled = tmp_path / "labeled.json"
    labeled.write_text(json.dumps({"action": "labeled", "issue": github.issue(number)}))
    code, output = intake(work, github, labeled)
    assert code == 0, output
    assert "already handled" in output
    assert len(github.pulls) == 1
    assert len(github.comments(number)) == 1
    assert remote_branches(remote) == ["main", BRANCH]


def test_an_unreadable_start_time_is_noted_and_the_report_time_used(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, remote = repo
    number, event = submit(github, tmp_path, form(started="around lunch"))
    code, output = intake(work, github, event)
    assert code == 0, output
    incident = remote_record(remote, BRANCH, RECORD)
    assert incident.started_at == datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
    assert "could not read the start time 'around lunch'" in github.comments(number)[0]


def test_a_start_time_with_an_offset_is_used(repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path) -> None:
    work, remote = repo
    _, event = submit(github, tmp_path, form(started="2026-11-23T12:40:00+01:00"))
    intake(work, github, event)
    incident = remote_record(remote, BRANCH, RECORD)
    assert incident.started_at == datetime(2026, 11, 23, 11, 40, tzinfo=UTC)


def test_an_issue_without_the_form_label_is_left_alone(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, remote = repo
    _, event = submit(github, tmp_path, form(), labels=("question",))
    code, output = intake(work, github, event)
    assert code == 0
    assert "no 'incident-report' label" in output
    assert github.requests == []
    assert remote_branches(remote) == ["main"]


def test_intake_without_a_token_fails_before_reading_or_pushing_anything(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, remote = repo
    _, event = submit(github, tmp_path, form())
    env = {**github.env(), "GITHUB_TOKEN": "", "GH_TOKEN": "", "WATCHBILL_GITHUB_TOKEN": ""}
    result = CliRunner().invoke(app, ["intake", "--issue-json", str(event), "--root", str(work), "--at", AT], env=env)
    assert result.exit_code == 1
    assert "set WATCHBILL_GITHUB_TOKEN, GH_TOKEN or GITHUB_TOKEN" in result.output
    assert github.requests == []
    assert remote_branches(remote) == ["main"]


def test_an_id_main_took_meanwhile_fails_cleanly_and_tells_the_reporter(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    """The workflow's checkout is older than main, where someone declared INC-2026-0002 meanwhile."""
    work, remote = repo
    other = clone(remote, tmp_path / "other")
    taken = (other / "incidents/2026/INC-2026-0001.yaml").read_text().replace("INC-2026-0001", "INC-2026-0002")
    (other / RECORD).write_text(taken)
    git(other, "add", "-A")
    git(other, "commit", "-qm", "Someone else's incident")
    git(other, "push", "--quiet", "origin", "main")
    number, event = submit(github, tmp_path, form())
    code, output = intake(work, github, event)
    assert code == 1, output
    assert f"issue #{number}: INC-2026-0002 is already taken on main" in output
    assert "internal error" not in output
    [comment] = github.comments(number)
    assert report_form.REJECTED_MARKER in comment
    assert "another incident took its id at the same moment" in comment
    assert remote_branches(remote) == ["main"]
    assert github.pulls == []


def test_intake_reports_what_it_did_as_json(repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path) -> None:
    work, _ = repo
    number, event = submit(github, tmp_path, form())
    args = ["intake", "--issue-json", str(event), "--root", str(work), "--at", AT, "--format", "json"]
    result = CliRunner().invoke(app, args, env=github.env())
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["issue"], data["action"], data["incident"]) == (number, "declared", "INC-2026-0002")
    assert data["pull_request"] == {"number": 2, "url": "https://github.com/example/ops/pull/2"}


# ---------------------------------------------------------------- hostile and broken reports


def _rejected(work: Path, remote: Path, github: FakeGitHub, tmp_path: Path, body: str) -> str:
    number, event = submit(github, tmp_path, body)
    code, output = intake(work, github, event)
    assert code == 0, output  # a bad report is answered, not crashed on
    assert "rejected" in output
    assert remote_branches(remote) == ["main"], "nothing may be pushed for a rejected report"
    assert github.pulls == []
    comments = github.comments(number)
    assert len(comments) == 1 and report_form.REJECTED_MARKER in comments[0]
    return comments[0]


def test_an_unknown_service_is_answered_with_the_list_of_services(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    comment = _rejected(*repo, github, tmp_path, form(service="Billing"))
    assert "there is no service called 'Billing'; the services are: Public API (api)" in comment
    assert "Database" not in comment  # private services are not revealed to reporters


@pytest.mark.parametrize("service", ["../../policies/settings", "api/../../../etc/passwd", "/etc/passwd", "api\\..\\x"])
def test_path_traversal_in_the_service_is_rejected(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path, service: str
) -> None:
    comment = _rejected(*repo, github, tmp_path, form(service=service))
    assert "there is no service called" in comment


def test_a_huge_body_is_rejected_without_being_parsed(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    comment = _rejected(*repo, github, tmp_path, form(description="A" * 60_000))
    assert "characters long; keep it under 20,000" in comment


def test_control_characters_and_bidirectional_overrides_are_rejected(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    comment = _rejected(*repo, github, tmp_path, form(description="fine \u202egnp.exe\x1b[31m"))
    assert "'What is happening?' contains control characters" in comment


def test_every_missing_required_field_is_named_at_once(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    body = f"### {report_form.SERVICE}\n\napi\n\n### {report_form.DESCRIPTION}\n\n{report_form.NO_RESPONSE}"
    comment = _rejected(*repo, github, tmp_path, body)
    for label in (report_form.IMPACT, report_form.SOURCE, report_form.DESCRIPTION):
        assert f"'{label}' is required" in comment


def test_an_option_the_form_does_not_offer_is_rejected(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    comment = _rejected(*repo, github, tmp_path, form(impact="Everything is on fire", source="My cat"))
    assert "'How bad is it?' must be one of the form's options" in comment
    assert "'Who noticed it?' must be one of the form's options" in comment


def test_a_repeated_heading_is_rejected(repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path) -> None:
    body = form(description=f"It broke.\n\n### {report_form.SERVICE}\n\nDatabase")
    comment = _rejected(*repo, github, tmp_path, body)
    assert "appears twice" in comment


def test_an_empty_issue_is_rejected(repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path) -> None:
    comment = _rejected(*repo, github, tmp_path, "")
    assert "the issue is empty" in comment


def test_a_malformed_event_file_fails_cleanly(repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path) -> None:
    work, _ = repo
    event = tmp_path / "event.json"
    event.write_text("{not json")
    code, output = intake(work, github, event)
    assert code == 1
    assert "is not JSON" in output
    event.write_text(json.dumps({"issue": {"title": "no number"}}))
    code, output = intake(work, github, event)
    assert code == 1
    assert "the event's issue has no number" in output


# ---------------------------------------------------------------- the parser on its own


def test_a_reporters_own_headings_stay_inside_their_text() -> None:
    fields = report_form.sections(form(description="Steps:\n\n### Step 1\n\nOpen the page."))
    assert fields[report_form.DESCRIPTION] == "Steps:\n\n### Step 1\n\nOpen the page."


@pytest.fixture(scope="module")
def organisation(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return load_organisation(build_org(tmp_path_factory.mktemp("org")), now=NOW, use_cache=False)


@settings(max_examples=300, deadline=None)
@given(body=st.text(max_size=3000), title=st.one_of(st.none(), st.text(max_size=300), st.integers()))
def test_any_body_is_either_read_or_rejected_never_crashed_on(organisation: Any, body: str, title: Any) -> None:
    event = {"issue": {"number": 7, "title": title, "body": body, "user": {"login": "x"}}}
    try:
        report = report_form.read_report(event, organisation, now=NOW)
    except report_form.ReportRejected as exc:
        assert exc.reasons
    else:
        assert report.service.id in organisation.services


@settings(max_examples=200, deadline=None)
@given(
    service=st.text(max_size=120),
    description=st.text(min_size=1, max_size=500),
    started=st.one_of(st.none(), st.text(max_size=40)),
)
def test_any_field_values_in_a_well_formed_form_are_read_or_rejected(
    organisation: Any, service: str, description: str, started: str | None
) -> None:
    body = form(service=service, description=description, started=started)
    event = {"issue": {"number": 7, "title": "t", "body": body, "user": {"login": "x"}}}
    try:
        report = report_form.read_report(event, organisation, now=NOW)
    except report_form.ReportRejected as exc:
        assert exc.reasons
    else:
        assert len(report.description) <= report_form.MAX_DESCRIPTION_CHARS
        assert report.started_at is None or report.started_at <= NOW


# ---------------------------------------------------------------- edit and try again


def edited(github: FakeGitHub, tmp_path: Path, number: int, body: str) -> Path:
    """The reporter edits the issue: GitHub sends the same issue again with action 'edited'."""
    github.issues[number].body = body
    event = {"action": "edited", "issue": github.issue(number), "repository": {"full_name": github.repository}}
    path = tmp_path / f"event-{number}-edited-{len(github.requests)}.json"
    path.write_text(json.dumps(event))
    return path


def test_a_rejected_report_edited_into_shape_becomes_an_incident(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, remote = repo
    number, event = submit(github, tmp_path, form(service="Mainframe"))
    code, output = intake(work, github, event)
    assert code == 0 and "rejected" in output, output
    [rejection] = github.comments(number)
    assert report_form.REJECTED_MARKER in rejection and report_form.COMMENT_MARKER not in rejection
    code, output = intake(work, github, edited(github, tmp_path, number, form()))
    assert code == 0, output
    assert f"issue #{number} -> INC-2026-0002" in output
    assert remote_record(remote, BRANCH, RECORD).services[0].service == "api"
    assert len(github.comments(number)) == 2 and report_form.COMMENT_MARKER in github.comments(number)[1]
    code, output = intake(work, github, edited(github, tmp_path, number, form(description="More detail.")))
    assert code == 0 and len(github.pulls) == 1 and len(github.comments(number)) == 2  # handled: no second one


def test_an_edit_that_fixes_nothing_gets_no_second_copy_of_the_same_rejection(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, _ = repo
    number, event = submit(github, tmp_path, form(service="Mainframe"))
    intake(work, github, event)
    intake(work, github, edited(github, tmp_path, number, form(service="Mainframe", description="Still down.")))
    assert len(github.comments(number)) == 1
    intake(work, github, edited(github, tmp_path, number, form(service="Toaster")))
    assert len(github.comments(number)) == 2 and "Toaster" in github.comments(number)[1]


def test_a_rejection_written_before_the_rejected_marker_does_not_count_as_handled(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    work, _ = repo
    number, event = submit(github, tmp_path, form())
    legacy = f"{report_form.COMMENT_MARKER}\nThis report could not be turned into an incident yet:\n\n- old reason"
    github.issues[number].comments.append(Comment(99, legacy, "watchbill[bot]"))
    code, output = intake(work, github, event)
    assert code == 0 and f"issue #{number} -> INC-2026-0002" in output, output


@pytest.mark.parametrize(("length", "accepted"), [(256, True), (257, False)])
def test_issue_titles_up_to_githubs_limit_of_256_are_accepted(
    repo: tuple[Path, Path], github: FakeGitHub, tmp_path: Path, length: int, accepted: bool
) -> None:
    work, _ = repo
    number, event = submit(github, tmp_path, form())
    github.issues[number].title = "T" * length
    data = json.loads(event.read_text())
    data["issue"]["title"] = "T" * length
    event.write_text(json.dumps(data))
    code, output = intake(work, github, event)
    assert code == 0, output
    assert (len(github.pulls) == 1) is accepted
