"""What one check found, and the file a probe run leaves behind for the merge job.

Result files travel between GitHub Actions jobs as artifacts, so they are read back with the same
strictness as any other input: a file that is not ours, or is damaged, is refused with a clear message.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import StateError
from ..fields import Instant
from ..files.atomic import write_text_atomic

FORMAT = "watchbill-results/1"
DEFAULT_REGION = "default"

Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$")]
RegionName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]


class Result(BaseModel):
    """One probe's verdict in one run: ``ok`` is None when the probe could not be checked at all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: Key
    at: Instant
    ok: bool | None
    latency_ms: float | None = Field(default=None, ge=0)
    error: str | None = Field(default=None, max_length=500)
    attempts: int = Field(default=1, ge=0)
    region: RegionName = DEFAULT_REGION
    regions: dict[RegionName, bool | None] = Field(
        default_factory=dict, description="After a merge: what each region saw."
    )


class ResultsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["watchbill-results/1"] = "watchbill-results/1"
    region: RegionName = DEFAULT_REGION
    shard: str | None = Field(default=None, pattern=r"^[0-9]+/[0-9]+$")
    merged: bool = False
    started_at: Instant
    finished_at: Instant
    results: list[Result] = Field(default_factory=list)

    @property
    def run_started(self) -> datetime:
        return min((r.at for r in self.results), default=self.started_at)


class ResultsFileError(StateError):
    """A results file that cannot be used; the message names the file and what is wrong."""


def write_results(path: Path, results: ResultsFile) -> None:
    write_text_atomic(path, results.model_dump_json(indent=1) + "\n")


def read_results(path: Path) -> ResultsFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsFileError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ResultsFileError(f'{path}: not a watchbill results file (expected "format": "{FORMAT}")')
    try:
        return ResultsFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ResultsFileError(f"{path}: {where}: {first['msg']}") from None
