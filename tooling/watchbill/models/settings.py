"""Organisation-wide settings: names, the status page, and how the lifecycle proposes changes."""

from __future__ import annotations

import re
import string
from typing import Literal

from pydantic import Field, field_validator

from ..fields import Id, ShortText, TimeZoneName
from .base import Model
from .people import GITHUB_LOGIN_PATTERN


class StatusPageSettings(Model):
    title: ShortText = "Status"
    description: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    support_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    history_days: int = Field(default=90, ge=7, le=365)


class LifecycleSettings(Model):
    mode: Literal["pull_request"] = "pull_request"
    """How the probes' records reach the base branch: always by pull request (``commit`` was removed)."""
    base_branch: str = "main"
    branch_prefix: str = Field(default="watchbill/", pattern=r"^[A-Za-z0-9._/-]+$")
    labels: list[str] = Field(default_factory=lambda: ["incident"])

    @field_validator("mode", mode="before")
    @classmethod
    def _no_commit_mode(cls, value: object) -> object:
        # Protected base branches reject a machine's push (GH006); records go by pull request instead.
        if value == "commit":
            raise ValueError(
                "'commit' was removed: no machine pushes to the base branch; "
                "use 'pull_request' (records are proposed by pull request, paging records go to the data branch)"
            )
        return value


WAR_ROOM_FIELDS = ("id", "year", "number", "slug", "channel")
CHANNEL_NAME_LIMIT = 80
"""Slack's limit for a channel name (lower case letters, digits, hyphens and underscores)."""


def _template(value: str, allowed: tuple[str, ...]) -> str:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a template: {exc}") from None
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise ValueError(f"unknown placeholder(s) {', '.join(unknown)}; use {', '.join(allowed)}")
    return value


class WarRoomSettings(Model):
    """How ``watchbill channel INC`` names an incident's war room when no link is given.

    Placeholders: ``{id}`` (``inc-2026-0007``), ``{year}``, ``{number}`` (``0007``), ``{slug}`` (from the
    title) and, in ``url`` only, ``{channel}`` (the rendered name)."""

    channel: str = Field(default="inc-{year}-{number}-{slug}", description="Chat channel name template.")
    url: str | None = Field(
        default=None,
        description="Link template, e.g. https://acme.slack.com/app_redirect?channel={channel}, or a fixed "
        "call bridge; without it the record holds #name.",
    )

    @field_validator("channel")
    @classmethod
    def _channel_template(cls, value: str) -> str:
        return _template(value, WAR_ROOM_FIELDS[:4])

    @field_validator("url")
    @classmethod
    def _url_template(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError("url must start with http:// or https://")
        return None if value is None else _template(value, WAR_ROOM_FIELDS)

    def name_for(self, incident_id: str, title: str) -> str:
        """``inc-2026-0007-checkout-fails``: lower case, at most 80 characters, the slug cut first."""
        _, year, number = incident_id.lower().split("-")
        fields = {"id": incident_id.lower(), "year": year, "number": number}
        fixed = len(_clean(self.channel.format(**fields, slug="")))
        words = _clean(title)[: max(0, CHANNEL_NAME_LIMIT - fixed)].strip("-")
        return _clean(self.channel.format(**fields, slug=words))[:CHANNEL_NAME_LIMIT]

    def link_for(self, incident_id: str, title: str) -> str:
        """The ``channel`` value to record: the url template rendered, else ``#name``."""
        name = self.name_for(incident_id, title)
        if self.url is None:
            return f"#{name}"
        _, year, number = incident_id.lower().split("-")
        slug = _clean(title)[:CHANNEL_NAME_LIMIT].strip("-")
        return self.url.format(id=incident_id.lower(), year=year, number=number, slug=slug, channel=name)


def _clean(text: str) -> str:
    return "-".join(part for part in re.split(r"[^a-z0-9_]+", text.lower()) if part)


CommentCommand = Literal["ack", "status", "update", "mitigated", "resolve", "severity", "assign", "page", "note"]
"""The commands a comment on an incident's pull request can give (``watchbill.incidents.comments``)."""


class CommentGuest(Model):
    """A GitHub account outside the on-call roster that may give some commands by comment, e.g. a support
    lead who posts ``/update`` for customers, or a service owner who may ``/page`` a colleague.

    Checked offline against the comment's author, like the roster's ``github`` logins: no team lookup, so a
    workflow's own token is enough. A guest is no person: the change is recorded without ``by`` (the comment
    log on the data branch keeps the login), and a ``/note`` starts with the login."""

    github: str = Field(
        max_length=39, pattern=GITHUB_LOGIN_PATTERN, description="The guest's GitHub login (case does not matter)."
    )
    commands: list[CommentCommand] = Field(
        min_length=1, description="The commands this login may give, e.g. [update, note]."
    )
    reason: ShortText | None = Field(default=None, description="Why this account may act, for the reviewer.")


class CommentSettings(Model):
    """Who may act by commenting on an incident's pull request, besides everyone in schedules/people.yaml with
    a ``github`` login (who may give every command)."""

    guests: list[CommentGuest] = Field(default_factory=list)


class Settings(Model):
    """policies/settings.yaml"""

    organisation: ShortText
    timezone: TimeZoneName = "UTC"
    default_escalation: Id | None = None
    data_branch: str = Field(default="watchbill-data", pattern=r"^[A-Za-z0-9._/-]+$")
    status_page: StatusPageSettings = Field(default_factory=StatusPageSettings)
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
    war_room: WarRoomSettings = Field(default_factory=WarRoomSettings)
    comments: CommentSettings = Field(default_factory=CommentSettings)
