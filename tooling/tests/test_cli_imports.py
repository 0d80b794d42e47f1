"""What the CLI imports: ``--help`` loads no command's dependencies, ``validate`` only its own; the registry of
commands in ``watchbill.cli`` agrees with what each command module registers."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import watchbill.cli
from watchbill.cli import COMMANDS, load_module_commands

REPO = Path(__file__).resolve().parents[2]
HEAVY = {"httpx", "httpcore", "git", "icalendar", "dns", "apprise", "jinja2", "markdown"}
"""Dependencies of single commands (probes, forge, iCalendar, notifications, the site)."""


def imported_by(*args: str, cache: Path | None = None) -> set[str]:
    """Top-level packages and watchbill modules in ``sys.modules`` after running the CLI in a fresh process."""
    code = (
        "import json, sys\n"
        "from watchbill.cli import app\n"
        "try:\n"
        f"    app({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('\\n' + json.dumps(sorted(sys.modules)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "WATCHBILL_NOW": "2026-11-23T12:00:00Z", "HOME": str(REPO / ".nohome")}
    if cache is not None:
        env["WATCHBILL_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    return {m for m in modules if m.startswith("watchbill.")} | {m.split(".")[0] for m in modules}


@pytest.mark.slow
def test_help_imports_no_command_and_no_model() -> None:
    loaded = imported_by("--help")
    assert not loaded & (HEAVY | {"pydantic", "ruamel", "_ruamel_yaml", "croniter"})
    assert {m for m in loaded if m.startswith("watchbill.")} == {
        "watchbill.cli",
        "watchbill.errors",
        "watchbill.secrets",
    }


@pytest.mark.slow
def test_help_renders_without_rich() -> None:
    # rich's help renderer (typer.rich_utils: markdown, syntax, tracebacks, attrs) costs more than the rest of
    # start-up together; the help is click's plain text
    assert not imported_by("--help") & {"rich", "markdown_it", "pygments", "attr"}


LIBRARY = {"watchbill.models", "watchbill.validate", "watchbill.organisation", "watchbill.fields", "watchbill.oncall"}
"""What running a command loads, and asking for its help does not."""


@pytest.mark.slow
@pytest.mark.parametrize("command", [["validate"], ["oncall"], ["oncall", "calendar"], ["oncall", "report"]])
def test_a_commands_help_imports_its_command_module_and_no_library(command: list[str]) -> None:
    loaded = imported_by(*command, "--help")
    assert f"watchbill.cli.{command[0]}" in loaded
    assert not loaded & (HEAVY | LIBRARY | {"ruamel", "_ruamel_yaml", "croniter", "yaml"})
    assert not {m for m in loaded if m.startswith("watchbill.") and not m.startswith("watchbill.cli")} - {
        "watchbill.errors",
        "watchbill.secrets",
    }


@pytest.mark.slow
def test_the_calendar_loads_no_icalendar(tmp_path: Path) -> None:
    args = ("oncall", "calendar", "--root", str(REPO), "--from", "2026-11-23", "--to", "2026-11-24")
    loaded = imported_by(*args, cache=tmp_path)
    assert "watchbill.oncall.queries" in loaded
    assert not loaded & {"icalendar", "httpx", "git", "apprise", "dns", "jinja2"}


@pytest.mark.slow
def test_validate_imports_what_validation_needs_and_nothing_else() -> None:
    loaded = imported_by("validate", str(REPO), "--no-cache")
    assert not loaded & HEAVY
    assert "watchbill.validate" in loaded and "pydantic" in loaded
    assert not {m for m in loaded if m.startswith(("watchbill.forge", "watchbill.probes", "watchbill.site"))}


def _command_modules() -> list[str]:
    modules = []
    for info in pkgutil.iter_modules(watchbill.cli.__path__):
        source = (Path(watchbill.cli.__path__[0]) / f"{info.name}.py").read_text(encoding="utf-8")
        if "\ndef register(app" in source:
            modules.append(info.name)
    return modules


@pytest.mark.parametrize("module", _command_modules())
def test_every_registered_command_is_in_the_registry_with_its_own_help(module: str) -> None:
    for name, command in load_module_commands(module).items():
        assert name in COMMANDS, f"add {name!r} to watchbill.cli.COMMANDS"
        assert COMMANDS[name] == (module, command.get_short_help_str(limit=300)), name


def test_every_registry_entry_names_a_command_its_module_registers() -> None:
    for name, (module, _) in COMMANDS.items():
        assert name in load_module_commands(module), f"{module}.register does not add {name!r}"
