"""On-call views for the internal site: schedules with their calendar, and escalation policies in words."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ... import oncall
from ...fields import format_duration
from ...models import EscalationPolicy, Handoff, Layer, Schedule, split_target
from .base import Scope

CALENDAR_DAYS = 14


@dataclass(frozen=True)
class LayerView:
    name: str
    rotation: str
    handoff: str
    start: datetime
    end: datetime | None
    members: tuple[str, ...]
    restrictions: tuple[str, ...]


@dataclass(frozen=True)
class OverrideView:
    person: str
    start: datetime
    end: datetime
    reason: str | None


@dataclass(frozen=True)
class ShiftView:
    person: str
    start: datetime
    end: datetime
    layer: str


@dataclass(frozen=True)
class ScheduleView:
    id: str
    name: str
    description: str | None
    timezone: str
    layers: tuple[LayerView, ...]
    overrides: tuple[OverrideView, ...]
    services: tuple[str, ...]
    current: ShiftView | None = None
    """Who is on call at the build instant, with the shift's true end; None during a gap."""
    upcoming: tuple[ShiftView, ...] = ()
    """The calendar for the next ``CALENDAR_DAYS`` days."""


@dataclass(frozen=True)
class StepView:
    after: str
    targets: tuple[str, ...]
    via: tuple[str, ...]
    severities: tuple[str, ...]


@dataclass(frozen=True)
class PolicyView:
    id: str
    name: str
    description: str | None
    steps: tuple[StepView, ...]
    repeat: str | None


def handoff_text(handoff: Handoff | None) -> str:
    if handoff is None:
        return "every shift"
    return " ".join(x for x in (handoff.weekday or "", handoff.time.strftime("%H:%M")) if x)


def schedule_views(scope: Scope) -> tuple[ScheduleView, ...]:
    owners: dict[str, list[str]] = defaultdict(list)
    for service in scope.org.services.values():
        owners[service.owner].append(service.name)
    ordered = sorted(scope.org.schedules.values(), key=lambda s: s.name)
    return tuple(schedule_view(scope, s, owners.get(s.id, [])) for s in ordered)


def layer_view(scope: Scope, layer: Layer) -> LayerView:
    rotation = layer.rotation if layer.shift_length is None else f"every {format_duration(layer.shift_length)}"
    return LayerView(
        name=layer.name,
        rotation=rotation,
        handoff=handoff_text(layer.handoff),
        start=layer.start,
        end=layer.end,
        members=tuple(scope.person(m) for m in layer.members),
        restrictions=tuple(
            f"{', '.join(d[:3] for d in r.days)} {r.start.strftime('%H:%M')}–{r.end.strftime('%H:%M')}"
            for r in layer.restrictions
        ),
    )


def schedule_view(scope: Scope, schedule: Schedule, services: list[str]) -> ScheduleView:
    now = scope.now
    overrides = tuple(
        OverrideView(scope.person(o.person), o.start, o.end, o.reason)
        for o in sorted(schedule.overrides, key=lambda o: o.start)
        if o.end > now
    )
    calendar = tuple(
        ShiftView(scope.person(s.person), s.start, s.end, "override" if s.override else s.layer)
        for s in oncall.shifts(schedule, now, now + timedelta(days=CALENDAR_DAYS))
    )
    current = calendar[0] if calendar and calendar[0].start <= now else None
    shift = oncall.current_shift(schedule, now)
    if current is not None and shift is not None:
        current = replace(current, end=shift.end)
    return ScheduleView(
        schedule.id,
        schedule.name,
        schedule.description,
        schedule.timezone,
        tuple(layer_view(scope, layer) for layer in schedule.layers),
        overrides,
        tuple(services),
        current,
        calendar,
    )


def target_text(scope: Scope, target: str) -> str:
    kind, ident = split_target(target)
    if kind == "schedule":
        schedule = scope.org.schedules.get(ident)
        return f"On call for {schedule.name if schedule else ident}"
    if kind == "person":
        return scope.person(ident)
    channel = scope.org.channels.get(ident)
    return f"Channel {channel.name if channel else ident}"


def policy_views(scope: Scope) -> tuple[PolicyView, ...]:
    return tuple(policy_view(scope, p) for p in sorted(scope.org.policies.values(), key=lambda p: p.name))


def policy_view(scope: Scope, policy: EscalationPolicy) -> PolicyView:
    channels = scope.org.channels
    steps = tuple(
        StepView(
            after=format_duration(step.after),
            targets=tuple(target_text(scope, t) for t in step.targets),
            via=tuple(channels[c].name if c in channels else c for c in step.via),
            severities=tuple(step.severities or ()),
        )
        for step in policy.steps
    )
    repeat = None
    if policy.repeat is not None and policy.repeat.times:
        repeat = f"Repeats {policy.repeat.times} more time(s), every {format_duration(policy.repeat.every)}"
    return PolicyView(policy.id, policy.name, policy.description, steps, repeat)
