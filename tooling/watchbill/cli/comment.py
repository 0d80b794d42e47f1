"""``watchbill comment --event-json FILE``: carry out a ``/command`` commented on an incident's pull request.

Run by the comment workflow with the ``issue_comment`` event payload (``$GITHUB_EVENT_PATH``); the comment's
text is read from that file and from GitHub, never from the command line. A refusal (an unknown commenter, a
command that does not apply) is answered on the pull request and is an expected outcome, so the command exits
0; a failure on our side exits non-zero after saying so on the pull request. The work is
:func:`watchbill.incidents.comments.respond`'s.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from ..incidents import comments, usecases
from ..incidents.comments import CommentResult
from .common import AtOption, RootOption, find_root, instant, out
from .output import FormatOption, emit


def comment_command(
    event_json: Annotated[
        Path,
        typer.Option("--event-json", help="The issue_comment event payload ($GITHUB_EVENT_PATH).", show_default=False),
    ],
    fmt: FormatOption = "text",
    root: RootOption = None,
    at: AtOption = None,
) -> None:
    """Carry out a command commented on an incident's pull request (/ack, /update, /resolve, ...) and reply.

    ``--format json`` prints one object: ``comment`` (its id), ``number`` (the pull request or issue),
    ``action`` (ignored, repeated, refused, done or failed), ``reason``, ``command`` (its name, or null),
    ``incident``, ``person`` (who acted, a person id), ``where`` (where the change went), ``reply`` (the text
    written back, or null) and ``pull_request`` ({``number``, ``url``} or null).
    """
    # The wall clock, not --at: a GitHub App's token request is signed with it.
    remote = usecases.Remote(os.environ, signed_at=instant(None))
    result = comments.respond(find_root(root), event_json, now=instant(at), remote=remote)
    emit(fmt, comment_json(result), lambda: _print(result))


def comment_json(result: CommentResult) -> dict[str, Any]:
    pull = {"number": result.pull_number, "url": result.pull_url} if result.pull_number is not None else None
    return {
        "comment": result.comment,
        "number": result.number,
        "action": result.action,
        "reason": result.reason,
        "command": result.command,
        "incident": result.incident,
        "person": result.person,
        "where": result.where,
        "reply": result.reply,
        "pull_request": pull,
    }


def _print(result: CommentResult) -> None:
    what = f"/{result.command}" if result.command else "comment"
    about = f" ({result.incident})" if result.incident else ""
    line = f"comment {result.comment} on #{result.number}{about}: {result.action}"
    out.print(f"{line}: {what}: {result.reason}" if result.reason else line, markup=False)
    if result.where:
        out.print(f"  {result.where}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("comment")(comment_command)
