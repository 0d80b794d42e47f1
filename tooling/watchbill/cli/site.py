"""``watchbill site build`` and ``watchbill site serve``: the status and postmortem site."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from ..state.snapshot import Snapshot
from .common import AtOption, RootOption, err, fail, find_root, instant, organisation, out

AudienceOption = Annotated[
    str, typer.Option("--audience", help="public: what customers may see; internal: adds people and internal records.")
]
StateOption = Annotated[
    Path | None,
    typer.Option("--state", help="Probe state folder (the data branch checked out); statuses then include probes."),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="mkdocs.yml to use (default: site/mkdocs.yml under the root).")
]


def _audience(text: str) -> str:
    from ..site import parse_audience

    try:
        return parse_audience(text)
    except ValueError as exc:
        fail(str(exc), code=2)


def _config(root: Path, explicit: Path | None) -> Path:
    path = explicit or root / "site" / "mkdocs.yml"
    if not path.is_file():
        fail(f"{path} not found; pass --config or run from the organisation's repository", code=2)
    return path


def _snapshot(directory: Path | None) -> Snapshot | None:
    if directory is None:
        return None
    if not directory.is_dir():
        fail(f"--state {directory} is not a folder", code=2)
    from ..site.build import SnapshotUnavailable, load_snapshot

    try:
        return load_snapshot(directory)
    except SnapshotUnavailable as exc:
        fail(str(exc))


def _show_mkdocs_warnings() -> None:
    logger = logging.getLogger("mkdocs")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


def register(app: typer.Typer) -> None:
    site_app = typer.Typer(help="Build or preview the status and postmortem site.", no_args_is_help=True)
    app.add_typer(site_app, name="site")

    @site_app.command("build")
    def build_command(
        root: RootOption = None,
        audience: AudienceOption = "public",
        state: StateOption = None,
        out_dir: Annotated[
            Path | None, typer.Option("--out", help="Output folder (default: site/public under the root).")
        ] = None,
        config: ConfigOption = None,
        strict: Annotated[bool, typer.Option("--strict/--no-strict", help="Fail on any mkdocs warning.")] = True,
        at: AtOption = None,
    ) -> None:
        """Build the static site: status page, incidents, postmortems, reliability, JSON API, feed, badges."""
        from ..site.engine import SiteBuildError, build_site

        chosen = _audience(audience)
        base = find_root(root)
        config_file = _config(base, config)
        now = instant(at)
        org = organisation(base, now)
        snapshot = _snapshot(state)
        _show_mkdocs_warnings()
        try:
            result = build_site(
                config_file,
                organisation=org,
                audience=chosen,  # type: ignore[arg-type]
                now=now,
                snapshot=snapshot,
                site_dir=out_dir.resolve() if out_dir else None,
                strict=strict,
            )
        except SiteBuildError as exc:
            fail(f"site build failed: {exc}")
        phases = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in result.phases.items())
        out.print(
            f"Built the {chosen} site: {result.pages} pages, {result.files} files in {result.site_dir} "
            f"in {result.seconds:.2f}s ({phases})",
            markup=False,
        )

    @site_app.command("serve")
    def serve_command(
        root: RootOption = None,
        audience: AudienceOption = "public",
        state: StateOption = None,
        config: ConfigOption = None,
        address: Annotated[str, typer.Option("--address", help="Where to listen.")] = "127.0.0.1:8000",
    ) -> None:
        """Preview the site locally; it rebuilds when records or pages change."""
        from mkdocs.commands.serve import serve
        from mkdocs.exceptions import Abort, ConfigurationError, PluginError

        chosen = _audience(audience)
        base = find_root(root)
        config_file = _config(base, config)
        organisation(base, instant(None))  # fail early, with located problems, on a broken organisation
        os.environ["WATCHBILL_AUDIENCE"] = chosen
        if state is not None:
            os.environ["WATCHBILL_STATE"] = str(state.resolve())
        _show_mkdocs_warnings()
        err.print(f"Serving the {chosen} site on http://{address}/ (Ctrl-C to stop)", markup=False)
        try:
            serve(config_file=str(config_file), dev_addr=address, livereload=True)
        except (Abort, PluginError, ConfigurationError) as exc:
            fail(f"site serve failed: {exc}")
