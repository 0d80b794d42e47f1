"""``watchbill validate``"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Literal

import typer

from ..problems import render
from ..validate import validate
from .common import AtOption, err, find_root, instant, out


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate_command(
        path: Annotated[Path | None, typer.Argument(help="Organisation root (default: the repository).")] = None,
        fmt: Annotated[
            Literal["text", "json", "github"], typer.Option("--format", "-f", help="Output format.")
        ] = "text",
        strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Check every file again.")] = False,
        at: AtOption = None,
    ) -> None:
        """Check every file against its model and the organisation as a whole.

        Exit 0 when clean, 1 when there are errors (or warnings with --strict), 2 on a usage error.
        """
        root = find_root(path)
        if not root.is_dir():
            err.print(f"error: {root} is not a directory", markup=False)
            raise typer.Exit(2)
        started = time.perf_counter()
        report = validate(root, now=instant(at), use_cache=not no_cache)
        elapsed = time.perf_counter() - started
        text = render(report.problems, fmt)
        if text:
            out.print(text, markup=False)
        if fmt == "text":
            summary = (
                f"{report.files_checked} files checked ({report.files_cached} unchanged) in {elapsed:.2f}s: "
                f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
            )
            err.print(summary, markup=False)
        failed = bool(report.errors) or (strict and bool(report.warnings))
        raise typer.Exit(1 if failed else 0)
