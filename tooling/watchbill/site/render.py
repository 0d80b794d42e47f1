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
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from . import api, badges, feeds, svg, views
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


def front_matter(title: str, description: str, hide: tuple[str, ...] = HIDE_CHROME) -> str:
    lines = ["---", f"title: {json.dumps(front_text(title), ensure_ascii=False)}"]
    lines.append(f"description: {json.dumps(front_text(description), ensure_ascii=False)}")
    if hide:
        lines.append("hide:")
        lines.extend(f"  - {item}" for item in hide)
    lines.append("---")
    return "\n".join(lines) + "\n\n"


# --- filters ----------------------------------------------------------------------------------------------


def when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc.strftime('%b %Y, %H:%M')} UTC"


def short_when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc.strftime('%b, %H:%M')} UTC"


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
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
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


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("watchbill.site", "templates"),
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
    return env


_BLANK_LINES = re.compile(r"\n\s*\n")


def _page(template: str, src: str, site: SiteView, directory_urls: bool, **context: Any) -> str:
    """One page: front matter, then a single raw HTML block (no blank lines, so Markdown leaves it whole)."""
    body = (
        environment().get_template(template).render(site=site, page_src=src, directory_urls=directory_urls, **context)
    )
    body = _BLANK_LINES.sub("\n", body.strip())
    title = context.get("title", site.title)
    description = context.get("description", site.description or site.title)
    return front_matter(title, description) + body + "\n"


def render_pages(site: SiteView, *, directory_urls: bool = True) -> Files:
    files: Files = {}
    desc = site.description or f"Current status, incident history and reliability of {site.organisation}."
    files["index.md"] = _page(
        "status.html", "index.md", site, directory_urls, title=site.title, description=desc, view=site.status
    )
    files["history.md"] = _page(
        "history.html",
        "history.md",
        site,
        directory_urls,
        title="Incident history",
        description=f"Every incident {site.organisation} has published, by month.",
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
    for incident in site.incidents:
        files[incident.src] = _page(
            "incident.html",
            incident.src,
            site,
            directory_urls,
            title=f"{incident.title} ({incident.id})",
            description=f"{incident.status_label}: {incident.title}",
            incident=incident,
        )
        if incident.postmortem is not None and incident.postmortem_src is not None:
            files[incident.postmortem_src] = _page(
                "postmortem.html",
                incident.postmortem_src,
                site,
                directory_urls,
                title=f"Postmortem: {incident.title}",
                description=f"What happened in {incident.id}, why, and what we changed.",
                incident=incident,
                postmortem=incident.postmortem,
            )
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


def asset_files() -> Files:
    folder = resources.files("watchbill.site") / "assets"
    return {f"{ASSET_DIR}/{name}": (folder / name).read_bytes() for name in ASSETS}


def render_site(site: SiteView, *, directory_urls: bool = True) -> Files:
    """Every generated file of the site: pages, assets, the JSON API, the feed and the badges."""
    files = render_pages(site, directory_urls=directory_urls)
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
