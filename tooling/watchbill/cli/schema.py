"""``watchbill schema``"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..validate.schema import stale_schemas, write_schemas
from .common import err, find_root, out


def schema_command(
    directory: Annotated[
        Path | None, typer.Argument(help="Where to write (default: tooling/schemas in the repository).")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Only report schemas that are out of date.")] = False,
) -> None:
    """Write a JSON Schema per kind of file, for editors (yaml-language-server) to check as you type.

    Exit 0 when written (or, with --check, up to date), 1 when out of date or a file cannot be written."""
    target = directory or find_root(None) / "tooling" / "schemas"
    if check:
        stale = stale_schemas(target)
        for name in stale:
            err.print(f"{target / name}: out of date; run 'watchbill schema'", markup=False)
        raise typer.Exit(1 if stale else 0)
    for path in write_schemas(target):
        out.print(f"wrote {path}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("schema")(schema_command)
