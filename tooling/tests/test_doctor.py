"""``watchbill doctor`` against the local GitHub server with a new organisation's settings, then each setting
fixed: every misconfiguration is named with the setting to change, and a correct repository gets no finding."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.github_settings import RepositorySettings, SettingsGitHub
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.deploy.doctor import CREATE_PULLS_SETTING
from watchbill.deploy.init import Skeleton, init
from watchbill.fields import parse_instant

AT = "2026-11-20T10:00:00Z"
WORKFLOWS = ("escalate", "intake", "keepalive", "probe", "site", "validate")


@pytest.fixture
def org(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    init(root, Skeleton(organisation="Acme", github_org="acme"), now=parse_instant(AT))
    return root


def healthy() -> RepositorySettings:
    return RepositorySettings(
        can_create_pulls=True,
        pages_build_type="workflow",
        secrets={"WATCHBILL_SECRETS"},
        workflows=dict.fromkeys(WORKFLOWS, "active"),
        branches={"main", "watchbill-data"},
        rulesets=[(7, "main", ["pull_request", "non_fast_forward", "deletion"])],
    )


def set_status_url(root: Path, url: str = "https://example.github.io/ops/") -> None:
    """Point status_page.url at where the local server's Pages serves the site (init wrote its own guess)."""
    settings = root / "policies" / "settings.yaml"
    text = settings.read_text()
    assert "  url: " in text
    settings.write_text(re.sub(r"(?m)^  url: .*$", f"  url: {url}", text, count=1))


def doctor(root: Path, github: SettingsGitHub) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(
        app,
        ["doctor", "--root", str(root), "--format", "json", "--at", AT],
        env={**github.env(), "GH_TOKEN": github.token},
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def by_check(report: dict[str, object]) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for finding in report["findings"]:  # type: ignore[attr-defined]
        found.setdefault(finding["check"], []).append(finding)
    return found


def test_a_correct_repository_gets_no_finding(org: Path) -> None:
    set_status_url(org)
    with SettingsGitHub(healthy()) as github:
        code, report = doctor(org, github)
    assert code == 0 and report["healthy"] is True
    assert {f["level"] for f in report["findings"]} == {"ok"}  # type: ignore[attr-defined]


def test_a_new_organisations_defaults_are_each_named_with_the_setting_to_change(org: Path) -> None:
    settings = RepositorySettings(workflows={"probe": "disabled_inactivity", "site": "active"})
    with SettingsGitHub(settings) as github:
        code, report = doctor(org, github)
    found = by_check(report)
    assert code == 1 and report["healthy"] is False
    [pulls] = found["pull-requests"]
    assert pulls["level"] == "error" and pulls["fix"] == CREATE_PULLS_SETTING
    assert 'Workflow permissions → "Allow GitHub Actions to create and approve pull requests"' in pulls["fix"]
    assert found["pages"][0]["fix"] == "Settings → Pages → Build and deployment → Source: 'GitHub Actions'"
    assert found["status-page-url"][0]["level"] == "ok"  # init wrote one; Pages is off, so nothing to compare
    [secret] = found["secrets"]
    assert secret["level"] == "error" and "WATCHBILL_SECRETS" in secret["fix"]
    [stale] = found["workflows"]
    assert stale["level"] == "error" and "60 days" in stale["summary"] and "probe" in stale["fix"]
    assert found["data-branch"][0]["level"] == "warning"
    assert (
        found["base-protection"][0]["level"] == "warning"
        and "Require a pull request" in found["base-protection"][0]["fix"]
    )
    assert found["actions"][0]["level"] == "ok" and found["branch-rules"][0]["level"] == "ok"


@pytest.mark.parametrize(
    ("change", "check", "words"),
    [
        ({"actions_enabled": False}, "actions", "Allow all actions"),
        ({"allowed_actions": "local_only"}, "actions", "GitHub-authored"),
        ({"pages_build_type": "legacy"}, "pages", "Source: 'GitHub Actions'"),
        ({"secrets": {"WATCHBILL_SECRETS", "WATCHBILL_GITHUB_APP_ID"}}, "secrets", "WATCHBILL_GITHUB_APP_PRIVATE_KEY"),
        ({"rulesets": [(9, "watchbill-data", ["required_signatures"])]}, "branch-rules", "exclude 'watchbill-data'"),
        ({"rulesets": [(9, "watchbill/**", ["pull_request"])]}, "branch-rules", "ruleset 9"),
        ({"rulesets": [(9, "*", ["creation"])]}, "branch-rules", "exclude"),
    ],
)
def test_each_misconfiguration_is_an_error_with_its_fix(
    org: Path, change: dict[str, object], check: str, words: str
) -> None:
    set_status_url(org)
    settings = healthy()
    for name, value in change.items():
        setattr(settings, name, settings.rulesets + value if name == "rulesets" else value)  # type: ignore[operator]
    with SettingsGitHub(settings) as github:
        code, report = doctor(org, github)
    errors = [f for f in by_check(report)[check] if f["level"] == "error"]
    assert code == 1 and errors, report
    assert any(words in (f["fix"] or "") for f in errors), errors
    others = [f for f in report["findings"] if f["check"] != check]  # type: ignore[attr-defined]
    assert {f["level"] for f in others} == {"ok"}, others


def test_a_github_app_makes_the_pull_request_setting_unnecessary(org: Path) -> None:
    set_status_url(org)
    settings = healthy()
    settings.can_create_pulls = False
    settings.secrets |= {"WATCHBILL_GITHUB_APP_ID", "WATCHBILL_GITHUB_APP_PRIVATE_KEY"}
    with SettingsGitHub(settings) as github:
        code, report = doctor(org, github)
    assert code == 0 and by_check(report)["pull-requests"][0]["summary"].startswith("a GitHub App")


def test_force_push_protection_on_the_data_branch_is_a_warning_about_squash(org: Path) -> None:
    set_status_url(org)
    settings = healthy()
    settings.rulesets.append((11, "watchbill-*", ["non_fast_forward"]))
    with SettingsGitHub(settings) as github:
        code, report = doctor(org, github)
    [warning] = [f for f in by_check(report)["branch-rules"] if f["level"] == "warning"]
    assert code == 0 and "--squash" in warning["summary"]


def test_a_token_without_admin_access_gives_unknown_never_ok(org: Path) -> None:
    set_status_url(org)
    settings = healthy()
    settings.admin = False
    with SettingsGitHub(settings) as github:
        _, report = doctor(org, github)
    found = by_check(report)
    for check in ("actions", "pull-requests", "secrets"):
        assert [f["level"] for f in found[check]] == ["unknown"], found[check]
        assert "Administration: read" in found[check][0]["fix"]


def test_secret_values_are_never_requested(org: Path) -> None:
    with SettingsGitHub(healthy()) as github:
        doctor(org, github)
        paths = [path for _, path in github.calls]
    assert all("/secrets/" not in path for path in paths), paths  # names are listed; no secret is fetched
    assert all(method == "GET" for method, _ in github.calls)


def test_text_output_names_each_fix(org: Path) -> None:
    with SettingsGitHub(RepositorySettings()) as github:
        result = CliRunner().invoke(
            app, ["doctor", "--root", str(org), "--at", AT], env={**github.env(), "GH_TOKEN": github.token}
        )
    assert result.exit_code == 1
    assert "ERROR" in result.stdout and "fix: " + CREATE_PULLS_SETTING in result.stdout


def test_a_status_page_url_that_is_not_where_pages_serves_the_site_is_named(org: Path) -> None:
    set_status_url(org, "https://status.acme.example/")
    with SettingsGitHub(healthy()) as github:
        code, report = doctor(org, github)
    [finding] = by_check(report)["status-page-url"]
    assert code == 0 and finding["level"] == "warning"
    assert finding["fix"] == "policies/settings.yaml → status_page: url: https://example.github.io/ops/"
