"""``watchbill init DIR``: start a new organisation repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..deploy.init import Skeleton, init, pages_url
from ..deploy.upgrade import Upgrade, upgrade
from .common import AtOption, RootOption, find_root, instant, out
from .output import FormatOption, emit

SCHEMAS = "tooling/schemas/"
SourceOption = Annotated[
    str,
    typer.Option(
        "--source",
        help="Where the workflows install Watchbill: 'pypi' (this version, pinned), 'git+URL@TAG' "
        "(a tag or commit), or the path of a watchbill wheel (copied into vendor/).",
    ),
]


def _print_written(name: str, directory: Path, written: list[Path]) -> None:
    out.print(f"Created {name}'s incident repository in {directory} ({len(written)} files):", markup=False)
    for path in sorted(p.relative_to(directory).as_posix() for p in written):
        if not path.startswith(SCHEMAS):
            out.print(f"  {path}", markup=False)
    out.print(f"  {SCHEMAS}*.json (for editors)", markup=False)
    out.print("Next:", markup=False)
    out.print(
        f"  cd {directory} && git init -b main && git add -A && git commit -m 'Start incident records'", markup=False
    )
    out.print("  watchbill validate", markup=False)


def init_command(
    directory: Annotated[Path, typer.Argument(help="New, empty folder for the repository.", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="The organisation's name.")] = "Example Organisation",
    github_org: Annotated[
        str, typer.Option("--github-org", help="GitHub organisation, for CODEOWNERS teams.")
    ] = "example",
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone of the first schedule.")] = "UTC",
    person_id: Annotated[str, typer.Option("--person-id", help="Id of the first on-call person.")] = "oncall",
    person_name: Annotated[
        str, typer.Option("--person-name", help="Name of the first on-call person.")
    ] = "On-call engineer",
    url: Annotated[str, typer.Option("--url", help="URL the example probe checks.")] = "https://example.com/",
    status_url: Annotated[
        str,
        typer.Option(
            "--status-url",
            help="Where readers will open the status site (status_page.url); "
            "default: the GitHub Pages address, https://GITHUB-ORG.github.io/FOLDER/.",
        ),
    ] = "",
    source: SourceOption = "pypi",
    at: AtOption = None,
) -> None:
    """Write a minimal organisation that passes 'watchbill validate', with workflows, CODEOWNERS and forms."""
    skeleton = Skeleton(
        organisation=name,
        github_org=github_org,
        timezone=timezone,
        person_id=person_id,
        person_name=person_name,
        url=url,
        source=source,
        status_url=status_url,
    )
    written = init(directory, skeleton, now=instant(at))
    _print_written(name, directory, written)
    address = status_url or pages_url(github_org, directory.resolve().name)
    out.print(f"Status site address (status_page.url, change it for your own domain): {address}", markup=False)


def upgrade_command(source: SourceOption = "pypi", root: RootOption = None, fmt: FormatOption = "text") -> None:
    """Move this organisation to the Watchbill that runs the command: its pinned requirement, workflows, issue
    form, pull-request template and schemas. Data is never touched and nothing is committed: review
    'git diff', then open a pull request.

    JSON: {"requirement_before", "requirement_after", "changed": [path, ...]}.
    """
    result = upgrade(find_root(root), source=source)
    emit(fmt, {**vars(result)}, lambda: _print_upgrade(result))


def _print_upgrade(result: Upgrade) -> None:
    if not result.changed:
        out.print(f"Already up to date ({result.requirement_after}).", markup=False)
        return
    out.print(f"Upgraded {result.requirement_before} -> {result.requirement_after}; changed:", markup=False)
    for path in result.changed:
        out.print(f"  {path}", markup=False)
    out.print("Next: review 'git diff', commit on a branch and open a pull request.", markup=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init_command)
    app.command("upgrade")(upgrade_command)
