"""``watchbill intake --issue-json FILE``: a submitted "Report an incident" issue becomes an incident PR.

Run by the intake workflow with the issues event payload. A report that cannot be used is answered with
a comment saying what to fix; it is an expected outcome, so the command still exits 0. Every comment
carries a hidden marker, so the second event GitHub sends for one new issue (opened, then labeled) finds
the first run's comment and does nothing.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ..forge import GitHub, Repository
from ..incidents import intake as report_form
from ..incidents import ops
from ..incidents import publish as proposal
from ..kinds import KINDS
from ..models import TimelineEvent
from ..yamledit import EditError, create_record
from .common import AtOption, RootOption, fail, find_root, instant, out, print_problems
from .incident import load

MAX_EVENT_BYTES = 2 * 1024 * 1024


def _read_event(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_EVENT_BYTES:
            fail(f"{path} is larger than {MAX_EVENT_BYTES:,} bytes; is it an issues event payload?")
        event = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{path} is not JSON: {exc}")
    if not isinstance(event, dict):
        fail(f"{path} does not hold a JSON object")
    return event


def register(app: typer.Typer) -> None:
    @app.command("intake")
    def intake_command(
        issue_json: Annotated[
            Path,
            typer.Option("--issue-json", help="The issues event payload ($GITHUB_EVENT_PATH).", show_default=False),
        ],
        root: RootOption = None,
        at: AtOption = None,
    ) -> None:
        """Turn a submitted 'Report an incident' issue into an incident record on a pull request."""
        now = instant(at)
        home = find_root(root)
        event = _read_event(issue_json)
        try:
            number = report_form.issue_number(event)
        except ValueError as exc:
            fail(str(exc))
        if not report_form.has_form_label(event):
            out.print(f"issue #{number} has no '{report_form.FORM_LABEL}' label; nothing to do", markup=False)
            return
        try:
            # The wall clock, not --at: a GitHub App's token request is signed with it.
            repo, github = proposal.connect(home, os.environ, now=instant(None))
        except proposal.FAILURES as exc:
            fail(str(exc))
        try:
            _intake(home, event, number, repo, github, now)
        except proposal.FAILURES as exc:
            fail(str(exc))
        finally:
            github.close()


def _intake(home: Path, event: dict[str, Any], number: int, repo: Repository, github: GitHub, now: datetime) -> None:
    if any(report_form.COMMENT_MARKER in body for body in github.comments(number)):
        out.print(f"issue #{number} was already handled; nothing to do", markup=False)
        return
    org = load(home, now)
    try:
        report = report_form.read_report(event, org, now=now)
    except report_form.ReportRejected as exc:
        github.comment(number, report_form.rejected_comment(exc.reasons))
        out.print(f"issue #{number} rejected ({len(exc.reasons)} problem(s)); told the reporter:", markup=False)
        for reason in exc.reasons:
            out.print(f"  - {reason}", markup=False)
        return
    try:
        ident = ops.next_free_id(org, now, proposal.reserved_ids(repo, org.settings))
        incident = ops.declare(org, report_form.declaration(report), now=now, ident=ident)
    except ops.OperationError as exc:
        github.comment(number, report_form.rejected_comment([f"the organisation's files do not allow it: {exc}"]))
        fail(f"issue #{number}: {exc}")
    note = TimelineEvent(at=now, kind="note", message=report_form.timeline_note(report))
    incident = incident.model_copy(update={"timeline": [*incident.timeline, note]})
    relative = org.incident_path(incident.id).relative_to(home)

    def write(here: Path) -> None:
        create_record(here / relative, here, incident, KINDS["incident"].schema_file)

    try:
        proposal.push(repo, org.settings, incident.id, write, f"Declare {incident.id} from issue #{number}")
    except EditError as exc:
        print_problems(exc.problems)
        github.comment(number, report_form.rejected_comment(["the report could not be stored as a valid record"]))
        fail(f"issue #{number}: the record would not be valid")
    extra = f"Reported in #{number}; the reporter's words are in the record's timeline."
    pull, _ = proposal.open_pull(github, org.settings, incident, extra)
    github.comment(number, report_form.accepted_comment(incident, pull.url, pull.number, report))
    out.print(f"issue #{number} -> {incident.id} ({incident.severity}): {incident.title}", markup=False)
    out.print(f"  pull request #{pull.number}: {pull.url}", markup=False)
