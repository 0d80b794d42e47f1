"""Wall-clock times to instants, with GoAlert's rules for the two DST edges.

A local time the clock shows twice (fall back) means its first occurrence when it starts something and
its last when it ends something, so a window never shrinks; a local time the clock skips (spring
forward) means the first instant after the gap, whichever end it is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..fields import zone


def _offsets(tz: ZoneInfo, naive: datetime) -> tuple[timedelta, timedelta]:
    early = naive.replace(tzinfo=tz).utcoffset()
    late = naive.replace(tzinfo=tz, fold=1).utcoffset()
    assert early is not None and late is not None
    return early, late


def _gap_end(tz: ZoneInfo, naive: datetime, before: timedelta, after: timedelta) -> datetime:
    """The instant the clock jumps over ``naive``: the first instant whose offset is the later one."""
    low = int((naive - after).replace(tzinfo=UTC).timestamp())  # still before the jump
    high = int((naive - before).replace(tzinfo=UTC).timestamp())  # already after it
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


@lru_cache(maxsize=200_000)
def first_of_day(zone_name: str, day: date, clock: time) -> datetime:
    """The first instant the wall clock in ``zone_name`` shows ``clock`` on ``day`` (UTC).

    If the clock skips that time, the first instant after the gap (a 02:30 start on a spring-forward
    night in New York becomes 03:00 EDT).
    """
    tz = zone(zone_name)
    naive = datetime.combine(day, clock)
    early, late = _offsets(tz, naive)
    if early < late:
        return _gap_end(tz, naive, early, late)
    return (naive - early).replace(tzinfo=UTC)


@lru_cache(maxsize=200_000)
def last_of_day(zone_name: str, day: date, clock: time) -> datetime:
    """The last instant the wall clock shows ``clock`` on ``day`` (UTC); the gap's end if it skips it."""
    tz = zone(zone_name)
    naive = datetime.combine(day, clock)
    early, late = _offsets(tz, naive)
    if early < late:
        return _gap_end(tz, naive, early, late)
    return (naive - late).replace(tzinfo=UTC)


def local_date(zone_name: str, instant: datetime) -> date:
    return instant.astimezone(zone(zone_name)).date()
