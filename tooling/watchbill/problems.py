"""Problems found in the organisation's files, located to a line and column a person can jump to."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

from .errors import DataError

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: ``path:line:col: level: message [rule]`` (yamllint's shape, 1-based positions)."""

    path: str
    line: int
    column: int
    level: Level
    message: str
    rule: str

    def text(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.level}: {self.message} [{self.rule}]"

    def github(self) -> str:
        """A workflow command; GitHub shows it inline on the pull request's diff."""
        message = _escape_data(f"{self.message} [{self.rule}]")
        path = _escape_property(self.path)
        return f"::{self.level} file={path},line={self.line},col={self.column},title={self.rule}::{message}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(problems: Iterable[Problem], fmt: Literal["text", "json", "github"]) -> str:
    ordered = sorted(problems)
    if fmt == "json":
        return json.dumps([asdict(p) for p in ordered], indent=2)
    if fmt == "github":
        return "\n".join(p.github() for p in ordered)
    return "\n".join(p.text() for p in ordered)


class LocatedError(DataError):
    """Raised by the loader for a file it cannot turn into data; carries its own location."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.text())
        self.problem = problem
