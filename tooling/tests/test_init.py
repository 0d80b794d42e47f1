"""``watchbill init``: a new organisation that validates clean, carries the shipped workflows, and works with
every incident verb from its first commit."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support.org_repo import publish
from typer.testing import CliRunner

from watchbill import __version__
from watchbill.cli import app
from watchbill.deploy.init import InitError, Skeleton, init, shipped_files
from watchbill.validate import validate

AT = "2026-11-23T12:00:00Z"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def new_org(tmp_path: Path) -> Path:
    target = tmp_path / "acme"
    code, output = run(
        "init",
        str(target),
        "--name",
        "Acme Widgets",
        "--github-org",
        "acme",
        "--timezone",
        "America/Chicago",
        "--person-id",
        "dana",
        "--person-name",
        "Dana Scully",
        "--at",
        AT,
    )
    assert code == 0, output
    return target


def test_a_new_organisation_validates_without_errors_or_warnings(new_org: Path) -> None:
    from datetime import UTC, datetime

    report = validate(new_org, now=datetime(2026, 11, 23, 12, tzinfo=UTC), use_cache=False)
    assert report.problems == []
    assert report.files_checked == 7
    assert report.organisation.settings.organisation == "Acme Widgets"
    assert list(report.organisation.people) == ["dana"]


def test_the_cli_validates_the_new_organisation(new_org: Path) -> None:
    code, output = run("validate", str(new_org), "--no-cache", "--at", AT)
    assert code == 0, output


def test_a_new_organisation_gets_the_shipped_github_files_and_its_own_codeowners(new_org: Path) -> None:
    for relative, text in shipped_files().items():
        assert (new_org / relative).read_text(encoding="utf-8") == text
    codeowners = (new_org / ".github" / "CODEOWNERS").read_text()
    assert "/policies/            @acme/sre" in codeowners
    assert "/schedules/           @acme/sre" in codeowners
    assert (new_org / ".github" / "workflows" / "probe.yml").is_file()
    assert (new_org / "tooling" / "schemas" / "incident.schema.json").is_file()


def test_no_placeholder_is_left_unfilled(new_org: Path) -> None:
    for path in new_org.rglob("*"):
        if path.is_file() and path.suffix != ".json":
            assert "{{ " not in path.read_text(encoding="utf-8").replace("${{ ", ""), path


def test_the_new_repository_pins_exactly_the_watchbill_that_made_it(new_org: Path) -> None:
    project = tomllib.loads((new_org / "pyproject.toml").read_text())
    assert project["project"]["name"] == "acme-widgets-incidents"
    assert project["project"]["dependencies"] == [f"watchbill=={__version__}"]
    assert not (new_org / "vendor").exists()


def test_the_first_schedule_starts_at_the_last_monday_hand_off_before_init(new_org: Path) -> None:
    # 12:00 UTC is 06:00 in Chicago, before that Monday's 10:00 hand-off: the anchor is the week before.
    assert "start: 2026-11-16T10:00:00-06:00" in (new_org / "schedules" / "primary.yaml").read_text()


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    code, output = run("init", str(tmp_path), "--at", AT)
    assert code == 2
    assert "is not an empty folder" in output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"github_org": "acme/evil"}, "is not a GitHub organisation name"),
        ({"timezone": "Mars/Olympus"}, "is not a known time zone"),
        ({"person_id": "../root"}, "must be lower-case letters"),
        ({"organisation": "Acme: {evil}"}, "YAML punctuation"),
        ({"url": "file:///etc/passwd"}, r"is not an http\(s\) URL"),
    ],
)
def test_init_refuses_options_that_would_break_the_files(tmp_path: Path, change: dict[str, str], message: str) -> None:
    from datetime import UTC, datetime

    fields = {"organisation": "Acme", "github_org": "acme", **change}
    with pytest.raises(InitError, match=message):
        init(tmp_path / "x", Skeleton(**fields), now=datetime(2026, 11, 23, tzinfo=UTC))
    assert not (tmp_path / "x").exists()


def test_every_incident_verb_works_on_a_fresh_organisation(new_org: Path, tmp_path: Path) -> None:
    publish(new_org, tmp_path / "remote.git", "Start incident records")
    root = ["--root", str(new_org)]
    steps = [
        ["declare", "-t", "Website down", "-s", "SEV-1", "--service", "website", "--commander", "dana"],
        ["update", "INC-2026-0001", "--status", "identified", "-m", "The CDN rejects our certificate."],
        ["assign", "INC-2026-0001", "--scribe", "dana"],
        ["resolve", "INC-2026-0001", "-m", "Certificate renewed."],
        ["postmortem", "INC-2026-0001"],
        ["list"],
    ]
    for step in steps:
        code, output = run(*step, *root, "--at", "2026-11-23T12:30:00Z")
        assert code == 0, f"{step[0]}: {output}"
    code, output = run("validate", str(new_org), "--no-cache", "--at", "2026-11-23T12:30:00Z")
    assert code == 0, output


@pytest.mark.slow
def test_the_new_organisations_status_site_builds(new_org: Path, tmp_path: Path) -> None:
    code, output = run("site", "build", "--root", str(new_org), "--out", str(tmp_path / "site"), "--at", AT)
    assert code == 0, output
    page = (tmp_path / "site" / "index.html").read_text()
    assert 'data-md-color-media="(prefers-color-scheme: dark)"' in page  # dark mode, as the example's site
    assert 'data-md-color-scheme="slate"' in page


def test_init_under_a_regular_file_fails_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file, not a folder")
    code, output = run("init", str(tmp_path / "plain" / "acme"), "--at", AT)
    assert code == 1
    assert "cannot write" in output and "Not a directory" in output and "internal error" not in output
