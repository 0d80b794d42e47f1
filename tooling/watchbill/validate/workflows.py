"""What the repository's own probe workflow runs, so validate can tell when a probe asks for more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..files.loader import parse, read_text
from ..problems import LocatedError

PROBE_WORKFLOW = Path(".github") / "workflows" / "probe.yml"
SITE_WORKFLOW = Path(".github") / "workflows" / "site.yml"
"""Its presence means the organisation publishes a status site (which then needs ``status_page.url``)."""


def probe_regions(root: Path) -> list[str] | None:
    """The regions of the probe workflow's matrix, or None when there is no such workflow or matrix.

    A workflow that does not parse is not this check's business (the workflow linter reports it)."""
    path = root / PROBE_WORKFLOW
    if not path.is_file():
        return None
    try:  # the C loader: ruamel's pure one took longer than the rest of a warm validation
        data: Any = parse(read_text(path, PROBE_WORKFLOW.as_posix()), PROBE_WORKFLOW.as_posix(), positions=False).data
    except LocatedError:
        return None
    jobs = data.get("jobs") if isinstance(data, dict) else None
    for job in (jobs or {}).values() if isinstance(jobs, dict) else ():
        matrix = ((job or {}).get("strategy") or {}).get("matrix") if isinstance(job, dict) else None
        regions = matrix.get("region") if isinstance(matrix, dict) else None
        if isinstance(regions, list) and all(isinstance(r, str) for r in regions):
            return list(regions)
    return None
