"""The one place the wall clock is read; everything below the CLI takes ``now`` as a parameter."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from .fields import parse_instant


def now() -> datetime:
    """Current instant in UTC; ``WATCHBILL_NOW`` pins it for demos and reproducible runs."""
    pinned = os.environ.get("WATCHBILL_NOW")
    if pinned:
        return parse_instant(pinned).astimezone(UTC)
    return datetime.now(UTC)
