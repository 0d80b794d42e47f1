"""The manual: its generated reference pages match the code, it builds strictly, and the README stays a door."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from watchbill.cli.reference import PAGES, REGENERATE, main, stale_pages

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "tooling" / "docs"
REFERENCE = DOCS / "docs" / "reference"
README = REPO / "README.md"


def test_the_committed_reference_pages_match_the_commands_models_and_rules() -> None:
    stale = stale_pages(REFERENCE)
    assert stale == [], (
        f"{', '.join(stale)} in {REFERENCE.relative_to(REPO)} no longer match the code; regenerate with "
        f"`.venv/bin/{REGENERATE}` from the repository's root and commit the result"
    )


def test_the_cli_reference_names_every_command_and_option(tmp_path: Path) -> None:
    assert main(["--write", str(tmp_path)]) == 0
    page = (tmp_path / "cli.md").read_text(encoding="utf-8")
    for heading in ("## `watchbill validate`", "### `watchbill oncall calendar`", "### `watchbill probe merge`"):
        assert heading in page
    assert "- `--branches / --no-branches` (option):" in page
    assert "[default: origin/main]" in page
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(PAGES)


def test_the_manual_builds_with_mkdocs_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(DOCS / "mkdocs.yml"), "-d", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "reference" / "cli" / "index.html").is_file()
    assert (tmp_path / "getting-started" / "index.html").is_file()


def test_the_readme_is_at_most_10_kb_and_every_link_in_it_resolves() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) <= 10 * 1024
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [target for target in targets if "://" not in target]
    assert local, "the README links into the manual"
    missing = [target for target in local if not (REPO / target).exists()]
    assert missing == []


def test_the_readmes_two_commands_are_the_scripts_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    assert "bash tooling/scripts/demo.sh" in text
    assert "bash tooling/scripts/test.sh" in text
    assert "bash tooling/scripts/test.sh" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
