"""An Atom feed of incident updates: one entry per incident, its updates newest first, for feed readers."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

from markupsafe import escape

from .urls import public_url
from .views import IncidentView, SiteView

ATOM = "http://www.w3.org/2005/Atom"
FEED_PATH = "history.atom"
ENTRIES = 50
_NAMESPACE = uuid.UUID("8a1d6c1e-3f0e-4e59-9a61-5c3b7f2d0b11")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """XML 1.0 cannot carry control characters or U+FFFE/U+FFFF even escaped; one would spoil the whole feed."""
    return _NOT_XML.sub("", text)


def _iso(view_time: object) -> str:
    text = view_time.isoformat()  # type: ignore[attr-defined]
    return str(text).replace("+00:00", "Z")


def _id(site: SiteView, key: str) -> str:
    """Stable across builds and hosts, so readers never show an entry twice."""
    return uuid.uuid5(_NAMESPACE, f"{site.page_id}/{key}").urn


def _content(view: IncidentView) -> str:
    parts = []
    if view.summary:
        parts.append(str(view.summary))
    for update in view.updates:
        stamp = update.at.strftime("%d %b %Y, %H:%M UTC")
        parts.append(f"<p><strong>{escape(update.status_label)}</strong> — {escape(stamp)}</p>{update.message}")
    return "\n".join(parts) or "<p>No updates yet.</p>"


def feed(site: SiteView, *, directory_urls: bool = True) -> bytes:
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "en")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _xml(v) for k, v in attrs.items()})
        if text is not None:
            element.text = _xml(text)
        return element

    entries = sorted(site.incidents, key=lambda v: v.updated_at, reverse=True)[:ENTRIES]
    sub(root, "id", _id(site, "feed"))
    sub(root, "title", f"{site.title}: incident history")
    sub(root, "updated", _iso(entries[0].updated_at if entries else site.now))
    sub(root, "link", rel="alternate", type="text/html", href=public_url(site.site_url, "index.md", directory_urls))
    sub(root, "link", rel="self", type="application/atom+xml", href=public_url(site.site_url, FEED_PATH))
    author = sub(root, "author")
    sub(author, "name", site.organisation)
    sub(root, "generator", "Watchbill")
    for view in entries:
        entry = sub(root, "entry")
        sub(entry, "id", _id(site, view.id))
        sub(entry, "title", f"{view.title} ({view.status_label})")
        sub(entry, "published", _iso(view.started_at))
        sub(entry, "updated", _iso(view.updated_at))
        sub(entry, "link", rel="alternate", type="text/html", href=public_url(site.site_url, view.src, directory_urls))
        sub(entry, "content", _content(view), type="html")
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def files(site: SiteView, *, directory_urls: bool = True) -> dict[str, str | bytes]:
    return {FEED_PATH: feed(site, directory_urls=directory_urls)}
