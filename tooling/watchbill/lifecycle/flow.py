"""One lifecycle step after a probe run: record the results on the data branch, then open, update or
resolve incident records on their pull-request branches. Nothing is ever pushed to the base branch (people
protect it): a record reaches it when a person merges its pull request.

Phase 1 happens on the data branch, which every run writes in turn: it appends the run, works out the
plan, hands out incident ids and claims episodes in the ledger. A rejected push replays all of that on the
newer tip, so two runs at once agree on one episode and one id. Phase 2 carries the plan out on each
incident's branch. Every step there is an "ensure": a branch already pushed, a record already written or
a pull request already open is found and reused, so a run that died halfway is finished by the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from ..fields import format_instant
from ..forge.git import GitError, Repository
from ..forge.github import GitHub, GitHubError, PullRequest
from ..incidents.branches import BranchRecords, Found, reserved_ids
from ..incidents.ids import IncidentId, next_free_id
from ..incidents.publish import pull_title
from ..models import Incident
from ..organisation import Organisation
from ..probes.result import ResultsFile
from ..problems import Problem
from ..state import Recorded, read_probe_state, record_results
from ..state.snapshot import Snapshot
from . import episodes as ledger_file
from . import records
from .episodes import Episode, Ledger
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
    plan_actions,
    probes_of,
)

RENUMBER_ATTEMPTS = 3
LEDGER_DAMAGED = "no incident is opened, updated or resolved until a person repairs it"


@dataclass(frozen=True)
class Proposal:
    incident: str
    action: str
    branch: str | None
    commit: str | None
    changed: bool
    pull: PullRequest | None = None
    pull_created: bool = False


@dataclass
class LifecycleResult:
    """What one lifecycle step did: the run it recorded, the plan it made, and the proposals it carried out."""

    recorded: Recorded
    plan: Plan
    snapshot: Snapshot
    data_commit: str | None = None
    proposals: list[Proposal] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(dict.fromkeys(self.snapshot.problems + self.recorded.problems))


@dataclass
class _Phase1:
    recorded: Recorded
    snapshot: Snapshot
    plan: Plan
    ledger: Ledger


class Lifecycle:
    """The step's context: the organisation (base branch checkout), the clone to push from, and GitHub."""

    def __init__(self, org: Organisation, repo: Repository, now: datetime, *, github: GitHub | None = None) -> None:
        self.org = org
        self.repo = repo
        self.now = now
        self.github = github
        self.settings = org.settings
        self.base = org.settings.lifecycle.base_branch
        self.records = BranchRecords(repo, org.settings, github=github)

    # ------------------------------------------------------------------ finding records (incidents/branches.py)

    @property
    def base_head(self) -> str | None:
        return self.records.base_head

    @cached_property
    def reserved(self) -> list[IncidentId]:
        """Ids that pending incident branches hold; forgotten when a renumbering claims a new one."""
        return reserved_ids(self.repo, self.settings.lifecycle.branch_prefix)

    def at_least(self, year: int) -> int:
        return next_free_id(self.org, year, self.reserved).number

    def start_for(self, episode: Episode, head: str | None) -> str | None:
        return self.records.start_for(episode, head)

    def locate(self, episode: Episode) -> Found:
        return self.records.locate(episode)

    # ------------------------------------------------------------------ phase 1: data branch

    def _phase1(self, tree: Path, results: ResultsFile) -> _Phase1:
        recorded = record_results(tree, results)
        probes = [p for s in self.org.services.values() for p in s.probes]
        recent = max([96, *[2 * p.failure_threshold for p in probes]])
        snapshot = read_probe_state(tree, recent=recent)
        try:
            ledger = ledger_file.load(tree)
        except ledger_file.LedgerError as exc:
            # Which incident each failing probe has open is unknown: opening or resolving anything now could
            # duplicate or close the wrong record. Record the run, say what is damaged, leave the file be.
            damaged = Problem(
                ledger_file.FILE, 1, 1, "error", f"the episode ledger is damaged: {exc}; {LEDGER_DAMAGED}", "probe-data"
            )
            return _Phase1(recorded, replace(snapshot, problems=(*snapshot.problems, damaged)), Plan(), Ledger())
        found = {episode.incident: self.locate(episode) for episode in ledger.episodes.values()}
        result = plan_actions(
            self.org, snapshot, ledger, found, self.now, allocate=lambda year: ledger.issue(year, self.at_least(year))
        )
        apply_to_ledger(ledger, result.actions)
        ledger_file.save(tree, ledger)
        return _Phase1(recorded, snapshot, result, ledger)

    # ------------------------------------------------------------------ phase 2: incident records

    def _publish(self, episode: Episode, action: Action, title: str) -> tuple[str | None, bool]:
        if self.base_head is None:
            raise GitError(f"the base branch '{self.base}' is not on the remote; check lifecycle.base_branch")
        episode = self._on_branch(episode)
        branch = episode.branch or self._branch(episode)

        def start(head: str | None) -> str | None:
            return self.start_for(episode, head)

        published = self.repo.publish(
            branch, lambda tree: records.apply(tree, action), f"{episode.incident}: {title}", start=start
        )
        return published.commit, published.changed

    def _branch(self, episode: Episode) -> str:
        return IncidentId.parse(episode.incident).branch(self.settings.lifecycle.branch_prefix)

    def _on_branch(self, episode: Episode) -> Episode:
        """Every record goes by pull request; an episode a ledger kept from the removed ``commit`` mode (no
        branch) gets its incident branch, so nothing is ever pushed to the base branch."""
        return episode if episode.branch is not None else replace(episode, branch=self._branch(episode))

    def _renumber(self, action: Open) -> Open:
        """A person took the id first: claim the next free one in the ledger and move the incident's episodes
        (every probe it was opened for) to it."""
        old = action.episode.incident
        year = IncidentId.parse(old).year

        def change(tree: Path) -> tuple[Episode, ...]:
            ledger = ledger_file.load(tree)
            fresh = IncidentId.parse(ledger.issue(year, self.at_least(year)))
            branch = fresh.branch(self.settings.lifecycle.branch_prefix)
            moved = tuple(
                replace(e, incident=str(fresh), path=fresh.path, branch=branch if e.branch else None)
                for e in action.episodes
            )
            for episode in moved:
                ledger.episodes[episode.probe] = episode
            ledger_file.save(tree, ledger)
            return moved

        self.__dict__.pop("reserved", None)
        published = self.repo.publish(self.settings.data_branch, change, f"renumber {old}")
        first, *joined = published.value
        incident = action.incident.model_copy(update={"id": first.incident})
        return Open(first, incident, tuple(joined))

    def _open(self, action: Open) -> Proposal:
        current = action
        for _ in range(RENUMBER_ATTEMPTS):
            try:
                commit, changed = self._publish(current.episode, current, "opened by watchbill")
                return self._proposal(current.episode, current.incident, "opened", commit, changed)
            except records.IdTaken:
                current = self._renumber(current)
        raise GitError(f"could not find a free incident id for {action.episode.probe}")

    def _proposal(
        self, episode: Episode, incident: Incident | None, verb: str, commit: str | None, changed: bool
    ) -> Proposal:
        pull: PullRequest | None = None
        created = False
        episode = self._on_branch(episode)
        if episode.branch and self.github is not None and commit is not None:
            record = incident or self._current(episode, commit)
            if record is not None:
                labels = [*self.settings.lifecycle.labels, record.severity]
                pull, created = self.github.ensure_pull(
                    episode.branch,
                    self.base,
                    pull_title(record),
                    pull_body(record),
                    labels,
                    refresh=lambda body: refresh_pull_body(body, record),
                )
                if changed and not created and verb != "opened":
                    note = f"watchbill: probe `{episode.probe}` {verb}; {record.id} is now `{record.status}`."
                    self.github.comment(pull.number, note)
        return Proposal(episode.incident, verb, episode.branch, commit, changed, pull, created)

    def _current(self, episode: Episode, commit: str) -> Incident | None:
        found = self.records.read(commit, episode.path)
        return found if isinstance(found, Incident) else None

    def _carry_out(self, action: Action) -> Proposal | None:
        if isinstance(action, Open):
            return self._open(action)
        if isinstance(action, Join | Recover | Relapse | Resolve):
            verb = {Join: "joined", Recover: "recovered", Relapse: "failing again", Resolve: "resolved"}[type(action)]
            commit, changed = self._publish(action.episode, action, f"probe {action.episode.probe} {verb}")
            return self._proposal(action.episode, None, verb, commit, changed)
        if isinstance(action, Adopt | Forget):
            return None
        return None  # pragma: no cover

    # ------------------------------------------------------------------ the step

    def run(self, results: ResultsFile, *, dry_run: bool = False) -> LifecycleResult:
        data_branch = self.settings.data_branch
        if dry_run:
            with self.repo.scratch(self.repo.fetch(data_branch)) as scratch:
                first = self._phase1(scratch.path, results)
            return LifecycleResult(first.recorded, first.plan, first.snapshot)
        failing = sum(1 for r in results.results if r.ok is False)
        when = format_instant(results.run_started.astimezone(UTC).replace(microsecond=0))
        published = self.repo.publish(
            data_branch,
            lambda tree: self._phase1(tree, results),
            f"probe run {when}: {len(results.results)} results, {failing} failing",
        )
        first = published.value
        outcome = LifecycleResult(first.recorded, first.plan, first.snapshot, data_commit=published.commit)
        if any(p.path == ledger_file.FILE for p in first.snapshot.problems):
            outcome.errors.append(f"{ledger_file.FILE} is damaged: the run was recorded, incidents were left alone")
        for action in first.plan.actions:
            try:
                proposal = self._carry_out(action)
            except (GitError, GitHubError) as exc:
                outcome.errors.append(f"{_describe(action)}: {exc}")
                continue
            if proposal is not None:
                outcome.proposals.append(proposal)
        return outcome


def _describe(action: Action) -> str:
    if isinstance(action, Forget):
        return action.probe
    return f"{action.episode.incident} ({action.episode.probe})"


SUMMARY_START = "<!-- watchbill:summary -->"
SUMMARY_END = "<!-- /watchbill:summary -->"
_SUMMARY = re.compile(re.escape(SUMMARY_START) + r".*?" + re.escape(SUMMARY_END), re.DOTALL)
_OLD_TABLE = re.compile(r"^\| \| \|\n\|---\|---\|\n(?:\|.*\|(?:\n|$))+", re.MULTILINE)
"""The table as pull requests opened before the markers have it."""


def pull_body(incident: Incident) -> str:
    return (
        "Opened by `watchbill lifecycle` after a probe crossed its failure threshold.\n\n"
        f"{_summary(incident)}\n\n"
        "Edit the record on this branch as you learn more: later probe runs update this same pull request "
        "(status, updates, timeline) without undoing your edits, and keep the status in its title and the "
        "table above current. Merge it to publish the record.\n"
    )


def refresh_pull_body(body: str, incident: Incident) -> str:
    """``body`` with its summary table as the record has it now (a probe joined, the severity changed);
    everything people wrote around it stays. A body whose table people removed is left as it is."""
    summary = _summary(incident)
    if _SUMMARY.search(body):
        return _SUMMARY.sub(lambda _: summary, body, count=1)
    if _OLD_TABLE.search(body):
        return _OLD_TABLE.sub(lambda _: summary + "\n", body, count=1)
    return body


def _summary(incident: Incident) -> str:
    probes = probes_of(incident)
    rows = [
        ("Incident", f"`{incident.id}`"),
        ("Severity", incident.severity),
        ("Probes" if len(probes) > 1 else "Probe", ", ".join(f"`{p}`" for p in probes) or "-"),
        ("Started", format_instant(incident.started_at)),
        ("Detected", format_instant(incident.detected_at)),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return f"{SUMMARY_START}\n| | |\n|---|---|\n{table}\n{SUMMARY_END}"
