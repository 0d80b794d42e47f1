"""Running mkdocs from Python with the organisation already loaded, for ``watchbill site build``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import OutputError
from ..organisation import Organisation
from ..state.snapshot import Snapshot
from .audience import Audience
from .plugin import WatchbillPlugin


class SiteBuildError(OutputError):
    """The site could not be built; the message says why in words a person can act on."""


@dataclass
class BuildResult:
    site_dir: Path
    pages: int
    files: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)


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
        raise SiteBuildError(str(exc)) from None
    finally:
        config.plugins.on_shutdown()
    total = time.perf_counter() - started
    phases = dict(plugin.timings.phases)
    phases["mkdocs"] = total - (loaded - started) - sum(phases.values())
    out = Path(config.site_dir)
    files = sum(1 for p in out.rglob("*") if p.is_file())
    pages = sum(1 for p in out.rglob("*.html") if p.is_file())
    return BuildResult(out, pages, files, total, phases)
