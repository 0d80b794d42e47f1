"""``watchbill intake --issue-json FILE``: a submitted "Report an incident" issue becomes an incident PR.

Run by the intake workflow with the issues event payload. A report that cannot be used is answered with
a comment saying what to fix; it is an expected outcome, so the command still exits 0. Every comment
carries a hidden marker, so the second event GitHub sends for one new issue (opened, then labeled) finds
the first run's comment and does nothing. The work is :func:`watchbill.incidents.usecases.intake`'s.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from ..incidents import usecases
from ..incidents.intake import FORM_LABEL
from ..incidents.usecases import IntakeResult
from .common import AtOption, RootOption, find_root, instant, out
from .output import FormatOption, emit


def intake_command(
    issue_json: Annotated[
        Path,
        typer.Option("--issue-json", help="The issues event payload ($GITHUB_EVENT_PATH).", show_default=False),
    ],
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Turn a submitted 'Report an incident' issue into an incident record on a pull request.

    ``--format json`` prints one object: ``issue``, ``action`` (ignored, already_handled, rejected or
    declared), ``reasons`` (what the reporter was told, when rejected), ``incident`` (its id, or null) and
    ``pull_request`` ({``number``, ``url``} or null).
    """
    # The wall clock, not --at: a GitHub App's token request is signed with it.
    remote = usecases.Remote(os.environ, signed_at=instant(None))
    result = usecases.intake(find_root(root), issue_json, now=instant(at), remote=remote)
    emit(fmt, intake_json(result), lambda: _print(result))


def intake_json(result: IntakeResult) -> dict[str, Any]:
    declared = result.declared
    pull = {"number": declared.pull_number, "url": declared.pull_url} if declared else None
    return {
        "issue": result.issue,
        "action": result.action,
        "reasons": list(result.reasons),
        "incident": declared.incident.id if declared else None,
        "pull_request": pull,
    }


def _print(result: IntakeResult) -> None:
    number = result.issue
    if result.action == "ignored":
        out.print(f"issue #{number} has no '{FORM_LABEL}' label; nothing to do", markup=False)
    elif result.action == "already_handled":
        out.print(f"issue #{number} was already handled; nothing to do", markup=False)
    elif result.action == "rejected":
        out.print(f"issue #{number} rejected ({len(result.reasons)} problem(s)); told the reporter:", markup=False)
        for reason in result.reasons:
            out.print(f"  - {reason}", markup=False)
    elif result.declared is not None:
        incident = result.declared.incident
        out.print(f"issue #{number} -> {incident.id} ({incident.severity}): {incident.title}", markup=False)
        out.print(f"  pull request #{result.declared.pull_number}: {result.declared.pull_url}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("intake")(intake_command)
