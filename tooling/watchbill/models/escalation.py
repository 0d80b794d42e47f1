"""Escalation policies: who is notified, through what, and how long to wait before the next tier."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..fields import Duration, Id, SeverityId, ShortText
from .base import Model

TargetKind = Literal["schedule", "person", "channel"]
_TARGET_PATTERN = r"^(schedule|person|channel):[a-z0-9][a-z0-9_-]{0,62}$"


def split_target(target: str) -> tuple[TargetKind, str]:
    """``schedule:primary`` -> ("schedule", "primary")."""
    kind, _, ident = target.partition(":")
    if kind not in ("schedule", "person", "channel"):
        raise ValueError(target)
    return kind, ident  # type: ignore[return-value]


class Step(Model):
    after: Duration = Field(description="Time since the incident was detected when this step fires.")
    targets: list[str] = Field(min_length=1, description="schedule:ID, person:ID or channel:ID")
    via: list[Id] = Field(default_factory=list, description="Channels used to reach people; empty = all theirs.")
    severities: list[SeverityId] | None = Field(default=None, description="Only for these severities.")

    @field_validator("targets")
    @classmethod
    def _target_form(cls, targets: list[str]) -> list[str]:
        import re

        for target in targets:
            if not re.match(_TARGET_PATTERN, target):
                raise ValueError(f"target '{target}' must look like schedule:ID, person:ID or channel:ID")
        return targets


class Repeat(Model):
    times: int = Field(ge=0, le=20, description="How many more rounds after the first.")
    every: Duration = Field(description="Time between the starts of two rounds.")


class EscalationPolicy(Model):
    """policies/escalation/<id>.yaml"""

    id: Id
    name: ShortText
    description: str | None = None
    steps: list[Step] = Field(min_length=1)
    repeat: Repeat | None = None

    @model_validator(mode="after")
    def _steps_in_order(self) -> EscalationPolicy:
        for earlier, later in zip(self.steps, self.steps[1:], strict=False):
            if later.after < earlier.after:
                raise ValueError("steps must be listed in order of 'after'")
        if self.repeat is not None and self.repeat.times and self.repeat.every <= self.steps[-1].after:
            raise ValueError("repeat.every must be longer than the last step's 'after'")
        return self
