"""An incident's identity: ``INC-2026-0007`` and everything that follows from it.

One id names one record file (``incidents/2026/INC-2026-0007.yaml``) and one branch (``watchbill/inc-2026-0007``,
shared by a person's ``--pr`` edits and the probe lifecycle so both land in one pull request). Everything that
builds, parses or numbers ids goes through :class:`IncidentId`; the text form is spelled once, in
:data:`watchbill.fields.INCIDENT_ID_PATTERN`, because the models below this package validate it too.

Numbers have four digits, so a year holds at most 9,999 incidents: a wider number would sort wrongly as text
(in file listings, on the site) and break every record that validates the pattern. The 10,000th declaration
of a year is refused with :class:`IncidentIdError` rather than written under an id nothing can read back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ..errors import RequestError
from ..fields import INCIDENT_ID_PATTERN

if TYPE_CHECKING:
    from ..organisation import Organisation

MAX_NUMBER = 9_999
"""The last number a year can hand out; see the module docstring for why there is no fifth digit."""
_ID = re.compile(INCIDENT_ID_PATTERN)


class IncidentIdError(RequestError):
    """Raised for text that is not an incident id, or when a year has no number left to hand out."""


@dataclass(frozen=True, order=True)
class IncidentId:
    """Year and number; ordered by year, then number (numerically, not as text)."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 0 <= self.year <= 9_999 or not 0 <= self.number <= MAX_NUMBER:
            raise IncidentIdError(
                f"INC-{self.year}-{self.number} is out of range: an id has a four-digit year and a four-digit number"
            )

    @classmethod
    def parse(cls, text: str) -> IncidentId:
        """``INC-2026-0007`` (any case, surrounding blanks ignored) -> the id; anything else is refused."""
        candidate = text.strip().upper()
        if _ID.fullmatch(candidate) is None:
            raise IncidentIdError(f"'{text[:40]}' is not an incident id; write it like INC-2026-0007")
        _, year, number = candidate.split("-")
        return cls(int(year), int(number))

    @classmethod
    def from_branch(cls, prefix: str, branch: str) -> IncidentId | None:
        """The id an incident branch (``prefix`` + lower-case id) is for; None for any other branch."""
        if not branch.startswith(prefix):
            return None
        return _or_none(branch[len(prefix) :])

    @classmethod
    def from_path(cls, path: str | PurePosixPath) -> IncidentId | None:
        """The id a record file is named for (``INC-2026-0007.yaml``); None for other names."""
        name = PurePosixPath(path)
        return _or_none(name.stem) if name.suffix in (".yaml", ".yml") else None

    def __str__(self) -> str:
        return f"INC-{self.year:04d}-{self.number:04d}"

    @property
    def path(self) -> str:
        """Where the record belongs, relative to the organisation's root."""
        return f"incidents/{self.year:04d}/{self}.yaml"

    def branch(self, prefix: str) -> str:
        """The incident's one branch: every change to it, by a person or the probes, lands in one pull request."""
        return f"{prefix}{str(self).lower()}"

    def following(self) -> IncidentId:
        """The next number in the same year; refused past :data:`MAX_NUMBER`."""
        if self.number >= MAX_NUMBER:
            raise IncidentIdError(
                f"{self} is the last incident id of {self.year:04d}: ids have four digits, so a year holds at most "
                f"{MAX_NUMBER:,} incidents; archive or renumber old records before declaring more"
            )
        return IncidentId(self.year, self.number + 1)


def _or_none(text: str) -> IncidentId | None:
    """Branch and file names are taken as they are: one with blanks around the id is not an incident's."""
    try:
        return IncidentId.parse(text) if text == text.strip() else None
    except IncidentIdError:
        return None


def next_after(year: int, taken: Iterable[IncidentId]) -> IncidentId:
    """The number after the highest taken in ``year`` (0001 for a year with none)."""
    highest = max((ident.number for ident in taken if ident.year == year), default=0)
    return IncidentId(year, highest).following()


def next_free_id(org: Organisation, year: int, reserved: Iterable[IncidentId] = ()) -> IncidentId:
    """The next id of ``year`` that no loaded record, no file under ``incidents/YYYY/`` (even one that fails to
    load, so it is never overwritten) and no ``reserved`` id (e.g. an incident branch on the remote) holds.

    Callers that race (two people, or a person and the probes) must still check the id is free when they push.
    """
    taken = [ident for text in org.incidents if (ident := _or_none(text)) is not None]
    folder = org.root / "incidents" / f"{year:04d}"
    if folder.is_dir():
        taken += [ident for path in folder.iterdir() if (ident := IncidentId.from_path(path.name)) is not None]
    return next_after(year, [*taken, *reserved])
