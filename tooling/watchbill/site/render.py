"""Pages as files: Jinja2 (autoescaped) turns view models into Markdown pages of HTML, plus data files.

The output is a plain folder tree (``src path -> content``) that any static-site engine can assemble;
mkdocs-material is the one we use today. Generated pages carry their HTML as one raw block, so Markdown
never reinterprets user text, and their links are relative so the site works under any path.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.bccache import Bucket
from jinja2.runtime import Context
from markupsafe import Markup

from ..errors import OutputError
from ..fields import zone
from ..files.atomic import write_bytes_atomic
from ..validate.cache import cache_dir
from . import api, badges, feeds, ical, svg, views
from .cache import PageCache
from .urls import relative_url
from .views import SiteView, format_percent

Files = dict[str, str | bytes]
ASSETS = ("watchbill.css", "watchbill.js")
ASSET_DIR = "assets/watchbill"
HIDE_CHROME = ("navigation", "toc")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def front_text(text: str) -> str:
    """Text for front matter, which the theme prints without escaping and sometimes after unescaping.

    Angle brackets become look-alike quotes (so no later unescape can open a tag); the rest is escaped.
    """
    clean = _CONTROL.sub(" ", text).replace("<", "‹").replace(">", "›")
    return html.escape(clean, quote=True)


def front_matter(title: str, description: str, hide: tuple[str, ...] = HIDE_CHROME, *, searchable: bool = True) -> str:
    lines = ["---", f"title: {json.dumps(front_text(title), ensure_ascii=False)}"]
    lines.append(f"description: {json.dumps(front_text(description), ensure_ascii=False)}")
    if hide:
        lines.append("hide:")
        lines.extend(f"  - {item}" for item in hide)
    if not searchable:
        lines += ["search:", "  exclude: true"]
    lines.append("---")
    return "\n".join(lines) + "\n\n"


SEARCHABLE = frozenset({"index.md", "reliability.md", "oncall.md"})
"""Generated pages in the theme's search index. Incidents, postmortems and history pages stay out of it, so the
index every page downloads does not grow with the history (incidents have their own archive by year)."""
HOME_MONTH_LIMIT = 10
"""Incidents the status page lists per recent month; the rest are a link away, so its weight stays flat."""
HISTORY_PAGE_SIZE = 50
"""Incidents per history page: a page's weight stays the same at 100 or 10,000 incidents."""


@dataclass(frozen=True)
class HistoryPage:
    """One page of the paginated history, newest first, with its place among the others."""

    number: int
    count: int
    src: str
    months: tuple[views.MonthView, ...]
    previous: str | None
    next: str | None
    years: tuple[tuple[int, str], ...]
    """(year, src of the page where that year's incidents begin), newest first: the archive by year."""


def history_src(number: int) -> str:
    return "history.md" if number == 1 else f"history/{number}.md"


def history_pages(site: SiteView) -> list[HistoryPage]:
    chunks = [site.incidents[i : i + HISTORY_PAGE_SIZE] for i in range(0, len(site.incidents), HISTORY_PAGE_SIZE)]
    chunks = chunks or [()]
    years: dict[int, str] = {}
    for number, chunk in enumerate(chunks, start=1):
        for incident in chunk:
            years.setdefault(incident.started_at.astimezone(UTC).year, history_src(number))
    count = len(chunks)
    return [
        HistoryPage(
            number=number,
            count=count,
            src=history_src(number),
            months=views.months_of(chunk),
            previous=history_src(number - 1) if number > 1 else None,
            next=history_src(number + 1) if number < count else None,
            years=tuple(years.items()),
        )
        for number, chunk in enumerate(chunks, start=1)
    ]


# --- filters ----------------------------------------------------------------------------------------------


def _local(context: Context, moment: datetime) -> datetime:
    """Server-rendered times are in the organisation's zone; watchbill.js rewrites them in the reader's."""
    site = context.get("site")
    return moment.astimezone(zone(site.time_zone) if site is not None else UTC)


def _abbreviation(local: datetime) -> str:
    name = local.tzname() or "UTC"
    return "UTC" if name in ("UTC", "Etc/UTC") else name


@pass_context
def when(context: Context, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = _local(context, moment)
    return f"{local.day} {local.strftime('%b %Y, %H:%M')} {_abbreviation(local)}"


@pass_context
def short_when(context: Context, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = _local(context, moment)
    return f"{local.day} {local.strftime('%b, %H:%M')} {_abbreviation(local)}"


def day_text(value: date | None) -> str:
    if value is None:
        return "—"
    return f"{value.day} {value.strftime('%b %Y')}"


def month_text(value: date) -> str:
    return value.strftime("%B %Y")


def iso(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def duration(value: timedelta | None) -> str:
    """Human durations at the precision that matters: '45 s', '12 min', '3 h 5 min', '2 d 4 h'."""
    if value is None:
        return "—"
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)  # rounded, not truncated: 3 h 5 min 40 s reads 3 h 6 min
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(round(hours + minutes / 60), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def percent(value: float | None) -> str:
    return format_percent(value)


def share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def zip_text(left: Iterable[object], right: Iterable[object]) -> str:
    """'a: 1, b: 2' from two sequences: chart labels for screen readers."""
    return ", ".join(f"{a}: {b}" for a, b in zip(left, right, strict=False))


def humanise(value: str) -> str:
    return value.replace("_", " ").capitalize()


@pass_context
def link(context: Context, target: str) -> str:
    return relative_url(target, context["page_src"], context.get("directory_urls", True))


class TemplateCache(BytecodeCache):
    """Compiled templates in the cache folder (outside the repository), checked against their source's
    checksum by Jinja; a folder that cannot be read or written only means compiling them again."""

    def _path(self, bucket: Bucket) -> Path:
        return cache_dir() / "site" / "templates" / f"{bucket.key}.jinja"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            data = self._path(bucket).read_bytes()
        except OSError:
            return
        bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(path, bucket.bytecode_to_string(), durable=False)
        except (OSError, OutputError):
            return


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("watchbill.site", "templates"),
        bytecode_cache=TemplateCache(),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        when=when,
        short_when=short_when,
        day=day_text,
        month=month_text,
        iso=iso,
        duration=duration,
        percent=percent,
        share=share,
        humanise=humanise,
        zip_text=zip_text,
    )
    env.globals.update(link=link, svg=svg, Column=svg.Column, Bar=svg.Bar, ASSET_DIR=ASSET_DIR)
    env.globals.update(HOME_MONTH_LIMIT=HOME_MONTH_LIMIT)
    return env


_BLANK_LINES = re.compile(r"\n\s*\n")


def _page(template: str, src: str, site: SiteView | PageSite, directory_urls: bool, **context: Any) -> str:
    """One page: front matter, then a single raw HTML block (no blank lines, so Markdown leaves it whole)."""
    body = (
        environment().get_template(template).render(site=site, page_src=src, directory_urls=directory_urls, **context)
    )
    body = _BLANK_LINES.sub("\n", body.strip())
    title = context.get("title", site.title)
    description = context.get("description", site.description or site.title)
    return front_matter(title, description, searchable=src in SEARCHABLE) + body + "\n"


@dataclass(frozen=True)
class PageSite:
    """What incident and postmortem pages may read of the site: part of their cache key.

    They are rendered with this instead of the whole :class:`SiteView`, so a page cannot show something its
    key does not cover (a template that reads another field fails at once: add that field here).
    """

    audience: str
    organisation: str
    title: str
    description: str | None
    site_url: str | None
    support_url: str | None
    time_zone: str

    @classmethod
    def of(cls, site: SiteView) -> PageSite:
        return cls(
            site.audience,
            site.organisation,
            site.title,
            site.description,
            site.site_url,
            site.support_url,
            site.time_zone,
        )


def incident_pages(
    site: PageSite, incident: views.IncidentView, directory_urls: bool, cache: PageCache | None = None
) -> Files:
    """An incident's page and, when this audience may read it, its postmortem; from ``cache`` if unchanged."""
    pages = [
        (
            "incident.html",
            incident.src,
            {
                "title": f"{incident.title} ({incident.id})",
                "description": f"{incident.status_label}: {incident.title}",
                "incident": incident,
            },
        )
    ]
    if incident.postmortem is not None and incident.postmortem_src is not None:
        context = {
            "title": f"Postmortem: {incident.title}",
            "description": f"What happened in {incident.id}, why, and what we changed.",
            "incident": incident,
            "postmortem": incident.postmortem,
        }
        pages.append(("postmortem.html", incident.postmortem_src, context))
    files: Files = {}
    shown = cache.key(site, incident, directory_urls) if cache is not None else ""
    for template, src, context in pages:
        key = cache.key(shown, template, src) if cache is not None else ""
        text = cache.get(key) if cache is not None else None
        if text is None:
            text = _page(template, src, site, directory_urls, **context)
            if cache is not None:
                cache.put(key, text)
        files[src] = text
    return files


def render_pages(site: SiteView, *, directory_urls: bool = True, cache: PageCache | None = None) -> Files:
    """Every generated page as Markdown with front matter; incident pages come from ``cache`` when unchanged."""
    files: Files = {}
    desc = site.description or f"Current status, incident history and reliability of {site.organisation}."
    files["index.md"] = _page(
        "status.html", "index.md", site, directory_urls, title=site.title, description=desc, view=site.status
    )
    for history in history_pages(site):
        files[history.src] = _page(
            "history.html",
            history.src,
            site,
            directory_urls,
            title="Incident history" if history.number == 1 else f"Incident history, page {history.number}",
            description=f"Every incident {site.organisation} has published, by month, newest first.",
            history=history,
        )
    files["reliability.md"] = _page(
        "reliability.html",
        "reliability.md",
        site,
        directory_urls,
        title="Reliability",
        description=f"Response times, incident frequency and service level objectives of {site.organisation}.",
        view=site.reliability,
    )
    page_site = PageSite.of(site)
    for incident in site.incidents:
        files.update(incident_pages(page_site, incident, directory_urls, cache))
    files.update(service_pages(site, directory_urls))
    if site.audience == "internal":
        files["oncall.md"] = _page(
            "oncall.html",
            "oncall.md",
            site,
            directory_urls,
            title="On call",
            description="Who is on call, schedules, layers and escalation policies.",
            calendar_days=views.CALENDAR_DAYS,
        )
    return files


SERVICE_INCIDENTS = 10
"""Incidents a service page lists; the history has the rest."""


def service_pages(site: SiteView, directory_urls: bool) -> Files:
    """One page per service: uptime, a response-time chart per probe, its feeds and maintenance calendar."""
    files: Files = {}
    for service in site.services:
        files[service.src] = _page(
            "service.html",
            service.src,
            site,
            directory_urls,
            title=f"{service.name} status",
            description=f"Uptime, response times, incidents and maintenance of {service.name}.",
            service=service,
            incidents=site.incidents_of(service.id)[:SERVICE_INCIDENTS],
            windows=[m for m in reversed(site.maintenance) if any(s == service.id for s, _ in m.services)],
            atom_src=feeds.atom_path(service.id),
            json_src=feeds.json_path(service.id),
            ical_src=ical.service_calendar_path(service.id),
        )
    return files


def asset_files() -> Files:
    folder = resources.files("watchbill.site") / "assets"
    return {f"{ASSET_DIR}/{name}": (folder / name).read_bytes() for name in ASSETS}


def render_site(site: SiteView, *, directory_urls: bool = True, cache: PageCache | None = None) -> Files:
    """Every generated file of the site: pages, assets, the JSON API, the feed and the badges."""
    files = render_pages(site, directory_urls=directory_urls, cache=cache)
    files.update(asset_files())
    files.update(api.files(site, directory_urls=directory_urls))
    files.update(feeds.files(site, directory_urls=directory_urls))
    files.update(badges.files(site))
    files["robots.txt"] = "User-agent: *\nAllow: /\n"
    return files


def nav_entries(site: SiteView) -> list[dict[str, str]]:
    """The generated pages that belong in the navigation; incidents stay out of it on purpose."""
    entries = [{"Status": "index.md"}, {"History": "history.md"}, {"Reliability": "reliability.md"}]
    if site.audience == "internal":
        entries.append({"On call": "oncall.md"})
    return entries


__all__ = ["Files", "Markup", "nav_entries", "relative_url", "render_site"]
