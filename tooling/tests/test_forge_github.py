"""The GitHub REST client against a local server speaking the documented endpoints."""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.github_server import ACTIONS_REFUSAL, TOKEN, Drip, FakeGitHub

from watchbill.forge.github import (
    ACTIONS_PULLS_SETTING,
    MAX_RESPONSE_BYTES,
    AnswerTooLarge,
    AnswerTooSlow,
    GitHub,
    GitHubError,
    PullRequestsNotAllowed,
    app_jwt,
    from_environment,
    rate_limit_wait,
    repository_from,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(actions_create_pulls=True, clock=NOW.timestamp) as running:
        yield running


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeGitHub, waits: list[float]) -> GitHub:
    return GitHub("example/ops", TOKEN, api_url=fake.url, sleep=waits.append)


def test_a_pull_request_is_opened(client: GitHub, fake: FakeGitHub) -> None:
    pull, created = client.create_pull("watchbill/inc-2026-0002", "main", "INC-2026-0002: API down", "body")
    assert created is True
    assert (pull.number, pull.state, pull.branch) == (1, "open", "watchbill/inc-2026-0002")
    assert fake.pulls[0].base == "main"


def test_a_second_open_for_the_same_branch_finds_and_updates_the_first(client: GitHub, fake: FakeGitHub) -> None:
    client.create_pull("watchbill/inc-2026-0002", "main", "old title", "old")
    pull, created = client.create_pull("watchbill/inc-2026-0002", "main", "new title", "new")
    assert created is False and pull.number == 1
    assert len(fake.pulls) == 1 and fake.pulls[0].title == "new title"
    assert fake.pulls[0].body == "old", "the body is the people's once the pull request is open"
    assert ("POST", "/repos/example/ops/pulls") in fake.calls
    assert ("PATCH", "/repos/example/ops/pulls/1") in fake.calls


def test_a_pull_request_for_a_branch_never_pushed_is_refused(tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    with FakeGitHub(bare=bare, actions_create_pulls=True) as fake:
        client = GitHub("example/ops", TOKEN, api_url=fake.url)
        with pytest.raises(GitHubError, match="opening a pull request for nowhere: GitHub answered 422"):
            client.create_pull("nowhere", "main", "t", "")
        assert fake.pulls == []


def test_find_pull_filters_by_owner_and_branch(client: GitHub) -> None:
    client.create_pull("watchbill/inc-2026-0002", "main", "a", "")
    client.create_pull("watchbill/inc-2026-0003", "main", "b", "")
    found = client.find_pull("watchbill/inc-2026-0003")
    assert found is not None and found.number == 2
    assert client.find_pull("watchbill/inc-2026-0009") is None


def test_ensure_pull_labels_through_the_issues_endpoint(client: GitHub, fake: FakeGitHub) -> None:
    pull, created = client.ensure_pull("watchbill/inc-2026-0002", "main", "t", "b", ["incident", "SEV-1"])
    assert created
    assert fake.pulls[0].labels == ["incident", "SEV-1"]
    assert ("POST", f"/repos/example/ops/issues/{pull.number}/labels") in fake.calls
    again, created_again = client.ensure_pull("watchbill/inc-2026-0002", "main", "t2", "b2", ["incident", "SEV-1"])
    assert (again.number, created_again) == (pull.number, False)
    assert len(fake.pulls) == 1 and fake.pulls[0].labels == ["incident", "SEV-1"]


def test_comments_go_to_the_pull_requests_issue(client: GitHub, fake: FakeGitHub) -> None:
    pull, _ = client.create_pull("b", "main", "t", "")
    client.comment(pull.number, "recovered")
    assert fake.comments(pull.number) == ["recovered"]


def test_comments_are_read_back_oldest_first(client: GitHub, fake: FakeGitHub) -> None:
    number = fake.open_issue("Incident report", "body")
    assert client.comments(number) == []
    client.comment(number, "first")
    client.comment(number, "second")
    assert client.comments(number) == ["first", "second"]


def test_reading_the_comments_of_a_missing_issue_says_so(client: GitHub) -> None:
    with pytest.raises(GitHubError, match="reading the comments on #9: GitHub answered 404"):
        client.comments(9)


def test_a_pull_request_closed_without_merging_is_dismissed(client: GitHub, fake: FakeGitHub) -> None:
    pull, _ = client.create_pull("b", "main", "t", "")
    assert client.dismissed("b") is False
    fake.close(pull.number)
    assert client.dismissed("b") is True


def test_a_merged_pull_request_is_not_dismissed(client: GitHub, fake: FakeGitHub) -> None:
    pull, _ = client.create_pull("b", "main", "t", "")
    fake.merge(pull.number)
    assert client.dismissed("b") is False


def test_retry_after_is_honoured(client: GitHub, fake: FakeGitHub, waits: list[float]) -> None:
    fake.queue.append((403, {"retry-after": "7"}, {"message": "You have exceeded a secondary rate limit."}))
    pull, _ = client.create_pull("b", "main", "t", "")
    assert waits == [7.0]
    assert pull.number == 1


def test_429_without_headers_waits_a_minute_and_more_each_time() -> None:
    response = httpx.Response(429, json={"message": "slow down"})
    assert rate_limit_wait(response, 0, now=0) == 60.0
    assert rate_limit_wait(response, 2, now=0) == 240.0


def test_an_exhausted_primary_limit_waits_until_the_reset() -> None:
    response = httpx.Response(
        403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000"}, json={"message": "API rate limit"}
    )
    assert rate_limit_wait(response, 0, now=970) == 31.0


def test_a_wait_longer_than_allowed_gives_up(fake: FakeGitHub, waits: list[float]) -> None:
    client = GitHub("example/ops", TOKEN, api_url=fake.url, sleep=waits.append, max_wait=30)
    fake.queue.append((429, {"retry-after": "3600"}, {"message": "rate limited"}))
    with pytest.raises(GitHubError, match="rate limit"):
        client.find_pull("b")
    assert waits == []


def test_a_permission_error_is_not_retried_and_says_what_to_check(
    client: GitHub, fake: FakeGitHub, waits: list[float]
) -> None:
    fake.queue.append((403, {}, {"message": "Resource not accessible by integration"}))
    with pytest.raises(GitHubError, match="pull-requests: write"):
        client.create_pull("b", "main", "t", "")
    assert waits == []


def test_server_errors_are_retried(client: GitHub, fake: FakeGitHub, waits: list[float]) -> None:
    fake.queue.append((502, {}, {"message": "bad gateway"}))
    assert client.find_pull("b") is None
    assert waits == [1.0]


def test_a_wrong_token_is_refused(fake: FakeGitHub) -> None:
    client = GitHub("example/ops", "wrong", api_url=fake.url)
    with pytest.raises(GitHubError, match="401: Bad credentials"):
        client.find_pull("b")


def test_the_client_comes_from_the_environment(fake: FakeGitHub) -> None:
    environ = {"GITHUB_TOKEN": "other", "WATCHBILL_GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake.url}
    client = from_environment(environ, repository="example/ops", now=NOW)
    assert client is not None
    assert client.find_pull("b") is None  # authenticated with the preferred token


def test_no_token_means_no_client() -> None:
    assert from_environment({}, repository="example/ops", now=NOW) is None


def app_key() -> tuple[rsa.RSAPrivateKey, str]:
    """A GitHub App's private key and its PEM, as GitHub hands it out."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key, pem.decode()


def app_environment(pem: str, fake: FakeGitHub) -> dict[str, str]:
    return {"WATCHBILL_GITHUB_APP_ID": "12345", "WATCHBILL_GITHUB_APP_PRIVATE_KEY": pem, "GITHUB_API_URL": fake.url}


def test_a_github_app_token_is_minted_from_the_apps_key(fake: FakeGitHub) -> None:
    key, pem = app_key()
    fake.app_public_key = key.public_key()
    client = from_environment(app_environment(pem, fake), repository="example/ops", now=NOW)
    assert client is not None
    assert client.find_pull("b") is None
    assert ("POST", "/app/installations/4242/access_tokens") in fake.calls
    assert fake.requests[-1].headers["authorization"] == f"Bearer {fake.installation_token}"


def test_an_app_key_github_does_not_know_gets_no_token(fake: FakeGitHub) -> None:
    registered, _ = app_key()
    _, other = app_key()
    fake.app_public_key = registered.public_key()
    with pytest.raises(GitHubError, match="GitHub refused the App's JWT \\(401: A JSON web token could not be decoded"):
        from_environment(app_environment(other, fake), repository="example/ops", now=NOW)


def test_the_app_jwt_claims_name_the_app_and_expire_within_ten_minutes() -> None:
    _, pem = app_key()
    claims_part = app_jwt("12345", pem.encode(), NOW).split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
    assert claims["iss"] == "12345"
    assert claims["iat"] == int(NOW.timestamp()) - 60
    assert claims["exp"] - claims["iat"] <= 600


@pytest.mark.parametrize(
    "url",
    ["git@github.com:example/ops.git", "https://github.com/example/ops.git", "https://github.com/example/ops"],
)
def test_the_repository_is_read_from_the_remote_url(url: str) -> None:
    assert repository_from({}, url) == "example/ops"


def test_github_repository_in_the_environment_wins() -> None:
    assert repository_from({"GITHUB_REPOSITORY": "acme/status"}, "git@github.com:example/ops.git") == "acme/status"


# --- GitHub as a new organisation has it ---------------------------------------------------------------------


def bare_with_branches(tmp_path: Path, *ahead: str, level: str | None = None) -> Path:
    """A bare repository with ``main`` (one commit), ``level`` pointing at it, and ``ahead`` one commit further."""
    work, bare = tmp_path / "work", tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(bare)], check=True)
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(work)], check=True)
    ident = ["-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "-C", str(work), *ident, "commit", "-q", "--allow-empty", "-m", "one"], check=True)
    level_refs = [f"main:{level}"] if level else []
    subprocess.run(["git", "-C", str(work), "push", "-q", str(bare), "main:main", *level_refs], check=True)
    for branch in ahead:
        subprocess.run(["git", "-C", str(work), *ident, "commit", "-q", "--allow-empty", "-m", branch], check=True)
        subprocess.run(["git", "-C", str(work), "push", "-q", str(bare), f"HEAD:{branch}"], check=True)
        subprocess.run(["git", "-C", str(work), "reset", "-q", "--hard", "main"], check=True)
    return bare


def test_a_new_organisation_refuses_pull_requests_from_actions_and_the_error_names_the_setting() -> None:
    with FakeGitHub() as fake:
        client = GitHub("example/ops", TOKEN, api_url=fake.url)
        with pytest.raises(PullRequestsNotAllowed) as raised:
            client.create_pull("watchbill/inc-2026-0002", "main", "t", "")
        assert fake.pulls == []
    message = str(raised.value)
    assert ACTIONS_PULLS_SETTING in message
    assert "Settings → Actions → General → Workflow permissions" in message
    assert '"Allow GitHub Actions to create and approve pull requests"' in message
    assert "WATCHBILL_GITHUB_APP_ID" in message
    assert "pull-requests: write" not in message, "the token's permissions are not what is wrong"


def test_the_refusal_is_githubs_documented_403() -> None:
    with FakeGitHub() as fake:
        body = {"title": "t", "head": "b", "base": "main"}
        answer = httpx.post(
            f"{fake.url}/repos/example/ops/pulls", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert answer.status_code == 403
    assert answer.json() == {
        "message": ACTIONS_REFUSAL,
        "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        "status": "403",
    }


def test_an_app_or_personal_token_opens_pull_requests_whatever_the_actions_setting() -> None:
    with FakeGitHub() as fake:
        token = fake.grant("app-token", kind="app", pull_requests="write", issues="write")
        _, created = GitHub("example/ops", token, api_url=fake.url).ensure_pull("b", "main", "t", "", ["incident"])
        assert created and fake.pulls[0].labels == ["incident"]


def test_a_token_without_pull_requests_write_may_read_but_not_open(fake: FakeGitHub) -> None:
    client = GitHub("example/ops", fake.grant("reader", pull_requests="read"), api_url=fake.url)
    assert client.find_pull("b") is None
    with pytest.raises(GitHubError) as raised:
        client.create_pull("b", "main", "t", "")
    assert "GitHub answered 403: Resource not accessible by personal access token" in str(raised.value)
    assert "pull-requests: write" in str(raised.value)


def test_labels_and_comments_on_a_pull_request_need_issues_or_pull_requests_write(fake: FakeGitHub) -> None:
    pull, _ = GitHub("example/ops", TOKEN, api_url=fake.url).create_pull("b", "main", "t", "")
    via_pulls = GitHub("example/ops", fake.grant("pr-writer", pull_requests="write"), api_url=fake.url)
    via_pulls.comment(pull.number, "on the pull request")
    issue = fake.open_issue("report", "body")
    with pytest.raises(GitHubError, match="403"):
        via_pulls.comment(issue, "on a plain issue")
    assert fake.comments(issue) == []


def test_no_token_and_an_unknown_token_get_401_with_githubs_error_shape(fake: FakeGitHub) -> None:
    bare = httpx.get(f"{fake.url}/repos/example/ops/pulls")
    wrong = httpx.get(f"{fake.url}/repos/example/ops/pulls", headers={"Authorization": "Bearer nope"})
    assert (bare.status_code, bare.json()["message"]) == (401, "Requires authentication")
    assert wrong.status_code == 401
    assert wrong.json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }


def test_a_branch_with_nothing_new_gets_githubs_no_commits_422(tmp_path: Path) -> None:
    bare = bare_with_branches(tmp_path, level="watchbill/inc-2026-0002")
    with FakeGitHub(bare=bare, actions_create_pulls=True) as fake:
        client = GitHub("example/ops", TOKEN, api_url=fake.url)
        with pytest.raises(GitHubError) as raised:
            client.create_pull("watchbill/inc-2026-0002", "main", "t", "")
        assert fake.pulls == []
    assert str(raised.value) == (
        "opening a pull request for watchbill/inc-2026-0002: GitHub answered 422: "
        "Validation Failed; No commits between main and watchbill/inc-2026-0002"
    )


def test_a_base_branch_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    bare = bare_with_branches(tmp_path, "feature")
    with FakeGitHub(bare=bare, actions_create_pulls=True) as fake:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        body = {"title": "t", "head": "feature", "base": "trunk"}
        answer = httpx.post(f"{fake.url}/repos/example/ops/pulls", json=body, headers=headers)
        assert answer.status_code == 422
        assert answer.json()["errors"] == [{"resource": "PullRequest", "field": "base", "code": "invalid"}]
        pull, _ = GitHub("example/ops", TOKEN, api_url=fake.url).create_pull("feature", "main", "t", "")
        assert pull.number == 1


def test_an_empty_label_list_is_refused_by_github_and_never_sent(client: GitHub, fake: FakeGitHub) -> None:
    pull, _ = client.create_pull("b", "main", "t", "")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for body in ({"labels": []}, []):
        answer = httpx.post(f"{fake.url}/repos/example/ops/issues/{pull.number}/labels", json=body, headers=headers)
        assert answer.status_code == 422 and answer.json()["status"] == "422"
    calls = len(fake.requests)
    client.add_labels(pull.number, [])
    assert len(fake.requests) == calls


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("pulls", {"title": "x" * 257, "head": "b", "base": "main"}, "title is too long (maximum is 256 characters)"),
        ("pulls", {"title": "t", "head": "b", "base": "main", "body": "x" * 65537}, "body is too long"),
        ("issues/1/comments", {"body": "x" * 65537}, "body is too long (maximum is 65536 characters)"),
    ],
)
def test_titles_and_bodies_are_limited_as_github_limits_them(
    fake: FakeGitHub, path: str, body: dict[str, str], message: str
) -> None:
    fake.open_issue("report", "body")
    answer = httpx.post(f"{fake.url}/repos/example/ops/{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 422
    assert message in answer.json()["errors"][0]["message"]


def test_a_request_body_over_the_limit_is_refused_unread(fake: FakeGitHub) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    answer = httpx.post(f"{fake.url}/repos/example/ops/pulls", content=b"{" + b" " * (2 << 20) + b"}", headers=headers)
    assert answer.status_code == 413
    assert fake.requests == []


def sign(now: datetime, fake: FakeGitHub) -> dict[str, str]:
    key, pem = app_key()
    fake.app_public_key = key.public_key()
    return {"Authorization": f"Bearer {app_jwt('12345', pem.encode(), now)}"}


@pytest.mark.parametrize(
    ("signed_at", "refusal"),
    [
        (NOW + timedelta(minutes=5), "'Expiration time' claim ('exp') is too far in the future"),
        (NOW - timedelta(minutes=20), "'Expiration time' claim ('exp') must be a numeric value"),
    ],
)
def test_an_app_jwt_must_expire_within_ten_minutes_of_githubs_clock(
    fake: FakeGitHub, signed_at: datetime, refusal: str
) -> None:
    answer = httpx.get(f"{fake.url}/repos/example/ops/installation", headers=sign(signed_at, fake))
    assert answer.status_code == 401 and answer.json()["message"].startswith(refusal)
    fine = httpx.get(f"{fake.url}/repos/example/ops/installation", headers=sign(NOW, fake))
    assert fine.json() == {"id": 4242}


def test_an_installation_token_expires_after_an_hour(fake: FakeGitHub) -> None:
    key, pem = app_key()
    fake.app_public_key = key.public_key()
    client = from_environment(app_environment(pem, fake), repository="example/ops", now=NOW)
    assert client is not None and client.find_pull("b") is None
    fake.clock = (NOW + timedelta(hours=1, seconds=1)).timestamp
    with pytest.raises(GitHubError, match="401: Bad credentials"):
        client.find_pull("b")


# --- the workflows' own gh api calls ----------------------------------------------------------------------------


def gh_api_calls() -> list[tuple[str, list[str]]]:
    """Each ``gh api`` line in the repository's workflows: the workflow's name and the arguments after ``gh api``."""
    found = []
    for path in WORKFLOWS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"\s*gh api ", line):
                found.append((path.name, shlex.split(line.strip())[2:]))
    return found


def test_the_workflows_gh_api_calls_are_the_ones_the_server_knows() -> None:
    calls = {name: args[2] for name, args in gh_api_calls()}
    assert calls == {
        "probe.yml": "repos/$GITHUB_REPOSITORY/dispatches",
        "keepalive.yml": "repos/$REPOSITORY/actions/workflows/$workflow/enable",
    }


@pytest.mark.parametrize(("workflow", "args"), gh_api_calls(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_gh_api_call_of_the_workflows_is_answered_as_github_does(
    fake: FakeGitHub, workflow: str, args: list[str]
) -> None:
    """``gh api --method M path -f k=v`` sends a JSON object of the -f fields, as the server receives it here."""
    method = args[args.index("--method") + 1]
    path = next(a for a in args if a.startswith("repos/"))
    path = re.sub(r"\$(GITHUB_REPOSITORY|REPOSITORY)", "example/ops", path).replace("$workflow", "probe.yml")
    fields = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "-f")
    fake.workflows["probe.yml"] = "disabled_inactivity"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx.request(method, f"{fake.url}/{path}", json=fields or None, headers=headers)
    assert answer.status_code == 204, answer.text
    assert fake.dispatches == ([{"event_type": "escalate", "client_payload": {}}] if workflow == "probe.yml" else [])
    assert fake.workflows["probe.yml"] == ("active" if workflow == "keepalive.yml" else "disabled_inactivity")


def test_a_dispatch_needs_contents_write_and_a_short_event_type(fake: FakeGitHub) -> None:
    url = f"{fake.url}/repos/example/ops/dispatches"
    reader = {"Authorization": f"Bearer {fake.grant('reader', contents='read')}"}
    assert httpx.post(url, json={"event_type": "escalate"}, headers=reader).status_code == 403
    writer = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(url, json={"event_type": "x" * 101}, headers=writer).status_code == 422
    assert httpx.post(url, json={}, headers=writer).status_code == 422
    assert fake.dispatches == []


def test_enabling_a_workflow_the_repository_lacks_is_404(fake: FakeGitHub) -> None:
    url = f"{fake.url}/repos/example/ops/actions/workflows/nope.yml/enable"
    assert httpx.put(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


# --- the client bounds what it reads and how long it waits -----------------------------------------------------


def test_a_huge_answer_is_refused_without_reading_it_all(client: GitHub, fake: FakeGitHub) -> None:
    size = 256 << 20
    fake.queue.append((200, {}, Drip(size, declare=False)))
    with pytest.raises(AnswerTooLarge, match=f"larger than the {MAX_RESPONSE_BYTES} bytes accepted"):
        client.find_pull("b")
    assert MAX_RESPONSE_BYTES == 10 << 20
    assert len(fake.requests) == 1, "a refused answer is not asked for again"
    deadline = time.monotonic() + 5
    while fake.sent_bytes < MAX_RESPONSE_BYTES and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert fake.sent_bytes < size // 4, "the server stopped sending when the client hung up"


def test_an_answer_declared_larger_than_the_limit_is_refused_before_reading(client: GitHub, fake: FakeGitHub) -> None:
    fake.queue.append((200, {}, Drip(3 << 30, pause=0.01)))
    started = time.monotonic()
    with pytest.raises(AnswerTooLarge, match=f"is {3 << 30} bytes, more than the {MAX_RESPONSE_BYTES} accepted"):
        client.find_pull("b")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("slow_headers", [False, True], ids=["body", "headers"])
def test_a_server_trickling_a_byte_at_a_time_is_given_up_at_the_deadline(fake: FakeGitHub, slow_headers: bool) -> None:
    fake.queue.append((200, {}, Drip(200, chunk=1, pause=0.1, slow_headers=slow_headers)))
    client = GitHub("example/ops", TOKEN, api_url=fake.url, deadline=1.0)
    started = time.monotonic()
    with pytest.raises(AnswerTooSlow, match="GitHub did not answer GET /repos/example/ops/pulls within 1s"):
        client.find_pull("b")
    assert time.monotonic() - started < 2.5, "the deadline bounds the whole answer, not each read"
    assert len(fake.requests) == 1, "a server that trickles is not asked again"
