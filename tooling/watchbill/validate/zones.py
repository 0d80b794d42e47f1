"""Time zone names that load but mislead: old aliases and legacy zones, with the name to write instead.

``US/Eastern`` is an alias (an IANA *link*) of ``America/New_York``; ``EST`` is a fixed UTC-05:00 that never
observes daylight saving time, so a team meaning US Eastern time would be an hour off all summer;
``EST5EDT``-style zones follow one country's rules of today back through history. The aliases are read from
the ``tzdata`` package's own ``tzdata.zi`` (its ``L target alias`` lines), so the advice follows the zone data
Watchbill runs with; the legacy zones are named here, with what a team writing them usually means.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

FIXED = {
    "EST": ("-05:00", "America/New_York"),
    "MST": ("-07:00", "America/Denver (or America/Phoenix for Arizona)"),
    "HST": ("-10:00", "Pacific/Honolulu"),
}
"""Fixed-offset legacy zones: their offset and the zone a team writing them usually means."""
RULE_BASED = {
    "EST5EDT": "America/New_York",
    "CST6CDT": "America/Chicago",
    "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles",
    "CET": "Europe/Paris",
    "MET": "Europe/Paris",
    "EET": "Europe/Athens",
    "WET": "Europe/Lisbon",
}
"""Legacy zones that apply one set of daylight-saving rules to all of history; the city zone to write."""


def _zoneinfo_text(name: str) -> str:
    try:
        return resources.files("tzdata").joinpath(f"zoneinfo/{name}").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):  # pragma: no cover - tzdata is a dependency
        return ""


@lru_cache(maxsize=1)
def links() -> dict[str, str]:
    """Alias -> canonical zone, from the tzdata package.

    A link that ``zone.tab`` still lists is a country's own zone (``Europe/Oslo`` is a link of
    ``Europe/Berlin`` since 2022, yet the right name for Norway), and aliases of ``Etc/`` zones (UTC, GMT)
    mean what they say: neither is advice-worthy.
    """
    listed = {line.split("\t")[2] for line in _zoneinfo_text("zone.tab").splitlines() if line.count("\t") >= 2}
    table: dict[str, str] = {}
    for line in _zoneinfo_text("tzdata.zi").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L" and not parts[1].startswith("Etc/") and parts[2] not in listed:
            table[parts[2]] = parts[1]
    return table


def advice(name: str) -> str | None:
    """What is wrong with ``name`` and what to write instead; None for a canonical zone."""
    if name in FIXED:
        offset, meant = FIXED[name]
        return (
            f"time zone '{name}' is a fixed UTC{offset} that never observes daylight saving time; "
            f"if you mean the local time of a place, write {meant}"
        )
    if name in RULE_BASED:
        return (
            f"time zone '{name}' is a legacy zone that applies today's daylight-saving rules to all of history; "
            f"write the zone of a place, e.g. {RULE_BASED[name]}"
        )
    canonical = links().get(name)
    if canonical is not None:
        return f"time zone '{name}' is an old alias of {canonical}; write {canonical}"
    return None
