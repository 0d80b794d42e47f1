"""Watchbill as a team installs it: ``init --source`` pins exactly one Watchbill, and a wheel built from this tree
carries every template and asset, installs with no index but a wheelhouse, and starts an organisation that
installs and validates the same way its workflows do."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from watchbill import __version__
from watchbill.cli import app
from watchbill.deploy.init import VENDOR

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tooling" / "watchbill"
AT = "2026-11-23T12:00:00Z"
GIT_SOURCE = "git+https://github.com/acme/watchbill@v0.1.0"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def init_with(target: Path, *extra: str) -> tuple[int, str]:
    return run("init", str(target), "--name", "Acme", "--github-org", "acme", "--at", AT, *extra)


def dependencies(org: Path) -> list[str]:
    deps: list[str] = tomllib.loads((org / "pyproject.toml").read_text())["project"]["dependencies"]
    return deps


def test_init_pins_this_exact_version_from_pypi_by_default(tmp_path: Path) -> None:
    code, output = init_with(tmp_path / "acme")
    assert code == 0, output
    assert dependencies(tmp_path / "acme") == [f"watchbill=={__version__}"]
    assert not (tmp_path / "acme" / VENDOR).exists()


def test_init_pins_a_git_tag(tmp_path: Path) -> None:
    code, output = init_with(tmp_path / "acme", "--source", GIT_SOURCE)
    assert code == 0, output
    assert dependencies(tmp_path / "acme") == [f"watchbill @ {GIT_SOURCE}"]


def test_init_vendors_a_wheel_and_pins_its_version(tmp_path: Path) -> None:
    wheel = tmp_path / "watchbill-0.2.0-py3-none-any.whl"
    wheel.write_bytes(b"PK not really a wheel")
    code, output = init_with(tmp_path / "acme", "--source", str(wheel))
    assert code == 0, output
    assert dependencies(tmp_path / "acme") == ["watchbill==0.2.0"]
    assert (tmp_path / "acme" / VENDOR / wheel.name).read_bytes() == wheel.read_bytes()
    assert f"{VENDOR}/{wheel.name}" in output


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("git+https://github.com/acme/watchbill", "pin a tag or commit"),
        ("git+https://github.com/acme/watchbill@", "pin a tag or commit"),
        ("missing/watchbill-0.2.0-py3-none-any.whl", "is none"),
        ("WHEEL_DIR/watchbill.whl", "is none"),
        ("WHEEL_DIR/other-0.2.0-py3-none-any.whl", "is none"),
        ("npm", "is none"),
    ],
)
def test_init_refuses_a_source_it_cannot_pin(tmp_path: Path, source: str, message: str) -> None:
    for name in ("watchbill.whl", "other-0.2.0-py3-none-any.whl"):
        (tmp_path / name).write_bytes(b"PK")
    code, output = init_with(tmp_path / "acme", "--source", source.replace("WHEEL_DIR", str(tmp_path)))
    assert code == 2, output
    assert message in output
    assert not (tmp_path / "acme").exists()


def test_the_source_option_is_documented() -> None:
    code, output = run("init", "--help")
    assert code == 0
    for word in ("--source", "pypi", "git+URL@TAG", "wheel"):
        assert word in output


def _sh(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _offline_env() -> dict[str, str]:
    """No pip configuration, no index, no virtualenv or path of the test run: what a fresh machine has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _package_files() -> set[str]:
    """Every file of the package as the work tree has it: modules, templates (``github/…`` too) and assets."""
    return {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix != ".pyc" and "__pycache__" not in path.parts
    }


@pytest.mark.slow
def test_a_built_wheel_installs_offline_and_starts_an_organisation_that_installs_and_validates(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    dist, wheelhouse, venv, org = (tmp_path / name for name in ("dist", "wheelhouse", "venv", "acme"))
    _sh(sys.executable, "-m", "build", "--outdir", dist, ROOT)
    [wheel], [sdist] = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert wheel.name == f"watchbill-{__version__}-py3-none-any.whl"
    _sh(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)

    files = _package_files()
    assert "watchbill/deploy/templates/init/github/workflows/probe.yml" in files
    assert "watchbill/site/assets/watchbill.css" in files
    with zipfile.ZipFile(wheel) as archive:
        assert files <= set(archive.namelist())
    with tarfile.open(sdist) as archive:
        assert {f"watchbill-{__version__}/tooling/{name}" for name in files} <= set(archive.getnames())

    # The machine's pip configuration may reach an index here: the wheelhouse is made once, then used offline.
    _sh(sys.executable, "-m", "pip", "download", "--quiet", "-d", wheelhouse, wheel, "hatchling")
    # An empty venv, filled by this pip through --python (seeding the venv's own pip costs ~9 s on this machine);
    # no bytecode compiling either: both are speed, neither changes what gets installed.
    _sh(sys.executable, "-m", "venv", "--without-pip", venv)
    python, watchbill, env = venv / "bin" / "python", venv / "bin" / "watchbill", _offline_env()
    pip = (sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-compile")
    offline = (*pip, "--no-index", "--find-links", wheelhouse)
    _sh(*offline, f"watchbill=={__version__}", env=env)
    _sh(watchbill, "init", org, "--name", "Acme", "--github-org", "acme", "--source", wheel, "--at", AT, env=env)
    assert (org / VENDOR / wheel.name).is_file()
    # What every workflow's "Install watchbill" step runs, without the index it has on GitHub.
    _sh(*offline, "--find-links", VENDOR, ".", cwd=org, env=env)
    installed = "import importlib.metadata as m; print(m.version('acme-incidents'), m.version('watchbill'))"
    assert _sh(python, "-c", installed, env=env).split() == ["0", __version__]
    _sh(watchbill, "validate", "--at", AT, cwd=org, env=env)
    print(f"build, wheelhouse, clean install, init, org install and validate: {time.monotonic() - started:.1f}s")
