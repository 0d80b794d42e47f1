"""A static JSON API in the shape of Statuspage's public v2 API, so existing clients and widgets read it.

Shapes follow the documented endpoints (summary, status, components, incidents, unresolved incidents,
scheduled maintenances). Ids are ours (service and incident ids); statuses and impacts use Statuspage's
words. Timestamps are written as Statuspage writes them: UTC with milliseconds (``2026-11-23T12:00:00.000Z``),
which strict clients parse with ``%Y-%m-%dT%H:%M:%S.%f%z``.

Stale probe data has no Statuspage word. The page says "No recent data" and never shows a stale green, so the
API does not either: such a component reads ``degraded_performance`` (we cannot vouch for it), the page's
indicator is at least ``minor`` with the banner's words ("Status checks are delayed"), and a ``watchbill``
member that clients ignore says ``"status": "unknown", "stale": true``.

Component ``created_at`` is the first day the records know of the service and ``updated_at`` the last moment
they changed what it shows; a maintenance's ``created_at`` is when it was announced (``announced_at``), falling
back to its start only when the record does not say.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from .status import worst
from .urls import public_url
from .views import GroupView, IncidentView, MaintenanceView, ServiceView, SiteView, UpdateView, slug

RECENT = 50
"""Statuspage lists the 50 most recent incidents and maintenances."""
Json = dict[str, Any]


STALE_DESCRIPTION = "Status checks are delayed"


def stamp(moment: datetime) -> str:
    """Statuspage's form: UTC, milliseconds, ``Z`` (``2026-11-23T12:00:00.000Z``)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else stamp(moment)


def time_zone(name: str) -> str:
    """Statuspage names UTC ``Etc/UTC``; every other zone by its IANA name."""
    return "Etc/UTC" if name in ("UTC", "Etc/UTC", "Z") else name


def page(site: SiteView) -> Json:
    return {
        "id": site.page_id,
        "name": site.title,
        "url": site.site_url or "",
        "time_zone": time_zone(site.time_zone),
        "updated_at": _iso(site.now),
    }


def _public_status(service: ServiceView) -> str:
    return "degraded_performance" if service.status == "unknown" else service.status


def _since(site: SiteView, service: ServiceView) -> datetime:
    """The first day the records cover: the oldest bar, else the start of the history window."""
    first = service.days[0].day if service.days else (site.now - timedelta(days=site.history_days)).date()
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def component(site: SiteView, service: ServiceView, group_id: str | None) -> Json:
    created = _since(site, service)
    updated = max(created, service.changed_at) if service.changed_at else created
    return {
        "id": service.id,
        "name": service.name,
        "status": _public_status(service),
        "created_at": stamp(created),
        "updated_at": stamp(updated),
        "position": service.position + 1,
        "description": service.description,
        "showcase": True,
        "start_date": None,
        "group_id": group_id,
        "page_id": site.page_id,
        "group": False,
        "only_show_if_degraded": False,
        "watchbill": {"status": service.status, "stale": service.status == "unknown", "uptime": service.uptime},
    }


def group_id(group: GroupView) -> str:
    return f"group-{slug(group.name)}"


def group_ids(site: SiteView) -> dict[str, str | None]:
    """Service id -> its group's component id; None when the page has one group (Statuspage shows no groups)."""
    grouped = len(site.status.groups) > 1
    return {s.id: group_id(g) if grouped else None for g in site.status.groups for s in g.services}


def components(site: SiteView) -> list[Json]:
    out: list[Json] = []
    for group in site.status.groups:
        gid = group_id(group) if len(site.status.groups) > 1 else None
        if gid is not None:
            status = worst(_public_status(s) for s in group.services)  # type: ignore[misc]
            members = [component(site, s, gid) for s in group.services]
            out.append(
                {
                    "id": gid,
                    "name": group.name,
                    "status": status,
                    "created_at": min(m["created_at"] for m in members),
                    "updated_at": max(m["updated_at"] for m in members),
                    "position": len(out) + 1,
                    "description": None,
                    "showcase": False,
                    "start_date": None,
                    "group_id": None,
                    "page_id": site.page_id,
                    "group": True,
                    "only_show_if_degraded": False,
                    "components": [s.id for s in group.services],
                }
            )
        out.extend(component(site, s, gid) for s in group.services)
    return out


def _affected(update: UpdateView) -> list[Json] | None:
    if update.changes is None:
        return None
    return [
        {"code": c.service_id, "name": c.name, "old_status": c.old_status, "new_status": c.new_status}
        for c in update.changes
    ]


def incident(site: SiteView, view: IncidentView, by_id: dict[str, ServiceView], directory_urls: bool) -> Json:
    monitoring = [u.at for u in view.updates if u.status == "monitoring"]
    groups = group_ids(site)
    affected = [by_id[a.service_id] for a in view.services if a.service_id in by_id]
    count = len(view.updates)
    return {
        "id": view.id,
        "name": view.title,
        "status": view.status,
        "created_at": _iso(view.detected_at),
        "updated_at": _iso(view.updated_at),
        "monitoring_at": _iso(min(monitoring)) if monitoring else None,
        "resolved_at": _iso(view.resolved_at),
        "impact": view.impact,
        "shortlink": public_url(site.site_url, view.src, directory_urls),
        "started_at": _iso(view.started_at),
        "page_id": site.page_id,
        "incident_updates": [
            {
                "id": f"{view.id}-{count - index}",
                "status": update.status,
                "body": update.message_text,
                "incident_id": view.id,
                "created_at": _iso(update.at),
                "updated_at": _iso(update.at),
                "display_at": _iso(update.at),
                "affected_components": _affected(update),
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for index, update in enumerate(view.updates)
        ],
        "components": [component(site, s, groups.get(s.id)) for s in affected],
    }


def _maintenance_updated(site: SiteView, view: MaintenanceView) -> datetime:
    """The last of announced, started and ended that has happened (announced, if nothing has)."""
    return max((m for m in (view.start, view.end) if m <= site.now), default=view.created_at)


def maintenance(site: SiteView, view: MaintenanceView, by_id: dict[str, ServiceView], directory_urls: bool) -> Json:
    affected = [by_id[s] for s, _ in view.services if s in by_id]
    groups = group_ids(site)
    return {
        "id": view.id,
        "name": view.title,
        "status": view.state,
        "created_at": _iso(view.created_at),
        "updated_at": stamp(_maintenance_updated(site, view)),
        "monitoring_at": None,
        "resolved_at": _iso(view.end) if view.state == "completed" else None,
        "impact": "maintenance",
        "shortlink": public_url(site.site_url, "index.md", directory_urls),
        "started_at": _iso(view.start),
        "page_id": site.page_id,
        "incident_updates": [
            {
                "id": f"{view.id}-1",
                "status": view.state,
                "body": view.description_text or view.title,
                "incident_id": view.id,
                "created_at": _iso(view.created_at),
                "updated_at": _iso(view.created_at),
                "display_at": _iso(view.created_at),
                "affected_components": None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        ],
        "components": [component(site, s, groups.get(s.id)) for s in affected],
        "scheduled_for": _iso(view.start),
        "scheduled_until": _iso(view.end),
    }


def status(site: SiteView) -> Json:
    """The page's banner in Statuspage's words; stale data is never reported as all clear."""
    overall = site.status.overall
    unknown = any(s.status == "unknown" for s in site.services)
    if (site.status.stale or unknown) and overall.indicator == "none":
        return {"indicator": "minor", "description": STALE_DESCRIPTION}
    if site.status.stale:
        return {"indicator": overall.indicator, "description": f"{overall.description} ({STALE_DESCRIPTION.lower()})"}
    return {"indicator": overall.indicator, "description": overall.description}


def documents(site: SiteView, *, directory_urls: bool = True) -> dict[str, Json]:
    by_id = {s.id: s for s in site.services}
    head = page(site)
    unresolved = [incident(site, v, by_id, directory_urls) for v in site.incidents if v.is_open]
    recent = [incident(site, v, by_id, directory_urls) for v in site.incidents[:RECENT]]
    windows = [maintenance(site, m, by_id, directory_urls) for m in site.maintenance]
    upcoming = [m for m in windows if m["status"] == "scheduled"]
    active = [m for m in windows if m["status"] == "in_progress"]
    return {
        "summary.json": {
            "page": head,
            "components": components(site),
            "incidents": unresolved,
            "scheduled_maintenances": active + upcoming,
            "status": status(site),
        },
        "status.json": {"page": head, "status": status(site)},
        "components.json": {"page": head, "components": components(site)},
        "incidents.json": {"page": head, "incidents": recent},
        "incidents/unresolved.json": {"page": head, "incidents": unresolved},
        "scheduled-maintenances.json": {"page": head, "scheduled_maintenances": windows[:RECENT]},
        "scheduled-maintenances/upcoming.json": {"page": head, "scheduled_maintenances": upcoming},
        "scheduled-maintenances/active.json": {"page": head, "scheduled_maintenances": active},
    }


def files(site: SiteView, *, directory_urls: bool = True) -> dict[str, str | bytes]:
    return {
        f"api/v2/{name}": json.dumps(document, ensure_ascii=False, indent=1).encode() + b"\n"
        for name, document in documents(site, directory_urls=directory_urls).items()
    }
