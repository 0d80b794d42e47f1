"""``watchbill validate``"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from .common import AtOption, err, fail, find_root, instant, out
from .output import emit

if TYPE_CHECKING:  # imported when the command runs, so 'validate --help' stays light
    from ..validate import Report

ValidateFormat = Literal["text", "json", "github"]


def validate_command(
    path: Annotated[Path | None, typer.Argument(help="Organisation root (default: the repository).")] = None,
    fmt: Annotated[
        ValidateFormat,
        typer.Option("--format", "-f", help="Output format: text, json, or github (workflow annotations)."),
    ] = "text",
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Check every file again.")] = False,
    at: AtOption = None,
) -> None:
    """Check every file against its model and the organisation as a whole.

    Exit 0 when clean, 1 when there are errors (or warnings with --strict), 2 on a usage error.

    --format json prints one object: at, files_checked, files_cached, error_count, warning_count and problems,
    a list of {path, line, column, level, message, rule} sorted by path and position. --format github prints
    one workflow command per problem, which GitHub shows on the pull request's diff.
    """
    root = find_root(path)
    if not root.is_dir():
        fail(f"{root} is not a directory", code=2)
    from ..problems import render
    from ..validate import validate

    now = instant(at)
    started = time.perf_counter()
    report = validate(root, now=now, use_cache=not no_cache)
    elapsed = time.perf_counter() - started
    if fmt == "github":
        _print(render(report.problems, "github"))
    else:
        emit(fmt, _data(report, now), lambda: _text(report, elapsed))
    raise typer.Exit(0 if report.passes(strict=strict) else 1)


def _data(report: Report, now: datetime) -> dict[str, Any]:
    return {
        "at": now,
        "files_checked": report.files_checked,
        "files_cached": report.files_cached,
        "error_count": len(report.errors),
        "warning_count": len(report.warnings),
        "problems": report.problems,
    }


def _text(report: Report, elapsed: float) -> None:
    from ..problems import render

    _print(render(report.problems, "text"))
    err.print(
        f"{report.files_checked} files checked ({report.files_cached} unchanged) in {elapsed:.2f}s: "
        f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)",
        markup=False,
    )


def _print(text: str) -> None:
    if text:
        out.print(text, markup=False)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)
