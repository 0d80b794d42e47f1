"""From probe results to incident records: thresholds, maintenance, episodes, and the proposals."""

from ..incidents.branches import DISMISSED, Unreadable
from .episodes import Episode, Ledger, LedgerError
from .flow import Lifecycle, LifecycleResult, Proposal, pull_body
from .plan import (
    Action,
    Adopt,
    Forget,
    Join,
    Open,
    Plan,
    Recover,
    Relapse,
    Resolve,
    apply_to_ledger,
    new_record,
    plan_actions,
    probes_of,
)
from .records import IdTaken, apply

__all__ = [
    "DISMISSED",
    "Action",
    "Adopt",
    "Episode",
    "Forget",
    "IdTaken",
    "Join",
    "Ledger",
    "LedgerError",
    "Lifecycle",
    "LifecycleResult",
    "Open",
    "Plan",
    "Proposal",
    "Recover",
    "Relapse",
    "Resolve",
    "Unreadable",
    "apply",
    "apply_to_ledger",
    "new_record",
    "plan_actions",
    "probes_of",
    "pull_body",
]
