"""The ``watchbill`` command: thin verbs over the library; no logic lives here.

Each submodule registers its own commands, so a new verb is one file and one line below.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from .. import secrets
from ..errors import WatchbillError
from . import doctor, escalate, incident, init, intake, oncall, probe, schema, site, validate
from .common import report_failure


class _Commands(TyperGroup):
    """The one place a ``WatchbillError`` is caught: its problems and message go to stderr, its code is the exit.

    It sits in the click group rather than in ``main()`` so that ``CliRunner`` in the tests sees exactly what a
    person at a terminal sees."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            # Masks first, before any output could show a value. The Actions runner reads workflow commands
            # from stderr as well as stdout, so stdout stays clean for --format json.
            for command in secrets.install(os.environ):
                sys.stderr.write(command + "\n")
            return super().invoke(ctx)
        except WatchbillError as exc:
            report_failure(exc)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Commands,
    name="watchbill",
    help="Incident practice as code: validate, page, probe, and publish from one git repository.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for module in (validate, schema, site, incident, init, intake, oncall, escalate, probe, doctor):
    module.register(app)


def main() -> None:
    """Entry point: user mistakes exit with a message; only WATCHBILL_DEBUG=1 shows a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: never show a person a traceback
        if os.environ.get("WATCHBILL_DEBUG"):
            raise
        sys.stderr.write(
            f"watchbill: internal error: {type(exc).__name__}: {exc}\n"
            "Run again with WATCHBILL_DEBUG=1 for details, and please report it.\n"
        )
        sys.exit(70)
