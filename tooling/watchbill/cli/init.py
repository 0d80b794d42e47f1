"""``watchbill init DIR``: start a new organisation repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..deploy.init import InitError, Skeleton, init
from .common import AtOption, fail, instant, out


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_command(
        directory: Annotated[Path, typer.Argument(help="New, empty folder for the repository.", show_default=False)],
        name: Annotated[str, typer.Option("--name", help="The organisation's name.")] = "Example Organisation",
        github_org: Annotated[
            str, typer.Option("--github-org", help="GitHub organisation, for CODEOWNERS teams.")
        ] = "example",
        timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone of the first schedule.")] = "UTC",
        person_id: Annotated[str, typer.Option("--person-id", help="Id of the first on-call person.")] = "oncall",
        person_name: Annotated[
            str, typer.Option("--person-name", help="Name of the first on-call person.")
        ] = "On-call engineer",
        url: Annotated[str, typer.Option("--url", help="URL the example probe checks.")] = "https://example.com/",
        at: AtOption = None,
    ) -> None:
        """Write a minimal organisation that passes 'watchbill validate', with workflows, CODEOWNERS and forms."""
        skeleton = Skeleton(
            organisation=name,
            github_org=github_org,
            timezone=timezone,
            person_id=person_id,
            person_name=person_name,
            url=url,
        )
        try:
            written = init(directory, skeleton, now=instant(at))
        except InitError as exc:
            fail(str(exc), code=2)
        out.print(f"Created {name}'s incident repository in {directory} ({len(written)} files):", markup=False)
        for path in sorted(p.relative_to(directory).as_posix() for p in written):
            if not path.startswith("tooling/schemas/"):
                out.print(f"  {path}", markup=False)
        out.print("  tooling/schemas/*.json (for editors)", markup=False)
        out.print("Next:", markup=False)
        out.print(
            f"  cd {directory} && git init -b main && git add -A && git commit -m 'Start incident records'",
            markup=False,
        )
        out.print("  watchbill validate", markup=False)
