"""Maintenance windows: planned work, shown on the status page and suppressing incidents."""

from __future__ import annotations

from pydantic import Field, model_validator

from ..fields import CronExpr, Duration, Id, Instant, MaintenanceId, ShortText, TimeZoneName
from .base import Model
from .incident import Visibility


class Maintenance(Model):
    """incidents/maintenance/MNT-YYYY-NNNN.yaml: a one-off window (start+end) or a recurring one (cron+duration)."""

    id: MaintenanceId
    title: ShortText
    description: str | None = None
    services: list[Id] = Field(min_length=1)
    visibility: Visibility = "public"
    start: Instant | None = None
    end: Instant | None = None
    cron: CronExpr | None = None
    duration: Duration | None = None
    timezone: TimeZoneName = "UTC"
    suppress_alerts: bool = True
    announced_at: Instant | None = Field(
        default=None, description="When the window was announced (the status API's created_at); default: its start."
    )

    @model_validator(mode="after")
    def _one_window(self) -> Maintenance:
        one_off = self.start is not None or self.end is not None
        recurring = self.cron is not None or self.duration is not None
        if one_off == recurring:
            raise ValueError("give either start and end, or cron and duration")
        if one_off and (self.start is None or self.end is None):
            raise ValueError("a one-off window needs both start and end")
        if recurring and (self.cron is None or self.duration is None):
            raise ValueError("a recurring window needs both cron and duration")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self
