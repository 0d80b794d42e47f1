"""``watchbill init``: a new organisation repository that validates, with the workflows already in place.

The skeleton lives in ``templates/init`` as package data. Files ending in ``.tmpl`` have their
``{{ name }}`` placeholders filled in (YAML's ``${SECRET}`` references pass through); everything else,
the workflows above all, is copied byte for byte, so every organisation runs the same reviewed
workflows as Watchbill's own repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .. import __version__
from ..errors import UsageError
from ..fields import check_timezone, zone
from ..files.atomic import write_bytes_atomic, write_text_atomic
from ..validate.schema import write_schemas

TEMPLATE_PACKAGE = "watchbill.deploy"
TEMPLATE_DIR = ("templates", "init")
RENAMES = {"github": ".github", "gitignore": ".gitignore"}
"""Stored without a leading dot so packaging tools never drop them as hidden files."""
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_PLACEHOLDER = re.compile(r"\{\{ ([a-z_]+) \}\}")
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


class InitError(UsageError):
    """The target or an option is unusable; nothing was written."""


@dataclass(frozen=True)
class Skeleton:
    organisation: str
    github_org: str
    timezone: str = "UTC"
    person_id: str = "oncall"
    person_name: str = "On-call engineer"
    url: str = "https://example.com/"
    sre_team: str = "sre"
    incident_team: str = "incident-commanders"
    source: str = "pypi"
    """Where the organisation's workflows install Watchbill from: ``pypi``, ``git+URL@TAG``, or a wheel's path."""
    status_url: str = ""
    """Where readers open the status site (``status_page.url``); empty: the GitHub Pages address of the repository
    (``https://ORG.github.io/FOLDER/``), which ``init`` derives from the GitHub organisation and the folder name."""


@dataclass(frozen=True)
class Requirement:
    """The one line the new repository's pyproject.toml depends on, and a wheel to vendor beside it."""

    line: str
    wheel: Path | None = None


VENDOR = "vendor"
"""Where a wheel given as ``--source`` is copied; the workflows install with ``--find-links vendor``."""
_WHEEL = re.compile(r"^watchbill-(?P<version>[0-9][0-9A-Za-z.+!-]*?)-[^-]+-[^-]+-[^-]+\.whl$")


def requirement(source: str, version: str = __version__) -> Requirement:
    """Pin exactly one Watchbill: a team upgrades by a reviewed change, never by a new release appearing."""
    if source == "pypi":
        return Requirement(f"watchbill=={version}")
    if source.startswith("git+"):
        url, at, ref = source.rpartition("@")
        if not at or "/" in ref or not ref or "://" not in url:
            raise InitError(
                f"pin a tag or commit in '{source}', e.g. git+https://github.com/OWNER/watchbill@v{version}"
            )
        return Requirement(f"watchbill @ {source}")
    wheel = Path(source)
    match = _WHEEL.match(wheel.name)
    if not match or not wheel.is_file():
        raise InitError(f"--source is 'pypi', 'git+URL@TAG' or the path of a watchbill wheel; '{source}' is none")
    return Requirement(f"watchbill=={match.group('version')}", wheel)


def template_root() -> Traversable:
    root = resources.files(TEMPLATE_PACKAGE)
    for part in TEMPLATE_DIR:
        root = root.joinpath(part)
    return root


def _walk(node: Traversable, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Traversable]]:
    found: list[tuple[tuple[str, ...], Traversable]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        if child.is_dir():
            found.extend(_walk(child, (*prefix, child.name)))
        else:
            found.append(((*prefix, child.name), child))
    return found


def target_path(parts: tuple[str, ...]) -> str:
    """Where a template file lands in the new repository (``github/x`` -> ``.github/x``, ``.tmpl`` dropped)."""
    mapped = [RENAMES.get(parts[0], parts[0]), *parts[1:]]
    if mapped[-1].endswith(".tmpl"):
        mapped[-1] = mapped[-1][: -len(".tmpl")]
    return "/".join(mapped)


def shipped_files() -> dict[str, str]:
    """Files copied verbatim (target path -> text): what the repository's own copies must equal."""
    return {
        target_path(parts): node.read_text(encoding="utf-8")
        for parts, node in _walk(template_root())
        if not parts[-1].endswith(".tmpl")
    }


def _check(skeleton: Skeleton) -> None:
    if not skeleton.organisation.strip() or len(skeleton.organisation) > 100 or "\n" in skeleton.organisation:
        raise InitError("the organisation's name must be one line of at most 100 characters")
    if not _GITHUB_NAME.match(skeleton.github_org):
        raise InitError(f"'{skeleton.github_org}' is not a GitHub organisation name (letters, digits and '-')")
    for label, value in (
        ("person id", skeleton.person_id),
        ("SRE team", skeleton.sre_team),
        ("incident team", skeleton.incident_team),
    ):
        if not _SLUG.match(value):
            raise InitError(f"the {label} '{value}' must be lower-case letters, digits, '-' or '_'")
    try:
        check_timezone(skeleton.timezone)
    except ValueError as exc:
        raise InitError(str(exc)) from None
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", skeleton.url):
        raise InitError(f"'{skeleton.url}' is not an http(s) URL for the example probe")
    if skeleton.status_url and not re.match(r"^https?://[^\s/$.?#][^\s'\"#]*$", skeleton.status_url):
        raise InitError(f"'{skeleton.status_url}' is not an http(s) URL for the status site")
    if any(ch in skeleton.organisation + skeleton.person_name for ch in "\"'#:{}[]&*!|>%@`"):
        raise InitError("names may not contain YAML punctuation such as : # ' \" { } [ ]")


def _values(skeleton: Skeleton, now: datetime) -> dict[str, str]:
    local = now.astimezone(zone(skeleton.timezone))
    monday = (local - timedelta(days=local.weekday())).replace(hour=10, minute=0, second=0, microsecond=0)
    if monday > local:
        monday -= timedelta(weeks=1)
    package = re.sub(r"[^a-z0-9]+", "-", skeleton.organisation.lower()).strip("-") or "organisation"
    return {
        "organisation": skeleton.organisation.strip(),
        "timezone": skeleton.timezone,
        "person_id": skeleton.person_id,
        "person_name": skeleton.person_name.strip(),
        "url": skeleton.url,
        "status_url": skeleton.status_url or pages_url(skeleton.github_org, "status"),
        "start": monday.isoformat(),
        "sre_team": f"@{skeleton.github_org}/{skeleton.sre_team}",
        "incident_team": f"@{skeleton.github_org}/{skeleton.incident_team}",
        "package": f"{package}-incidents",
        "requirement": requirement(skeleton.source).line,
    }


def pages_url(github_org: str, repository: str) -> str:
    """GitHub Pages' address of a project site, where the shipped site workflow publishes."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", repository).strip("-") or "status"
    return f"https://{github_org.lower()}.github.io/{name}/"


def fill(text: str, values: dict[str, str]) -> str:
    """Replace ``{{ name }}``; an unknown name is a bug in the template, so it fails loudly."""

    def value(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return _PLACEHOLDER.sub(value, text)


def render(skeleton: Skeleton, now: datetime) -> dict[str, str]:
    """Every file of the new repository, as target path -> text."""
    _check(skeleton)
    values = _values(skeleton, now)
    files: dict[str, str] = {}
    for parts, node in _walk(template_root()):
        text = node.read_text(encoding="utf-8")
        if parts[-1].endswith(".tmpl"):
            text = fill(text, values)
        files[target_path(parts)] = text
    return files


def init(directory: Path, skeleton: Skeleton, *, now: datetime) -> list[Path]:
    """Write the skeleton into an empty (or new) folder, plus the JSON Schemas its modelines point at."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InitError(f"{directory} is not an empty folder; choose a new one")
    if not skeleton.status_url:
        skeleton = replace(skeleton, status_url=pages_url(skeleton.github_org, directory.resolve().name))
    files = render(skeleton, now)
    written: list[Path] = []
    for relative, text in files.items():
        path = directory / relative
        write_text_atomic(path, text)
        written.append(path)
    written.extend(write_schemas(directory / "tooling" / "schemas"))
    wheel = requirement(skeleton.source).wheel
    if wheel is not None:
        vendored = directory / VENDOR / wheel.name
        write_bytes_atomic(vendored, wheel.read_bytes())
        written.append(vendored)
    return written
