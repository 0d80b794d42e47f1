"""The mkdocs glue: render the organisation into a build folder, then hand its files to mkdocs.

Generated pages are written as real files (``build_dir``) and added with ``File.generated``, so the
hand-written ``docs_dir`` stays clean and is the only folder ``mkdocs serve`` watches for edits. Incident
and postmortem pages are kept out of the navigation: mkdocs-material writes the whole nav into every page,
which makes a nav of 1,000 incidents ten times slower to build.

Generated pages in sub-folders (incidents, postmortems, history pages, ...) are not rendered by mkdocs one by
one: mkdocs renders one frame per folder and :mod:`.frame` puts each page into it, and incident pages
themselves come from the page cache (:mod:`.cache`) when unchanged. The build date mkdocs writes into the
sitemap is the build's ``now``, so the same inputs give the same bytes.

Settings come from mkdocs.yml (``root``, ``audience``, ``state``, ``build_dir``), from the environment
(``WATCHBILL_AUDIENCE``, ``WATCHBILL_STATE``, ``WATCHBILL_NOW``) for ``mkdocs serve``, or from
:meth:`WatchbillPlugin.inject` when ``watchbill site build`` has already loaded everything.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel

from .. import clock
from ..organisation import InvalidOrganisation, Organisation
from ..problems import render as render_problems
from ..state.snapshot import Snapshot
from ..validate import load_organisation
from . import frame
from .audience import AUDIENCES, Audience, parse_audience
from .build import SnapshotUnavailable, Timings, build_files, load_snapshot, write_tree
from .cache import PageCache
from .render import ASSET_DIR, SEARCHABLE, TemplateCache, front_text, nav_entries
from .reuse import Recorded, Reuse, page_digest
from .views import SiteView

_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
_NAMED_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search">'


class WatchbillConfig(base.Config):  # type: ignore[no-untyped-call]
    root = c.Type(str, default="..")
    """The organisation's repository, relative to mkdocs.yml."""
    audience = c.Choice(AUDIENCES, default="public")
    state = c.Optional(c.Type(str))
    """Folder with probe state (the data branch checked out); none means incidents alone decide."""
    build_dir = c.Type(str, default="build/pages")
    """Where generated pages are written, relative to mkdocs.yml."""


_URL_SAFE = "/:?#[]@!$&()*+,;=%~"
"""What a plain URL holds besides letters and digits: RFC 3986 delimiters, no quotes, brackets or spaces."""


def _framed(src: str) -> bool:
    """Pages put into their folder's frame: generated pages in sub-folders, none of them searched."""
    return src.endswith(".md") and "/" in src and src not in SEARCHABLE


class WatchbillPlugin(BasePlugin[WatchbillConfig]):  # type: ignore[no-untyped-call]
    def __init__(self) -> None:
        super().__init__()
        self._organisation: Organisation | None = None
        self._snapshot: Snapshot | None = None
        self._audience: Audience | None = None
        self._now: datetime | None = None
        self.site: SiteView | None = None
        self.generated: list[str] = []
        self._generated_pages: set[str] = set()
        self.build_dir: Path | None = None
        self.timings = Timings()
        self._bodies: dict[str, str] = {}
        self.cache: PageCache | None = None
        self._framed: dict[str, str] = {}
        """Framed pages' Markdown by source path: written into their folder's frame after the build."""
        self._frames: dict[str, frame.Frame] = {}
        self._day = ""
        self.reuse: Reuse | None = None
        """The previous build's pages, linked while this one renders (:mod:`.reuse`); set by the caller."""
        self.pages: dict[str, Recorded] = {}
        """Each framed page as written, by file, for the build's marker (the next build's reuse)."""

    def inject(
        self,
        *,
        organisation: Organisation,
        audience: Audience,
        now: datetime,
        snapshot: Snapshot | None = None,
        cache: PageCache | None = None,
        reuse: Reuse | None = None,
    ) -> None:
        """For callers that already hold the data: the plugin then loads nothing itself."""
        self._organisation = organisation
        self._audience = audience
        self._now = now
        self._snapshot = snapshot
        self.cache = cache
        self.reuse = reuse

    def _paths(self, config: MkDocsConfig) -> tuple[Path, Path]:
        here = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
        return (here / self.config.root).resolve(), (here / self.config.build_dir).resolve()

    def _load(self, root: Path, now: datetime) -> tuple[Organisation, Snapshot | None]:
        organisation = self._organisation
        if organisation is None:
            try:
                organisation = load_organisation(root, now=now)
            except InvalidOrganisation as exc:
                text = render_problems(exc.problems, "text")
                raise PluginError(f"the organisation in {root} has errors; run 'watchbill validate'\n{text}") from None
        snapshot = self._snapshot
        state = os.environ.get("WATCHBILL_STATE") or self.config.state
        if snapshot is None and state:
            try:
                snapshot = load_snapshot(Path(state))
            except SnapshotUnavailable as exc:
                raise PluginError(str(exc)) from None
        return organisation, snapshot

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root, self.build_dir = self._paths(config)
        now = self._now or clock.now()
        try:
            audience = self._audience or parse_audience(os.environ.get("WATCHBILL_AUDIENCE") or self.config.audience)
        except ValueError as exc:
            raise PluginError(str(exc)) from None
        organisation, snapshot = self._load(root, now)
        if audience != "public":  # never share the intermediate folder with public builds
            self.build_dir = self.build_dir.with_name(f"{self.build_dir.name}-{audience}")
        if self.cache is None and config.config_file_path:
            self.cache = PageCache.for_site(Path(config.config_file_path), audience)
        site, files = build_files(
            organisation,
            audience=audience,
            now=now,
            snapshot=snapshot,
            directory_urls=config.use_directory_urls,
            timings=self.timings,
            cache=self.cache,
        )
        self._day = now.date().isoformat()
        self._keep(files)
        self.site = site
        config.site_name = front_text(site.title)
        url = (site.site_url or "").rstrip("/") + "/"
        if site.site_url and not config.site_url and quote(url, safe=_URL_SAFE) == url:
            # 404.html is served at any depth, so mkdocs roots its links at site_url's path: without it they
            # point at the host's root and break on a project site (https://org.github.io/repo/). The theme
            # writes site_url into attributes and scripts unescaped, so only a plain URL is handed over.
            config.site_url = url
        config.site_description = front_text(site.description or f"Status of {site.organisation}")
        config.extra_css.append(f"{ASSET_DIR}/watchbill.css")
        config.extra_javascript.append(f"{ASSET_DIR}/watchbill.js")
        config.nav = self._nav(config, site)
        return config

    def _keep(self, files: dict[str, str | bytes]) -> None:
        """Framed pages stay in memory; the rest, and one frame per folder, go to the build folder for mkdocs."""
        assert self.build_dir is not None
        self._framed = {src: str(text) for src, text in files.items() if _framed(src)}
        rest = {src: text for src, text in files.items() if src not in self._framed}
        rest.update({frame.frame_src(f): frame.frame_markdown() for f in {frame.folder_of(s) for s in self._framed}})
        self._frames = {}
        write_tree(self.build_dir, rest)
        self.generated = sorted(rest)
        self._generated_pages = {src for src in self.generated if src.endswith(".md")} | set(self._framed)

    def _nav(self, config: MkDocsConfig, site: SiteView) -> list[Any]:
        """The configured nav with the internal pages added; or, with none configured, a nav of our own."""
        generated = nav_entries(site)
        if config.nav is None:
            docs = Path(config.docs_dir)
            written = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md")) if docs.is_dir() else []
            return [*generated, *written]
        nav = list(config.nav)
        targets = [next(iter(e.values()), None) if isinstance(e, dict) else e for e in nav]
        present = {next(iter(e.values())) for e in generated}
        missing = [e for e in generated if next(iter(e.values())) not in targets]
        after = max((i + 1 for i, t in enumerate(targets) if t in present), default=0)
        return [*nav[:after], *missing, *nav[after:]]

    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        """The theme's templates compiled once per machine, not once per build (a second of every rebuild)."""
        env.bytecode_cache = TemplateCache()
        return env

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.build_dir is not None and self.site is not None
        in_nav = {next(iter(e.values())) for e in nav_entries(self.site)}
        for src in self.generated:
            if files.get_file_from_path(src) is not None:
                raise PluginError(
                    f"docs/{src} is written by hand but Watchbill generates that page; rename or remove it"
                )
            inclusion = (
                InclusionLevel.UNDEFINED if src in in_nav or not src.endswith(".md") else InclusionLevel.NOT_IN_NAV
            )
            files.append(File.generated(config, src, abs_src_path=str(self.build_dir / src), inclusion=inclusion))
        for src, text in self._framed.items():
            if files.get_file_from_path(src) is not None:
                raise PluginError(
                    f"docs/{src} is written by hand but Watchbill generates that page; rename or remove it"
                )
            # Excluded: mkdocs does not render it (its frame does), yet links to it from hand-written pages resolve.
            files.append(File.generated(config, src, content=text, inclusion=InclusionLevel.EXCLUDED))
        return files

    def on_pre_page(self, page: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        """The sitemap's 'last modified' is the build's instant, not the wall clock: same inputs, same bytes."""
        if self._day:
            page.update_date = self._day
        return page

    def on_page_markdown(self, markdown: str, /, *, page: Any, config: MkDocsConfig, files: Files) -> str:
        """Generated pages are one block of finished, escaped HTML: keep Markdown from re-parsing it.

        Python-Markdown would pass the block through unchanged anyway, only slowly (a third of a
        1,000-incident build); the page files stay valid Markdown for any other engine.
        """
        if page.file.src_uri in self._generated_pages:
            self._bodies[page.file.src_uri] = markdown
            return ""
        return markdown

    def on_page_content(self, html: str, /, *, page: Any, config: MkDocsConfig, files: Files) -> str:
        return self._bodies.pop(page.file.src_uri, html)

    def on_post_page(self, output: str, /, *, page: Any, config: MkDocsConfig) -> str:
        """mkdocs-material's search dialog has no accessible name (axe: aria-dialog-name); give it one.

        A frame page is kept, not written: its folder's pages are written from it after the build.
        """
        output = output.replace(_SEARCH_DIALOG, _NAMED_SEARCH_DIALOG, 1)
        folder, _, name = page.file.src_uri.rpartition("/")
        if name == f"{frame.FRAME_STEM}.md" and page.file.src_uri in self._generated_pages:
            try:
                self._frames[folder] = frame.Frame(output)
            except frame.FrameError as exc:
                raise PluginError(f"cannot frame the pages of {folder}/: {exc}") from None
            return ""
        return output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write every framed page into its folder's frame, complete the sitemap, keep the page cache."""
        started = time.perf_counter()
        site_dir = Path(config.site_dir)
        self.pages = self._write_framed(site_dir, config.use_directory_urls)
        frame.complete_sitemap(site_dir, config.site_url, list(self._framed), config.use_directory_urls, self._day)
        if self.cache is not None:
            self.cache.save()
        self.timings.measure("frame", started)

    def _write_framed(self, site_dir: Path, directory_urls: bool) -> dict[str, Recorded]:
        """Each framed page, written or kept from the previous build (:mod:`.reuse`); what the marker keeps."""
        reuse = self.reuse
        staging = reuse.folder if reuse is not None and reuse.linked() else site_dir
        recorded: dict[str, Recorded] = {}
        made: set[Path] = set()
        for src, text in self._framed.items():
            folder = frame.folder_of(src)
            if folder not in self._frames:
                raise PluginError(f"the theme rendered no frame for the pages of {folder}/")
            page = frame.destination(src, directory_urls)
            digest = page_digest(self._frames[folder].digest, src, text)
            if reuse is not None and staging != site_dir:
                kept = reuse.keeps(page, digest)
                if kept is not None:
                    recorded[page] = kept
                    continue
                reuse.unlink(page)  # never write through a link: the old site's file would change too
            path = staging / page
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            filled = self._frames[folder].fill(src, frame.split(text))
            path.write_bytes(filled.encode("utf-8", errors="xmlcharrefreplace"))
            written = path.stat()
            recorded[page] = (digest, written.st_size, written.st_mtime_ns)
        if reuse is not None and staging != site_dir:
            for page in reuse.linked() - recorded.keys():
                reuse.drop(page)
            reuse.move_into(site_dir)
        elif reuse is not None:
            reuse.discard()
        return recorded

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        """Rebuild when the organisation's records change, not only the hand-written pages."""
        root, _ = self._paths(config)
        for folder in ("policies", "schedules", "incidents"):
            if (root / folder).is_dir():
                server.watch(str(root / folder))
        state = os.environ.get("WATCHBILL_STATE") or self.config.state
        if state and Path(state).is_dir():
            server.watch(state)
        return server
