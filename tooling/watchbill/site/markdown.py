"""Markdown that people write in incident files, turned into HTML that cannot carry markup of its own.

Raw HTML is not passed through but shown as text, links are limited to http(s), mailto and relative
targets, images are off (they would load from elsewhere and break the offline promise), and headings are
off (they would break the page's outline). What remains is what an update or a postmortem needs.
"""

from __future__ import annotations

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


def render(text: str | None) -> Markup:
    """HTML for a block of user Markdown; empty for nothing."""
    if not text:
        return Markup("")
    return Markup(_parser().render(text).strip())  # noqa: S704 - markdown-it escapes all input, html=False


def render_inline(text: str | None) -> Markup:
    """HTML for a one-line item (a list entry), without the wrapping paragraph."""
    if not text:
        return Markup("")
    return Markup(_parser().renderInline(text).strip())  # noqa: S704 - see render()
