"""Annotated field types shared by the models.

Every type here parses the text a person writes in YAML (``5m``, ``2026-03-08T09:00:00-05:00``,
``Europe/Berlin``, ``*/5 * * * *``) into a Python value, rejects anything ambiguous with a message that
says what would be right, and serialises back to the same text so round trips are stable.
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, StringConstraints, WithJsonSchema

_DURATION_RE = re.compile(
    r"^(?:(?P<w>[0-9]+)w)?(?:(?P<d>[0-9]+)d)?(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m(?!s))?"
    r"(?:(?P<s>[0-9]+)s)?(?:(?P<ms>[0-9]+)ms)?$"
)
DURATION_PATTERN = r"^(?=[0-9])(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m(?!s))?(?:[0-9]+s)?(?:[0-9]+ms)?$"
"""The same language as the parser's, written so ECMA-262 (editors' JSON Schema engines) and Python both read
it: no named groups, ASCII digits only, and not empty."""
_DURATION_UNITS = (("w", 604800.0), ("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0), ("ms", 0.001))
MAX_DURATION = timedelta(weeks=5200)
"""Longer durations are typos; with instants inside :data:`YEARS` every sum stays a valid datetime."""
YEARS = range(1970, 9001)
"""Supported years for instants and dates: every duration added to or taken from one stays in range, and a
local time converts to UTC without overflow (``datetime`` ends at 9999-12-31)."""


def parse_duration(value: object) -> timedelta:
    """Read ``1h30m``-style text; bare numbers are refused because their unit would be a guess."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"a duration is text like '5m', '1h30m' or '2d', not {value!r}; add a unit")
    text = value.strip()
    match = _DURATION_RE.match(text)
    if not text or match is None or not any(match.groupdict().values()):
        raise ValueError(f"'{value}' is not a duration; write it like '30s', '5m', '1h30m', '2d' or '1w'")
    seconds = sum(float(match.group(unit) or 0) * factor for unit, factor in _DURATION_UNITS)
    if seconds > MAX_DURATION.total_seconds():
        longest = format_duration(MAX_DURATION)
        raise ValueError(f"'{_clip(text)}' is too long; a duration is at most {longest} (about 100 years)")
    return timedelta(seconds=seconds)


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def format_duration(value: timedelta) -> str:
    """Inverse of :func:`parse_duration`, so a model dumped back to YAML reads as a person wrote it."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    parts: list[str] = []
    for unit, factor in _DURATION_UNITS:
        unit_ms = round(factor * 1000)
        count, total_ms = divmod(total_ms, unit_ms)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["5m", "1h30m", "2d"]}),
]


def parse_instant(value: object) -> datetime:
    """Instants must carry an offset: a naive time means something different in every reader's zone."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"'{value}' is not an ISO-8601 instant; write it like 2026-03-08T09:00:00Z or 2026-03-08T09:00:00+01:00"
            ) from None
    else:
        raise ValueError(f"an instant is ISO-8601 text like 2026-03-08T09:00:00Z, not {value!r}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"'{value}' has no UTC offset; add 'Z' or an offset such as +01:00")
    _check_year(parsed, value)
    return parsed


def _check_year(parsed: date, value: object) -> None:
    if parsed.year not in YEARS:
        raise ValueError(f"'{value}' is outside the supported years {YEARS[0]} to {YEARS[-1]}; check the year")


def format_instant(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


Instant = Annotated[
    datetime,
    BeforeValidator(parse_instant),
    PlainSerializer(format_instant, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def parse_date(value: object) -> date:
    """Dates keep to :data:`YEARS` like instants, since due dates are compared and shifted too."""
    parsed: date | None = None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        with suppress(ValueError):
            parsed = date.fromisoformat(value.strip())
    if parsed is None:
        raise ValueError(f"'{value}' is not a date; write it like 2026-03-31")
    _check_year(parsed, value)
    return parsed


Day = Annotated[
    date,
    BeforeValidator(parse_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]


def parse_local_time(value: object) -> time:
    """Wall-clock times are ``HH:MM``; YAML 1.1 would have read ``09:00`` as sexagesimal 540.

    ``24:00`` is refused: as a start or a hand-off it would be read as 00:00 of the same day, a day early.
    Only the end of a window may say it (:data:`EndTime`).
    """
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value.strip())
        if match:
            return time(int(match.group(1)), int(match.group(2)))
        if value.strip() == "24:00":
            raise ValueError(
                "'24:00' would be read as 00:00 of the same day, a day early; write '00:00' "
                "(for a weekly hand-off, with the next weekday)"
            )
    raise ValueError(f"'{value}' is not a local time; write it as HH:MM in 24-hour form, e.g. '09:00'")


def parse_end_time(value: object) -> time:
    """Like :func:`parse_local_time`, and ``24:00`` is the end of the day: 00:00, which an end at or before
    its start already reads as the next day's."""
    if isinstance(value, str) and value.strip() == "24:00":
        return time(0, 0)
    return parse_local_time(value)


_LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
LocalTime = Annotated[
    time,
    BeforeValidator(parse_local_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _LOCAL_TIME_PATTERN}),
]
EndTime = Annotated[
    time,
    BeforeValidator(parse_end_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"}),
]
"""The end of a window: ``HH:MM``, or ``24:00`` for the end of the day."""


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """Cached ZoneInfo lookup; schedules ask for the same few zones millions of times."""
    return ZoneInfo(name)


def check_timezone(value: str) -> str:
    if value not in _known_zones():
        wanted = value.strip().replace(" ", "_").lower()
        close = sorted(z for z in _known_zones() if z.lower() == wanted or z.lower().endswith("/" + wanted))
        hint = f"; did you mean {close[0]}?" if close else "; use an IANA name such as Europe/Berlin"
        raise ValueError(f"'{value}' is not a known time zone{hint}")
    try:
        zone(value)
    except ZoneInfoNotFoundError:  # pragma: no cover - listed but unloadable zone data
        raise ValueError(f"time zone data for '{value}' cannot be loaded") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(check_timezone)]


def check_cron(value: str) -> str:
    from croniter import croniter

    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"'{value}' must have exactly five fields (minute hour day-of-month month weekday)")
    if not croniter.is_valid(value):
        names = ("minute", "hour", "day-of-month", "month", "weekday")
        for index, name in enumerate(names):
            probe = ["*"] * 5
            probe[index] = fields[index]
            if not croniter.is_valid(" ".join(probe)):
                raise ValueError(f"'{value}': the {name} field '{fields[index]}' is not valid")
        raise ValueError(f"'{value}' is not a cron expression; five fields like '*/5 * * * *'")
    return value


CronExpr = Annotated[str, AfterValidator(check_cron), WithJsonSchema({"type": "string", "examples": ["*/5 * * * *"]})]

_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
Id = Annotated[str, StringConstraints(pattern=_ID)]
"""Lower-case slug: safe in file names, URLs and branch names, and cannot traverse paths."""

SeverityId = Annotated[str, StringConstraints(pattern=r"^SEV-[0-9]$")]
INCIDENT_ID_PATTERN = r"^INC-[0-9]{4}-[0-9]{4}$"
"""The one spelling of an incident id's form; :class:`watchbill.incidents.ids.IncidentId` gives it meaning."""
IncidentIdText = Annotated[str, StringConstraints(pattern=INCIDENT_ID_PATTERN)]
MaintenanceId = Annotated[str, StringConstraints(pattern=r"^MNT-[0-9]{4}-[0-9]{4}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def json_safe(value: Any) -> Any:
    """For error messages: show the offending input without dumping a huge structure."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
