"""``watchbill doctor``: check a deployed organisation against GitHub as it is, and name each setting to change.

A new organisation fails in ways no file in the repository shows: Actions may be off, GitHub's default
forbids ``GITHUB_TOKEN`` to open pull requests, Pages may not be served from Actions, a secret may be
missing, a schedule may have been disabled after 60 days without activity, or a ruleset may reject the
machine's pushes to the data branch or the incident branches. Each check reads one documented endpoint
(GitHub's OpenAPI description names them) and turns the answer into a finding with the exact setting.

Secret values are never read: GitHub's API lists secret names only, and that is all this module asks for.
An endpoint the token may not read (403/404 on an admin endpoint) gives an ``unknown`` finding that says
which permission would let the check run, never a false "ok".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from ..errors import RequestError
from ..forge.git import GitError, Repository
from ..forge.github import ACTIONS_PULLS_SETTING, GitHub, GitHubError, from_environment, repository_from
from ..models import Settings
from ..validate import load_organisation

Level = Literal["ok", "warning", "error", "unknown"]

ACTIONS_SETTINGS = "Settings → Actions → General"
CREATE_PULLS_SETTING = (
    f"{ACTIONS_PULLS_SETTING} (or give the workflows a GitHub App: secrets WATCHBILL_GITHUB_APP_ID and "
    "WATCHBILL_GITHUB_APP_PRIVATE_KEY)"
)
ADMIN_READ = "a token with 'Administration: read' (fine-grained) or the 'repo' scope (classic)"
APP_SECRETS = ("WATCHBILL_GITHUB_APP_ID", "WATCHBILL_GITHUB_APP_PRIVATE_KEY")
BUNDLE_SECRET = "WATCHBILL_SECRETS"  # noqa: S105 (the secret's name, not a value)

MACHINE_BLOCKING_RULES = {
    "creation": "forbids creating the branch",
    "update": "forbids pushing to the branch",
    "pull_request": "requires a pull request for every change",
    "required_signatures": "requires signed commits (the workflows' commits are unsigned)",
    "required_status_checks": "requires status checks before a push",
    "required_deployments": "requires a deployment before a push",
    "merge_queue": "requires the merge queue",
    "commit_message_pattern": "restricts commit messages",
    "commit_author_email_pattern": "restricts commit author e-mails",
    "committer_email_pattern": "restricts committer e-mails",
}
_SECRET_USE = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ENV_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    summary: str
    fix: str | None = None
    """The exact setting to change (or the command to run); None when nothing needs doing."""


@dataclass(frozen=True)
class Checkup:
    repository: str
    findings: list[Finding]

    @property
    def healthy(self) -> bool:
        return not any(f.level == "error" for f in self.findings)


class _Api:
    """GET one endpoint and say plainly what came back: data, absent (404), or not readable (401/403)."""

    def __init__(self, github: GitHub) -> None:
        self.github = github

    def get(self, path: str) -> tuple[int, Any]:
        response = self.github.request("GET", self.github.repo_path + path)
        if response.status_code != 200:
            return response.status_code, None
        return 200, response.json()


def doctor(root: Path, environ: Mapping[str, str], *, now: datetime, repository: str | None = None) -> Checkup:
    """Check the repository checked out at ``root`` as deployed on GitHub (``now`` signs an App's token)."""
    settings = load_organisation(root, now=now).settings
    if repository is None:
        try:
            remote_url = Repository(root).remote.url
        except GitError:
            remote_url = None
        repository = repository_from(environ, remote_url)
    if repository is None:
        raise RequestError("say which repository to check: --repository owner/name, or GITHUB_REPOSITORY")
    github = from_environment(environ, repository=repository, now=now)
    if github is None:
        raise RequestError(f"set WATCHBILL_GITHUB_TOKEN or GH_TOKEN to {ADMIN_READ} for {repository}")
    try:
        return run_checkup(github, root, settings)
    finally:
        github.close()


def run_checkup(github: GitHub, root: Path, settings: Settings) -> Checkup:
    """Every check in order; a GitHub failure in one check is reported there and the others still run."""
    api = _Api(github)
    findings: list[Finding] = []
    for check in _CHECKS:
        try:
            findings.extend(check(api, root, settings))
        except GitHubError as exc:
            findings.append(Finding(check.__name__.removeprefix("_check_"), "unknown", f"GitHub failed: {exc}"))
    return Checkup(f"{github.owner}/{github.name}", findings)


def _unreadable(check: str, what: str) -> Finding:
    return Finding(check, "unknown", f"could not read {what}", f"run doctor with {ADMIN_READ}")


def _check_actions(api: _Api, root: Path, settings: Settings) -> Iterator[Finding]:
    status, data = api.get("/actions/permissions")
    if status != 200:
        yield _unreadable("actions", "the repository's Actions permissions")
    elif not data.get("enabled"):
        yield Finding(
            "actions",
            "error",
            "GitHub Actions is disabled: no probe, escalation or site job can run",
            f"{ACTIONS_SETTINGS} → Actions permissions → 'Allow all actions and reusable workflows'",
        )
    elif data.get("allowed_actions") == "local_only":
        yield Finding(
            "actions",
            "error",
            "only local actions may run, but the workflows use actions/checkout and others",
            f"{ACTIONS_SETTINGS} → Actions permissions → allow GitHub-authored actions",
        )
    else:
        yield Finding("actions", "ok", "GitHub Actions is enabled")


def _check_pull_requests(api: _Api, root: Path, settings: Settings) -> Iterator[Finding]:
    if settings.lifecycle.mode != "pull_request":
        yield Finding("pull-requests", "ok", "lifecycle mode is 'commit': no pull requests are opened")
        return
    status, data = api.get("/actions/permissions/workflow")
    if status != 200:
        yield _unreadable("pull-requests", "the workflow permissions")
        return
    if data.get("can_approve_pull_request_reviews"):
        yield Finding("pull-requests", "ok", "GITHUB_TOKEN may open the incident pull requests")
        return
    names = _secret_names(api)
    if names is not None and all(name in names for name in APP_SECRETS):
        yield Finding("pull-requests", "ok", "a GitHub App opens the incident pull requests")
        return
    yield Finding(
        "pull-requests",
        "error",
        "GitHub Actions may not create pull requests (GitHub's default for a new organisation): a probe-opened "
        "incident is pushed to its branch but no pull request opens",
        CREATE_PULLS_SETTING,
    )


def _check_pages(api: _Api, root: Path, settings: Settings) -> Iterator[Finding]:
    status, data = api.get("/pages")
    if status == 404:
        yield Finding(
            "pages",
            "error",
            "GitHub Pages is not enabled: the status site is built but never published",
            "Settings → Pages → Build and deployment → Source: 'GitHub Actions'",
        )
    elif status != 200:
        yield _unreadable("pages", "the Pages configuration")
    elif data.get("build_type") != "workflow":
        yield Finding(
            "pages",
            "error",
            "Pages publishes from a branch, so the site workflow's deployment is ignored",
            "Settings → Pages → Build and deployment → Source: 'GitHub Actions'",
        )
    else:
        yield Finding("pages", "ok", f"Pages is served from GitHub Actions at {data.get('html_url', '?')}")


def _check_status_page_url(api: _Api, root: Path, settings: Settings) -> Iterator[Finding]:
    """validate already insists on a url when the site workflow exists; here it is compared with where GitHub
    Pages really serves the site, since feeds, the API and shortlinks all carry it."""
    _, data = api.get("/pages")
    served = data.get("html_url") if isinstance(data, dict) else None
    if not settings.status_page.url:
        hint = f" (Pages serves {served})" if served else ""
        yield Finding(
            "status-page-url",
            "error",
            "status_page.url is not set: feeds, the API and shortlinks need the site's address",
            f"policies/settings.yaml → status_page: url: <the site's address>{hint}",
        )
    elif served and settings.status_page.url.rstrip("/") != str(served).rstrip("/") and not _custom_domain(data):
        yield Finding(
            "status-page-url",
            "warning",
            f"status_page.url is {settings.status_page.url}, but Pages serves the site at {served}",
            f"policies/settings.yaml → status_page: url: {served}",
        )
    else:
        yield Finding("status-page-url", "ok", f"status_page.url is {settings.status_page.url}")


def _custom_domain(pages: Any) -> bool:
    return isinstance(pages, dict) and bool(pages.get("cname"))


def _check_secrets(api: _Api, root: Path, settings: Settings) -> Iterator[Finding]:
    names = _secret_names(api)
    if names is None:
        yield _unreadable("secrets", "the repository's secret names")
        return
    problems: list[Finding] = []
    if BUNDLE_SECRET in _workflow_secrets(root) and _uses_references(root) and BUNDLE_SECRET not in names:
        problems.append(
            Finding(
                "secrets",
                "error",
                f"the organisation's files use ${{NAME}} references, but the secret {BUNDLE_SECRET} is not set",
                f"Settings → Secrets and variables → Actions → New repository secret {BUNDLE_SECRET} "
                "(one NAME=value line per reference)",
            )
        )
    app = [name for name in APP_SECRETS if name in names]
    if len(app) == 1:
        missing = next(name for name in APP_SECRETS if name not in names)
        problems.append(
            Finding(
                "secrets",
                "error",
                f"{app[0]} is set but {missing} is not: the GitHub App cannot sign in",
                f"Settings → Secrets and variables → Actions → New repository secret {missing}",
            )
        )
    yield from problems or [Finding("secrets", "ok", f"{len(names)} secret(s) visible to the workflows")]


def _check_workflows(api: _Api, root: Path, settings: Settings) -> Iterator[Finding]:
    status, data = api.get("/actions/workflows")
    if status != 200:
        yield _unreadable("workflows", "the repository's workflows")
        return
    quiet = True
    for workflow in data.get("workflows", []):
        state, name = workflow.get("state"), workflow.get("name") or workflow.get("path")
        if state == "disabled_inactivity":
            quiet = False
            yield Finding(
                "workflows",
                "error",
                f"workflow '{name}' was disabled after 60 days without repository activity: its schedule stopped",
                f"Actions → {name} → 'Enable workflow' (keepalive.yml prevents this)",
            )
        elif state in ("disabled_manually", "disabled_fork"):
            quiet = False
            yield Finding(
                "workflows", "warning", f"workflow '{name}' is disabled", f"Actions → {name} → 'Enable workflow'"
            )
    if quiet:
        yield Finding("workflows", "ok", "every workflow is active")


def _check_data_branch(api: _Api, root: Path, settings: Settings) -> Iterator[Finding]:
    status, _ = api.get(f"/branches/{_segment(settings.data_branch)}")
    if status == 404:
        yield Finding(
            "data-branch",
            "warning",
            f"the data branch {settings.data_branch} does not exist yet; the first probe run creates it",
            "Actions → probe → 'Run workflow'",
        )
    elif status == 200:
        yield Finding("data-branch", "ok", f"the data branch {settings.data_branch} exists")
    else:
        yield _unreadable("data-branch", f"the branch {settings.data_branch}")


def _check_machine_branches(api: _Api, root: Path, settings: Settings) -> Iterator[Finding]:
    """The machine writes to the data branch and the incident branches, and only there."""
    branches = {
        settings.data_branch: "probe results, acknowledgements and sent pages",
        f"{settings.lifecycle.branch_prefix}inc-0000-0001": "incident records before their pull request is merged",
    }
    clean = True
    for branch, holds in branches.items():
        status, rules = api.get(f"/rules/branches/{_segment(branch)}")
        if status != 200 or not isinstance(rules, list):
            clean = False
            yield _unreadable("branch-rules", f"the rules for {branch}")
            continue
        for rule in rules:
            kind = rule.get("type")
            if kind in MACHINE_BLOCKING_RULES:
                clean = False
                yield Finding(
                    "branch-rules",
                    "error",
                    f"a ruleset {MACHINE_BLOCKING_RULES[kind]} on {branch}, where the workflows write {holds}",
                    f"Settings → Rules → Rulesets → ruleset {rule.get('ruleset_id', '?')} → exclude "
                    f"'{settings.data_branch}' and '{settings.lifecycle.branch_prefix}**' from its target branches",
                )
            elif kind == "non_fast_forward" and branch == settings.data_branch:
                yield Finding(
                    "branch-rules",
                    "warning",
                    f"force pushes to {branch} are blocked, so 'watchbill probe compact --squash' cannot run",
                    f"Settings → Rules → Rulesets → ruleset {rule.get('ruleset_id', '?')} → allow force pushes "
                    f"on {branch}, or compact without --squash",
                )
    if clean:
        yield Finding("branch-rules", "ok", "no ruleset blocks the machine's branches")


def _check_base_protected(api: _Api, root: Path, settings: Settings) -> Iterator[Finding]:
    base = settings.lifecycle.base_branch
    status, rules = api.get(f"/rules/branches/{_segment(base)}")
    protected_by_rules = status == 200 and any(r.get("type") == "pull_request" for r in rules or [])
    classic, _ = api.get(f"/branches/{_segment(base)}/protection")
    if protected_by_rules or classic == 200:
        yield Finding("base-protection", "ok", f"{base} requires pull requests")
    elif status == 200 and classic == 404:
        yield Finding(
            "base-protection",
            "warning",
            f"{base} is not protected: anyone with write access can change policies without review",
            f"Settings → Rules → Rulesets → New branch ruleset → target '{base}' → 'Require a pull request "
            "before merging' (and 'Require review from Code Owners')",
        )
    else:
        yield _unreadable("base-protection", f"the protection of {base}")


_CHECKS: tuple[Callable[[_Api, Path, Settings], Iterator[Finding]], ...] = (
    _check_actions,
    _check_pull_requests,
    _check_pages,
    _check_status_page_url,
    _check_secrets,
    _check_workflows,
    _check_data_branch,
    _check_machine_branches,
    _check_base_protected,
)


def _segment(branch: str) -> str:
    """A branch name as one path segment: ``watchbill/inc-…`` must not become two."""
    return quote(branch, safe="")


def _secret_names(api: _Api) -> set[str] | None:
    names: set[str] = set()
    readable = False
    for path in ("/actions/secrets", "/actions/organization-secrets"):
        status, data = api.get(path)
        if status == 200 and isinstance(data, Mapping):
            readable = True
            names.update(str(s.get("name")) for s in data.get("secrets", []))
    return names if readable else None


def _workflow_secrets(root: Path) -> set[str]:
    folder = root / ".github" / "workflows"
    found: set[str] = set()
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        found.update(_SECRET_USE.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def _uses_references(root: Path) -> bool:
    """Whether any policy or schedule line (comments aside) names a ``${NAME}`` the bundle must supply."""
    for folder in ("policies", "schedules"):
        for path in sorted((root / folder).rglob("*.y*ml")):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if not line.lstrip().startswith("#") and _ENV_REFERENCE.search(line):
                    return True
    return False
