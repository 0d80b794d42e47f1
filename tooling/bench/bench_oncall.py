"""Resolve a year of on-call for 100 schedules (layers, restrictions, changes, overrides, DST zones)."""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchbill.models import WEEKDAYS, Schedule
from watchbill.oncall import coverage_gaps, on_call, shifts
from watchbill.oncall.localtime import first_of_day, last_of_day

SCHEDULES = 100
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC", "America/Los_Angeles"]


def make_schedule(index: int, rng: random.Random) -> Schedule:
    people = [f"p{index}-{i}" for i in range(rng.randint(3, 8))]
    start = YEAR_START - timedelta(days=rng.randint(30, 400), hours=rng.randint(0, 23))
    layers: list[dict[str, object]] = [
        {
            "name": "Primary",
            "start": start.isoformat(),
            "members": people,
            "rotation": "weekly",
            "handoff": {"weekday": rng.choice(WEEKDAYS), "time": f"{rng.randint(0, 23):02d}:00"},
            "changes": [
                {"effective": (YEAR_START + timedelta(days=rng.randint(10, 300))).isoformat(), "members": people[::-1]}
            ],
        }
    ]
    if index % 2:
        layers.append(
            {
                "name": "Business hours",
                "start": start.isoformat(),
                "members": people[:3],
                "rotation": "daily",
                "handoff": {"time": "09:00"},
                "restrictions": [{"days": list(WEEKDAYS[:5]), "start": "09:00", "end": "17:00"}],
            }
        )
    if index % 3 == 0:
        layers.append(
            {
                "name": "Nights",
                "start": start.isoformat(),
                "members": people[-2:],
                "rotation": "custom",
                "shift_length": "12h",
                "restrictions": [{"days": list(WEEKDAYS), "start": "22:00", "end": "06:00"}],
            }
        )
    overrides = []
    for _ in range(rng.randint(0, 6)):
        opens = YEAR_START + timedelta(hours=rng.randint(0, 8000))
        overrides.append(
            {
                "person": rng.choice(people),
                "start": opens.isoformat(),
                "end": (opens + timedelta(hours=rng.randint(4, 72))).isoformat(),
            }
        )
    return Schedule.model_validate(
        {
            "id": f"s{index}",
            "name": f"Schedule {index}",
            "timezone": rng.choice(ZONES),
            "layers": layers,
            "overrides": overrides,
        }
    )


def run() -> list[tuple[str, str]]:
    rng = random.Random(7)
    schedules = [make_schedule(i, rng) for i in range(SCHEDULES)]
    first_of_day.cache_clear()
    last_of_day.cache_clear()
    started = time.perf_counter()
    count = sum(len(shifts(s, YEAR_START, YEAR_END)) for s in schedules)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    sum(len(shifts(s, YEAR_START, YEAR_END)) for s in schedules)
    warm = time.perf_counter() - started
    started = time.perf_counter()
    gaps = sum(len(coverage_gaps(s, YEAR_START, YEAR_END)) for s in schedules)
    gap_time = time.perf_counter() - started
    instants = [YEAR_START + timedelta(minutes=rng.randint(0, 525_000)) for _ in range(1000)]
    started = time.perf_counter()
    for instant in instants:
        on_call(schedules[instant.minute % SCHEDULES], instant)
    lookups = time.perf_counter() - started
    return [
        (f"year of shifts, {SCHEDULES} schedules ({count} shifts), cold", f"{cold:.3f} s"),
        (f"year of shifts, {SCHEDULES} schedules, warm zone cache", f"{warm:.3f} s"),
        (f"coverage gaps for the year ({gaps} gaps)", f"{gap_time:.3f} s"),
        ("on_call at 1,000 random instants", f"{lookups:.3f} s ({lookups:.3f} ms each)"),
    ]


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:<60} {figure}")
