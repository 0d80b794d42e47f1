"""Severities: what SEV-1..SEV-4 mean and what each promises."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from ..fields import Duration, Id, SeverityId, ShortText, Text
from .base import Model

StatuspageImpact = Literal["none", "minor", "major", "critical"]


class SeverityTargets(Model):
    """Response promises: acknowledge, first update and resolve measured from detection; update_every is the
    longest allowed gap between public updates while the incident is open."""

    acknowledge: Duration
    first_update: Duration
    update_every: Duration
    resolve: Duration


class PostmortemRule(Model):
    required: bool
    due_within: Duration | None = Field(
        default=None, description="Time after resolution by which the postmortem must be written."
    )

    @model_validator(mode="after")
    def _due_needs_required(self) -> PostmortemRule:
        if self.required and self.due_within is None:
            raise ValueError("a required postmortem needs 'due_within', e.g. 5d")
        return self


class Severity(Model):
    id: SeverityId
    name: ShortText
    description: Text
    public: bool = Field(description="Whether incidents of this severity appear on the public status page.")
    statuspage_impact: StatuspageImpact
    targets: SeverityTargets
    escalation: Id | None = Field(default=None, description="Escalation policy used when the service names none.")
    postmortem: PostmortemRule
    recovery_watch: Duration = Field(
        default=timedelta(minutes=15),
        description="How long a recovered service stays in 'monitoring' before the incident is resolved.",
    )


class SeveritiesFile(Model):
    """policies/severities.yaml"""

    severities: list[Severity] = Field(min_length=1)
