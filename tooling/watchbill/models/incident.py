"""Incident records: lifecycle, roles, public updates, internal timeline and postmortem."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from ..fields import Day, Id, IncidentIdText, Instant, SeverityId, ShortText, Text
from .base import Model

Status = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["degraded_performance", "partial_outage", "major_outage"]
DetectedBy = Literal["monitor", "customer", "internal"]
Visibility = Literal["public", "internal"]
TimelineKind = Literal[
    "note",
    "detected",
    "declared",
    "notified",
    "escalated",
    "acknowledged",
    "status",
    "role",
    "mitigated",
    "resolved",
    "action",
]
STATUS_ORDER: tuple[Status, ...] = ("investigating", "identified", "monitoring", "resolved")


class AffectedService(Model):
    service: Id
    impact: Impact


class Update(Model):
    """A public status update, written for customers."""

    at: Instant
    status: Status
    message: Text


class TimelineEvent(Model):
    """An internal event; never published on the public site."""

    at: Instant
    kind: TimelineKind = "note"
    message: Text
    by: Id | None = None
    step: int | None = Field(default=None, ge=0, description="Escalation step, for 'notified' events.")
    round: int | None = Field(default=None, ge=0, description="Escalation round, for 'notified' events.")
    target: str | None = None
    via: str | None = None


class Roles(Model):
    commander: Id | None = None
    communications: Id | None = None
    technical_lead: Id | None = None
    scribe: Id | None = None


class ActionItem(Model):
    title: ShortText
    owner: Id
    type: Literal["mitigate", "prevent", "process"] = "prevent"
    priority: Literal["P1", "P2", "P3"] = "P2"
    due: Day
    status: Literal["open", "in_progress", "done", "wont_do"] = "open"
    link: str | None = Field(default=None, pattern=r"^https?://\S+$")


class Postmortem(Model):
    """Google SRE postmortem template."""

    status: Literal["draft", "in_review", "published"] = "draft"
    authors: list[Id] = Field(default_factory=list)
    published_on: Day | None = None
    summary: Text
    impact: Text
    trigger: str | None = None
    root_cause: Text
    root_cause_category: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9-]*$", description="Short label to spot repeat causes."
    )
    resolution: str | None = None
    detection: str | None = None
    contributing_factors: list[str] = Field(default_factory=list)
    went_well: list[str] = Field(default_factory=list)
    to_improve: list[str] = Field(default_factory=list)
    got_lucky: list[str] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)


class Incident(Model):
    """incidents/YYYY/INC-YYYY-NNNN.yaml"""

    id: IncidentIdText
    title: ShortText
    severity: SeverityId
    status: Status
    visibility: Visibility = "public"
    summary: str | None = Field(default=None, description="One public paragraph on what happened.")
    services: list[AffectedService] = Field(min_length=1)
    detected_by: DetectedBy
    probe: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$")
    started_at: Instant
    detected_at: Instant
    acknowledged_at: Instant | None = None
    mitigated_at: Instant | None = None
    resolved_at: Instant | None = None
    roles: Roles = Field(default_factory=Roles)
    labels: list[str] = Field(default_factory=list)
    related: list[IncidentIdText] = Field(default_factory=list)
    updates: list[Update] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    postmortem: Postmortem | None = None

    @model_validator(mode="after")
    def _resolution_consistent(self) -> Incident:
        if self.status == "resolved" and self.resolved_at is None:
            raise ValueError("status is 'resolved' but resolved_at is missing; add when service was restored")
        if self.status != "resolved" and self.resolved_at is not None:
            raise ValueError(f"resolved_at is set but status is '{self.status}'; set status: resolved")
        if self.detected_by == "monitor" and self.probe is None:
            raise ValueError("detected_by: monitor needs the probe that fired, as service/probe")
        return self

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"

    def milestones(self) -> list[tuple[str, datetime | None]]:
        """Rootly's order; each must not come before the one above it."""
        return [
            ("started_at", self.started_at),
            ("detected_at", self.detected_at),
            ("acknowledged_at", self.acknowledged_at),
            ("mitigated_at", self.mitigated_at),
            ("resolved_at", self.resolved_at),
        ]
