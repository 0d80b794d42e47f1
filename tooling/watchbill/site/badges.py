"""shields.io endpoint badges: ``https://img.shields.io/endpoint?url=<site>/badges/<service>.json``."""

from __future__ import annotations

import json

from .status import STATUS_LABEL
from .views import SiteView, format_percent

STATUS_COLOR = {
    "operational": "brightgreen",
    "under_maintenance": "blue",
    "degraded_performance": "yellow",
    "partial_outage": "orange",
    "major_outage": "red",
    "unknown": "lightgrey",
}
INDICATOR_COLOR = {
    "none": "brightgreen",
    "maintenance": "blue",
    "minor": "yellow",
    "major": "orange",
    "critical": "red",
}


def uptime_color(uptime: float | None) -> str:
    if uptime is None:
        return "lightgrey"
    for floor, color in ((0.999, "brightgreen"), (0.99, "green"), (0.95, "yellow"), (0.9, "orange")):
        if uptime >= floor:
            return color
    return "red"


def _badge(label: str, message: str, color: str) -> bytes:
    document = {"schemaVersion": 1, "label": label, "message": message, "color": color}
    return json.dumps(document, ensure_ascii=False).encode() + b"\n"


def files(site: SiteView) -> dict[str, str | bytes]:
    out: dict[str, str | bytes] = {
        "badges/status.json": _badge(
            "status", site.status.overall.description.lower(), INDICATOR_COLOR[site.status.overall.indicator]
        )
    }
    for service in site.services:
        out[f"badges/{service.id}.json"] = _badge(
            service.name, STATUS_LABEL[service.status].lower(), STATUS_COLOR[service.status]
        )
        days = len(service.days)
        out[f"badges/{service.id}-uptime.json"] = _badge(
            f"uptime {days}d", format_percent(service.uptime), uptime_color(service.uptime)
        )
    return out
