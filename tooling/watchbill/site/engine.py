"""Running mkdocs from Python with the organisation already loaded: ``watchbill site build`` and ``serve``.

``build_organisation_site`` and ``serve_site`` are the two use cases; they find the mkdocs configuration and
probe state the same way for every caller and turn mkdocs' and the file system's failures into
``WatchbillError``s, so an impossible output folder is a message, not a traceback.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import OutputError, UsageError
from ..organisation import Organisation
from ..state.snapshot import Snapshot
from .audience import Audience
from .build import load_snapshot
from .plugin import WatchbillPlugin
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


def output_folder(directory: Path) -> Path:
    """The folder made ready before mkdocs starts, so a path that cannot be a folder fails with its reason."""
    try:
        resolved = directory.resolve()
        resolved.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiteBuildError(f"cannot write the site to {directory}: {exc.strerror or exc}") from None
    return resolved


def build_organisation_site(
    org: Organisation,
    *,
    audience: Audience,
    now: datetime,
    config: Path | None = None,
    state: Path | None = None,
    out: Path | None = None,
    strict: bool = True,
) -> BuildResult:
    """The organisation's site, built with its mkdocs.yml (default ``site/mkdocs.yml``) into ``out``."""
    config_file = config_path(org.root, config)
    snapshot = probe_state(state)
    site_dir = output_folder(out) if out is not None else None
    return build_site(
        config_file,
        organisation=org,
        audience=audience,
        now=now,
        snapshot=snapshot,
        site_dir=site_dir,
        strict=strict,
    )


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


def build_site(
    config_file: Path,
    *,
    organisation: Organisation,
    audience: Audience,
    now: datetime,
    snapshot: Snapshot | None = None,
    site_dir: Path | None = None,
    strict: bool = True,
) -> BuildResult:
    """Build with mkdocs; ``strict`` turns every mkdocs warning into a failure, as CI wants."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    started = time.perf_counter()
    try:
        if site_dir is None:
            config = load_config(config_file=str(config_file), strict=strict)
        else:
            config = load_config(config_file=str(config_file), strict=strict, site_dir=str(site_dir))
    except (ConfigurationError, OSError) as exc:
        raise SiteBuildError(f"cannot load {config_file}: {exc}") from None
    plugin = config.plugins.get("watchbill")
    if not isinstance(plugin, WatchbillPlugin):
        raise SiteBuildError(f"{config_file} does not enable the 'watchbill' plugin; add it under plugins:")
    plugin.inject(organisation=organisation, audience=audience, now=now, snapshot=snapshot)
    loaded = time.perf_counter()
    try:
        config.plugins.on_startup(command="build", dirty=False)
        build(config)
    except (Abort, PluginError, ConfigurationError) as exc:
        raise SiteBuildError(f"site build failed: {exc}") from None
    except OSError as exc:
        raise SiteBuildError(f"cannot write the site to {config.site_dir}: {exc.strerror or exc}") from None
    finally:
        config.plugins.on_shutdown()
    total = time.perf_counter() - started
    phases = dict(plugin.timings.phases)
    phases["mkdocs"] = total - (loaded - started) - sum(phases.values())
    out = Path(config.site_dir)
    files = sum(1 for p in out.rglob("*") if p.is_file())
    pages = sum(1 for p in out.rglob("*.html") if p.is_file())
    counts = counts_of(plugin.site) if plugin.site is not None else {}
    return BuildResult(out, pages, files, total, phases, audience, counts)
