"""On-call schedules: layers of rotations, restricted to weekly windows, with overrides on top."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..fields import Duration, Id, Instant, LocalTime, ShortText, TimeZoneName
from .base import Model

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Handoff(Model):
    """When one shift passes to the next, in the schedule's own time zone."""

    weekday: Weekday | None = Field(default=None, description="Required for weekly rotations.")
    time: LocalTime


class Restriction(Model):
    """A weekly window in which the layer is on call; ``end <= start`` crosses midnight."""

    days: list[Weekday] = Field(min_length=1)
    start: LocalTime
    end: LocalTime


class MemberChange(Model):
    """A dated membership version: from ``effective`` on, the rotation continues with these members.

    Existing shifts before ``effective`` are untouched, so editing the roster never reshuffles who is
    on call now.
    """

    effective: Instant
    members: list[Id] = Field(min_length=1)


class Layer(Model):
    name: ShortText
    start: Instant = Field(description="When the layer begins; the first member is on call from here.")
    end: Instant | None = None
    members: list[Id] = Field(min_length=1)
    rotation: Literal["daily", "weekly", "custom"]
    shift_length: Duration | None = Field(default=None, description="Only for custom rotations, e.g. 12h.")
    handoff: Handoff
    restrictions: list[Restriction] = Field(default_factory=list)
    changes: list[MemberChange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rotation_shape(self) -> Layer:
        if self.rotation == "weekly" and self.handoff.weekday is None:
            raise ValueError("a weekly rotation needs handoff.weekday")
        if self.rotation == "custom" and self.shift_length is None:
            raise ValueError("a custom rotation needs shift_length, e.g. 12h")
        if self.rotation != "custom" and self.shift_length is not None:
            raise ValueError("shift_length only applies to rotation: custom")
        if self.end is not None and self.end <= self.start:
            raise ValueError("layer end must be after its start")
        return self


class Override(Model):
    """A person covering a stretch of time (a swap, a holiday cover); wins over every layer."""

    person: Id
    start: Instant
    end: Instant
    reason: ShortText | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if self.end <= self.start:
            raise ValueError("override end must be after its start")
        return self


class Schedule(Model):
    """schedules/<id>.yaml"""

    id: Id
    name: ShortText
    description: str | None = None
    timezone: TimeZoneName
    layers: list[Layer] = Field(min_length=1)
    overrides: list[Override] = Field(default_factory=list)
