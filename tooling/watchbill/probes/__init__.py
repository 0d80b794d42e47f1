"""Probes: check services over HTTP(S), TCP, DNS and TLS, many at once, within hard time limits.

The result types load at once; the checkers (httpx, dnspython) load on first use, so readers of probe
data such as the status page do not pay for a network stack they never use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .merge import merge
from .result import DEFAULT_REGION, Result, ResultsFile, ResultsFileError, read_results, write_results
from .select import ShardError, all_targets, is_due, parse_shard, probes_by_key, select
from .target import Target

if TYPE_CHECKING:
    from .context import CheckContext, CheckFailed, Outcome
    from .runner import RunOptions, run, run_async

_LAZY = {
    "CheckContext": ".context",
    "CheckFailed": ".context",
    "Outcome": ".context",
    "RunOptions": ".runner",
    "run": ".runner",
    "run_async": ".runner",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_REGION",
    "CheckContext",
    "CheckFailed",
    "Outcome",
    "Result",
    "ResultsFile",
    "ResultsFileError",
    "RunOptions",
    "ShardError",
    "Target",
    "all_targets",
    "is_due",
    "merge",
    "parse_shard",
    "probes_by_key",
    "read_results",
    "run",
    "run_async",
    "select",
    "write_results",
]
