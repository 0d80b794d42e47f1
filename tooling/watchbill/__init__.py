"""Watchbill: a git-native incident-as-code toolkit.

The public surface is what this module lists; everything else is internal and may change.
"""

from .errors import WatchbillError
from .models import Incident, Maintenance, Schedule, Service, Severity
from .organisation import InvalidOrganisation, Organisation
from .problems import Problem
from .validate import Report, load_organisation, validate

__version__ = "0.1.0"

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
