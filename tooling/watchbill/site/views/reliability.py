"""The reliability page: response times per severity, frequency, repeat causes, detection and objectives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ... import metrics
from ..audience import postmortem_visible
from .base import Scope
from .incidents import IncidentRef, incident_ref
from .services import ServiceView


@dataclass(frozen=True)
class ResponseRow:
    severity: str
    name: str
    times: metrics.ResponseTimes


@dataclass(frozen=True)
class RepeatView:
    category: str
    incidents: tuple[IncidentRef, ...]


@dataclass(frozen=True)
class SloView:
    service: str
    name: str
    slo: metrics.SloStatus


@dataclass(frozen=True)
class ReliabilityView:
    incident_count: int
    response: tuple[ResponseRow, ...]
    overall: metrics.ResponseTimes | None
    frequency: tuple[metrics.MonthCount, ...]
    severities: tuple[tuple[str, str], ...]
    repeats: tuple[RepeatView, ...]
    detection: metrics.DetectionMix
    slos: tuple[SloView, ...]
    targets: tuple[metrics.TargetRow, ...] = ()
    action_items: metrics.ActionItemCompletion = field(default_factory=metrics.ActionItemCompletion)
    repeat_rate: metrics.RepeatRate | None = None
    quarters: tuple[str, ...] = ()
    per_service: tuple[tuple[str, tuple[int, ...]], ...] = ()
    """Service name and its incidents per quarter, oldest quarter first."""


def _response(scope: Scope) -> tuple[ResponseRow, ...]:
    severities = scope.org.severities
    return tuple(
        ResponseRow(r.severity, severities[r.severity].name if r.severity in severities else "", r)
        for r in metrics.response_times(scope.incidents)
    )


def _repeats(scope: Scope) -> tuple[RepeatView, ...]:
    """Only postmortems this audience may read can name a repeated cause."""
    with_postmortem = [i for i in scope.incidents if postmortem_visible(i, scope.audience)]
    refs = {i.id: incident_ref(scope, i) for i in scope.incidents}
    return tuple(
        RepeatView(r.category, tuple(refs[i] for i in r.incidents)) for r in metrics.repeat_causes(with_postmortem)
    )


def reliability_view(scope: Scope, services: Sequence[ServiceView]) -> ReliabilityView:
    incidents = scope.incidents
    ordered = sorted(scope.org.severities.values(), key=lambda s: s.id)
    return ReliabilityView(
        incident_count=len(incidents),
        response=_response(scope),
        overall=metrics.summarise("all", incidents) if incidents else None,
        frequency=tuple(metrics.frequency_by_month(incidents, now=scope.now, months=12)),
        severities=tuple((s.id, s.name) for s in ordered if scope.internal or s.public),
        repeats=_repeats(scope),
        detection=metrics.detection_mix(incidents),
        slos=tuple(SloView(s.id, s.name, s.slo) for s in services if s.slo is not None),
        targets=tuple(
            metrics.target_attainment(incidents, {k: v.targets for k, v in scope.org.severities.items()}, scope.now)
        ),
        action_items=metrics.action_item_completion(
            [i for i in incidents if postmortem_visible(i, scope.audience)], scope.now.date()
        ),
        repeat_rate=metrics.repeat_rate(incidents),
        **_per_service(scope),
    )


def _per_service(scope: Scope) -> dict[str, Any]:
    quarters, table = metrics.per_service_quarter(scope.incidents, now=scope.now)
    names = {s.id: s.name for s in scope.org.services.values()}
    rows = tuple((names.get(s, s), tuple(c)) for s, c in table.items() if s in scope.service_ids)
    return {"quarters": tuple(quarters), "per_service": rows}
