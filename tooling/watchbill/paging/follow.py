"""Paging that follows the incident: one job stays with every open incident until nothing is left to send.

GitHub's cron is best effort (runs come late or never), so the escalation steps of an open incident are not
left to it. ``follow`` runs a pass (:func:`~watchbill.paging.usecases.run_escalation`: every due step, and
reminders of overdue updates, claimed on the data branch and sent exactly once), works out when the next
step or reminder of any open incident falls due, sleeps until then, and runs the next pass, which re-reads
everything first: an acknowledgement (CLI, ``/ack`` comment, journal), a resolution merged to the base
branch, a pull request closed without merging, a new incident opened meanwhile. It never sleeps longer than
``poll``, so new incidents and dismissals are seen within it.

It ends when nothing is left to follow (``until_idle``: no open incident with a step or a reminder to come),
or before ``deadline`` (the job's time limit minus a margin): if anything is still open then, it hands over
by sending a ``repository_dispatch`` (:data:`HANDOVER_EVENT`) so a fresh run continues. Scheduled
``escalate run`` passes remain the backstop; a follower and a scheduled pass at once, or a follower killed
mid-sleep and started again, never send a step twice, because every send is claimed in the journal first.

Time enters as ``clock`` and ``sleep``, so tests and the benchmark follow hours of an incident without
waiting (:class:`SimulatedTime`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from ..errors import DataError
from ..forge.git import GitError, Repository
from ..forge.github import GitHub, GitHubError
from ..models import Incident
from ..organisation import Organisation
from ..validate import load_organisation
from . import plan
from .targets import next_reminder
from .usecases import EscalationPass, clone_of, connect, run_escalation

HANDOVER_EVENT = "watchbill-follow"
"""The ``repository_dispatch`` event type a follower sends to hand over to a fresh run."""
POLL = timedelta(seconds=60)
"""The longest a follower sleeps: new incidents, acknowledgements and closed pull requests are seen within it."""
RETRY = timedelta(seconds=60)
"""When a send failed, the next pass tries again after this long."""

Stop = Literal["idle", "deadline", "handed_over"]


class SimulatedTime:
    """A clock whose sleeps pass at once: it starts at ``start`` and moves by each sleep. With ``work``, the
    real time spent between sleeps is added too, so lateness includes what the passes really took."""

    def __init__(self, start: datetime, *, work: bool = False) -> None:
        self.start, self.work = start, work
        self.slept = 0.0
        self.began = time.monotonic()

    def now(self) -> datetime:
        spent = time.monotonic() - self.began if self.work else 0.0
        return self.start + timedelta(seconds=self.slept + spent)

    def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)


@dataclass
class FollowResult:
    """What one follower did: its passes that did something, how it stopped, and what went wrong."""

    started: datetime
    ended: datetime | None = None
    passes: list[EscalationPass] = field(default_factory=list)
    """Passes that sent, skipped or reported something (quiet passes are only counted)."""
    wakes: int = 0
    stopped: Stop = "idle"
    handed_over: bool = False
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    following: list[str] = field(default_factory=list)
    """The open incidents still followed when it stopped."""

    @property
    def failed(self) -> int:
        return len(self.errors) + sum(p.failed for p in self.passes)


@dataclass(frozen=True)
class FollowOptions:
    deadline: datetime
    until_idle: bool = True
    poll: timedelta = POLL
    reminders: bool = True
    branches: bool = True
    retries: int = 2
    backoff: float = 2.0
    handover: bool = True


class _Organisation:
    """The organisation as the remote's base branch has it, reloaded when that branch moves (a resolution or
    a policy change merged while following); a plain folder is reloaded from its files."""

    def __init__(self, root: Path, remote: str, now: datetime) -> None:
        self.root = root
        self.org = load_organisation(root, now=now, use_cache=False)
        self.repo: Repository | None = clone_of(self.org, remote)
        self.head: str | None = None

    def current(self, now: datetime, notes: list[str]) -> Organisation:
        if self.repo is None:
            return self._reload(self.root, now, notes)
        head = self.repo.fetch(self.org.settings.lifecycle.base_branch)
        if head is not None and head != self.head:
            with self.repo.scratch(head) as tree:
                self.org = self._reload(tree.path, now, notes)
            self.head = head
        return self.org

    def _reload(self, path: Path, now: datetime, notes: list[str]) -> Organisation:
        try:
            return load_organisation(path, now=now, use_cache=False)
        except DataError as exc:
            notes.append(f"kept the organisation as it was: the base branch now has errors ({exc})")
            return self.org


def next_wake(org: Organisation, incidents: list[Incident], now: datetime, *, reminders: bool) -> datetime | None:
    """The earliest instant after ``now`` at which a step or a reminder of one of ``incidents`` falls due."""
    found: list[datetime] = []
    for incident in incidents:
        policy = plan.policy_for(org, incident)
        step = plan.next_firing(policy, incident, org, now) if policy is not None else None
        reminder = next_reminder(org, incident, now) if reminders else None
        found.extend(at for at in (step, reminder) if at is not None)
    return min(found, default=None)


def follow(
    root: Path,
    *,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    options: FollowOptions,
    env: Mapping[str, str],
    remote: str = "origin",
    github: GitHub | None = None,
) -> FollowResult:
    """Follow every open incident of the organisation at ``root`` (see the module docstring)."""
    started = clock()
    result = FollowResult(started)
    source = _Organisation(root, remote, started)
    own = github is None and source.repo is not None
    if own and source.repo is not None:
        github = connect(env, source.repo, started)
    try:
        _loop(source, result, clock, sleep, options, env, github)
    finally:
        if own and github is not None:
            github.close()
    result.ended = clock()
    return result


def _loop(
    source: _Organisation,
    result: FollowResult,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    options: FollowOptions,
    env: Mapping[str, str],
    github: GitHub | None,
) -> None:
    while True:
        now = clock()
        result.wakes += 1
        try:
            org = source.current(now, result.notes)
        except GitError as exc:
            result.errors.append(f"the base branch could not be read: {exc}")
            org = source.org
        done = _pass(org, source.repo, github, now, options, env)
        if not done.quiet or done.failed:
            result.passes.append(done)
        result.following = [incident.id for incident in done.followed]
        wake = next_wake(org, done.followed, now, reminders=options.reminders)
        if done.failed:
            wake = min(wake or now + RETRY, now + RETRY)
        if wake is None and options.until_idle:
            result.stopped = "idle"
            return
        wake = min(wake or now + options.poll, now + options.poll)
        if wake >= options.deadline:
            _hand_over(result, github, options, now)
            return
        sleep(max(0.0, (wake - clock()).total_seconds()))


def _pass(
    org: Organisation,
    repo: Repository | None,
    github: GitHub | None,
    now: datetime,
    options: FollowOptions,
    env: Mapping[str, str],
) -> EscalationPass:
    return run_escalation(
        org,
        now,
        env=env,
        retries=options.retries,
        backoff=options.backoff,
        branches=options.branches,
        reminders=options.reminders,
        repo=repo,
        github=github,
    )


def _hand_over(result: FollowResult, github: GitHub | None, options: FollowOptions, now: datetime) -> None:
    """Before the deadline: if anything is still followed, ask for a fresh run to continue."""
    result.stopped = "deadline"
    if not result.following or not options.handover:
        return
    if github is None:
        result.errors.append(
            f"{len(result.following)} incident(s) still open at the deadline and no GitHub token to hand over "
            "with: the scheduled escalate run takes over"
        )
        return
    payload = {"incidents": ",".join(result.following)[:1000], "at": now.isoformat()}
    try:
        answer = github.request(
            "POST", f"{github.repo_path}/dispatches", json={"event_type": HANDOVER_EVENT, "client_payload": payload}
        )
    except GitHubError as exc:
        result.errors.append(f"could not hand over to a fresh run: {exc}")
        return
    if answer.status_code != 204:
        result.errors.append(
            f"could not hand over to a fresh run: GitHub answered {answer.status_code} to the dispatch "
            "(the job needs 'contents: write')"
        )
        return
    result.stopped, result.handed_over = "handed_over", True


__all__ = ["HANDOVER_EVENT", "FollowOptions", "FollowResult", "SimulatedTime", "follow", "next_wake"]
