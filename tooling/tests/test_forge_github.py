"""The GitHub REST client against a local server speaking the documented endpoints."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.github_server import TOKEN, FakeGitHub

from watchbill.forge.github import (
    GitHub,
    GitHubError,
    app_jwt,
    from_environment,
    rate_limit_wait,
    repository_from,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as running:
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
    with FakeGitHub(bare=bare) as fake:
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
    with pytest.raises(GitHubError, match="not installed on example/ops"):
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
