"""One lifecycle step after a probe run: record the results on the data branch, then open, update or
resolve incident records on their pull-request branches (or the base branch, in ``commit`` mode).

Phase 1 happens on the data branch, which every run writes in turn: it appends the run, works out the
plan, hands out incident ids and claims episodes in the ledger. A rejected push replays all of that on the
newer tip, so two runs at once agree on one episode and one id. Phase 2 carries the plan out on each
incident's branch. Every step there is an "ensure": a branch already pushed, a record already written or
a pull request already open is found and reused, so a run that died halfway is finished by the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from pydantic import ValidationError

from ..fields import format_instant
from ..forge.git import GitError, Repository
from ..forge.github import GitHub, GitHubError, PullRequest
from ..incidents.publish import pull_title
from ..loader import parse
from ..models import Incident, Probe
from ..organisation import Organisation
from ..probes.result import ResultsFile
from ..problems import LocatedError, Problem
from ..state import Recorded, load_snapshot, record_results
from ..state.snapshot import Snapshot
from . import episodes as ledger_file
from . import records
from .episodes import Episode, Ledger
from .plan import (
    DISMISSED,
    Action,
    Adopt,
    Forget,
    Found,
    Open,
    Plan,
    Recover,
    Relapse,
    Resolve,
    Unreadable,
    apply_to_ledger,
    plan,
)

_BRANCH_ID = re.compile(r"inc-(\d{4})-(\d{4})$", re.IGNORECASE)
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
class Outcome:
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
        self.pull_requests = org.settings.lifecycle.mode == "pull_request"

    # ------------------------------------------------------------------ finding records

    @cached_property
    def base_head(self) -> str | None:
        return self.repo.fetch(self.base)

    @cached_property
    def reserved(self) -> dict[int, int]:
        """Highest incident number per year already taken on the base branch or by a pending branch."""
        taken: dict[int, int] = {}
        for incident_id in self.org.incidents:
            year, number = int(incident_id[4:8]), int(incident_id[9:])
            taken[year] = max(taken.get(year, 0), number)
        for branch in self.repo.heads(f"{self.settings.lifecycle.branch_prefix}*"):
            match = _BRANCH_ID.search(branch)
            if match:
                year, number = int(match.group(1)), int(match.group(2))
                taken[year] = max(taken.get(year, 0), number)
        return taken

    def at_least(self, year: int) -> int:
        from_files = int(self.org.next_incident_id(year)[9:])
        return max(from_files, self.reserved.get(year, 0) + 1)

    def _read(self, commit: str | None, path: str) -> Found:
        if commit is None:
            return None
        raw = self.repo.read(commit, path)
        if raw is None:
            return None
        try:
            return Incident.model_validate(parse(raw.decode("utf-8"), path).data)
        except (LocatedError, ValidationError, UnicodeDecodeError) as exc:
            return Unreadable(f"{path} does not validate: {str(exc).splitlines()[0]}")

    def start_for(self, episode: Episode, head: str | None) -> str | None:
        """Where the next edit of the record builds from: its open branch, else the base branch."""
        if head is None:
            return self.base_head
        if self.github is not None:
            try:
                if self.github.find_pull(episode.branch or "") is not None:
                    return head
            except GitHubError:
                return head
        on_base = self._read(self.base_head, episode.path)
        if on_base is None:
            return head  # never merged: the branch is the record's only home
        if self.base_head is not None and self.repo.is_ancestor(head, self.base_head):
            return self.base_head  # merged: follow-up changes start from the base branch
        if self.repo.read(head, episode.path) == self.repo.read(self.base_head or head, episode.path):
            return self.base_head  # squash-merged, nothing newer on the branch
        return head

    def locate(self, episode: Episode) -> Found:
        if not self.pull_requests or episode.branch is None:
            return self._read(self.base_head, episode.path)
        head = self.repo.fetch(episode.branch)
        if self.github is not None and head is not None:
            try:
                if self.github.dismissed(episode.branch):
                    return DISMISSED
            except GitHubError:
                pass
        start = self.start_for(episode, head)
        found = self._read(start, episode.path)
        if found is None and head is not None and start == self.base_head:
            return DISMISSED  # merged, then removed from the base branch by a person
        return found

    # ------------------------------------------------------------------ phase 1: data branch

    def _phase1(self, tree: Path, results: ResultsFile) -> _Phase1:
        recorded = record_results(tree, results)
        probes = [p for s in self.org.services.values() for p in s.probes]
        recent = max([96, *[2 * p.failure_threshold for p in probes]])
        snapshot = load_snapshot(tree, recent=recent)
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
        result = plan(
            self.org, snapshot, ledger, found, self.now, allocate=lambda year: ledger.issue(year, self.at_least(year))
        )
        apply_to_ledger(ledger, result.actions)
        ledger_file.save(tree, ledger)
        return _Phase1(recorded, snapshot, result, ledger)

    # ------------------------------------------------------------------ phase 2: incident records

    def _publish(self, episode: Episode, action: Action, title: str) -> tuple[str | None, bool]:
        if self.base_head is None:
            raise GitError(f"the base branch '{self.base}' is not on the remote; check lifecycle.base_branch")
        branch = episode.branch if self.pull_requests and episode.branch else self.base
        start: Callable[[str | None], str | None] | None = None
        if branch != self.base:

            def start(head: str | None) -> str | None:
                return self.start_for(episode, head)

        published = self.repo.publish(
            branch, lambda tree: records.apply(tree, action), f"{episode.incident}: {title}", start=start
        )
        return published.commit, published.changed

    def _renumber(self, episode: Episode) -> Episode:
        """A person took the id first: claim the next free one in the ledger and move the episode to it."""

        def change(tree: Path) -> Episode:
            ledger = ledger_file.load(tree)
            fresh = ledger.issue(int(episode.incident[4:8]), self.at_least(int(episode.incident[4:8])))
            path = f"incidents/{fresh[4:8]}/{fresh}.yaml"
            moved = Episode(
                probe=episode.probe,
                incident=fresh,
                path=path,
                branch=f"{self.settings.lifecycle.branch_prefix}{fresh.lower()}" if episode.branch else None,
                started_at=episode.started_at,
                detected_at=episode.detected_at,
            )
            ledger.episodes[episode.probe] = moved
            ledger_file.save(tree, ledger)
            return moved

        self.__dict__.pop("reserved", None)
        published = self.repo.publish(self.settings.data_branch, change, f"renumber {episode.incident}")
        return published.value

    def _open(self, action: Open) -> Proposal:
        current = action
        for _ in range(RENUMBER_ATTEMPTS):
            try:
                commit, changed = self._publish(current.episode, current, "opened by watchbill")
                return self._proposal(current.episode, current.incident, "opened", commit, changed)
            except records.IdTaken:
                moved = self._renumber(current.episode)
                incident = current.incident.model_copy(update={"id": moved.incident})
                current = Open(moved, incident)
        raise GitError(f"could not find a free incident id for {action.episode.probe}")

    def _proposal(
        self, episode: Episode, incident: Incident | None, verb: str, commit: str | None, changed: bool
    ) -> Proposal:
        pull: PullRequest | None = None
        created = False
        if self.pull_requests and episode.branch and self.github is not None and commit is not None:
            record = incident or self._current(episode, commit)
            if record is not None:
                labels = [*self.settings.lifecycle.labels, record.severity]
                pull, created = self.github.ensure_pull(
                    episode.branch, self.base, pull_title(record), pull_body(record), labels
                )
                if changed and not created and verb != "opened":
                    note = f"watchbill: probe `{episode.probe}` {verb}; {record.id} is now `{record.status}`."
                    self.github.comment(pull.number, note)
        return Proposal(episode.incident, verb, episode.branch, commit, changed, pull, created)

    def _current(self, episode: Episode, commit: str) -> Incident | None:
        found = self._read(commit, episode.path)
        return found if isinstance(found, Incident) else None

    def _carry_out(self, action: Action) -> Proposal | None:
        if isinstance(action, Open):
            return self._open(action)
        if isinstance(action, Recover | Relapse | Resolve):
            verb = {Recover: "recovered", Relapse: "failing again", Resolve: "resolved"}[type(action)]
            commit, changed = self._publish(action.episode, action, f"probe {action.episode.probe} {verb}")
            return self._proposal(action.episode, None, verb, commit, changed)
        if isinstance(action, Adopt | Forget):
            return None
        return None  # pragma: no cover

    def pending(self) -> list[tuple[Episode, Incident]]:
        """Open records the probes opened, as they stand now on their branches (before any merge), so that
        paging need not wait for someone to merge the pull request."""
        head = self.repo.fetch(self.settings.data_branch)
        raw = self.repo.read(head, ledger_file.FILE) if head is not None else None
        if raw is None:
            return []
        found: list[tuple[Episode, Incident]] = []
        for episode in ledger_file.parse(raw.decode("utf-8")).episodes.values():
            record = self.locate(episode)
            if isinstance(record, Incident) and record.is_open:
                found.append((episode, record))
        return found

    # ------------------------------------------------------------------ the step

    def run(self, results: ResultsFile, *, dry_run: bool = False) -> Outcome:
        data_branch = self.settings.data_branch
        if dry_run:
            with self.repo.scratch(self.repo.fetch(data_branch)) as scratch:
                first = self._phase1(scratch.path, results)
            return Outcome(first.recorded, first.plan, first.snapshot)
        failing = sum(1 for r in results.results if r.ok is False)
        when = format_instant(results.run_started.astimezone(UTC).replace(microsecond=0))
        published = self.repo.publish(
            data_branch,
            lambda tree: self._phase1(tree, results),
            f"probe run {when}: {len(results.results)} results, {failing} failing",
        )
        first = published.value
        outcome = Outcome(first.recorded, first.plan, first.snapshot, data_commit=published.commit)
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


def pull_body(incident: Incident) -> str:
    rows = [
        ("Incident", f"`{incident.id}`"),
        ("Severity", incident.severity),
        ("Probe", f"`{incident.probe}`" if incident.probe else "-"),
        ("Started", format_instant(incident.started_at)),
        ("Detected", format_instant(incident.detected_at)),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        "Opened by `watchbill lifecycle` after a probe crossed its failure threshold.\n\n"
        f"| | |\n|---|---|\n{table}\n\n"
        "Edit the record on this branch as you learn more: later probe runs update this same pull request "
        "(status, updates, timeline) without undoing your edits, and keep the status in its title current. "
        "Merge it to publish the record.\n"
    )


def probes_by_key(org: Organisation) -> dict[str, Probe]:
    return {f"{s.id}/{p.id}": p for s in org.services.values() for p in s.probes}
