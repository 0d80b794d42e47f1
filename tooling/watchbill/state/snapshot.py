"""What the probe state tells its readers: the contract between ``state`` (writer) and the site, lifecycle
and CLI (readers). Plain frozen dataclasses, so readers never depend on how the data branch stores it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..problems import Problem


@dataclass(frozen=True)
class DayStat:
    """One UTC day of one probe: enough for a 90-day uptime bar and its tooltip."""

    day: date
    checks: int
    failures: int
    latency_ms_avg: float | None = None
    latency_ms_max: float | None = None

    @property
    def uptime(self) -> float | None:
        """Fraction of successful checks, or None for a day without data (shown grey, not green)."""
        return None if self.checks == 0 else (self.checks - self.failures) / self.checks


@dataclass(frozen=True)
class Sample:
    at: datetime
    ok: bool
    latency_ms: float | None


@dataclass(frozen=True)
class ProbeState:
    """Current state of one probe (key ``service/probe``)."""

    key: str
    ok: bool | None
    """Latest confirmed result; None before the first run."""
    last_checked: datetime | None
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    first_failure_at: datetime | None = None
    """Start of the current failing streak, used as the incident's started_at."""
    last_error: str | None = None
    latency_ms: float | None = None
    recent: tuple[Sample, ...] = ()
    """Last samples, oldest first, for response-time sparklines."""
    days: tuple[DayStat, ...] = ()
    """Daily history, oldest first."""
    first_success_at: datetime | None = None
    """Start of the current healthy streak: when a failing service came back (the incident's mitigated_at)."""


@dataclass(frozen=True)
class Snapshot:
    probes: dict[str, ProbeState] = field(default_factory=dict)
    last_run: datetime | None = None
    """When any probe last ran; the status page says 'stale' when this is too old."""
    problems: tuple[Problem, ...] = ()
    """Damaged files or lines in the probe data that were skipped; everything else was read."""
