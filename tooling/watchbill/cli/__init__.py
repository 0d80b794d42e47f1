"""The ``watchbill`` command: thin verbs over the library; no logic lives here.

Commands are listed in ``COMMANDS`` (name -> module and one-line help) and imported only when run, so
``watchbill --help`` loads no command's dependencies (httpx, GitPython, icalendar, dnspython, apprise,
the models) and each command loads only its own. A new verb is one module with a ``register(app)`` and one
line in ``COMMANDS``; ``tests/test_cli_imports.py`` checks that the two agree.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from .. import secrets
from ..errors import WatchbillError

COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "Check every file against its model and the organisation as a whole."),
    "schema": (
        "schema",
        "Write a JSON Schema per kind of file, for editors (yaml-language-server) to check as you type.",
    ),
    "declare": ("incident", "Open a new incident record with the next free id and its first public update."),
    "update": (
        "incident",
        "Post a public update, optionally moving the status (investigating, identified, monitoring).",
    ),
    "assign": ("incident", "Hand incident roles to people (person ids from schedules/people.yaml)."),
    "resolve": ("incident", "Resolve: set resolved_at, post the final update, and say when the postmortem is due."),
    "postmortem": (
        "incident",
        "Add a draft postmortem (Google SRE template) pre-filled from the record, due date from the severity; with "
        "options, write its sections, engineering timeline, review meeting and status (drafting it if needed).",
    ),
    "list": ("incident", "Open incidents, postmortems still due (and overdue), and overdue action items."),
    "severity": (
        "respond",
        "Move the incident to another severity; the change is a timeline event and the status page follows it.",
    ),
    "impact": (
        "respond",
        "Change services' impact with a public update that records it (Statuspage's affected components).",
    ),
    "mitigated": (
        "respond",
        "Service restored: set ``mitigated_at`` and move to monitoring; ``resolve`` later posts the resolution.",
    ),
    "situation": (
        "respond",
        "The commander's internal status report (scope, tried, who is on what, next update): timeline only.",
    ),
    "rename": ("respond", "Give the incident a new title (kept in the timeline with the old one)."),
    "relate": ("respond", "Relate two incidents both ways: each record lists the other under ``related``."),
    "init": (
        "init",
        "Write a minimal organisation that passes 'watchbill validate', with workflows, CODEOWNERS and forms.",
    ),
    "upgrade": (
        "init",
        "Move this organisation to the Watchbill that runs the command: its pinned requirement, workflows, issue "
        "form, pull-request template and schemas.",
    ),
    "intake": ("intake", "Turn a submitted 'Report an incident' issue into an incident record on a pull request."),
    "comment": (
        "comment",
        "Carry out a command commented on an incident's pull request (/ack, /update, /resolve, ...) and reply.",
    ),
    "ack": ("escalate", "Acknowledge an incident: escalation stops sending for it."),
    "lifecycle": (
        "probe",
        "Record the run on the data branch, then open, update or resolve incident records by pull request.",
    ),
    "doctor": (
        "doctor",
        "Check the deployed repository: Actions, pull-request permission, Pages, secrets (names only), workflows, "
        "the data branch, rulesets and status_page.url.",
    ),
    "channel": ("drill", "Record where responders meet (a chat channel or call link); every later page names it."),
    "site": ("site", "Build or preview the status and postmortem site."),
    "action": ("respond", "Postmortem action items: add one, close one."),
    "oncall": ("oncall", "Who is on call: now or --at an instant, calendars, iCalendar export, load report."),
    "escalate": ("escalate", "Escalation: simulate a policy, or send what is due for open incidents."),
    "probe": ("probe", "Check services (HTTP, TCP, DNS, TLS) and combine the results of a matrix run."),
    "drill": ("drill", "Rehearse the incident practice: declare a drill, then read what it showed."),
    "heartbeat": ("heartbeat", "Heartbeat checks: jobs that must report every so often."),
}
"""Command name -> (module under ``watchbill.cli`` whose ``register(app)`` adds it, its one-line help)."""

_LOADED: dict[str, dict[str, Any]] = {}


def load_module_commands(module: str) -> dict[str, Any]:
    """The click commands that ``watchbill.cli.<module>`` registers, imported and built once per process."""
    if module not in _LOADED:
        holder = typer.Typer(rich_markup_mode=None)  # plain help and usage errors, as the group's
        importlib.import_module(f"{__name__}.{module}").register(holder)
        _LOADED[module] = dict(typer.main.get_group(holder).commands)
    return _LOADED[module]


class _Commands(TyperGroup):
    """The one place a ``WatchbillError`` is caught: its problems and message go to stderr, its code is the exit.

    It sits in the click group rather than in ``main()`` so that ``CliRunner`` in the tests sees exactly what a
    person at a terminal sees. It is also the lazy group: commands come from ``COMMANDS`` and are imported only
    when one is run (or its own help is asked for); the group's help is written from the table alone."""

    listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx: Any, name: str) -> Any:
        registered = super().get_command(ctx, name)
        if registered is not None or name not in COMMANDS:
            return registered
        module, short = COMMANDS[name]
        if self.listing:  # a stand-in that only describes the command, for the group's help
            return TyperCommand(name, help=short, short_help=short)
        return load_module_commands(module).get(name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            # Masks first, before any output could show a value. The Actions runner reads workflow commands
            # from stderr as well as stdout, so stdout stays clean for --format json.
            for command in secrets.install(os.environ):
                sys.stderr.write(command + "\n")
            return super().invoke(ctx)
        except WatchbillError as exc:
            from .common import report_failure  # only on failure: it needs the problem renderer

            report_failure(exc)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Commands,
    name="watchbill",
    help="Incident practice as code: validate, page, probe, and publish from one git repository.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: rich's help renderer alone costs more than the rest of start-up
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _watchbill() -> None:
    """Incident practice as code: validate, page, probe, and publish from one git repository."""
    # A group with a callback needs no commands registered up front: the group supplies them lazily.


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
    finally:
        # Shutdown runs the cycle collector over every object still alive: ~30 ms, an eighth of a warm
        # 'validate'. Python promises no finalizer for what is alive at exit and the system takes the memory
        # back, so those objects are set aside; atexit handlers still run and the standard streams are flushed.
        gc.freeze()
