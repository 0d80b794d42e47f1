"""A local stand-in for the GitHub REST API: the pulls, issues, labels and comments endpoints as documented.

It runs a real HTTP server on 127.0.0.1 in a thread, checks the token, answers with GitHub's status codes
(201 on create, 422 when an open pull request for the same head exists or the head branch was never
pushed, 404 for unknown numbers, 401 for a wrong token) and records every request, so tests assert what
a client really sent. When given the bare repository tests push to, it refuses pull requests for
branches that are not there, as GitHub does.

    with FakeGitHub(bare=remote) as github:
        env = {"GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": github.repository, "GITHUB_TOKEN": github.token}
"""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class State:
    owner: str
    name: str
    token: str
    bare: Path | None
    next_number: int = 1
    next_comment: int = 1000
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeGitHub:
    def __init__(
        self, *, owner: str = "northwind", name: str = "status", token: str = "test-token", bare: Path | None = None
    ) -> None:
        self.state = State(owner=owner, name=name, token=token, bare=bare)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def repository(self) -> str:
        return f"{self.state.owner}/{self.state.name}"

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def requests(self) -> list[Request]:
        return list(self.state.requests)

    @property
    def pulls(self) -> dict[int, dict[str, Any]]:
        return self.state.pulls

    def env(self) -> dict[str, str]:
        return {"GITHUB_API_URL": self.url, "GITHUB_REPOSITORY": self.repository, "GITHUB_TOKEN": self.token}

    def comments(self, number: int) -> list[dict[str, Any]]:
        return list(self.state.comments.get(number, []))

    def open_issue(self, title: str, body: str, *, login: str = "reporter", labels: list[str] | None = None) -> int:
        """An issue as a person would open it through the form; returns its number."""
        with self.state.lock:
            number = self.state.next_number
            self.state.next_number += 1
            self.state.issues[number] = {
                "number": number,
                "title": title,
                "body": body,
                "state": "open",
                "user": {"login": login},
                "labels": [{"name": label} for label in labels or []],
                "html_url": f"https://github.com/{self.repository}/issues/{number}",
            }
        return number

    def issue(self, number: int) -> dict[str, Any]:
        return self.state.issues[number]

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-RateLimit-Remaining", "999")
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                self._send(400, {"message": "Problems parsing JSON"})
                return
            with state.lock:
                state.requests.append(
                    Request(
                        method, parts.path, parse_qs(parts.query), body, {k.lower(): v for k, v in self.headers.items()}
                    )
                )
                auth = self.headers.get("Authorization", "")
                if auth not in (f"Bearer {state.token}", f"token {state.token}"):
                    self._send(401, {"message": "Bad credentials"})
                    return
                prefix = f"/repos/{state.owner}/{state.name}/"
                if not parts.path.startswith(prefix):
                    self._send(404, {"message": "Not Found"})
                    return
                segments = parts.path[len(prefix) :].strip("/").split("/")
                status, payload = _dispatch(state, method, segments, parse_qs(parts.query), body)
                self._send(status, payload)

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PATCH(self) -> None:
            self._route("PATCH")

        def do_PUT(self) -> None:
            self._route("PUT")

    return Handler


def _branch_pushed(state: State, branch: str) -> bool:
    if state.bare is None:
        return True
    result = subprocess.run(
        ["git", "--git-dir", str(state.bare), "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def _pull_view(state: State, pull: dict[str, Any]) -> dict[str, Any]:
    issue = state.issues[pull["number"]]
    return {
        **pull,
        "title": issue["title"],
        "body": issue["body"],
        "state": issue["state"],
        "labels": issue["labels"],
        "html_url": f"https://github.com/{state.owner}/{state.name}/pull/{pull['number']}",
        "url": f"/repos/{state.owner}/{state.name}/pulls/{pull['number']}",
    }


def _dispatch(
    state: State, method: str, segments: list[str], query: dict[str, list[str]], body: Any
) -> tuple[int, Any]:
    match (method, segments):
        case ("GET", ["pulls"]):
            wanted_state = query.get("state", ["open"])[0]
            head = query.get("head", [None])[0]
            base = query.get("base", [None])[0]
            found = []
            for pull in state.pulls.values():
                view = _pull_view(state, pull)
                if wanted_state != "all" and view["state"] != wanted_state:
                    continue
                if head and view["head"]["label"] != head:
                    continue
                if base and view["base"]["ref"] != base:
                    continue
                found.append(view)
            return 200, found
        case ("POST", ["pulls"]):
            if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("title", "head", "base")):
                return 422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "missing"}]}
            head = body["head"].split(":", 1)[-1]
            if not _branch_pushed(state, head):
                return 422, {
                    "message": "Validation Failed",
                    "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}],
                }
            for pull in state.pulls.values():
                if pull["head"]["ref"] == head and state.issues[pull["number"]]["state"] == "open":
                    return 422, {
                        "message": "Validation Failed",
                        "errors": [
                            {
                                "resource": "PullRequest",
                                "code": "custom",
                                "message": f"A pull request already exists for {state.owner}:{head}.",
                            }
                        ],
                    }
            number = state.next_number
            state.next_number += 1
            state.issues[number] = {
                "number": number,
                "title": body["title"],
                "body": body.get("body") or "",
                "state": "open",
                "user": {"login": "watchbill[bot]"},
                "labels": [],
                "pull_request": {},
            }
            state.pulls[number] = {
                "number": number,
                "head": {"ref": head, "label": f"{state.owner}:{head}"},
                "base": {"ref": body["base"]},
            }
            return 201, _pull_view(state, state.pulls[number])
        case ("GET", ["pulls", number]) if number.isdigit() and int(number) in state.pulls:
            return 200, _pull_view(state, state.pulls[int(number)])
        case ("PATCH", ["pulls", number]) if number.isdigit() and int(number) in state.pulls:
            issue = state.issues[int(number)]
            for key in ("title", "body", "state"):
                if isinstance(body, dict) and key in body:
                    issue[key] = body[key]
            if isinstance(body, dict) and "base" in body:
                state.pulls[int(number)]["base"] = {"ref": body["base"]}
            return 200, _pull_view(state, state.pulls[int(number)])
        case ("POST", ["issues"]):
            if not isinstance(body, dict) or not isinstance(body.get("title"), str):
                return 422, {"message": "Validation Failed"}
            number = state.next_number
            state.next_number += 1
            state.issues[number] = {
                "number": number,
                "title": body["title"],
                "body": body.get("body") or "",
                "state": "open",
                "user": {"login": "reporter"},
                "labels": [{"name": name} for name in body.get("labels") or []],
                "html_url": f"https://github.com/{state.owner}/{state.name}/issues/{number}",
            }
            return 201, state.issues[number]
        case ("GET", ["issues", number]) if number.isdigit() and int(number) in state.issues:
            return 200, state.issues[int(number)]
        case ("PATCH", ["issues", number]) if number.isdigit() and int(number) in state.issues:
            issue = state.issues[int(number)]
            for key in ("title", "body", "state"):
                if isinstance(body, dict) and key in body:
                    issue[key] = body[key]
            return 200, issue
        case ("POST", ["issues", number, "labels"]) if number.isdigit() and int(number) in state.issues:
            names = body.get("labels") if isinstance(body, dict) else body
            if not isinstance(names, list):
                return 422, {"message": "Validation Failed"}
            issue = state.issues[int(number)]
            for name in names:
                if all(label["name"] != name for label in issue["labels"]):
                    issue["labels"].append({"name": name})
            return 200, issue["labels"]
        case ("GET", ["issues", number, "comments"]) if number.isdigit() and int(number) in state.issues:
            return 200, state.comments.get(int(number), [])
        case ("POST", ["issues", number, "comments"]) if number.isdigit() and int(number) in state.issues:
            if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                return 422, {"message": "Validation Failed"}
            comment = {
                "id": state.next_comment,
                "body": body["body"],
                "user": {"login": "watchbill[bot]"},
                "html_url": f"https://github.com/{state.owner}/{state.name}/issues/{number}#issuecomment-{state.next_comment}",
            }
            state.next_comment += 1
            state.comments.setdefault(int(number), []).append(comment)
            return 201, comment
        case ("PATCH", ["issues", "comments", ident]) if ident.isdigit():
            for comments in state.comments.values():
                for comment in comments:
                    if comment["id"] == int(ident) and isinstance(body, dict):
                        comment["body"] = body.get("body", comment["body"])
                        return 200, comment
            return 404, {"message": "Not Found"}
    return 404, {"message": "Not Found"}
