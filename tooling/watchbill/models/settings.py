"""Organisation-wide settings: names, the status page, and how the lifecycle proposes changes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..fields import Id, ShortText, TimeZoneName
from .base import Model


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


class Settings(Model):
    """policies/settings.yaml"""

    organisation: ShortText
    timezone: TimeZoneName = "UTC"
    default_escalation: Id | None = None
    data_branch: str = Field(default="watchbill-data", pattern=r"^[A-Za-z0-9._/-]+$")
    status_page: StatusPageSettings = Field(default_factory=StatusPageSettings)
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
