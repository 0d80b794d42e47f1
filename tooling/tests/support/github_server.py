"""A local stand-in for the parts of GitHub's REST API that watchbill and its workflows use, as GitHub documents them.

It runs a real HTTP server on 127.0.0.1 in a thread. Every route below was checked against GitHub's OpenAPI
description (npm ``@octokit/openapi``, ``generated/api.github.com.json``): request fields, limits, status codes.

- ``GET /repos/{o}/{r}/pulls`` with ``state`` (open, closed, all), ``head=owner:branch``, ``base``, ``per_page``
  (30 by default, at most 100) and ``page``, newest first;
- ``POST /repos/{o}/{r}/pulls`` -> 201, or
  403 "GitHub Actions is not permitted to create or approve pull requests." for a workflow's ``GITHUB_TOKEN``
  while the repository's "Allow GitHub Actions to create and approve pull requests" is off (a new
  organisation's default; ``actions_create_pulls=True`` turns it on), or 422 when a field is missing or too
  long, the branch already has an open pull request ("A pull request already exists for owner:branch."),
  and, given the bare repository tests push to, when the head or the base branch does not exist or the head
  has nothing the base lacks ("No commits between main and X");
- ``GET`` and ``PATCH /repos/{o}/{r}/pulls/{n}`` and ``.../issues/{n}``;
- ``POST /repos/{o}/{r}/issues/{n}/labels`` -> 200 with the issue's labels; 422 for an empty list (``minItems: 1``);
- ``GET`` and ``POST /repos/{o}/{r}/issues/{n}/comments``; ``GET`` and ``PATCH .../issues/comments/{id}`` (404
  for a deleted comment); ``GET`` and ``POST .../issues/comments/{id}/reactions`` (``content`` one of the eight
  reactions, else 422; 201 for a new reaction, 200 when that login already reacted so);
- ``POST /repos/{o}/{r}/dispatches`` -> 204 (``event_type`` at most 100 characters, ``client_payload`` at most
  10 top-level keys), recorded in ``dispatches``: the probe workflow's ``gh api`` call;
- ``PUT /repos/{o}/{r}/actions/workflows/{file}/enable`` -> 204, 404 for a workflow the repository lacks:
  the keepalive workflow's ``gh api`` call;
- ``GET /repos/{o}/{r}/installation`` and ``POST /app/installations/{id}/access_tokens`` for a GitHub App: the
  JWT must be signed (RS256) with the key in ``app_public_key``, unexpired, and expire at most 10 minutes
  ahead; installation tokens last an hour.

Tokens: ``tokens`` maps each token GitHub knows to a :class:`Grant` (who holds it, its fine-grained
permissions, when it expires). An unknown or expired token gets 401 "Bad credentials"; a route the grant does
not cover gets 403 "Resource not accessible by integration" (or "... by personal access token"). Titles are
limited to 256 characters and bodies to 65536, as GitHub limits them; a request body over ``MAX_REQUEST_BYTES``
is refused with 413 without being read. Error bodies carry ``message``, ``documentation_url``, ``status`` and,
for 422, ``errors``.

Pull requests are issues, numbered from one counter. Unknown numbers and routes get 404, and every request is
logged, so tests assert what a client really sent. ``queue`` holds canned answers (status, headers, body)
served before the real handling, for rate limits; a :class:`Drip` body is sent slowly or at length, for
clients that must bound time and size.

    with FakeGitHub(bare=remote, actions_create_pulls=True) as github:
        env = github.env()  # GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from base64 import urlsafe_b64decode
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "test-token-not-secret"
INSTALLATION = 4242
DOCS = "https://docs.github.com/rest"
MAX_TITLE = 256
MAX_BODY = 65536
MAX_REQUEST_BYTES = 1024 * 1024
JWT_MAX_LIFETIME = 600
ACTIONS_REFUSAL = "GitHub Actions is not permitted to create or approve pull requests."
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
WORKFLOW_PERMISSIONS = {"contents": "write", "pull-requests": "write", "issues": "write", "actions": "write"}
"""What the shipped workflows grant their jobs' ``GITHUB_TOKEN`` between them."""
Answer = tuple[int, Any]
_LEVELS = {"read": 1, "write": 2, "admin": 3}


@dataclass(frozen=True)
class Grant:
    """What a token may do. ``kind`` is ``actions`` (a workflow's GITHUB_TOKEN), ``app`` or ``user``."""

    kind: str
    permissions: Mapping[str, str]
    expires: float | None = None


@dataclass(frozen=True)
class Drip:
    """A canned body of ``size`` bytes sent ``chunk`` bytes at a time, ``pause`` seconds apart.

    ``declare`` sends a Content-Length up front; ``slow_headers`` trickles the status line and headers too."""

    size: int
    chunk: int = 65536
    pause: float = 0.0
    declare: bool = True
    slow_headers: bool = False


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
    user_type: str = "User"
    """``Bot`` for an App or ``[bot]`` account, as GitHub's ``user.type`` says."""
    reactions: list[tuple[str, str]] = field(default_factory=list)
    """(login, content) pairs, oldest first; one of each per login, as GitHub keeps them."""
    edits: int = 0


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
        self,
        *,
        owner: str = "example",
        repo: str = "ops",
        token: str = TOKEN,
        bare: Path | None = None,
        actions_create_pulls: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.owner, self.repo, self.token, self.bare = owner, repo, token, bare
        self.actions_create_pulls = actions_create_pulls
        """Settings → Actions → General → "Allow GitHub Actions to create and approve pull requests"."""
        self.clock = clock
        self.tokens: dict[str, Grant] = {token: Grant("actions", WORKFLOW_PERMISSIONS)}
        self.issues: dict[int, Issue] = {}
        self.requests: list[Request] = []
        self.queue: list[tuple[int, dict[str, str], Any]] = []
        self.dispatches: list[dict[str, Any]] = []
        self.workflows: dict[str, str] = {}
        """Workflow file -> state; with ``bare``, the files under .github/workflows on its HEAD count too."""
        self.app_public_key: Any = None
        self.installation_token = "installation-token"
        self.sent_bytes = 0
        """Body bytes written by :class:`Drip` answers so far."""
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._caller = Grant("actions", {})
        self._next_comment = 1000
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
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

    def grant(self, token: str, kind: str = "user", **permissions: str) -> str:
        """Make ``token`` known with these permissions (``pull_requests="write"`` for ``pull-requests``)."""
        self.tokens[token] = Grant(kind, {name.replace("_", "-"): level for name, level in permissions.items()})
        return token

    @property
    def pulls(self) -> list[Issue]:
        return [issue for issue in self.issues.values() if issue.head is not None]

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def comments(self, number: int) -> list[str]:
        return [c.body for c in self.issues[number].comments]

    def add_comment(self, number: int, body: str, *, login: str, user_type: str = "User") -> int:
        """A comment a person (or a bot) writes in GitHub's web or mobile app; returns its id."""
        with self.lock:
            self._next_comment += 1
            self.issues[number].comments.append(Comment(self._next_comment, body, login, user_type))
            return self._next_comment

    def edit_comment(self, comment_id: int, body: str) -> None:
        comment = self._comment(comment_id)
        assert comment is not None, comment_id
        comment.body, comment.edits = body, comment.edits + 1

    def delete_comment(self, comment_id: int) -> None:
        for issue in self.issues.values():
            issue.comments = [c for c in issue.comments if c.id != comment_id]

    def comment_event(self, comment_id: int, action: str = "created") -> dict[str, Any]:
        """The ``issue_comment`` event payload GitHub hands the workflow for this comment, as it reads now."""
        issue = next(i for i in self.issues.values() if any(c.id == comment_id for c in i.comments))
        comment = self._comment(comment_id)
        assert comment is not None
        return {
            "action": action,
            "issue": self._issue_json(issue),
            "comment": self._comment_json(issue, comment),
            "repository": {"full_name": self.repository},
            "sender": {"login": comment.user, "type": comment.user_type},
        }

    def reactions(self, comment_id: int) -> list[str]:
        comment = self._comment(comment_id)
        return [content for _, content in comment.reactions] if comment else []

    def open_issue(self, title: str, body: str, *, login: str = "reporter", labels: list[str] | None = None) -> int:
        """An issue as a person opens it through a form; returns its number."""
        with self.lock:
            return self._add(Issue(0, title, body, login, labels=list(labels or []))).number

    def issue(self, number: int) -> dict[str, Any]:
        """The issue as an event payload carries it."""
        return self._issue_json(self.issues[number])

    def add_pull(self, head: str, *, state: str = "open", merged: bool = False, base: str = "main") -> int:
        """A pull request people opened earlier (its branch need not exist any more); returns its number."""
        with self.lock:
            pull = Issue(0, f"Change {head}", "", "someone", state=state, head=head, base=base)
            pull.merged_at = "2026-11-01T09:00:00Z" if merged else None
            return self._add(pull).number

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
        method, path = request.method, request.path
        auth = request.headers.get("authorization", "")
        if method == "POST" and path == f"/app/installations/{INSTALLATION}/access_tokens":
            refused = self._app_auth(auth)
            if refused:
                return 401, _error(401, refused)
            self.tokens[self.installation_token] = Grant("app", WORKFLOW_PERMISSIONS, self.clock() + 3600)
            expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock() + 3600))
            return 201, {"token": self.installation_token, "expires_at": expires}
        prefix = f"/repos/{self.owner}/{self.repo}"
        if method == "GET" and path == f"{prefix}/installation":
            refused = self._app_auth(auth)
            return (401, _error(401, refused)) if refused else (200, {"id": INSTALLATION})
        if not auth:
            return 401, _error(401, "Requires authentication")
        grant = self.tokens.get(auth.removeprefix("Bearer ").removeprefix("token "))
        if grant is None or (grant.expires is not None and grant.expires <= self.clock()):
            return 401, _error(401, "Bad credentials")
        if not path.startswith(prefix + "/"):
            return 404, _error(404, "Not Found")
        self._caller = grant
        return self._repository(method, path[len(prefix) + 1 :].split("/"), request.query, request.body)

    def _repository(self, method: str, parts: list[str], query: dict[str, list[str]], body: Any) -> Answer:
        issue = self._numbered(parts[1]) if len(parts) > 1 and parts[0] in ("pulls", "issues") else None
        needed = _permission(method, parts, is_pull=issue is not None and issue.head is not None)
        if needed is not None and not self._allowed(*needed):
            what = "integration" if self._caller.kind != "user" else "personal access token"
            return 403, _error(403, f"Resource not accessible by {what}")
        match (method, parts):
            case ("GET", ["pulls"]):
                return 200, [self._pull_json(p) for p in _page(self._listed(query), query)]
            case ("POST", ["pulls"]):
                return self._create_pull(body)
            case ("GET" | "PATCH", ["pulls" | "issues" as kind, _]):
                if issue is None or (kind == "pulls" and issue.head is None):
                    return 404, _error(404, "Not Found")
                if method == "PATCH" and (invalid := _patch(issue, body)):
                    return 422, invalid
                return 200, self._pull_json(issue) if kind == "pulls" else self._issue_json(issue)
            case (_, ["issues", "comments", number, *rest]):
                return self._comment_route(method, number, rest, body)
            case ("POST" | "GET", ["issues", _, "labels" | "comments" as part]):
                return (404, _error(404, "Not Found")) if issue is None else self._issue_part(method, issue, part, body)
            case ("POST", ["dispatches"]):
                return self._dispatch(body)
            case ("PUT", ["actions", "workflows", name, "enable"]):
                if not self._has_workflow(name):
                    return 404, _error(404, "Not Found")
                self.workflows[name] = "active"
                return 204, None
        return 404, _error(404, "Not Found")

    def _comment(self, comment_id: int) -> Comment | None:
        return next((c for i in self.issues.values() for c in i.comments if c.id == comment_id), None)

    def _commented(self, number: str) -> tuple[Issue, Comment] | None:
        for issue in self.issues.values():
            for comment in issue.comments:
                if number.isdigit() and comment.id == int(number):
                    return issue, comment
        return None

    def _comment_route(self, method: str, number: str, rest: list[str], body: Any) -> Answer:
        if not rest and method in ("GET", "PATCH"):
            return self._one_comment(method, number, body)
        if rest == ["reactions"] and method in ("GET", "POST"):
            return self._reactions(method, number, body)
        return 404, _error(404, "Not Found")

    def _one_comment(self, method: str, number: str, body: Any) -> Answer:
        found = self._commented(number)
        if found is None:
            return 404, _error(404, "Not Found")
        issue, comment = found
        if method == "PATCH":
            if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                return 422, _invalid("IssueComment", "body", "missing_field")
            if len(body["body"]) > MAX_BODY:
                return 422, _too_long("IssueComment", "body", MAX_BODY)
            comment.body, comment.edits = body["body"], comment.edits + 1
        return 200, self._comment_json(issue, comment)

    def _reactions(self, method: str, number: str, body: Any) -> Answer:
        """``content`` must be one of GitHub's eight; a login's second identical reaction answers 200 with the
        first, a new one 201."""
        found = self._commented(number)
        if found is None:
            return 404, _error(404, "Not Found")
        _, comment = found
        if method == "GET":
            return 200, [{"content": c, "user": {"login": who}} for who, c in comment.reactions]
        content = body.get("content") if isinstance(body, dict) else None
        if content not in REACTIONS:
            return 422, _invalid("Reaction", "content", "invalid")
        login = "watchbill[bot]"
        answer = {"content": content, "user": {"login": login, "type": "Bot"}}
        if (login, content) in comment.reactions:
            return 200, answer
        comment.reactions.append((login, content))
        return 201, answer

    def _allowed(self, permissions: tuple[str, ...], level: str) -> bool:
        granted = self._caller.permissions
        return any(_LEVELS.get(granted.get(name, ""), 0) >= _LEVELS[level] for name in permissions)

    def _issue_part(self, method: str, issue: Issue, part: str, body: Any) -> Answer:
        if (method, part) == ("GET", "comments"):
            return 200, [self._comment_json(issue, c) for c in issue.comments]
        if (method, part) == ("POST", "comments"):
            if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                return 422, _invalid("IssueComment", "body", "missing_field")
            if len(body["body"]) > MAX_BODY:
                return 422, _too_long("IssueComment", "body", MAX_BODY)
            self._next_comment += 1
            issue.comments.append(Comment(self._next_comment, body["body"], "watchbill[bot]", "Bot"))
            return 201, self._comment_json(issue, issue.comments[-1])
        if method == "POST":
            names = body.get("labels") if isinstance(body, dict) else body
            if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
                return 422, _error(422, 'Invalid request.\n\nNo subschema in "oneOf" matched.')
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
        if self._caller.kind == "actions" and not self.actions_create_pulls:
            return 403, _error(403, ACTIONS_REFUSAL, docs=f"{DOCS}/pulls/pulls#create-a-pull-request")
        if not isinstance(body, dict):
            return 422, _error(422, "Validation Failed")
        missing = [k for k in ("title", "head", "base") if not isinstance(body.get(k), str) or not body[k]]
        if missing:
            return 422, _invalid("PullRequest", missing[0], "missing_field")
        for name, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
            if len(str(body.get(name) or "")) > limit:
                return 422, _too_long("PullRequest", name, limit)
        owner, _, head = body["head"].rpartition(":")
        base = body["base"]
        if owner not in ("", self.owner) or not self._branch(head):
            return 422, _invalid("PullRequest", "head", "invalid")
        if not self._branch(base):
            return 422, _invalid("PullRequest", "base", "invalid")
        if any(p.head == head and p.state == "open" for p in self.pulls):
            return 422, _custom(f"A pull request already exists for {self.owner}:{head}.")
        if not self._ahead(head, base):
            return 422, _custom(f"No commits between {base} and {head}")
        pull = Issue(0, body["title"], body.get("body") or "", "watchbill[bot]", head=head, base=base)
        return 201, self._pull_json(self._add(pull))

    def _dispatch(self, body: Any) -> Answer:
        event = body.get("event_type") if isinstance(body, dict) else None
        if not isinstance(event, str) or not event:
            return 422, _invalid("Repository", "event_type", "missing_field")
        if len(event) > 100:
            return 422, _too_long("Repository", "event_type", 100)
        payload = body.get("client_payload", {})
        if not isinstance(payload, dict) or len(payload) > 10:
            return 422, _error(422, "client_payload may have at most 10 top-level properties")
        self.dispatches.append({"event_type": event, "client_payload": payload})
        return 204, None

    def _add(self, issue: Issue) -> Issue:
        issue.number = len(self.issues) + 1
        self.issues[issue.number] = issue
        return issue

    def _numbered(self, number: str) -> Issue | None:
        return self.issues.get(int(number)) if number.isdigit() else None

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self.bare is not None
        return subprocess.run(
            ["git", "--git-dir", str(self.bare), *args], capture_output=True, text=True, check=False, timeout=30
        )

    def _branch(self, name: str) -> bool:
        return self.bare is None or self._git("rev-parse", "--verify", "--quiet", f"refs/heads/{name}").returncode == 0

    def _ahead(self, head: str, base: str) -> bool:
        if self.bare is None:
            return True
        counted = self._git("rev-list", "--count", f"refs/heads/{base}..refs/heads/{head}")
        return counted.returncode == 0 and int(counted.stdout.strip() or 0) > 0

    def _has_workflow(self, name: str) -> bool:
        if name in self.workflows:
            return True
        return self.bare is not None and self._git("cat-file", "-e", f"HEAD:.github/workflows/{name}").returncode == 0

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
            "user": {"login": comment.user, "type": comment.user_type},
            "html_url": f"{self._html(issue)}#issuecomment-{comment.id}",
        }

    def _app_auth(self, auth: str) -> str | None:
        """Why GitHub refuses the App's JWT, or None: signed (RS256) with the App's key, unexpired, short-lived."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        if self.app_public_key is None or not auth.startswith("Bearer ") or auth.count(".") != 2:
            return "A JSON web token could not be decoded"
        head, claims_part, signature = auth.removeprefix("Bearer ").split(".")
        try:
            self.app_public_key.verify(
                _unb64(signature), f"{head}.{claims_part}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            claims = json.loads(_unb64(claims_part))
        except (InvalidSignature, ValueError):
            return "A JSON web token could not be decoded"
        now = self.clock()
        expires, issued = claims.get("exp"), claims.get("iat")
        if not isinstance(expires, int) or expires <= now:
            return "'Expiration time' claim ('exp') must be a numeric value representing the future time"
        if expires - now > JWT_MAX_LIFETIME:
            return "'Expiration time' claim ('exp') is too far in the future"
        if not isinstance(issued, int) or issued > now + 60:
            return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
        return None


def _permission(method: str, parts: list[str], *, is_pull: bool) -> tuple[tuple[str, ...], str] | None:
    """The fine-grained permissions (any one suffices) and level a route needs, as GitHub's docs list them."""
    level = "read" if method == "GET" else "write"
    match parts:
        case ["issues", "comments", *_]:
            return ("issues", "pull-requests"), level  # a comment's thread may be either
        case ["pulls", *_]:
            return ("pull-requests",), level
        case ["issues", *_]:
            return (("issues", "pull-requests") if is_pull else ("issues",)), level
        case ["dispatches"]:
            return ("contents",), "write"
        case ["actions", "workflows", _, "enable"]:
            return ("actions",), "write"
    return None


def _page(items: list[Issue], query: dict[str, list[str]]) -> list[Issue]:
    size = min(int(query.get("per_page", ["30"])[0] or 30), 100)
    page = max(int(query.get("page", ["1"])[0] or 1), 1)
    return items[(page - 1) * size : page * size]


def _patch(issue: Issue, body: Any) -> dict[str, Any] | None:
    """Apply a PATCH; the 422 body when a field is invalid (nothing is changed then)."""
    if not isinstance(body, dict):
        return None
    if body.get("state", issue.state) not in ("open", "closed"):
        return _invalid("Issue", "state", "invalid")
    for name, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
        if len(str(body.get(name) or "")) > limit:
            return _too_long("Issue", name, limit)
    issue.title = body.get("title", issue.title)
    issue.body = body.get("body", issue.body)
    issue.state = body.get("state", issue.state)
    if issue.head is not None:
        issue.base = body.get("base", issue.base)
    return None


def _error(status: int, message: str, errors: list[dict[str, str]] | None = None, docs: str = DOCS) -> dict[str, Any]:
    data: dict[str, Any] = {"message": message, "documentation_url": docs, "status": str(status)}
    if errors:
        data["errors"] = errors
    return data


def _invalid(resource: str, name: str, code: str) -> dict[str, Any]:
    return _error(422, "Validation Failed", [{"resource": resource, "field": name, "code": code}])


def _too_long(resource: str, name: str, limit: int) -> dict[str, Any]:
    message = f"{name} is too long (maximum is {limit} characters)"
    return _error(
        422, "Validation Failed", [{"resource": resource, "field": name, "code": "custom", "message": message}]
    )


def _custom(message: str) -> dict[str, Any]:
    return _error(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom", "message": message}])


def _unb64(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True  # the body is never read
            self._answer(413, {"Connection": "close"}, _error(413, "Payload too large"))
            return
        raw = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer: tuple[int, dict[str, str], Any]
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            answer = 400, {}, _error(400, "Problems parsing JSON")
        else:
            with fake.lock:
                answer = fake.handle(Request(self.command, parts.path, parse_qs(parts.query), body, headers))
        status, extra, payload = answer
        if isinstance(payload, Drip):
            self._drip(fake, status, payload)
        else:
            self._answer(status, extra, payload)

    def _answer(self, status: int, extra: dict[str, str], payload: Any) -> None:
        data = b"" if status == 204 else json.dumps(payload).encode()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _drip(self, fake: FakeGitHub, status: int, drip: Drip) -> None:
        """Send a Drip until done, the client hangs up, or the server stops."""
        self.close_connection = True
        head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        head += f"Content-Length: {drip.size}\r\n\r\n" if drip.declare else "\r\n"
        pieces = [bytes([b]) for b in head.encode()] if drip.slow_headers else [head.encode()]
        try:
            for piece in pieces:
                self.wfile.write(piece)
                self.wfile.flush()
                if drip.slow_headers and fake.stopping.wait(drip.pause):
                    return
            left = drip.size
            while left > 0 and not fake.stopping.is_set():
                piece = b"x" * min(drip.chunk, left)
                self.wfile.write(piece)
                self.wfile.flush()
                fake.sent_bytes += len(piece)
                left -= len(piece)
                if drip.pause and fake.stopping.wait(drip.pause):
                    return
        except OSError:
            return  # the client hung up, as a bounded client should

    do_GET = do_POST = do_PATCH = do_PUT = _serve
