"""Repository settings as GitHub's REST API reports them, on top of the local GitHub server.

The defaults are a new organisation's, as GitHub documents them: Actions enabled for all actions, workflow
permissions read-only with "Allow GitHub Actions to create and approve pull requests" off, no Pages site
(``GET /pages`` answers 404), no secrets, no rulesets, no branch protection, every workflow active.
Settings endpoints need administration access: a token without it gets GitHub's 403 "Resource not
accessible by integration", as ``GITHUB_TOKEN`` does.

Endpoints (from GitHub's OpenAPI description): ``GET /repos/{o}/{r}/actions/permissions``,
``.../actions/permissions/workflow``, ``.../pages``, ``.../actions/secrets``,
``.../actions/organization-secrets``, ``.../actions/workflows``, ``.../branches/{branch}``,
``.../branches/{branch}/protection``, ``.../rules/branches/{branch}``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .github_server import FakeGitHub

_ADMIN_ONLY = {"actions/permissions", "actions/permissions/workflow", "actions/secrets", "actions/organization-secrets"}


@dataclass
class RepositorySettings:
    admin: bool = True
    actions_enabled: bool = True
    allowed_actions: str = "all"
    can_create_pulls: bool = False
    pages_build_type: str | None = None
    secrets: set[str] = field(default_factory=set)
    org_secrets: set[str] = field(default_factory=set)
    workflows: dict[str, str] = field(default_factory=dict)
    """Workflow name -> state (active, disabled_inactivity, disabled_manually, ...)."""
    branches: set[str] = field(default_factory=lambda: {"main"})
    protected: set[str] = field(default_factory=set)
    """Branches with classic branch protection."""
    rulesets: list[tuple[int, str, list[str]]] = field(default_factory=list)
    """(ruleset id, fnmatch pattern of branches it targets, rule types)."""


class SettingsGitHub(FakeGitHub):
    def __init__(self, settings: RepositorySettings | None = None, **kwargs: Any) -> None:
        self.settings = settings or RepositorySettings()
        super().__init__(actions_create_pulls=self.settings.can_create_pulls, **kwargs)

    def _repository(self, method: str, parts: list[str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        parts = [unquote(p) for p in parts]
        path = "/".join(parts)
        if method == "GET" and (answer := self._setting(path, parts)) is not None:
            return answer
        return super()._repository(method, parts, query, body)

    def _setting(self, path: str, parts: list[str]) -> tuple[int, Any] | None:
        s = self.settings
        if path in _ADMIN_ONLY and not s.admin:
            return 403, {"message": "Resource not accessible by integration", "status": "403"}
        match parts:
            case ["actions", "permissions"]:
                return 200, {"enabled": s.actions_enabled, "allowed_actions": s.allowed_actions}
            case ["actions", "permissions", "workflow"]:
                return 200, {
                    "default_workflow_permissions": "read",
                    "can_approve_pull_request_reviews": s.can_create_pulls,
                }
            case ["pages"]:
                if s.pages_build_type is None:
                    return 404, {"message": "Not Found", "status": "404"}
                html = f"https://{self.owner}.github.io/{self.repo}/"
                return 200, {"url": "", "status": "built", "html_url": html, "build_type": s.pages_build_type}
            case ["actions", "secrets" | "organization-secrets" as kind]:
                names = sorted(s.secrets if kind == "secrets" else s.org_secrets)
                return 200, {"total_count": len(names), "secrets": [{"name": n} for n in names]}
            case ["actions", "workflows"]:
                flows = [
                    {"id": i, "name": n, "path": f".github/workflows/{n}.yml", "state": st}
                    for i, (n, st) in enumerate(sorted(s.workflows.items()), 1)
                ]
                return 200, {"total_count": len(flows), "workflows": flows}
            case ["rules", "branches", *branch]:
                name = "/".join(branch)
                rules = [
                    {
                        "type": t,
                        "ruleset_source_type": "Repository",
                        "ruleset_source": f"{self.owner}/{self.repo}",
                        "ruleset_id": rid,
                    }
                    for rid, pattern, types in s.rulesets
                    if fnmatch.fnmatch(name, pattern)
                    for t in types
                ]
                return 200, rules
            case ["branches", *branch, "protection"]:
                name = "/".join(branch)
                return (200, {"enabled": True}) if name in s.protected else (404, {"message": "Branch not protected"})
            case ["branches", *branch]:
                name = "/".join(branch)
                return (
                    (200, {"name": name, "protected": name in s.protected})
                    if name in s.branches
                    else (404, {"message": "Branch not found"})
                )
        return None
