"""Propose a person's edit to an incident as a pull request, without touching their checkout.

The edit is made in a temporary git worktree of the incident's branch (or of the base branch when the
branch does not exist yet), committed there, pushed (fetch, rebase and retry when someone else pushed to
the branch meanwhile, e.g. the probe lifecycle), and the pull request is opened once and updated on every
later edit. The GitHub side is the REST API at ``$GITHUB_API_URL`` with ``$GITHUB_TOKEN``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .models import Incident, Settings

_INCIDENT_BRANCH = re.compile(r"inc-(\d{4})-(\d{4})$", re.IGNORECASE)
_GITHUB_REMOTE = re.compile(r"github\.com[:/]([A-Za-z0-9-]+)/([A-Za-z0-9._-]+?)(?:\.git)?/?$")
PUSH_ATTEMPTS = 4
API_TIMEOUT = 20.0
GIT_TIMEOUT = 120


class ProposalError(Exception):
    """Git or GitHub refused; the message says what to check."""


@dataclass(frozen=True)
class Proposal:
    branch: str
    commit: str | None
    number: int
    url: str
    created: bool


def branch_for(settings: Settings, incident_id: str) -> str:
    """One branch per incident, so every change to it lands in one pull request."""
    return f"{settings.lifecycle.branch_prefix}{incident_id.lower()}"


# ---------------------------------------------------------------- git


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT, env=env, check=False
    )
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise ProposalError(f"git {args[0]} failed: {detail[-1] if detail else 'no output'}")
    return result


def remote_branches(root: Path) -> list[str]:
    """Branch names on ``origin``, asked of the remote itself (a local clone's view may be stale)."""
    listing = _git(root, "ls-remote", "--heads", "origin").stdout
    return [line.split("refs/heads/", 1)[1] for line in listing.splitlines() if "refs/heads/" in line]


def reserved_ids(root: Path, settings: Settings) -> list[str]:
    """Incident ids that branches on the remote already use: a new declaration must not take them."""
    ids = []
    for head in remote_branches(root):
        if head.startswith(settings.lifecycle.branch_prefix):
            match = _INCIDENT_BRANCH.search(head)
            if match:
                ids.append(f"INC-{match.group(1)}-{match.group(2)}")
    return ids


@contextmanager
def checkout(root: Path, branch: str, base: str) -> Iterator[Path]:
    """A temporary worktree at the remote's ``branch`` if it exists, else at its ``base``; removed afterwards."""
    if _git(root, "rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise ProposalError(f"{root} is not a git repository; --pr needs a clone with an 'origin' remote")
    exists = branch in remote_branches(root)
    start = branch if exists else base
    _git(root, "fetch", "--quiet", "origin", f"+refs/heads/{start}:refs/remotes/origin/{start}")
    parent = Path(tempfile.mkdtemp(prefix="watchbill-pr-"))
    here = parent / "work"
    try:
        _git(root, "worktree", "add", "--quiet", "--detach", str(here), f"refs/remotes/origin/{start}")
        yield here
    finally:
        _git(root, "worktree", "remove", "--force", str(here), check=False)
        shutil.rmtree(parent, ignore_errors=True)
        _git(root, "worktree", "prune", check=False)


def _identity(here: Path) -> list[str]:
    """Commit as the person's configured identity; CI runners often have none, so fall back to a bot."""
    if _git(here, "config", "user.email", check=False).returncode == 0:
        return []
    return ["-c", "user.name=watchbill", "-c", "user.email=watchbill@users.noreply.github.com"]


def commit_and_push(here: Path, *, branch: str, paths: list[str], message: str) -> str | None:
    """Commit ``paths`` and push to ``branch``; on a rejected push fetch, rebase and try again."""
    _git(here, "add", "--", *paths)
    if _git(here, "diff", "--cached", "--quiet", check=False).returncode == 0:
        return None
    _git(here, *_identity(here), "commit", "--quiet", "--no-verify", "-m", message)
    for attempt in range(PUSH_ATTEMPTS):
        pushed = _git(here, "push", "--porcelain", "origin", f"HEAD:refs/heads/{branch}", check=False)
        if pushed.returncode == 0:
            return _git(here, "rev-parse", "HEAD").stdout.strip()
        if attempt + 1 == PUSH_ATTEMPTS:
            break
        # Someone (the lifecycle, a colleague) pushed to the branch first: replay our commit on theirs.
        _git(here, "fetch", "--quiet", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
        rebased = _git(here, *_identity(here), "rebase", "--quiet", f"refs/remotes/origin/{branch}", check=False)
        if rebased.returncode != 0:
            _git(here, "rebase", "--abort", check=False)
            raise ProposalError(f"{branch} changed on the remote and our edit conflicts with it; run the command again")
        time.sleep(0.2 * (attempt + 1))
    raise ProposalError(f"the remote kept rejecting the push to {branch}: {pushed.stderr.strip()[-200:]}")


# ---------------------------------------------------------------- GitHub


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    created: bool


class GitHub:
    """The few REST endpoints a proposal needs: pulls, labels, issue comments."""

    def __init__(self, repository: str, token: str, api_url: str | None = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+", repository):
            raise ProposalError(f"'{repository}' is not owner/name; set GITHUB_REPOSITORY")
        self.repository = repository
        self.owner = repository.split("/", 1)[0]
        self.client = httpx.Client(
            base_url=(api_url or "https://api.github.com").rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "watchbill",
            },
            timeout=API_TIMEOUT,
        )

    @classmethod
    def from_environment(cls, root: Path, environ: Mapping[str, str] | None = None) -> GitHub:
        env = os.environ if environ is None else environ
        token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
        if not token:
            raise ProposalError("set GITHUB_TOKEN (a token that may push and open pull requests) to use --pr")
        repository = env.get("GITHUB_REPOSITORY") or _repository_from_origin(root)
        if not repository:
            raise ProposalError("set GITHUB_REPOSITORY=owner/name; the origin remote is not on github.com")
        return cls(repository, token, env.get("GITHUB_API_URL"))

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"/repos/{self.repository}/{path}"
        for _ in range(3):
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                raise ProposalError(f"GitHub API unreachable: {type(exc).__name__}") from None
            wait = response.headers.get("retry-after")
            if response.status_code in (403, 429) and wait and wait.isdigit() and int(wait) <= 30:
                time.sleep(int(wait))
                continue
            return response
        return response

    def _json(self, response: httpx.Response, doing: str) -> Any:
        if response.status_code >= 400:
            try:
                message = response.json().get("message", "")
            except ValueError:
                message = response.text[:200]
            raise ProposalError(f"GitHub refused to {doing}: HTTP {response.status_code} {message}".rstrip())
        return response.json()

    def find_pull(self, head: str, base: str) -> dict[str, Any] | None:
        found = self._json(
            self.request("GET", "pulls", params={"state": "open", "head": f"{self.owner}:{head}", "base": base}),
            "list pull requests",
        )
        return found[0] if isinstance(found, list) and found else None

    def ensure_pull(self, *, head: str, base: str, title: str, body: str, labels: list[str]) -> PullRequest:
        """Open the pull request for ``head``, or update the one that is open: never a second one."""
        existing = self.find_pull(head, base)
        created = False
        if existing is None:
            response = self.request("POST", "pulls", json={"title": title, "head": head, "base": base, "body": body})
            if response.status_code == 422 and "already exists" in response.text:
                existing = self.find_pull(head, base)
            else:
                existing = self._json(response, f"open a pull request for {head}")
                created = True
        if existing is None:
            raise ProposalError(f"GitHub says a pull request for {head} exists but does not list it")
        number = int(existing["number"])
        if not created:
            self._json(self.request("PATCH", f"pulls/{number}", json={"title": title, "body": body}), "update it")
        if labels:
            self._json(self.request("POST", f"issues/{number}/labels", json={"labels": labels}), "label it")
        return PullRequest(number, str(existing.get("html_url", "")), created)

    def comments(self, issue: int) -> list[dict[str, Any]]:
        found = self._json(self.request("GET", f"issues/{issue}/comments", params={"per_page": 100}), "read comments")
        return found if isinstance(found, list) else []

    def comment(self, issue: int, body: str) -> str:
        made = self._json(self.request("POST", f"issues/{issue}/comments", json={"body": body}), "comment")
        return str(made.get("html_url", ""))


def _repository_from_origin(root: Path) -> str | None:
    result = _git(root, "remote", "get-url", "origin", check=False)
    match = _GITHUB_REMOTE.search(result.stdout.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None


def pull_request_text(incident: Incident, extra: str = "") -> tuple[str, str]:
    title = f"{incident.id} [{incident.severity}] {incident.title}"
    latest = incident.updates[-1].message if incident.updates else ""
    services = ", ".join(f"`{s.service}` ({s.impact.replace('_', ' ')})" for s in incident.services)
    lines = [
        f"Incident record `{incident.id}`: **{incident.status}**, {incident.severity}, {incident.visibility}.",
        "",
        f"- Services: {services}",
        f"- Detected by: {incident.detected_by}",
    ]
    if latest:
        lines += ["", "Latest public update:", "", "> " + latest.replace("\n", "\n> ")]
    if extra:
        lines += ["", extra]
    lines += ["", "Kept up to date by `watchbill`; merging publishes the record."]
    return title, "\n".join(lines)


def publish(
    here: Path,
    *,
    settings: Settings,
    incident: Incident,
    paths: list[str],
    message: str,
    github: GitHub | None = None,
    extra: str = "",
) -> Proposal:
    """Commit ``paths`` in the worktree, push the incident's branch, and open or update its pull request."""
    branch = branch_for(settings, incident.id)
    client = github or GitHub.from_environment(here)
    try:
        commit = commit_and_push(here, branch=branch, paths=paths, message=message)
        title, body = pull_request_text(incident, extra)
        labels = list(dict.fromkeys([*settings.lifecycle.labels, incident.severity.lower()]))
        pull = client.ensure_pull(
            head=branch, base=settings.lifecycle.base_branch, title=title, body=body, labels=labels
        )
    finally:
        if github is None:
            client.close()
    return Proposal(branch, commit, pull.number, pull.url, pull.created)
