"""Markdown that people write in incident files, turned into HTML that cannot carry markup of its own.

Raw HTML is not passed through but shown as text, links are limited to http(s), mailto and relative
targets, images are off (they would load from elsewhere and break the offline promise), and headings are
off (they would break the page's outline). What remains is what an update or a postmortem needs.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup

_SAFE_SCHEMES = ("http:", "https:", "mailto:")


def _validate_link(url: str) -> bool:
    text = url.strip().lower()
    if ":" not in text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return True  # relative link or fragment
    return text.startswith(_SAFE_SCHEMES)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "heading", "lheading", "html_block", "html_inline"])
    md.validateLink = _validate_link  # type: ignore[method-assign]
    return md


_remembered: MutableMapping[str, str] | None = None


@contextmanager
def remembering(memory: MutableMapping[str, str]) -> Iterator[None]:
    """Render each text once: HTML by source text in ``memory``, which a build keeps for the next one.

    Most of a site's text is unchanged from one build to the next, and rendering it is most of building the
    incident views. ``memory`` must belong to this module's code (the page cache's fingerprint covers it).
    """
    global _remembered
    outer, _remembered = _remembered, memory
    try:
        yield
    finally:
        _remembered = outer


def _rendered(kind: str, text: str) -> str:
    key = f"{kind}\0{text}"
    if _remembered is not None and (known := _remembered.get(key)) is not None:
        return known
    parser = _parser()
    html: str = (parser.render(text) if kind == "block" else parser.renderInline(text)).strip()
    if _remembered is not None:
        _remembered[key] = html
    return html


def render(text: str | None) -> Markup:
    """HTML for a block of user Markdown; empty for nothing."""
    if not text:
        return Markup("")
    return Markup(_rendered("block", text))  # noqa: S704 - markdown-it escapes all input, html=False


def render_inline(text: str | None) -> Markup:
    """HTML for a one-line item (a list entry), without the wrapping paragraph."""
    if not text:
        return Markup("")
    return Markup(_rendered("inline", text))  # noqa: S704 - see render()
