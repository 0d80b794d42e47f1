"""Watchbill: a git-native incident-as-code toolkit.

The public surface is what this module lists; everything else is internal and may change.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import WatchbillError
    from .models import Incident, Maintenance, Schedule, Service, Severity
    from .organisation import InvalidOrganisation, Organisation
    from .problems import Problem
    from .validate import Report, load_organisation, validate

__version__ = "0.1.0"

_EXPORTS = {
    "WatchbillError": "errors",
    "Incident": "models",
    "Maintenance": "models",
    "Schedule": "models",
    "Service": "models",
    "Severity": "models",
    "InvalidOrganisation": "organisation",
    "Organisation": "organisation",
    "Problem": "problems",
    "Report": "validate",
    "load_organisation": "validate",
    "validate": "validate",
}
"""Imported on first use, so ``import watchbill.cli`` (and ``watchbill --help``) stays light."""


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'watchbill' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    """Keeps ``watchbill.validate`` the function, as the eager re-export did: importing the ``watchbill.validate``
    sub-package must not replace the function with the package (Python binds a sub-module on its parent)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "Incident",
    "InvalidOrganisation",
    "Maintenance",
    "Organisation",
    "Problem",
    "Report",
    "Schedule",
    "Service",
    "Severity",
    "WatchbillError",
    "__version__",
    "load_organisation",
    "validate",
]
