"""The paging use cases behind ``escalate simulate``, ``escalate run`` and ``ack``.

Plain functions over a loaded organisation, so a workflow step, a pull-request comment handler or a test
pages and acknowledges exactly as the CLI does. They return what happened; they print nothing and raise
only ``WatchbillError``s (an acknowledgement that cannot be recorded is an ``AckError``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import RequestError
from ..forge.git import GitError, Repository
from ..forge.github import GitHub, GitHubError, from_environment, repository_from
from ..incidents.branches import BranchRecords, Unreadable
from ..incidents.ids import IncidentId
from ..models import Incident
from ..organisation import Organisation
from .branches import acknowledge_on_branch, record_on_branches, waiting_records
from .claims import acknowledge_on_data_branch, page_claimed
from .plan import Firing, all_firings
from .run import AckError, IncidentPaging, Links, acknowledge, page_open_incidents

SIMULATED_INCIDENT = "INC-0000-0000"


@dataclass(frozen=True)
class Simulation:
    """Every firing of the policy that would apply, for an incident nobody acknowledges."""

    service: str
    severity: str
    policy: str
    detected_at: datetime
    firings: list[Firing]


def simulate_escalation(org: Organisation, service: str, severity: str | None, now: datetime) -> Simulation:
    """``severity`` defaults to the service's own; the incident is taken as detected at ``now``."""
    if service not in org.services:
        known = ", ".join(sorted(org.services)) or "none"
        raise RequestError(f"unknown service '{service}' (known: {known})")
    picked = org.services[service]
    severity = severity or picked.severity
    if severity not in org.severities:
        raise RequestError(f"unknown severity '{severity}' (known: {', '.join(sorted(org.severities))})")
    policy = org.policy_for(picked, org.severities[severity])
    if policy is None:
        raise RequestError(f"no escalation policy applies to service '{service}' at {severity}")
    firings = all_firings(policy, org, incident_id=SIMULATED_INCIDENT, severity=severity, detected_at=now)
    return Simulation(service, severity, policy.id, now, firings)


@dataclass
class EscalationPass:
    """One ``escalate run``: what each incident got, sends that failed, and what could not be looked at."""

    at: datetime
    dry_run: bool
    incidents: list[IncidentPaging] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Records that were paged but could not be updated, or could not be paged at all."""
    notes: list[str] = field(default_factory=list)
    followed: list[Incident] = field(default_factory=list)
    """Every open record the pass looked at, as escalation saw it (acknowledgements in the journal applied)."""

    @property
    def failed(self) -> int:
        """Failed sends and errors: anything above zero makes the command exit 1 (it is retried next run)."""
        return len(self.errors) + sum(len(paging.failed) for paging in self.incidents)

    @property
    def quiet(self) -> bool:
        """Nothing was due, skipped or worth a note."""
        return not self.errors and not any(p.planned or p.skipped or p.note or p.reminders for p in self.incidents)


def clone_of(org: Organisation, remote: str) -> Repository | None:
    """The organisation's folder as a clone of ``remote``; None for a plain folder (no git, or no such remote),
    whose records are then paged and acknowledged in their files."""
    try:
        return Repository(org.root, remote=remote)
    except GitError:
        return None


def run_escalation(
    org: Organisation,
    now: datetime,
    *,
    env: Mapping[str, str],
    remote: str = "origin",
    dry_run: bool = False,
    retries: int = 2,
    backoff: float = 2.0,
    branches: bool = True,
    reminders: bool = False,
    repo: Repository | None = None,
    github: GitHub | None = None,
) -> EscalationPass:
    """Send every due, unsent step for open incidents, exactly once per step, and record it.

    In a clone, nothing is written to the base branch: sends for the checkout's records are claimed and
    recorded in their journal on the data branch (``claims``). With ``branches``, records the probes opened
    that still wait on their pull request are paged too, and their notifications also committed to their
    branch. In a plain folder the records' own files are updated, as a person would edit them.

    GitHub (``github``, else a client from ``env``'s token, see :func:`connect`) is asked about records on
    incident branches: one whose pull request was closed without merging is not paged, and pages link to
    the open pull request, where ``/ack`` acknowledges. With ``reminders`` the commander (or the on-call) is
    reminded of overdue updates (:mod:`~watchbill.paging.targets`), exactly once per overdue period."""
    send_options = {"retries": retries, "backoff": backoff}
    result = EscalationPass(now, dry_run)
    repo = repo or clone_of(org, remote)
    if repo is None:
        result.notes.append(f"{org.root} is not a clone with a remote '{remote}': sends are recorded in the files")
        result.incidents = page_open_incidents(org, now, env=env, dry_run=dry_run, send_options=send_options)
        result.followed = [i for i in org.open_incidents() if i.acknowledged_at is None]
        return result
    own = github is None
    github = connect(env, repo, now) if own else github
    try:
        _claimed_pass(org, repo, github, result, env=env, branches=branches, reminders=reminders, options=send_options)
    finally:
        if own and github is not None:
            github.close()
    return result


def _claimed_pass(
    org: Organisation,
    repo: Repository,
    github: GitHub | None,
    result: EscalationPass,
    *,
    env: Mapping[str, str],
    branches: bool,
    reminders: bool,
    options: Mapping[str, float],
) -> None:
    now = result.at
    try:
        waiting, errors = waiting_records(org, repo, github) if branches else ([], [])
        result.errors.extend(errors)
        records = [*org.open_incidents(), *(record for _, record in waiting)]
        links = _LinkFinder(org, repo, github, env, {record.id for _, record in waiting})
        claimed = page_claimed(
            org,
            repo,
            records,
            now,
            env=env,
            dry_run=result.dry_run,
            send_options=options,
            reminders=reminders,
            links=links,
        )
    except GitError as exc:
        result.errors.append(f"nothing was paged: {exc}")
        return
    result.incidents.extend(claimed.runs)
    result.followed = list(claimed.seen.values())
    result.errors.extend(claimed.errors)
    result.notes.extend(problem.text() for problem in claimed.problems)
    result.errors.extend(record_on_branches(org, repo, waiting, claimed.events))


def connect(env: Mapping[str, str], repo: Repository, now: datetime) -> GitHub | None:
    """A GitHub client from the environment's token or App, or None without one (or off GitHub)."""
    try:
        return from_environment(env, repository=repository_from(env, repo.remote.url), now=now)
    except (GitHubError, OSError):
        return None


class _LinkFinder:
    """Where a page says to act, looked up only for the records being paged (GitHub's rate limit is small):
    the open pull request of a record on its incident branch, else the record's page on the base branch."""

    def __init__(
        self, org: Organisation, repo: Repository, github: GitHub | None, env: Mapping[str, str], waiting: set[str]
    ) -> None:
        self.org, self.repo, self.github, self.waiting = org, repo, github, waiting
        name = repository_from(env, repo.remote.url)
        server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        self.web = f"{server}/{name}" if name else None
        self.found: dict[str, Links] = {}

    def __call__(self, incident_id: str) -> Links:
        if incident_id not in self.found:
            self.found[incident_id] = self._look(IncidentId.parse(incident_id))
        return self.found[incident_id]

    def _look(self, ident: IncidentId) -> Links:
        settings = self.org.settings
        if str(ident) in self.waiting and self.github is not None:
            try:
                pull = self.github.find_pull(ident.branch(settings.lifecycle.branch_prefix))
            except GitHubError:
                pull = None
            if pull is not None and pull.url:
                return Links(pull=pull.url)
        if self.web is None or str(ident) in self.waiting:
            return Links()
        return Links(record=f"{self.web}/blob/{settings.lifecycle.base_branch}/{ident.path}")


@dataclass(frozen=True)
class Acknowledgement:
    incident: Incident
    """The record as it stands after the call."""
    changed: bool
    """False when it was acknowledged already (the earlier time stands)."""
    branch: str | None = None
    """Where the acknowledgement was recorded: the data branch for a record on the base branch, the incident
    branch for one that exists only there; None when the record's file in the checkout was edited."""

    @property
    def acknowledged_at(self) -> datetime:
        assert self.incident.acknowledged_at is not None
        return self.incident.acknowledged_at

    @property
    def by(self) -> str | None:
        """Who acknowledged, as the record's timeline says (the first acknowledgement stands)."""
        return next((e.by for e in self.incident.timeline if e.kind == "acknowledged"), None)


def acknowledge_incident(
    org: Organisation, incident_id: str, now: datetime, *, by: str | None = None, remote: str = "origin"
) -> Acknowledgement:
    """Acknowledge an incident so escalation stops sending for it, without writing to the base branch.

    A record on the remote's base branch is acknowledged in its journal on the data branch; a record that
    exists only on its pull request's branch is acknowledged on that branch (the responder paged for it acts
    from their own clone, which does not have it); a record only in this checkout (a person's branch, or a
    plain folder) is acknowledged in its file, for the person to commit."""
    repo = clone_of(org, remote)
    if repo is None:
        return Acknowledgement(*acknowledge(org, incident_id, now, by))
    try:
        merged = _on_base_branch(org, repo, incident_id)
        if merged is not None:
            record, changed = acknowledge_on_data_branch(org, repo, merged, now, by)
            return Acknowledgement(record, changed, org.settings.data_branch)
        if incident_id in org.incidents:
            return Acknowledgement(*acknowledge(org, incident_id, now, by))
        record, changed, branch = acknowledge_on_branch(org, repo, incident_id, now, by)
    except GitError as exc:
        raise AckError(f"{incident_id} could not be acknowledged: the remote could not be reached ({exc})") from None
    return Acknowledgement(record, changed, branch)


def _on_base_branch(org: Organisation, repo: Repository, incident_id: str) -> Incident | None:
    """The record as the remote's base branch has it, or None when it is not there (yet)."""
    records = BranchRecords(repo, org.settings)
    found = records.read(records.base_head, IncidentId.parse(incident_id).path)
    if isinstance(found, Unreadable):
        raise AckError(f"{incident_id} cannot be acknowledged: on {records.base}, {found.reason}")
    return found if isinstance(found, Incident) else None


__all__ = [
    "Acknowledgement",
    "EscalationPass",
    "Simulation",
    "acknowledge_incident",
    "run_escalation",
    "simulate_escalation",
]
