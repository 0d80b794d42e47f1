"""From probe results to incident records: thresholds, maintenance, episodes, and the proposals."""

from .episodes import Episode, Ledger, LedgerError
from .flow import Lifecycle, Outcome, Proposal, probes_by_key, pull_body
from .plan import (
    DISMISSED,
    Action,
    Adopt,
    Forget,
    Open,
    Plan,
    Recover,
    Relapse,
    Resolve,
    Unreadable,
    apply_to_ledger,
    branch_name,
    new_record,
    plan,
)
from .records import IdTaken, apply

__all__ = [
    "DISMISSED",
    "Action",
    "Adopt",
    "Episode",
    "Forget",
    "IdTaken",
    "Ledger",
    "LedgerError",
    "Lifecycle",
    "Open",
    "Outcome",
    "Plan",
    "Proposal",
    "Recover",
    "Relapse",
    "Resolve",
    "Unreadable",
    "apply",
    "apply_to_ledger",
    "branch_name",
    "new_record",
    "plan",
    "probes_by_key",
    "pull_body",
]
