"""``watchbill site build`` and ``watchbill site serve``: the status and postmortem site."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from ..site.audience import parse_audience
from ..site.engine import BuildResult, build_organisation_site, serve_site
from .common import AtOption, RootOption, err, fail, instant, organisation, out
from .output import FormatOption, emit

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

site_app = typer.Typer(help="Build or preview the status and postmortem site.", no_args_is_help=True)


def address(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8000`` for IPv6) with a port mkdocs can listen on; anything else is a usage error."""
    host, _, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        fail(f"--address must be host:port with a port from 1 to 65535, not '{text}'", code=2)
    return host, int(port)


def _show_mkdocs_warnings() -> None:
    logger = logging.getLogger("mkdocs")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


def _build_text(result: BuildResult) -> None:
    phases = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in result.phases.items())
    out.print(
        f"Built the {result.audience} site: {result.pages} pages, {result.files} files in {result.site_dir} "
        f"in {result.seconds:.2f}s ({phases}); incident pages: {result.cache.rendered} rendered, "
        f"{result.cache.reused} unchanged",
        markup=False,
    )


def build_command(
    root: RootOption = None,
    audience: AudienceOption = "public",
    state: StateOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: site/public under the root).")
    ] = None,
    config: ConfigOption = None,
    strict: Annotated[bool, typer.Option("--strict/--no-strict", help="Fail on any mkdocs warning.")] = True,
    branches: Annotated[
        bool,
        typer.Option(
            "--branches/--no-branches",
            help="Show incidents still on their pull-request branches (read from the remote 'origin'; "
            "GITHUB_TOKEN tells dismissed pull requests apart).",
        ),
    ] = True,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse incident pages rendered by earlier builds when nothing they show changed "
            "(kept under $WATCHBILL_CACHE_DIR/site); --no-cache renders every page.",
        ),
    ] = True,
    at: AtOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Build the static site: status page, incidents, postmortems, reliability, JSON API, feed, badges.

    JSON: {"at", "audience", "out_dir", "pages", "files", "counts": {"services", "incidents", "open_incidents",
    "postmortems", "maintenance", "schedules"}, "duration_ms", "phases_ms": {phase: milliseconds},
    "cache": {"rendered", "reused"} (incident and postmortem pages), "notes"}.
    """
    chosen = parse_audience(audience)
    now = instant(at)
    org = organisation(root, now)
    _show_mkdocs_warnings()
    result = build_organisation_site(
        org,
        audience=chosen,
        now=now,
        config=config,
        state=state,
        out=out_dir,
        strict=strict,
        branches=branches,
        env=os.environ,
        cache=cache,
    )
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    data = {
        "at": now,
        "audience": result.audience,
        "out_dir": result.site_dir,
        "pages": result.pages,
        "files": result.files,
        "counts": result.counts,
        "duration_ms": round(result.seconds * 1000),
        "phases_ms": {name: round(seconds * 1000) for name, seconds in result.phases.items()},
        "cache": {"rendered": result.cache.rendered, "reused": result.cache.reused},
        "notes": list(result.notes),
    }
    emit(fmt, data, lambda: _build_text(result))


def serve_command(
    root: RootOption = None,
    audience: AudienceOption = "public",
    state: StateOption = None,
    config: ConfigOption = None,
    listen: Annotated[str, typer.Option("--address", help="Where to listen, host:port.")] = "127.0.0.1:8000",
) -> None:
    """Preview the site locally; it rebuilds when records or pages change."""
    chosen = parse_audience(audience)
    host, port = address(listen)
    org = organisation(root, instant(None))  # fail early, with located problems, on a broken organisation
    _show_mkdocs_warnings()
    err.print(f"Serving the {chosen} site on http://{listen}/ (Ctrl-C to stop)", markup=False)
    serve_site(org, audience=chosen, host=host, port=port, config=config, state=state)


def register(app: typer.Typer) -> None:
    site_app.command("build")(build_command)
    site_app.command("serve")(serve_command)
    app.add_typer(site_app, name="site")
