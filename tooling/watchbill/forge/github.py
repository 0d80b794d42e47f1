"""Pull requests, labels and comments through GitHub's REST API, with plain httpx.

Documented behaviour this relies on:

- ``POST /repos/{owner}/{repo}/pulls`` answers 422 ("A pull request already exists for owner:branch")
  when the branch already has an open pull request; the existing one is then found with
  ``GET /repos/{owner}/{repo}/pulls?head=owner:branch`` and updated with ``PATCH``.
- Labels and comments on a pull request go through the issues endpoints
  (``POST /repos/{owner}/{repo}/issues/{number}/labels`` and ``.../comments``); one comment is read with
  ``GET /repos/{owner}/{repo}/issues/comments/{id}`` (404 once deleted), and a reaction added with
  ``POST .../issues/comments/{id}/reactions`` (201 when new, 200 when that reaction was there already).
- ``GET /repos/{owner}/{repo}/pulls?state=all&per_page=100`` lists every pull request, newest first, a
  page at a time (``page=2``…; a ``Link`` header without ``rel="next"``, or a short page, is the last). One
  such listing answers "is this branch's pull request open, merged, or closed unmerged?" for every incident
  branch at once (:class:`PullListing`); it is bounded to :data:`MAX_PULL_PAGES` pages, and a branch older
  than that is asked about on its own.
- Rate limits answer 403 or 429: wait ``retry-after`` seconds if given, else until ``x-ratelimit-reset``
  when ``x-ratelimit-remaining`` is 0, else at least a minute, longer on each retry; give up beyond
  ``max_wait`` rather than hold a CI job for an hour.
- Pull requests opened with the workflow's ``GITHUB_TOKEN`` start no workflows (so no validation runs on
  them). A GitHub App installation token does not have that limit: pass one as ``WATCHBILL_GITHUB_TOKEN``,
  or give the App's id and private key and a token is minted here.

- With "Allow GitHub Actions to create and approve pull requests" off (a new organisation's default),
  ``POST /pulls`` with a workflow's ``GITHUB_TOKEN`` answers 403 "GitHub Actions is not permitted to create or
  approve pull requests."; that is a repository setting, not a token permission, and the error says which.

Every exchange is bounded: an answer larger than ``max_bytes`` is refused as soon as it is known to be (its
Content-Length, or the bytes read so far), and one request with its whole answer must finish within
``deadline`` seconds. httpx's own timeouts bound each read, so a server sending a byte a second would
otherwise hold a run for as long as it likes.

The base URL comes from ``GITHUB_API_URL`` (set by GitHub Actions, also on GitHub Enterprise Server).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from ..errors import ForgeError

API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TOKEN_VARIABLES = ("WATCHBILL_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN")
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
DEADLINE = 60.0
MAX_PULL_PAGES = 10
"""At most 1,000 pull requests per listing: incident pull requests that still matter are recent."""
ACTIONS_PULLS_SETTING = (
    'Settings → Actions → General → Workflow permissions → "Allow GitHub Actions to create and approve pull requests"'
)
_ACTIONS_REFUSAL = "GitHub Actions is not permitted to create or approve pull requests"
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
"""The reactions ``POST .../issues/comments/{id}/reactions`` accepts (its ``content`` enum)."""
_REMOTE = re.compile(r"(?:github\.com|/)[:/](?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$")


class GitHubError(ForgeError):
    """Raised when GitHub refuses, fails, or cannot be reached; ``status`` is its HTTP status when it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PullRequestsNotAllowed(GitHubError):
    """Raised when the repository does not let GitHub Actions open pull requests (a setting, not the token)."""


class AnswerTooLarge(GitHubError):
    """Raised when an answer is larger than the client accepts; it was not read to the end."""


class AnswerTooSlow(GitHubError):
    """Raised when a request and its answer did not finish within the deadline."""


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    state: str
    merged: bool
    branch: str
    title: str
    body: str = ""
    head_label: str = ""
    """``owner:branch``: tells this repository's branch from a fork's of the same name."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PullRequest:
        head = data.get("head") or {}
        return cls(
            number=int(data["number"]),
            url=str(data.get("html_url") or data.get("url") or ""),
            state=str(data.get("state", "open")),
            merged=bool(data.get("merged_at") or data.get("merged")),
            branch=str(head.get("ref", "")),
            title=str(data.get("title", "")),
            body=str(data.get("body") or ""),
            head_label=str(head.get("label") or ""),
        )


@dataclass(frozen=True)
class PullListing:
    """The repository's pull requests by head branch (newest first), from one bounded listing.

    ``complete`` is False when the listing stopped at its page bound with more to come: a branch it does not
    hold may then have an older pull request, and must be asked about on its own."""

    by_branch: Mapping[str, tuple[PullRequest, ...]]
    complete: bool

    def knows(self, branch: str) -> bool:
        """Whether the listing can answer for ``branch`` (it has its pull requests, or it saw them all)."""
        return self.complete or branch in self.by_branch

    def open_pull(self, branch: str) -> PullRequest | None:
        return next((p for p in self.by_branch.get(branch, ()) if p.state == "open"), None)

    def last_closed(self, branch: str) -> PullRequest | None:
        return next((p for p in self.by_branch.get(branch, ()) if p.state == "closed"), None)

    def dismissed(self, branch: str) -> bool:
        """As :meth:`GitHub.dismissed`: the last pull request was closed without merging and none is open."""
        closed = self.last_closed(branch)
        return self.open_pull(branch) is None and closed is not None and not closed.merged


@dataclass(frozen=True)
class IssueComment:
    """A comment on an issue or a pull request's conversation, as ``GET .../issues/comments/{id}`` returns it."""

    id: int
    body: str
    login: str
    bot: bool
    """The author is an App or bot account (``user.type`` Bot): its comments are never commands."""
    url: str
    updated_at: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IssueComment:
        user = data.get("user") or {}
        return cls(
            id=int(data["id"]),
            body=str(data.get("body") or ""),
            login=str(user.get("login") or ""),
            bot=str(user.get("type") or "") == "Bot" or str(user.get("login") or "").endswith("[bot]"),
            url=str(data.get("html_url") or ""),
            updated_at=str(data.get("updated_at") or ""),
        )


class GitHub:
    """One repository's pull requests. ``sleep`` is injectable so tests can check waits without waiting."""

    def __init__(
        self,
        repository: str,
        token: str,
        *,
        api_url: str | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 300.0,
        retries: int = 4,
        max_bytes: int = MAX_RESPONSE_BYTES,
        deadline: float = DEADLINE,
    ) -> None:
        owner, slash, name = repository.partition("/")
        if not slash or not owner or not name:
            raise GitHubError(f"repository {repository!r} is not 'owner/name'")
        self.owner, self.name = owner, name
        self.client = client or httpx.Client(timeout=30.0)
        self.base = (api_url or API_URL).rstrip("/")
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "watchbill",
        }
        self.sleep = sleep
        self.max_wait = max_wait
        self.retries = retries
        self.max_bytes = max_bytes
        self.deadline = deadline

    def close(self) -> None:
        self.client.close()

    @property
    def repo_path(self) -> str:
        return f"/repos/{self.owner}/{self.name}"

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call, retried on network errors, 5xx and rate limits; an answer too large or too slow is not."""
        for attempt in range(self.retries + 1):
            try:
                sent = self.client.build_request(method, self.base + path, headers=self.headers, **kwargs)
                response = exchange(self.client, sent, max_bytes=self.max_bytes, deadline=self.deadline)
            except httpx.HTTPError as exc:
                if attempt == self.retries:
                    raise GitHubError(f"cannot reach the GitHub API at {self.base}: {exc}") from None
                self.sleep(2.0**attempt)
                continue
            wait = rate_limit_wait(response, attempt, now=time.time())
            if wait is not None:
                if wait > self.max_wait or attempt == self.retries:
                    raise GitHubError(
                        f"GitHub rate limit reached; it asks to wait {wait:.0f}s, more than this run may",
                        response.status_code,
                    )
                self.sleep(wait)
                continue
            if response.status_code >= 500 and attempt < self.retries:
                self.sleep(2.0**attempt)
                continue
            return response
        raise GitHubError("unreachable")  # pragma: no cover

    def _json(self, response: httpx.Response, doing: str, ok: tuple[int, ...] = (200, 201)) -> Any:
        if response.status_code not in ok:
            raise GitHubError(
                f"{doing}: GitHub answered {response.status_code}: {_message(response)}", response.status_code
            )
        return response.json()

    def find_pull(self, branch: str, state: str = "open") -> PullRequest | None:
        response = self.request(
            "GET",
            f"{self.repo_path}/pulls",
            params={"head": f"{self.owner}:{branch}", "state": state, "per_page": 10},
        )
        pulls = self._json(response, f"listing pull requests for {branch}")
        matching = [PullRequest.from_json(p) for p in pulls if (p.get("head") or {}).get("ref", branch) == branch]
        return matching[0] if matching else None

    def create_pull(self, branch: str, base: str, title: str, body: str) -> tuple[PullRequest, bool]:
        """Open a pull request, or find the one the branch already has (422); returns it and whether it is new."""
        response = self.request(
            "POST", f"{self.repo_path}/pulls", json={"title": title, "head": branch, "base": base, "body": body}
        )
        if response.status_code == 403 and _ACTIONS_REFUSAL in response.text:
            raise PullRequestsNotAllowed(
                f"opening a pull request for {branch}: GitHub Actions may not create pull requests in "
                f"{self.owner}/{self.name}. Turn on {ACTIONS_PULLS_SETTING} (in the organisation's settings "
                "first if it is greyed out), or let a GitHub App open them: set WATCHBILL_GITHUB_APP_ID and "
                "WATCHBILL_GITHUB_APP_PRIVATE_KEY",
                403,
            )
        if response.status_code == 422 and "already exists" in response.text:
            existing = self.find_pull(branch)
            if existing is None:
                raise GitHubError(f"GitHub says {branch} has a pull request, but none is listed as open", 422)
            return self._retitle(existing, title), False
        return PullRequest.from_json(self._json(response, f"opening a pull request for {branch}")), True

    def update_pull(self, number: int, *, title: str | None = None, body: str | None = None) -> PullRequest:
        fields = {k: v for k, v in (("title", title), ("body", body)) if v is not None}
        response = self.request("PATCH", f"{self.repo_path}/pulls/{number}", json=fields)
        return PullRequest.from_json(self._json(response, f"updating pull request #{number}"))

    def add_labels(self, number: int, labels: list[str]) -> None:
        if labels:
            response = self.request("POST", f"{self.repo_path}/issues/{number}/labels", json={"labels": labels})
            self._json(response, f"labelling #{number}")

    def comment(self, number: int, body: str) -> None:
        response = self.request("POST", f"{self.repo_path}/issues/{number}/comments", json={"body": body})
        self._json(response, f"commenting on #{number}")

    def comments(self, number: int) -> list[str]:
        """The bodies of an issue's (or pull request's) comments, oldest first.

        Only the first page of 100 is read: callers look for their own marker comment, which is posted
        right after the issue is opened, long before a discussion could push it past the first page.
        """
        response = self.request("GET", f"{self.repo_path}/issues/{number}/comments", params={"per_page": 100})
        found = self._json(response, f"reading the comments on #{number}", ok=(200,))
        return [str(c.get("body") or "") for c in found if isinstance(c, dict)] if isinstance(found, list) else []

    def pull(self, number: int) -> PullRequest | None:
        """A pull request by number; None when the number is an issue's, or unknown (404)."""
        response = self.request("GET", f"{self.repo_path}/pulls/{number}")
        if response.status_code == 404:
            return None
        return PullRequest.from_json(self._json(response, f"reading pull request #{number}", ok=(200,)))

    def issue_comment(self, comment_id: int) -> IssueComment | None:
        """One comment as it reads now (``GET /repos/{o}/{r}/issues/comments/{id}``); None once deleted (404)."""
        response = self.request("GET", f"{self.repo_path}/issues/comments/{comment_id}")
        if response.status_code == 404:
            return None
        return IssueComment.from_json(self._json(response, f"reading comment {comment_id}", ok=(200,)))

    def reply(self, number: int, body: str) -> IssueComment:
        """Comment on an issue or pull request and return the new comment (its id and link)."""
        response = self.request("POST", f"{self.repo_path}/issues/{number}/comments", json={"body": body})
        return IssueComment.from_json(self._json(response, f"commenting on #{number}", ok=(201,)))

    def react(self, comment_id: int, content: str) -> bool:
        """Add a reaction to a comment; True when it is new (201), False when it was there already (200).

        ``content`` is one of GitHub's eight: +1, -1, laugh, confused, heart, hooray, rocket, eyes."""
        if content not in REACTIONS:
            raise GitHubError(f"'{content}' is not a reaction GitHub knows; use one of {', '.join(REACTIONS)}")
        response = self.request(
            "POST", f"{self.repo_path}/issues/comments/{comment_id}/reactions", json={"content": content}
        )
        self._json(response, f"reacting to comment {comment_id}")
        return response.status_code == 201

    def _retitle(self, pull: PullRequest, title: str) -> PullRequest:
        return pull if pull.title == title else self.update_pull(pull.number, title=title)

    def ensure_pull(
        self,
        branch: str,
        base: str,
        title: str,
        body: str,
        labels: list[str],
        *,
        refresh: Callable[[str], str] | None = None,
    ) -> tuple[PullRequest, bool]:
        """The branch's one open pull request, opened if needed, with its title and labels up to date.

        The body is written when the pull request opens: afterwards it belongs to the people working the
        incident (notes, checklists). ``refresh`` may bring the part the caller owns up to date: it gets
        the body as it reads now and returns it with that part rewritten (people's text kept); a changed
        body goes out with the title in one ``PATCH``."""
        existing = self.find_pull(branch)
        if existing is None:
            pull, created = self.create_pull(branch, base, title, body)
        else:
            pull, created = self._refresh(existing, title, refresh), False
        self.add_labels(pull.number, labels)
        return pull, created

    def _refresh(self, pull: PullRequest, title: str, refresh: Callable[[str], str] | None) -> PullRequest:
        body = refresh(pull.body) if refresh is not None else pull.body
        if body == pull.body:
            return self._retitle(pull, title)
        return self.update_pull(pull.number, title=None if title == pull.title else title, body=body)

    def list_pulls(self, *, max_pages: int = MAX_PULL_PAGES) -> PullListing:
        """Every pull request of this repository's own branches (``state=all``), one call per page of 100,
        at most ``max_pages`` pages."""
        found: dict[str, list[PullRequest]] = {}
        for page in range(1, max_pages + 1):
            response = self.request(
                "GET", f"{self.repo_path}/pulls", params={"state": "all", "per_page": 100, "page": page}
            )
            listed = self._json(response, "listing pull requests", ok=(200,))
            pulls = (
                [PullRequest.from_json(p) for p in listed if isinstance(p, dict)] if isinstance(listed, list) else []
            )
            for pull in pulls:
                if pull.head_label in ("", f"{self.owner}:{pull.branch}"):  # not a fork's branch of that name
                    found.setdefault(pull.branch, []).append(pull)
            link = response.headers.get("link")
            if len(pulls) < 100 or (link is not None and 'rel="next"' not in link):
                return PullListing({b: tuple(ps) for b, ps in found.items()}, complete=True)
        return PullListing({b: tuple(ps) for b, ps in found.items()}, complete=False)

    def dismissed(self, branch: str) -> bool:
        """True when the branch's pull request was closed without merging and none is open."""
        if self.find_pull(branch, "open") is not None:
            return False
        closed = self.find_pull(branch, "closed")
        return closed is not None and not closed.merged


def exchange(client: httpx.Client, request: httpx.Request, *, max_bytes: int, deadline: float) -> httpx.Response:
    """Send ``request`` and read its whole answer, refusing one over ``max_bytes`` or slower than ``deadline``.

    The exchange runs in a daemon thread that the caller waits for at most ``deadline`` seconds: no socket
    timeout can bound a status line or body that arrives a byte at a time. A worker left behind stops at
    its next chunk and closes the connection."""
    outcome: list[httpx.Response | Exception] = []
    expires = time.monotonic() + deadline

    def work() -> None:
        try:
            outcome.append(_read_bounded(client, request, max_bytes, expires))
        except Exception as exc:  # handed to the caller's thread below
            outcome.append(exc)

    worker = threading.Thread(target=work, name="github-request", daemon=True)
    worker.start()
    worker.join(deadline)
    if not outcome:
        raise AnswerTooSlow(f"GitHub did not answer {request.method} {request.url.path} within {deadline:.0f}s")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def _read_bounded(client: httpx.Client, request: httpx.Request, max_bytes: int, expires: float) -> httpx.Response:
    what = f"GitHub's answer to {request.method} {request.url.path}"
    response = client.send(request, stream=True)
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise AnswerTooLarge(f"{what} is {int(declared)} bytes, more than the {max_bytes} accepted")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise AnswerTooLarge(f"{what} is larger than the {max_bytes} bytes accepted; not read further")
            if time.monotonic() > expires:
                raise AnswerTooSlow(f"{what} was still arriving at the deadline")
    finally:
        response.close()
    decoded = ("content-encoding", "content-length", "transfer-encoding")  # the body below is already decoded
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in decoded]
    return httpx.Response(response.status_code, headers=headers, content=bytes(body), request=request)


def rate_limit_wait(response: httpx.Response, attempt: int, *, now: float) -> float | None:
    """Seconds to wait before retrying, or None when the response is not a rate limit."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
        try:
            reset = float(str(headers["x-ratelimit-reset"]))
            return max(0.0, reset - now) + 1.0
        except ValueError:
            pass
    if response.status_code == 429 or "rate limit" in response.text.lower():
        return 60.0 * 2.0**attempt
    return None  # a 403 that is not a rate limit: a permission problem, and retrying will not help


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    message = str(data.get("message", "")) if isinstance(data, dict) else ""
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list):
        details = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        message = "; ".join([message, *details]) if message else "; ".join(details)
    if response.status_code == 401:
        message += " (is the token expired, revoked, or meant for another GitHub host?)"
    if response.status_code == 403 and "rate" not in message.lower():
        message += " (does the token have 'pull-requests: write' and 'issues: write'?)"
    return message[:300]


def repository_from(environ: Mapping[str, str], remote_url: str | None) -> str | None:
    """``GITHUB_REPOSITORY`` in Actions, else the owner/name in the remote's URL."""
    if environ.get("GITHUB_REPOSITORY"):
        return environ["GITHUB_REPOSITORY"]
    if remote_url:
        match = _REMOTE.search(remote_url)
        if match:
            return f"{match.group('owner')}/{match.group('name')}"
    return None


def from_environment(
    environ: Mapping[str, str], *, repository: str | None, now: datetime, client: httpx.Client | None = None
) -> GitHub | None:
    """A client from the environment, or None when no token or App is configured (then no PR is opened)."""
    if repository is None:
        return None
    api_url = environ.get("GITHUB_API_URL") or API_URL
    token = next((environ[name] for name in TOKEN_VARIABLES if environ.get(name)), None)
    app_id = environ.get("WATCHBILL_GITHUB_APP_ID")
    key = environ.get("WATCHBILL_GITHUB_APP_PRIVATE_KEY")
    if not environ.get("WATCHBILL_GITHUB_TOKEN") and app_id and key:
        pem = Path(key).read_bytes() if not key.lstrip().startswith("-----") else key.encode()
        token = app_installation_token(app_id, pem, repository, api_url=api_url, now=now, client=client)
    if not token:
        return None
    return GitHub(repository, token, api_url=api_url, client=client)


def app_jwt(app_id: str, private_key_pem: bytes, now: datetime) -> str:
    """The short-lived JWT (RS256) a GitHub App signs to ask for an installation token."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise GitHubError("the GitHub App private key must be an RSA key (PEM), as GitHub issues them")
    issued = int(now.timestamp()) - 60  # GitHub's advice: allow for clock drift
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iat": issued, "exp": issued + 540, "iss": app_id}
    signing_input = f"{_b64_json(header)}.{_b64_json(claims)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def app_installation_token(
    app_id: str,
    private_key_pem: bytes,
    repository: str,
    *,
    api_url: str,
    now: datetime,
    client: httpx.Client | None = None,
) -> str:
    http = client or httpx.Client(timeout=30.0)
    headers = {
        "Authorization": f"Bearer {app_jwt(app_id, private_key_pem, now)}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
    }
    base = api_url.rstrip("/")

    def call(method: str, url: str) -> httpx.Response:
        request = http.build_request(method, url, headers=headers)
        try:
            return exchange(http, request, max_bytes=MAX_RESPONSE_BYTES, deadline=DEADLINE)
        except httpx.HTTPError as exc:
            raise GitHubError(f"cannot reach the GitHub API at {base}: {exc}") from None

    found = call("GET", f"{base}/repos/{repository}/installation")
    if found.status_code == 404:
        raise GitHubError(f"the GitHub App is not installed on {repository} (404)", 404)
    if found.status_code != 200:
        raise GitHubError(f"GitHub refused the App's JWT ({found.status_code}: {_message(found)})", found.status_code)
    installation = int(found.json()["id"])
    minted = call("POST", f"{base}/app/installations/{installation}/access_tokens")
    if minted.status_code != 201:
        raise GitHubError(
            f"GitHub refused an installation token ({minted.status_code}: {_message(minted)})", minted.status_code
        )
    return str(minted.json()["token"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_json(data: Mapping[str, Any]) -> str:
    return _b64(json.dumps(data, separators=(",", ":")).encode())
