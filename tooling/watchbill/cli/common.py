"""What every command shares: finding the organisation's root, the clock, and clean failure."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO

import typer

from ..errors import UsageError, WatchbillError

if TYPE_CHECKING:  # the library is imported where a command runs, so '<command> --help' stays light
    from rich.console import Console

    from ..organisation import Organisation
    from ..problems import Problem


class Terminal:
    """Where a command prints: plain lines (nearly all output) go straight to the stream, and rich's Console
    (~20 ms to import) is made only for what needs it: markup, tables, the terminal's width."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def file(self) -> TextIO:
        return sys.stderr if self._stderr else sys.stdout

    @property
    def rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False, soft_wrap=True, emoji=False)
        return self._console

    @property
    def width(self) -> int:
        return self.rich.width

    def print(self, *objects: Any, markup: bool | None = None, end: str = "\n", **options: Any) -> None:
        if not options and all(isinstance(o, str) for o in objects):
            text = " ".join(objects)
            # what rich would change: markup (on unless turned off) and tabs (expanded)
            if (markup is False or "[" not in text) and "\t" not in text:
                self.file.write(text + end)
                return
        self.rich.print(*objects, markup=markup, end=end, **options)


out = Terminal()
err = Terminal(stderr=True)

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        "-C",
        help="Organisation repository (default: $WATCHBILL_ROOT, else the git top level).",
        show_default=False,
    ),
]
RemoteOption = Annotated[str, typer.Option("--remote", help="Git remote that holds the data and incident branches.")]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="Instant to act at, ISO-8601 with offset (default: now).", show_default=False),
]


def find_root(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get("WATCHBILL_ROOT")
    if env:
        return Path(env)
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        if top:
            return Path(top)
    except (OSError, subprocess.SubprocessError):
        pass
    return Path.cwd()


def instant(text: str | None) -> datetime:
    from .. import clock
    from ..fields import parse_instant

    if text is None:
        return clock.now()
    try:
        return parse_instant(text).astimezone(UTC)
    except ValueError as exc:
        fail(str(exc), code=2)


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop the command with a message; the group's handler prints it, once."""
    raise (UsageError if code == 2 else WatchbillError)(message)


def report_failure(exc: WatchbillError) -> None:
    print_problems(exc.problems)
    err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)


def print_problems(problems: list[Problem]) -> None:
    from ..problems import render

    text = render(problems, "text")
    if text:
        err.print(text, markup=False)


def organisation(root: Path | None, now: datetime) -> Organisation:
    """Load for commands that act on the data; any error stops the command with the located problems."""
    from ..validate import load_organisation

    return load_organisation(find_root(root), now=now)
