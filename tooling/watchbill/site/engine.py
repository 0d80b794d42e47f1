"""Running mkdocs from Python with the organisation already loaded: ``watchbill site build`` and ``serve``.

``build_organisation_site`` and ``serve_site`` are the two use cases; they find the mkdocs configuration and
probe state the same way for every caller and turn mkdocs' and the file system's failures into
``WatchbillError``s, so an impossible output folder is a message, not a traceback.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import OutputError, UsageError
from ..organisation import Organisation
from ..state.snapshot import Snapshot
from ..validate.cache import pause_collector
from . import output
from .audience import Audience
from .branches import with_branch_records
from .build import load_snapshot
from .cache import CacheStats, PageCache
from .plugin import WatchbillPlugin
from .reuse import Reuse
from .views import SiteView


class SiteBuildError(OutputError):
    """The site could not be built; the message says why in words a person can act on."""


@dataclass
class BuildResult:
    site_dir: Path
    pages: int
    files: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    audience: Audience = "public"
    counts: dict[str, int] = field(default_factory=dict)
    """What the pages show: services, incidents (open ones apart), maintenance windows, schedules."""
    notes: tuple[str, ...] = ()
    """What the build could not do and what that means for the pages (e.g. incident branches unreadable)."""
    cache: CacheStats = field(default_factory=CacheStats)
    """Incident and postmortem pages rendered by this build, and those taken unchanged from the page cache."""
    removal: output.Removal = field(default_factory=lambda: output.Removal(None))
    """The replaced site, deleted in the background (:class:`.output.Removal`)."""


def counts_of(site: SiteView) -> dict[str, int]:
    return {
        "services": len(site.services),
        "incidents": len(site.incidents),
        "open_incidents": len(site.status.active),
        "postmortems": sum(1 for i in site.incidents if i.postmortem is not None),
        "maintenance": len(site.maintenance),
        "schedules": len(site.schedules),
    }


def config_path(root: Path, explicit: Path | None) -> Path:
    path = explicit or root / "site" / "mkdocs.yml"
    if not path.is_file():
        raise UsageError(f"{path} not found; pass --config or run from the organisation's repository")
    return path


def probe_state(directory: Path | None) -> Snapshot | None:
    """The data branch's probe state checked out in ``directory``; None when no folder is given."""
    if directory is None:
        return None
    if not directory.is_dir():
        raise UsageError(f"--state {directory} is not a folder")
    return load_snapshot(directory)


def build_organisation_site(
    org: Organisation,
    *,
    audience: Audience,
    now: datetime,
    config: Path | None = None,
    state: Path | None = None,
    out: Path | None = None,
    strict: bool = True,
    branches: bool = False,
    env: Mapping[str, str] | None = None,
    cache: bool = True,
) -> BuildResult:
    """The organisation's site, built with its mkdocs.yml (default ``site/mkdocs.yml``) into ``out``.

    Without ``out``, a public build goes to mkdocs.yml's ``site_dir`` (``site/public``) and an internal one to
    ``site/internal``: never into the folder that is published. With ``branches``, incidents still on their
    pull-request branches are laid over the checkout's records (:mod:`.branches`). Without ``cache`` every
    page is rendered afresh (and the page cache is left as it was).
    """
    config_file = config_path(org.root, config)
    snapshot = probe_state(state)
    notes: tuple[str, ...] = ()
    if branches:
        overlay = with_branch_records(org, now, env=os.environ if env is None else env)
        org, notes = overlay.organisation, overlay.notes
    result = build_site(
        config_file,
        organisation=org,
        audience=audience,
        now=now,
        snapshot=snapshot,
        site_dir=out,
        strict=strict,
        cache=None if cache else PageCache(),
    )
    return replace(result, notes=notes)


def serve_site(
    org: Organisation,
    *,
    audience: Audience,
    host: str,
    port: int,
    config: Path | None = None,
    state: Path | None = None,
) -> None:
    """Preview with mkdocs' live-reloading server until interrupted; the plugin reloads records on change."""
    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    config_file = config_path(org.root, config)
    os.environ["WATCHBILL_AUDIENCE"] = audience
    if state is not None:
        os.environ["WATCHBILL_STATE"] = str(state.resolve())
    try:
        serve(config_file=str(config_file), dev_addr=f"{host}:{port}", livereload=True)
    except (Abort, PluginError, ConfigurationError) as exc:
        raise SiteBuildError(f"site serve failed: {exc}") from None
    except OSError as exc:
        raise SiteBuildError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


INTERNAL_DIR = "internal"
"""Default folder of internal builds, beside mkdocs.yml (the public one is mkdocs.yml's ``site_dir``)."""


def target_folder(config_file: Path, configured: str, audience: Audience, explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit.resolve()
    if audience == "public":
        return Path(configured)
    return config_file.resolve().parent / INTERNAL_DIR


def build_site(
    config_file: Path,
    *,
    organisation: Organisation,
    audience: Audience,
    now: datetime,
    snapshot: Snapshot | None = None,
    site_dir: Path | None = None,
    strict: bool = True,
    cache: PageCache | None = None,
) -> BuildResult:
    """Build with mkdocs into a folder beside the target, then swap it in (see ``output``).

    ``strict`` turns every mkdocs warning into a failure, as CI wants. ``cache`` holds rendered pages between
    builds; by default the configuration's own under the cache folder (:meth:`PageCache.for_site`).
    """
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError

    started = time.perf_counter()
    try:
        config = load_config(config_file=str(config_file), strict=strict)
    except (ConfigurationError, OSError) as exc:
        raise SiteBuildError(f"cannot load {config_file}: {exc}") from None
    target = target_folder(config_file, config.site_dir, audience, site_dir)
    previous = output.check_target(target, audience)
    try:
        with pause_collector(), output.staged(target) as aside:
            config.site_dir = str(aside)
            reuse = Reuse(target if previous else None, output.marker_pages(previous), aside)
            reuse.start()  # first: it links while everything else runs
            cache = cache if cache is not None else PageCache.for_site(config_file, audience)
            try:
                plugin, loaded = _run_mkdocs(config, config_file, (organisation, audience, now, snapshot, cache), reuse)
            finally:
                reuse.stop()
            removal = output.remove_in_background(output.swap_in(aside, target))
    except OSError as exc:
        raise SiteBuildError(f"cannot write the site to {target}: {exc.strerror or exc}") from None
    total = time.perf_counter() - started
    phases = dict(plugin.timings.phases)
    phases["mkdocs"] = total - (loaded - started) - sum(phases.values())
    files, pages = output.count_files(target)
    counts = counts_of(plugin.site) if plugin.site is not None else {}
    return BuildResult(target, pages, files, total, phases, audience, counts, cache=cache.stats, removal=removal)


def _run_mkdocs(
    config: Any,
    config_file: Path,
    inputs: tuple[Organisation, Audience, datetime, Snapshot | None, PageCache],
    reuse: Reuse,
) -> tuple[WatchbillPlugin, float]:
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    plugin = config.plugins.get("watchbill")
    if not isinstance(plugin, WatchbillPlugin):
        raise SiteBuildError(f"{config_file} does not enable the 'watchbill' plugin; add it under plugins:")
    organisation, audience, now, snapshot, cache = inputs
    plugin.inject(organisation=organisation, audience=audience, now=now, snapshot=snapshot, cache=cache, reuse=reuse)
    loaded = time.perf_counter()
    try:
        config.plugins.on_startup(command="build", dirty=False)
        build(config)
    except (Abort, PluginError, ConfigurationError) as exc:
        raise SiteBuildError(f"site build failed: {exc}") from None
    finally:
        config.plugins.on_shutdown()
    (Path(config.site_dir) / output.MARKER).write_text(output.marker_text(audience, plugin.pages), encoding="utf-8")
    return plugin, loaded
