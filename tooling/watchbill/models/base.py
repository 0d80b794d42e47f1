"""The configuration every model shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Strict on purpose: YAML's ``no``, ``"5"`` or ``1.0`` must never be coerced into something else.

    Unknown keys are errors, because a misspelt optional key (``ackowledge:``) would otherwise be
    ignored without a word and the rule the person meant would never apply.

    Validators are built on first use, not at import: a command uses a few of the models (a warm
    ``validate`` builds no incident), and building all of them is a fifth of its start-up.
    """

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        populate_by_name=True,
        validate_default=False,
        str_strip_whitespace=False,
        defer_build=True,
    )
