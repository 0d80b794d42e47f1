"""``watchbill doctor``: is this repository set up on GitHub so that Watchbill can work? Each finding names
the setting to change."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ..deploy.doctor import Checkup, doctor
from .common import AtOption, RootOption, find_root, instant, out
from .output import FormatOption, emit

_MARK = {"ok": "ok     ", "warning": "warning", "error": "ERROR  ", "unknown": "unknown"}


def doctor_command(
    repository: Annotated[
        str | None,
        typer.Option("--repository", help="owner/name (default: $GITHUB_REPOSITORY, else the origin remote)."),
    ] = None,
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Check the deployed repository: Actions, pull-request permission, Pages, secrets (names only), workflows,
    the data branch, rulesets and status_page.url. Needs a token that may read the repository's settings.

    Exits 1 when any finding is an error. JSON: {"repository", "healthy", "findings": [{"check", "level",
    "summary", "fix"}]}.
    """
    checkup = doctor(find_root(root), os.environ, now=instant(at), repository=repository)
    emit(
        fmt,
        {"repository": checkup.repository, "healthy": checkup.healthy, "findings": checkup.findings},
        lambda: _print(checkup),
    )
    if not checkup.healthy:
        raise typer.Exit(1)


def _print(checkup: Checkup) -> None:
    out.print(f"Watchbill doctor for {checkup.repository}", markup=False)
    for finding in checkup.findings:
        out.print(f"  {_MARK[finding.level]}  {finding.check:<16} {finding.summary}", markup=False)
        if finding.fix:
            out.print(f"  {'':7}  {'':16} fix: {finding.fix}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)
