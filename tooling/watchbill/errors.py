"""Every failure a person can act on, as one tree; the CLI catches the root once and exits with its code.

    WatchbillError                exit 1: the base; its message is the whole story for a person
    ├── UsageError                exit 2: an option, argument or environment variable the command cannot use
    ├── DataError                 the organisation's files are at fault; ``problems`` locates each finding
    │   ├── LocatedError          one file cannot be read as data (problems.py)
    │   ├── InvalidOrganisation   the files have errors and the command needs valid data (organisation.py)
    │   └── EditError             an edit would make a record invalid; nothing was written (files/yamledit.py)
    ├── RequestError              the request does not fit the data: unknown person, record already resolved,
    │                             an id someone else took, a rejected intake form, a bad shard
    ├── StateError                the machine's own state (data branch ledger, results file) is damaged
    ├── ForgeError                a remote refused or failed: git (GitError, PushRejected), GitHub (GitHubError)
    └── OutputError               output could not be written: impossible path, disk full, read-only folder

Anything else that escapes is a bug: ``main()`` reports it as an internal error with exit 70 (EX_SOFTWARE).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .problems import Problem

__all__ = [
    "DataError",
    "ForgeError",
    "OutputError",
    "RequestError",
    "StateError",
    "UsageError",
    "WatchbillError",
]


class WatchbillError(Exception):
    """Raised for a failure a person can fix; ``exit_code`` is what the command exits with."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: list[Problem] = list(problems)


class UsageError(WatchbillError):
    """Raised for a value given on the command line or in the environment that cannot be used."""

    exit_code: ClassVar[int] = 2


class DataError(WatchbillError):
    """Raised when the organisation's files are at fault; ``problems`` carries the located findings."""


class RequestError(WatchbillError):
    """Raised when what was asked does not fit the data as it stands."""


class StateError(WatchbillError):
    """Raised when state Watchbill keeps for itself (ledger, results files) cannot be read."""


class ForgeError(WatchbillError):
    """Raised when git or GitHub refuses or fails; the message says what to check."""


class OutputError(WatchbillError):
    """Raised when output cannot be written where it was asked to go."""
