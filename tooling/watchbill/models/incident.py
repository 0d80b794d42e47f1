"""Incident records: lifecycle, roles, public updates, internal timeline and postmortem."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from ..fields import Day, Id, IncidentIdText, Instant, SeverityId, ShortText, Text
from .base import Model

Status = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["degraded_performance", "partial_outage", "major_outage"]
DetectedBy = Literal["monitor", "customer", "internal"]
PROBE_KEY = r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$"
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
    "severity",
    "impact",
    "renamed",
    "related",
    "situation",
]
STATUS_ORDER: tuple[Status, ...] = ("investigating", "identified", "monitoring", "resolved")


ServiceStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage"]
"""Statuspage's component statuses: an impact, or ``operational`` once a service is back."""
IMPACT_RANK: dict[str, int] = {"operational": 0, "degraded_performance": 1, "partial_outage": 2, "major_outage": 3}


class AffectedService(Model):
    service: Id
    impact: Impact


class AffectedComponent(Model):
    """A service's status as of one public update (Statuspage's ``affected_components``)."""

    service: Id
    status: ServiceStatus


class Update(Model):
    """A public status update, written for customers."""

    at: Instant
    status: Status
    message: Text
    services: list[AffectedComponent] = Field(
        default_factory=list,
        description="Services whose status this update set; the impact history. Unlisted services keep theirs.",
    )


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
    next_update_at: Instant | None = Field(
        default=None, description="For 'situation' reports: when the commander will report next."
    )


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
    closed_on: Day | None = Field(default=None, description="When it became done or wont_do.")


class PostmortemEvent(Model):
    """One entry of the engineering timeline, reconstructed after the fact (logs, chat, deploys)."""

    at: Instant
    message: Text


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
    timeline: list[PostmortemEvent] = Field(
        default_factory=list, description="The engineering timeline, oldest first; internal events included."
    )
    review_at: Instant | None = Field(
        default=None, description="The review meeting; by default due within 48 hours of resolution."
    )
    reviewed_at: Instant | None = Field(default=None, description="When the review meeting was held.")


class Incident(Model):
    """incidents/YYYY/INC-YYYY-NNNN.yaml"""

    id: IncidentIdText
    title: ShortText
    severity: SeverityId
    status: Status
    visibility: Visibility = "public"
    summary: str | None = Field(default=None, description="One public paragraph on what happened.")
    services: list[AffectedService] = Field(
        min_length=1, description="Each affected service at its peak impact; the updates hold the history."
    )
    detected_by: DetectedBy
    probe: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$",
        description="The probe that fired, as service/probe; none when an outside monitor caught it.",
    )
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
    channel: str | None = Field(
        default=None,
        pattern=r"^(https?://\S+|#[a-z0-9][a-z0-9._-]{0,79})$",
        description="Where responders meet: a chat channel (#inc-2026-0007-api) or a call or channel link.",
    )
    drill: bool = Field(
        default=False, description="An exercise: paged as usual (marked DRILL), never published or counted."
    )
    probes: list[Annotated[str, StringConstraints(pattern=PROBE_KEY)]] = Field(
        default_factory=list,
        description="Every probe of the service that failed in this outage, as service/probe, in the order they "
        "joined; the first is `probe`. Written by the lifecycle: one incident per service outage.",
    )

    @model_validator(mode="after")
    def _resolution_consistent(self) -> Incident:
        if self.status == "resolved" and self.resolved_at is None:
            raise ValueError("status is 'resolved' but resolved_at is missing; add when service was restored")
        if self.status != "resolved" and self.resolved_at is not None:
            raise ValueError(f"resolved_at is set but status is '{self.status}'; set status: resolved")
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
