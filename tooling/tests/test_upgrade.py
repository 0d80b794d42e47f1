"""``watchbill upgrade``: an organisation made by an older Watchbill is moved to this one as one reviewable
change, touching only what Watchbill owns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from watchbill import __version__
from watchbill.cli import app
from watchbill.deploy.init import Skeleton, init
from watchbill.fields import parse_instant

AT = "2026-11-20T10:00:00Z"
PROBE = ".github/workflows/probe.yml"


@pytest.fixture
def old_org(tmp_path: Path) -> Path:
    """A repository as an older release left it: an older pin, a workflow of that release, its own policies."""
    root = tmp_path / "acme"
    init(root, Skeleton(organisation="Acme", github_org="acme"), now=parse_instant(AT))
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(f"watchbill=={__version__}", "watchbill==0.0.9"))
    (root / PROBE).write_text("# the workflow of an older release\n")
    (root / "policies" / "services.yaml").write_text((root / "policies" / "services.yaml").read_text() + "# ours\n")
    return root


def upgrade(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["upgrade", "--root", str(root), *args])
    return result.exit_code, result.output


def test_upgrade_repins_and_restores_what_watchbill_owns_and_nothing_else(old_org: Path) -> None:
    services_before = (old_org / "policies" / "services.yaml").read_text()
    code, output = upgrade(old_org, "--format", "json")
    assert code == 0, output
    report = json.loads(output)
    assert report["requirement_before"] == "watchbill==0.0.9"
    assert report["requirement_after"] == f"watchbill=={__version__}"
    assert report["changed"] == [PROBE, "pyproject.toml"]
    text = (old_org / "pyproject.toml").read_text()
    assert f'dependencies = ["watchbill=={__version__}"]' in text and text.startswith("# Lets the workflows")
    assert (old_org / PROBE).read_text() == (Path(__file__).resolve().parents[2] / PROBE).read_text()
    assert (old_org / "policies" / "services.yaml").read_text() == services_before


def test_a_second_upgrade_changes_nothing(old_org: Path) -> None:
    upgrade(old_org)
    code, output = upgrade(old_org)
    assert code == 0 and "Already up to date" in output


def test_upgrade_to_a_git_tag_pins_it(old_org: Path) -> None:
    code, _ = upgrade(old_org, "--source", "git+https://github.com/acme/watchbill@v9.9.9")
    assert code == 0
    assert '"watchbill @ git+https://github.com/acme/watchbill@v9.9.9"' in (old_org / "pyproject.toml").read_text()


def test_upgrade_to_a_wheel_keeps_only_that_wheel_in_vendor(old_org: Path, tmp_path: Path) -> None:
    (old_org / "vendor").mkdir()
    (old_org / "vendor" / "watchbill-0.0.9-py3-none-any.whl").write_bytes(b"old")
    wheel = tmp_path / f"watchbill-{__version__}-py3-none-any.whl"
    wheel.write_bytes(b"new wheel")
    code, output = upgrade(old_org, "--source", str(wheel))
    assert code == 0, output
    assert sorted(p.name for p in (old_org / "vendor").iterdir()) == [wheel.name]


def test_a_repository_without_the_pin_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = []\n')
    code, output = upgrade(tmp_path)
    assert code == 1 and "must depend on watchbill exactly once" in output
    code, output = upgrade(tmp_path / "nowhere")
    assert code == 1 and "is missing" in output
