"""Subscriptions: Atom and JSON Feed 1.1 of incidents and maintenance, for the whole page and per service.

``history.atom`` and ``feed.json`` carry every public incident and maintenance window; ``feeds/<service>.atom``
and ``feeds/<service>.json`` only those touching one service, as Statuspage's and incident.io's component
subscriptions do. Each incident is one entry (its updates newest first, its ``updated`` the latest); each
maintenance occurrence is one entry (a recurring window gets a new entry per occurrence, so readers see the
next one announced). Maintenance is also published as iCalendar (:mod:`.ical`).

Entry ids are stable across builds and hosts (name-based UUIDs), so readers never show an entry twice. Feeds
read the audience's view models only: a public build cannot carry an internal incident, a drill, a person or
a probe's target.
"""

from __future__ import annotations

import heapq
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import escape

from . import ical
from .urls import public_url
from .views import IncidentView, MaintenanceView, ServiceView, SiteView

ATOM = "http://www.w3.org/2005/Atom"
JSON_FEED = "https://jsonfeed.org/version/1.1"
FEED_PATH = "history.atom"
JSON_FEED_PATH = "feed.json"
ENTRIES = 50
_NAMESPACE = uuid.UUID("8a1d6c1e-3f0e-4e59-9a61-5c3b7f2d0b11")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STATE_LABEL = {"scheduled": "Scheduled", "in_progress": "In progress", "completed": "Completed"}


def atom_path(service_id: str) -> str:
    return f"feeds/{service_id}.atom"


def json_path(service_id: str) -> str:
    return f"feeds/{service_id}.json"


def _xml(text: str) -> str:
    """XML 1.0 cannot carry control characters or U+FFFE/U+FFFF even escaped; one would spoil the whole feed."""
    return _NOT_XML.sub("", text)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _id(site: SiteView, key: str) -> str:
    """Stable across builds and hosts, so readers never show an entry twice."""
    return uuid.uuid5(_NAMESPACE, f"{site.page_id}/{key}").urn


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


@dataclass(frozen=True)
class Entry:
    """One feed item, whatever the format: an incident or one maintenance occurrence."""

    key: str
    title: str
    src: str
    published: datetime
    updated: datetime
    html: str
    text: str
    tags: tuple[str, ...]


def _incident_html(view: IncidentView) -> str:
    parts = []
    if view.summary:
        parts.append(str(view.summary))
    for update in view.updates:
        parts.append(
            f"<p><strong>{escape(update.status_label)}</strong> — {escape(_stamp(update.at))}</p>{update.message}"
        )
    return "\n".join(parts) or "<p>No updates yet.</p>"


def _incident_text(view: IncidentView) -> str:
    lines = [f"{u.status_label} ({_stamp(u.at)}): {u.message_text}" for u in view.updates]
    return "\n".join(lines) or "No updates yet."


def incident_entry(view: IncidentView) -> Entry:
    return Entry(
        key=view.id,
        title=f"{view.title} ({view.status_label})",
        src=view.src,
        published=view.started_at,
        updated=view.updated_at,
        html=_incident_html(view),
        text=_incident_text(view),
        tags=("incident", view.impact, *(a.service_id for a in view.services)),
    )


def maintenance_entry(site: SiteView, view: MaintenanceView) -> Entry:
    """One occurrence: a recurring window's entries are keyed by their start, a one-off's by its id."""
    state = _STATE_LABEL[view.state]
    window = f"{_stamp(view.start)} – {_stamp(view.end)}"
    names = ", ".join(name for _, name in view.services)
    happened = [m for m in (view.start, view.end) if m <= site.now]
    html = f"<p><strong>{escape(state)}</strong> — {escape(window)}</p><p>Affects {escape(names)}.</p>"
    return Entry(
        key=f"{view.id}/{_iso(view.start)}" if view.recurrence else view.id,
        title=f"Maintenance: {view.title} ({state})",
        src="index.md",
        published=min(view.created_at, view.start),
        updated=max(happened, default=min(view.created_at, view.start)),
        html=html + str(view.description),
        text=f"{state}: {window}. Affects {names}." + (f"\n\n{view.description_text}" if view.description_text else ""),
        tags=("maintenance", *(s for s, _ in view.services)),
    )


def entries(site: SiteView, service: ServiceView | None = None) -> list[Entry]:
    """Newest change first, at most ``ENTRIES``; with ``service``, only what touches it.

    Only the newest incidents become entries: a feed of 50 out of 10,000 need not format the other 9,950."""
    incidents: Sequence[IncidentView] = site.incidents
    windows = site.maintenance
    if service is not None:
        incidents = site.incidents_of(service.id)
        windows = tuple(m for m in windows if any(s == service.id for s, _ in m.services))
    newest = heapq.nlargest(ENTRIES, incidents, key=lambda v: (v.updated_at, v.id))
    found = [incident_entry(v) for v in newest] + [maintenance_entry(site, m) for m in windows]
    return sorted(found, key=lambda e: (e.updated, e.key), reverse=True)[:ENTRIES]


def _titles(site: SiteView, service: ServiceView | None) -> tuple[str, str]:
    if service is None:
        return f"{site.title}: incident history", f"Incidents and maintenance of {site.organisation}."
    return f"{site.title}: {service.name}", f"Incidents and maintenance affecting {service.name}."


def atom(
    site: SiteView, items: Sequence[Entry], *, service: ServiceView | None, self_path: str, directory_urls: bool
) -> bytes:
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "en")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _xml(v) for k, v in attrs.items()})
        if text is not None:
            element.text = _xml(text)
        return element

    title, subtitle = _titles(site, service)
    home = service.src if service is not None else "index.md"
    sub(root, "id", _id(site, "feed" if service is None else f"feed/{service.id}"))
    sub(root, "title", title)
    sub(root, "subtitle", subtitle)
    sub(root, "updated", _iso(items[0].updated if items else site.now))
    sub(root, "link", rel="alternate", type="text/html", href=public_url(site.site_url, home, directory_urls))
    sub(root, "link", rel="self", type="application/atom+xml", href=public_url(site.site_url, self_path))
    author = sub(root, "author")
    sub(author, "name", site.organisation)
    sub(root, "generator", "Watchbill")
    for item in items:
        entry = sub(root, "entry")
        sub(entry, "id", _id(site, item.key))
        sub(entry, "title", item.title)
        sub(entry, "published", _iso(item.published))
        sub(entry, "updated", _iso(item.updated))
        sub(entry, "link", rel="alternate", type="text/html", href=public_url(site.site_url, item.src, directory_urls))
        for tag in item.tags:
            sub(entry, "category", term=tag)
        sub(entry, "content", item.html, type="html")
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def json_feed(
    site: SiteView, items: Sequence[Entry], *, service: ServiceView | None, self_path: str, directory_urls: bool
) -> bytes:
    """JSON Feed 1.1 (jsonfeed.org): ``id`` and ``content_html``/``content_text`` per item, RFC 3339 dates."""
    title, subtitle = _titles(site, service)
    home = service.src if service is not None else "index.md"
    document = {
        "version": JSON_FEED,
        "title": title,
        "description": subtitle,
        "home_page_url": public_url(site.site_url, home, directory_urls),
        "feed_url": public_url(site.site_url, self_path),
        "language": "en",
        "authors": [{"name": site.organisation}],
        "items": [
            {
                "id": _id(site, item.key),
                "url": public_url(site.site_url, item.src, directory_urls),
                "title": item.title,
                "content_html": item.html,
                "content_text": item.text,
                "date_published": _iso(item.published),
                "date_modified": _iso(item.updated),
                "tags": list(item.tags),
            }
            for item in items
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode() + b"\n"


def feed(site: SiteView, *, directory_urls: bool = True) -> bytes:
    """The whole page's Atom feed."""
    return atom(site, entries(site), service=None, self_path=FEED_PATH, directory_urls=directory_urls)


def files(site: SiteView, *, directory_urls: bool = True) -> dict[str, str | bytes]:
    """Every subscription file: Atom, JSON Feed and iCal, for the page and for each public service."""
    items = entries(site)
    out: dict[str, str | bytes] = {
        FEED_PATH: atom(site, items, service=None, self_path=FEED_PATH, directory_urls=directory_urls),
        JSON_FEED_PATH: json_feed(site, items, service=None, self_path=JSON_FEED_PATH, directory_urls=directory_urls),
    }
    for service in site.services:
        items = entries(site, service)
        atom_src, json_src = atom_path(service.id), json_path(service.id)
        out[atom_src] = atom(site, items, service=service, self_path=atom_src, directory_urls=directory_urls)
        out[json_src] = json_feed(site, items, service=service, self_path=json_src, directory_urls=directory_urls)
    out.update(ical.files(site))
    return out
