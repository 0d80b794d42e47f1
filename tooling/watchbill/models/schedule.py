"""On-call schedules: layers of rotations, restricted to weekly windows, with overrides on top."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from ..fields import Duration, EndTime, Id, Instant, LocalTime, ShortText, TimeZoneName
from .base import Model

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Handoff(Model):
    """When one shift passes to the next, as a wall-clock time in the schedule's own time zone.

    A time the clock skips (spring forward) hands off at the first instant after the gap; a time the
    clock shows twice (fall back) hands off at its first occurrence.
    """

    weekday: Weekday | None = Field(default=None, description="Only for weekly rotations: the hand-off day.")
    time: LocalTime


class Restriction(Model):
    """A weekly window in which the layer is on call, starting on each of ``days``.

    ``end <= start`` crosses midnight into the next day (``end == start`` is a whole 24 hours). An
    ambiguous local start takes its first occurrence and an ambiguous end its last, so a window never
    shrinks on a fall-back night; a start or end the clock skips moves to the first instant after the gap.
    """

    days: list[Weekday] = Field(min_length=1)
    start: LocalTime
    end: EndTime = Field(description="HH:MM; 24:00 is the end of the day (the same as 00:00 here).")


class MemberChange(Model):
    """A dated membership version: from ``effective`` on, the rotation continues with these members.

    ``effective`` re-anchors the rotation exactly as ``start`` anchors it: the first member of the new
    list is on call from ``effective`` until the next hand-off, then the second, and so on (custom
    rotations count ``shift_length`` from ``effective``). Shifts before ``effective`` are untouched, so
    editing the roster never reshuffles who is on call now; set ``effective`` to a hand-off instant to
    keep the shift in progress whole.
    """

    effective: Instant
    members: list[Id] = Field(min_length=1)


class Layer(Model):
    """One rotation. Daily and weekly rotations hand off at a local time; custom ones every ``shift_length``.

    A shift that the restrictions leave entirely empty does not use up a member's turn, so a daily
    rotation restricted to weekdays still gives every member shifts (GoAlert #55).
    """

    name: ShortText
    start: Instant = Field(description="When the layer begins; the first member is on call from here.")
    end: Instant | None = None
    members: list[Id] = Field(min_length=1)
    rotation: Literal["daily", "weekly", "custom"]
    shift_length: Duration | None = Field(default=None, description="Only for custom rotations, e.g. 12h.")
    handoff: Handoff | None = Field(
        default=None, description="Required for daily and weekly rotations; custom ones hand off every shift_length."
    )
    restrictions: list[Restriction] = Field(default_factory=list)
    changes: list[MemberChange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rotation_shape(self) -> Layer:
        if self.rotation == "custom":
            self._custom_shape()
        else:
            self._handoff_shape()
        if self.shift_length is not None and self.shift_length < timedelta(minutes=1):
            raise ValueError("shift_length must be at least 1m")
        return self

    def _custom_shape(self) -> None:
        if self.shift_length is None:
            raise ValueError("a custom rotation needs shift_length, e.g. 12h")
        if self.handoff is not None:
            raise ValueError("a custom rotation hands off every shift_length from start; remove handoff")

    def _handoff_shape(self) -> None:
        if self.handoff is None:
            raise ValueError(f"a {self.rotation} rotation needs handoff.time (and handoff.weekday if weekly)")
        if self.rotation == "weekly" and self.handoff.weekday is None:
            raise ValueError("a weekly rotation needs handoff.weekday")
        if self.rotation == "daily" and self.handoff.weekday is not None:
            raise ValueError("a daily rotation hands off every day; remove handoff.weekday or use rotation: weekly")
        if self.shift_length is not None:
            raise ValueError("shift_length only applies to rotation: custom")

    @model_validator(mode="after")
    def _ordered(self) -> Layer:
        if self.end is not None and self.end <= self.start:
            raise ValueError("layer end must be after its start")
        previous = self.start
        for change in self.changes:
            if change.effective <= previous:
                raise ValueError(
                    "each change's effective must be after the layer's start and after the change before it"
                )
            previous = change.effective
        if self.end is not None and self.changes and self.changes[-1].effective >= self.end:
            raise ValueError("a change's effective must be before the layer's end")
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
    layers: list[Layer] = Field(min_length=1, description="Later layers win where they cover time.")
    overrides: list[Override] = Field(
        default_factory=list, description="Win over every layer; a later override wins over an earlier one."
    )

    @model_validator(mode="after")
    def _layer_names_unique(self) -> Schedule:
        names = [layer.name for layer in self.layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"layer name '{name}' is used twice; calendars and reports tell layers apart by name")
        return self
