"""Who is on call, when: rotations, the rendered timeline, reports and iCalendar export."""

from .localtime import first_of_day, last_of_day
from .render import OVERRIDE, Gap, Shift, coverage_gaps, first_gap, on_call, shifts
from .search import Stretch, current_shift, next_shift, on_call_stretches

__all__ = [
    "OVERRIDE",
    "Gap",
    "Shift",
    "Stretch",
    "coverage_gaps",
    "current_shift",
    "first_gap",
    "first_of_day",
    "last_of_day",
    "next_shift",
    "on_call",
    "on_call_stretches",
    "shifts",
]
