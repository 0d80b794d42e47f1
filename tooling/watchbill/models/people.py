"""The roster: who can be paged, in which zone, and how to reach them."""

from __future__ import annotations

from pydantic import Field

from ..fields import Id, ShortText, TimeZoneName
from .base import Model

GITHUB_LOGIN_PATTERN = r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$"
"""Letters, digits and single hyphens between them, as GitHub allows logins (at most 39 characters)."""


class Person(Model):
    id: Id
    name: ShortText
    timezone: TimeZoneName
    github: str | None = Field(
        default=None,
        max_length=39,
        pattern=GITHUB_LOGIN_PATTERN,
        description="GitHub login, as GitHub allows them (letters, digits, single inner hyphens, at most 39); "
        "lets the person act on incidents by commenting on their pull requests.",
    )
    contacts: dict[Id, str] = Field(
        default_factory=dict,
        description="Channel id -> address for that channel, or a ${ENV_VAR} reference for anything private.",
    )


class PeopleFile(Model):
    """schedules/people.yaml"""

    people: list[Person] = Field(min_length=1)
