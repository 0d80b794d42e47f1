"""A static JSON API in the shape of Statuspage's public v2 API, so existing clients and widgets read it.

Shapes follow the documented endpoints (summary, status, components, incidents, unresolved incidents,
scheduled maintenances). Ids are ours (service and incident ids); statuses and impacts use Statuspage's
words. A service whose probe data is stale has no Statuspage word: it reports the status people declared
and says ``"stale": true`` in a ``watchbill`` member that clients ignore.
"""

from __future__ import annotations

import json
from typing import Any

from .status import worst
from .urls import public_url
from .views import GroupView, IncidentView, MaintenanceView, ServiceView, SiteView, slug

RECENT = 50
"""Statuspage lists the 50 most recent incidents and maintenances."""
Json = dict[str, Any]


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    text: str = moment.isoformat()
    return text.replace("+00:00", "Z")


def page(site: SiteView) -> Json:
    return {
        "id": site.page_id,
        "name": site.title,
        "url": site.site_url or "",
        "time_zone": "Etc/UTC",
        "updated_at": _iso(site.now),
    }


def _public_status(service: ServiceView) -> str:
    return "operational" if service.status == "unknown" else service.status


def component(site: SiteView, service: ServiceView, group_id: str | None) -> Json:
    return {
        "id": service.id,
        "name": service.name,
        "status": _public_status(service),
        "created_at": _iso(site.now),
        "updated_at": _iso(site.now),
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


def components(site: SiteView) -> list[Json]:
    out: list[Json] = []
    for group in site.status.groups:
        gid = group_id(group) if len(site.status.groups) > 1 else None
        if gid is not None:
            status = worst(_public_status(s) for s in group.services)  # type: ignore[misc]
            out.append(
                {
                    "id": gid,
                    "name": group.name,
                    "status": status,
                    "created_at": _iso(site.now),
                    "updated_at": _iso(site.now),
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


def incident(site: SiteView, view: IncidentView, by_id: dict[str, ServiceView], directory_urls: bool) -> Json:
    monitoring = [u.at for u in view.updates if u.status == "monitoring"]
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
                "affected_components": [
                    {"code": a.service_id, "name": a.name, "old_status": "operational", "new_status": a.impact}
                    for a in view.services
                ]
                if index == count - 1
                else None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for index, update in enumerate(view.updates)
        ],
        "components": [component(site, s, None) for s in affected],
    }


def maintenance(site: SiteView, view: MaintenanceView, by_id: dict[str, ServiceView], directory_urls: bool) -> Json:
    affected = [by_id[s] for s, _ in view.services if s in by_id]
    return {
        "id": view.id,
        "name": view.title,
        "status": view.state,
        "created_at": _iso(view.created_at),
        "updated_at": _iso(site.now),
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
        "components": [component(site, s, None) for s in affected],
        "scheduled_for": _iso(view.start),
        "scheduled_until": _iso(view.end),
    }


def status(site: SiteView) -> Json:
    description = site.status.overall.description
    if site.status.stale:
        description += " (status checks are delayed)"
    return {"indicator": site.status.overall.indicator, "description": description}


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
