"""Who is on call, when: rotations, the rendered timeline, reports and iCalendar export."""

from .localtime import first_of_day, last_of_day
from .render import OVERRIDE, Gap, Shift, coverage_gaps, current_shift, first_gap, next_shift, on_call, shifts

__all__ = [
    "OVERRIDE",
    "Gap",
    "Shift",
    "coverage_gaps",
    "current_shift",
    "first_gap",
    "first_of_day",
    "last_of_day",
    "next_shift",
    "on_call",
    "shifts",
]
