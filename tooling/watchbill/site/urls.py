"""Where generated files are published, and links between them that work under any base path."""

from __future__ import annotations

import posixpath


def page_url(src: str, directory_urls: bool = True) -> str:
    """Where mkdocs publishes a source file, relative to the site root ('' for the home page)."""
    if not src.endswith(".md"):
        return src
    stem = src[:-3]
    if not directory_urls:
        return stem + ".html"
    if stem == "index" or stem.endswith("/index"):
        return stem[:-5]
    return stem + "/"


def relative_url(target: str, page: str, directory_urls: bool = True) -> str:
    """A link from the page ``page`` to ``target`` (both source paths; the target may carry a #fragment)."""
    target_path, _, fragment = target.partition("#")
    here = page_url(page, directory_urls)
    there = page_url(target_path, directory_urls) if target_path else here
    base = here if here == "" or here.endswith("/") else posixpath.dirname(here) + "/"
    rel = posixpath.relpath("/" + there, "/" + base)
    if there == "" or there.endswith("/"):
        rel = rel.rstrip("/") + "/"
    return rel + (f"#{fragment}" if fragment else "")


def public_url(site_url: str | None, src: str, directory_urls: bool = True) -> str:
    """Absolute when the site's address is configured, else relative to the site root."""
    path = page_url(src, directory_urls)
    if not site_url:
        return path
    return site_url.rstrip("/") + "/" + path
