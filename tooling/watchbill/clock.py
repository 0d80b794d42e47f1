"""The one place the wall clock is read; everything below the CLI takes ``now`` as a parameter."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from .errors import UsageError
from .fields import parse_instant


def now() -> datetime:
    """Current instant in UTC; ``WATCHBILL_NOW`` pins it for demos and reproducible runs.

    A pinned value that cannot be used is the caller's setting, so it is a usage error (exit 2)."""
    pinned = os.environ.get("WATCHBILL_NOW")
    if pinned:
        try:
            return parse_instant(pinned).astimezone(UTC)
        except ValueError as exc:
            raise UsageError(f"WATCHBILL_NOW: {exc}") from None
    return datetime.now(UTC)
