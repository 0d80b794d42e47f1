"""A local stand-in for the parts of GitHub's REST API that watchbill uses, following the documentation.

It runs a real HTTP server on 127.0.0.1 in a thread and answers as GitHub does:

- ``GET /repos/{owner}/{repo}/pulls`` with ``state`` (open, closed, all), ``head=owner:branch`` and
  ``base`` filters, newest first;
- ``POST /repos/{owner}/{repo}/pulls`` -> 201, or 422 when the branch already has an open pull request
  ("A pull request already exists for owner:branch.") or, given the bare repository tests push to, when
  the head branch was never pushed;
- ``GET`` and ``PATCH /repos/{owner}/{repo}/pulls/{number}`` and ``.../issues/{number}``;
- ``POST /repos/{owner}/{repo}/issues/{number}/labels`` -> 200 with the issue's labels;
- ``GET`` and ``POST /repos/{owner}/{repo}/issues/{number}/comments``;
- ``GET /repos/{owner}/{repo}/installation`` and ``POST /app/installations/{id}/access_tokens`` for a
  GitHub App, checking the JWT's signature against ``app_public_key``.

Pull requests are issues, numbered from one counter. Requests without an accepted bearer token get 401,
unknown numbers and routes 404, and every request is logged, so tests assert what a client really sent.
``queue`` holds canned responses (status, headers, body) served before the real handling, for rate limits.

    with FakeGitHub(bare=remote) as github:
        env = github.env()  # GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "test-token-not-secret"
INSTALLATION = 4242
Answer = tuple[int, Any]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    """Lower-cased names."""


@dataclass
class Comment:
    id: int
    body: str
    user: str


@dataclass
class Issue:
    """An issue, or a pull request when it has a ``head`` branch (GitHub numbers both from one counter)."""

    number: int
    title: str
    body: str
    user: str
    state: str = "open"
    labels: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    head: str | None = None
    base: str | None = None
    merged_at: str | None = None


class FakeGitHub:
    def __init__(
        self, *, owner: str = "example", repo: str = "ops", token: str = TOKEN, bare: Path | None = None
    ) -> None:
        self.owner, self.repo, self.token, self.bare = owner, repo, token, bare
        self.minted: set[str] = set()
        self.issues: dict[int, Issue] = {}
        self.requests: list[Request] = []
        self.queue: list[tuple[int, dict[str, str], Any]] = []
        self.app_public_key: Any = None
        self.installation_token = "installation-token"
        self.lock = threading.Lock()
        self._next_comment = 1000
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ---------------------------------------------------------------- for tests

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def repository(self) -> str:
        return f"{self.owner}/{self.repo}"

    def env(self) -> dict[str, str]:
        return {"GITHUB_API_URL": self.url, "GITHUB_REPOSITORY": self.repository, "GITHUB_TOKEN": self.token}

    @property
    def pulls(self) -> list[Issue]:
        return [issue for issue in self.issues.values() if issue.head is not None]

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def comments(self, number: int) -> list[str]:
        return [c.body for c in self.issues[number].comments]

    def open_issue(self, title: str, body: str, *, login: str = "reporter", labels: list[str] | None = None) -> int:
        """An issue as a person opens it through a form; returns its number."""
        with self.lock:
            return self._add(Issue(0, title, body, login, labels=list(labels or []))).number

    def issue(self, number: int) -> dict[str, Any]:
        """The issue as an event payload carries it."""
        return self._issue_json(self.issues[number])

    def merge(self, number: int) -> None:
        self.issues[number].state, self.issues[number].merged_at = "closed", "2026-11-23T13:00:00Z"

    def close(self, number: int) -> None:
        self.issues[number].state = "closed"

    # ---------------------------------------------------------------- the API

    def handle(self, request: Request) -> tuple[int, dict[str, str], Any]:
        self.requests.append(request)
        if self.queue:
            return self.queue.pop(0)
        status, payload = self._route(request)
        return status, {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999"}, payload

    def _route(self, request: Request) -> Answer:
        method, path, body = request.method, request.path, request.body
        auth = request.headers.get("authorization", "")
        if method == "POST" and re.fullmatch(rf"/app/installations/{INSTALLATION}/access_tokens", path):
            if not self._app_auth(auth):
                return 401, _error("A JSON web token could not be decoded")
            self.minted.add(self.installation_token)
            return 201, {"token": self.installation_token, "expires_at": "2026-11-23T13:00:00Z"}
        prefix = f"/repos/{self.owner}/{self.repo}"
        if method == "GET" and path == f"{prefix}/installation":
            return (200, {"id": INSTALLATION}) if self._app_auth(auth) else (401, _error("Bad JWT"))
        if auth.removeprefix("Bearer ").removeprefix("token ") not in {self.token, *self.minted}:
            return 401, _error("Bad credentials")
        if not path.startswith(prefix + "/"):
            return 404, _error("Not Found")
        return self._repository(method, path[len(prefix) + 1 :].split("/"), request.query, body)

    def _repository(self, method: str, parts: list[str], query: dict[str, list[str]], body: Any) -> Answer:
        match (method, parts):
            case ("GET", ["pulls"]):
                return 200, [self._pull_json(p) for p in self._listed(query)]
            case ("POST", ["pulls"]):
                return self._create_pull(body)
            case ("GET" | "PATCH", ["pulls" | "issues" as kind, number]):
                issue = self._numbered(number, pull=kind == "pulls")
                if issue is None:
                    return 404, _error("Not Found")
                if method == "PATCH":
                    _patch(issue, body)
                return 200, self._pull_json(issue) if kind == "pulls" else self._issue_json(issue)
            case ("POST" | "GET", ["issues", number, "labels" | "comments" as part]):
                issue = self._numbered(number)
                return (404, _error("Not Found")) if issue is None else self._issue_part(method, issue, part, body)
        return 404, _error("Not Found")

    def _issue_part(self, method: str, issue: Issue, part: str, body: Any) -> Answer:
        if (method, part) == ("GET", "comments"):
            return 200, [self._comment_json(issue, c) for c in issue.comments]
        if (method, part) == ("POST", "comments"):
            if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                return 422, _error("Validation Failed")
            self._next_comment += 1
            issue.comments.append(Comment(self._next_comment, body["body"], "watchbill[bot]"))
            return 201, self._comment_json(issue, issue.comments[-1])
        if method == "POST":
            names = body.get("labels") if isinstance(body, dict) else body
            if not isinstance(names, list):
                return 422, _error("Validation Failed")
            issue.labels += [name for name in dict.fromkeys(names) if name not in issue.labels]
        return 200, [{"name": name} for name in issue.labels]

    def _listed(self, query: dict[str, list[str]]) -> list[Issue]:
        state = query.get("state", ["open"])[0]
        head = query.get("head", [None])[0]
        base = query.get("base", [None])[0]
        found = [
            p
            for p in self.pulls
            if (state == "all" or p.state == state)
            and (head is None or f"{self.owner}:{p.head}" == head)
            and (base is None or p.base == base)
        ]
        return sorted(found, key=lambda p: p.number, reverse=True)  # GitHub's default: newest first

    def _create_pull(self, body: Any) -> Answer:
        if not isinstance(body, dict):
            return 422, _error("Validation Failed")
        missing = [k for k in ("title", "head", "base") if not isinstance(body.get(k), str) or not body[k]]
        if missing:
            return 422, _invalid(missing[0], "missing_field")
        head = body["head"].split(":", 1)[-1]
        if not self._pushed(head):
            return 422, _invalid("head", "invalid")
        if any(p.head == head and p.state == "open" for p in self.pulls):
            message = f"A pull request already exists for {self.owner}:{head}."
            return 422, _error("Validation Failed", [{"resource": "PullRequest", "code": "custom", "message": message}])
        pull = Issue(0, body["title"], body.get("body") or "", "watchbill[bot]", head=head, base=body["base"])
        return 201, self._pull_json(self._add(pull))

    def _add(self, issue: Issue) -> Issue:
        issue.number = len(self.issues) + 1
        self.issues[issue.number] = issue
        return issue

    def _numbered(self, number: str, *, pull: bool = False) -> Issue | None:
        issue = self.issues.get(int(number)) if number.isdigit() else None
        return None if issue is None or (pull and issue.head is None) else issue

    def _pushed(self, branch: str) -> bool:
        if self.bare is None:
            return True
        ref = f"refs/heads/{branch}"
        found = subprocess.run(
            ["git", "--git-dir", str(self.bare), "rev-parse", "--verify", "--quiet", ref], check=False
        )
        return found.returncode == 0

    def _html(self, issue: Issue) -> str:
        kind = "issues" if issue.head is None else "pull"
        return f"https://github.com/{self.owner}/{self.repo}/{kind}/{issue.number}"

    def _issue_json(self, issue: Issue) -> dict[str, Any]:
        data = {
            "number": issue.number,
            "title": issue.title,
            "body": issue.body,
            "state": issue.state,
            "user": {"login": issue.user},
            "labels": [{"name": name} for name in issue.labels],
            "html_url": self._html(issue),
        }
        if issue.head is not None:
            data["pull_request"] = {"html_url": self._html(issue), "merged_at": issue.merged_at}
        return data

    def _pull_json(self, pull: Issue) -> dict[str, Any]:
        return {
            **self._issue_json(pull),
            "url": f"/repos/{self.owner}/{self.repo}/pulls/{pull.number}",
            "merged_at": pull.merged_at,
            "head": {"ref": pull.head, "label": f"{self.owner}:{pull.head}"},
            "base": {"ref": pull.base},
        }

    def _comment_json(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        return {
            "id": comment.id,
            "body": comment.body,
            "user": {"login": comment.user},
            "html_url": f"{self._html(issue)}#issuecomment-{comment.id}",
        }

    def _app_auth(self, auth: str) -> bool:
        """A JWT signed (RS256) with the App's private key, as GitHub checks it."""
        from base64 import urlsafe_b64decode

        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        if self.app_public_key is None or not auth.startswith("Bearer ") or auth.count(".") != 2:
            return False
        head, claims, signature = auth.removeprefix("Bearer ").split(".")
        try:
            self.app_public_key.verify(
                urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
                f"{head}.{claims}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True


def _patch(issue: Issue, body: Any) -> None:
    if isinstance(body, dict):
        issue.title = body.get("title", issue.title)
        issue.body = body.get("body", issue.body)
        issue.state = body.get("state", issue.state)
        if issue.head is not None:
            issue.base = body.get("base", issue.base)


def _error(message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"message": message, "documentation_url": "https://docs.github.com/rest"}
    if errors:
        data["errors"] = errors
    return data


def _invalid(name: str, code: str) -> dict[str, Any]:
    return _error("Validation Failed", [{"resource": "PullRequest", "field": name, "code": code}])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer: tuple[int, dict[str, str], Any]
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            answer = 400, {}, _error("Problems parsing JSON")
        else:
            with fake.lock:
                answer = fake.handle(Request(self.command, parts.path, parse_qs(parts.query), body, headers))
        status, extra, payload = answer
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = _serve
