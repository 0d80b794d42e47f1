"""Consecutive counts for one probe, advanced one result at a time.

The writer and the reader run this same code over the same lines, so what the lifecycle acted on and what
the status page shows can never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..fields import format_instant, parse_instant
from .snapshot import ProbeState


class Streak:
    __slots__ = ("cf", "cs", "error", "first_failure", "first_success", "key", "last", "latency", "ok")

    def __init__(self, key: str) -> None:
        self.key = key
        self.ok: bool | None = None
        self.cf = 0
        self.cs = 0
        self.first_failure: datetime | None = None
        self.first_success: datetime | None = None
        self.last: datetime | None = None
        self.error: str | None = None
        self.latency: float | None = None

    def advance(self, at: datetime, ok: bool, latency: float | None, error: str | None) -> bool:
        """Apply one result. A result older than the last one applied (a concurrent run that pushed second)
        still counts when it agrees with the current streak and falls inside it; otherwise it is history
        only, since where it belongs in the streak can no longer be told. Returns whether the streak moved."""
        if self.last is not None and at < self.last:
            began = self.first_failure if self.ok is False else self.first_success
            if ok is not self.ok or began is None or at < began:
                return False
            if ok:
                self.cs += 1
            else:
                self.cf += 1
            return True
        if ok:
            if self.ok is not True:
                self.cs, self.first_success = 0, at
            self.cs += 1
            self.cf, self.first_failure, self.error = 0, None, None
        else:
            if self.ok is not False:
                self.cf, self.first_failure = 0, at
            self.cf += 1
            self.cs, self.first_success, self.error = 0, None, error
        self.ok, self.last, self.latency = ok, at, latency
        return True

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": self.ok, "cf": self.cf, "cs": self.cs}
        for name, value in (("ff", self.first_failure), ("fs", self.first_success), ("lc", self.last)):
            if value is not None:
                data[name] = format_instant(value)
        if self.error is not None:
            data["le"] = self.error
        if self.latency is not None:
            data["lat"] = self.latency
        return data

    @classmethod
    def from_json(cls, key: str, data: Any) -> Streak:
        if not isinstance(data, dict):
            raise ValueError(f"state of {key} is not an object")
        streak = cls(key)
        ok = data.get("ok")
        if ok not in (True, False, None):
            raise ValueError(f"state of {key}: ok must be true, false or null")
        streak.ok = ok
        streak.cf = _count(data.get("cf", 0), key)
        streak.cs = _count(data.get("cs", 0), key)
        streak.first_failure = _instant(data.get("ff"))
        streak.first_success = _instant(data.get("fs"))
        streak.last = _instant(data.get("lc"))
        error = data.get("le")
        streak.error = error if isinstance(error, str) else None
        latency = data.get("lat")
        streak.latency = float(latency) if isinstance(latency, int | float) and not isinstance(latency, bool) else None
        return streak

    def state(self, **extra: Any) -> ProbeState:
        return ProbeState(
            key=self.key,
            ok=self.ok,
            last_checked=self.last,
            consecutive_failures=self.cf,
            consecutive_successes=self.cs,
            first_failure_at=self.first_failure,
            first_success_at=self.first_success,
            last_error=self.error,
            latency_ms=self.latency,
            **extra,
        )


def _count(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"state of {key}: counts must be whole numbers")
    return value


def _instant(value: Any) -> datetime | None:
    return None if value is None else parse_instant(value)
