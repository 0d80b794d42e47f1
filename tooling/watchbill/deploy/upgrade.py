"""``watchbill upgrade``: move an organisation to the Watchbill that runs this command, as one reviewable change.

What Watchbill owns in an organisation's repository is replaced wholesale: the workflows, the issue form
intake reads, the pull-request template, the JSON Schemas, and the one pinned requirement in pyproject.toml
(its comments and everything else in the file are kept). The organisation's data (policies, schedules,
incidents) is never touched. Nothing is committed: the person reviews ``git diff`` and opens a pull request,
which is exactly how a protected ``main`` wants it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import RequestError
from ..files.atomic import write_bytes_atomic, write_text_atomic
from ..validate.schema import write_schemas
from .init import VENDOR, requirement, shipped_files

OWNED = (".github/workflows/", ".github/ISSUE_TEMPLATE/", ".github/pull_request_template.md")
"""Shipped files Watchbill owns and replaces; the rest of what ``init`` wrote belongs to the team."""
_PINNED = re.compile(r"""(?P<quote>["'])watchbill\s*(?:==|@|>=|~=)[^"']*(?P=quote)""")


@dataclass(frozen=True)
class Upgrade:
    requirement_before: str
    requirement_after: str
    changed: list[str]
    """Paths relative to the repository, sorted; empty when it was already up to date."""


def upgrade(root: Path, *, source: str = "pypi") -> Upgrade:
    """Rewrite what Watchbill owns to this version's; say what changed."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise RequestError(f"{pyproject} is missing: run upgrade at the top of a repository made by 'watchbill init'")
    text = pyproject.read_text(encoding="utf-8")
    matches = list(_PINNED.finditer(text))
    if len(matches) != 1:
        raise RequestError(f"{pyproject} must depend on watchbill exactly once; found {len(matches)} requirement(s)")
    wanted = requirement(source)
    before = matches[0].group(0)[1:-1]
    changed: list[str] = []
    if before != wanted.line:
        quote = matches[0].group("quote")
        write_text_atomic(pyproject, text.replace(matches[0].group(0), f"{quote}{wanted.line}{quote}", 1))
        changed.append("pyproject.toml")
    for relative, shipped in sorted(shipped_files().items()):
        if relative.startswith(OWNED) and _write_if_different(root / relative, shipped):
            changed.append(relative)
    changed.extend(_schemas(root))
    if wanted.wheel is not None:
        changed.extend(_vendor(root, wanted.wheel))
    return Upgrade(before, wanted.line, sorted(changed))


def _write_if_different(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    write_text_atomic(path, text)
    return True


def _schemas(root: Path) -> list[str]:
    folder = root / "tooling" / "schemas"
    before = {p.name: p.read_bytes() for p in folder.glob("*.json")} if folder.is_dir() else {}
    written = write_schemas(folder)
    return [p.relative_to(root).as_posix() for p in written if before.get(p.name) != p.read_bytes()]


def _vendor(root: Path, wheel: Path) -> list[str]:
    """Only the wheel the pin names stays in vendor/, so pip cannot pick an older one."""
    folder = root / VENDOR
    changed = []
    for old in sorted(folder.glob("watchbill-*.whl")) if folder.is_dir() else []:
        if old.name != wheel.name:
            old.unlink()
            changed.append(old.relative_to(root).as_posix())
    target = folder / wheel.name
    if not target.is_file() or target.read_bytes() != wheel.read_bytes():
        write_bytes_atomic(target, wheel.read_bytes())
        changed.append(target.relative_to(root).as_posix())
    return changed
