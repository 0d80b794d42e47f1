"""Generated pages put into the theme's frame without mkdocs rendering each one.

mkdocs-material renders every page through its whole template (head, header, tabs, search, footer), and
mkdocs reads, parses and links each one on the way: at 10,000 incidents that was most of a build and the
floor of any rebuild. Yet the pages of one folder (``incidents/``, ``postmortems/``, ``history/``, ...)
differ in their frame only by their title, description and address, since they sit at the same depth and
outside the navigation. So mkdocs renders one *frame page* per folder, with markers where those go, and each
page of the folder is that frame with its own values put in: a string join, not a template render. The
frame is rendered afresh by every build, so a theme, mkdocs.yml or override change reaches every page.

The pages stay in mkdocs' file list as excluded files, so hand-written pages may still link to
``incidents/INC-2026-0007.md`` and get the right address, and the sitemap is completed with them here.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from html import escape
from pathlib import Path
from urllib.parse import quote

from .render import HIDE_CHROME
from .urls import page_url

FRAME_STEM = "watchbill-frame-7c31e9"
"""The frame page's name in its folder: the part of its address that becomes each page's own."""
TITLE = "watchbill-frame-title-7c31e9"
DESCRIPTION = "watchbill-frame-description-7c31e9"
BODY = '<div hidden data-watchbill-frame="7c31e9"><h1>frame</h1></div>'
"""The frame's content; it holds an h1 so the theme adds no heading of its own, as for real pages."""
_MARKERS = re.compile("|".join(re.escape(m) for m in (DESCRIPTION, TITLE, BODY, FRAME_STEM)))
_FRONT_END = "\n---\n"


class FrameError(ValueError):
    """The theme's output does not hold the frame's markers where a page's values belong."""


@dataclass(frozen=True)
class Parts:
    """A generated page's own values: title and description as its front matter holds them (escaped)."""

    title: str
    description: str
    body: str


def split(markdown: str) -> Parts:
    """Title, description and body of a page written by :func:`watchbill.site.render.front_matter`."""
    if not markdown.startswith("---\n") or _FRONT_END not in markdown[3:]:
        raise FrameError("a generated page has no front matter")
    end = markdown.index(_FRONT_END, 3)
    fields = {}
    for line in markdown[4:end].splitlines():
        name, _, value = line.partition(": ")
        if name in ("title", "description"):
            fields[name] = json.loads(value)
    body = markdown[end + len(_FRONT_END) :].lstrip("\n")  # as mkdocs strips front matter
    return Parts(fields.get("title", ""), fields.get("description", ""), body)


def folder_of(src: str) -> str:
    return src.rpartition("/")[0]


def frame_src(folder: str) -> str:
    return f"{folder}/{FRAME_STEM}.md"


def frame_markdown() -> str:
    """The frame page: markers for title, description and body; hidden chrome and no search, like its pages."""
    hide = "".join(f"  - {item}\n" for item in HIDE_CHROME)
    return f"---\ntitle: {TITLE}\ndescription: {DESCRIPTION}\nhide:\n{hide}search:\n  exclude: true\n---\n\n{BODY}\n"


def destination(src: str, directory_urls: bool) -> str:
    """The output file of a page, relative to the site folder."""
    url = page_url(src, directory_urls)
    return url + "index.html" if url == "" or url.endswith("/") else url


class Frame:
    """The rendered frame page, cut at its markers, ready to take one page's values after another."""

    def __init__(self, html: str) -> None:
        if html.count(BODY) != 1:
            raise FrameError("the theme did not print the frame page's content exactly once")
        self.digest = hashlib.blake2b(html.encode("utf-8", errors="surrogatepass"), digest_size=16).hexdigest()
        """Part of each page's digest (:func:`watchbill.site.reuse.page_digest`): a new frame is a new page."""
        self._pieces = _MARKERS.split(html)
        self._markers = _MARKERS.findall(html)

    def fill(self, src: str, parts: Parts) -> str:
        """The page ``src`` as the theme would have rendered it; values are never searched for markers."""
        stem = quote(src.rpartition("/")[2].removesuffix(".md"))
        values = {TITLE: parts.title, DESCRIPTION: parts.description, BODY: parts.body.rstrip("\n"), FRAME_STEM: stem}
        out = [self._pieces[0]]
        for marker, piece in zip(self._markers, self._pieces[1:], strict=True):
            out.append(values[marker])
            out.append(piece)
        return "".join(out)


_URL_BLOCK = re.compile(r"<url>(?:(?!</url>).)*</url>", re.DOTALL)
_LOC = re.compile(r"<loc>(.*?)</loc>", re.DOTALL)


def complete_sitemap(site_dir: Path, site_url: str | None, srcs: list[str], directory_urls: bool, day: str) -> None:
    """Drop the frame pages from mkdocs' sitemap and add the framed pages (listed only with a site_url, as
    mkdocs does), sorted by address; the gzip copy gets a fixed time stamp: same build, same bytes."""
    path = site_dir / "sitemap.xml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return
    blocks = [b for b in _URL_BLOCK.findall(text) if FRAME_STEM not in b]
    if site_url:
        base = site_url.rstrip("/") + "/"
        blocks += [
            f"<url>\n         <loc>{escape(base + quote(page_url(src, directory_urls)))}</loc>\n"
            f"         <lastmod>{day}</lastmod>\n    </url>"
            for src in srcs
        ]
    blocks.sort(key=lambda b: m.group(1) if (m := _LOC.search(b)) else b)
    start = text.index(">", text.index("<urlset")) + 1
    end = text.rindex("</urlset>")
    text = text[:start] + "".join(f"\n    {b}" for b in blocks) + "\n" + text[end:]
    path.write_text(text, encoding="utf-8")
    gz = site_dir / "sitemap.xml.gz"
    if gz.exists():
        stamp = int(datetime.combine(date.fromisoformat(day), time(), tzinfo=UTC).timestamp())
        with gz.open("wb") as raw, gzip.GzipFile(fileobj=raw, filename=str(gz), mode="wb", mtime=stamp) as out:
            out.write(text.encode("utf-8"))
