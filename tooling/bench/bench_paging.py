"""Paging lateness and duplicate pages with the follower, on simulated time (no real waiting).

A SEV-1 incident on ``main`` with a 0/5/10/15-minute policy, paged through the real library: a real bare git
remote (the claims go to its data branch), a real webhook receiver, the follower of ``paging.follow``. Time is
simulated: sleeps pass at once, but the real time each pass takes (fetch, claim push, send, record push) is
added to the clock, so lateness is what a runner would see. Lateness of a step = when its page was sent (its
journal line) minus its due time. Scenarios:

- ``no cron``: the follower alone, dispatched 20 s after detection;
- ``cron 30 min late``: the follower, and scheduled runs arriving 30 minutes after each step was due;
- ``follower + scheduled at once``: a scheduled run racing the follower's pass at every step (threads);
- ``killed and restarted``: the follower dies mid-sleep after step 2, a new run starts 40 s later;
- ``push race``: two followers at once; the remote holds the first data-branch pushes until both arrive.

    .venv/bin/python tooling/bench/run.py paging
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support import receivers
from support.org_repo import clone, git, make_repo
from support.protected_remote import protect
from support.receivers import Receiver

from watchbill.paging.follow import FollowOptions, SimulatedTime, follow
from watchbill.paging.usecases import run_escalation
from watchbill.validate import load_organisation

DETECTED = datetime.fromisoformat("2026-11-23T12:00:00+00:00")
AFTER = (0, 5, 10, 15)
RECORD = "incidents/2026/INC-2026-0002.yaml"
OPEN = f"""\
id: INC-2026-0002
title: API returns errors
severity: SEV-1
status: investigating
services:
  - service: api
    impact: major_outage
detected_by: customer
started_at: {DETECTED.isoformat()}
detected_at: {DETECTED.isoformat()}
"""
POLICY = "id: standard\nname: Standard\nsteps:\n" + "".join(
    f"  - after: {minutes}m\n    targets:\n      - channel:pager\n" for minutes in AFTER
)


class Killed(Exception):
    pass


class Scenario:
    def __init__(self, folder: Path, receiver: Receiver, *, race: bool = False) -> None:
        channels = receivers.channels(receiver.port, "pager")
        changes = {RECORD: OPEN, "policies/channels.yaml": channels, "policies/escalation/standard.yaml": POLICY}
        _, self.remote = make_repo(folder, changes)
        if race:
            protect(self.remote, hold="watchbill-data", crowd=2)
        self.folder, self.receiver, self.clones = folder, receiver, 0
        self.lock = threading.Lock()

    def clone(self) -> Path:
        with self.lock:
            self.clones += 1
            where = self.folder / f"clone{self.clones}"
        return clone(self.remote, where)

    def follow(self, start: datetime, hook: Callable[[datetime], None] | None = None) -> None:
        timer = SimulatedTime(start, work=True)

        def sleep(seconds: float) -> None:
            timer.sleep(seconds)
            if hook is not None:
                hook(timer.now())

        options = FollowOptions(deadline=start + timedelta(hours=1), reminders=False, backoff=0)
        follow(self.clone(), clock=timer.now, sleep=sleep, options=options, env={})

    def scheduled(self, at: datetime) -> None:
        run_escalation(load_organisation(self.clone(), now=at, use_cache=False), at, env={}, backoff=0)

    def figures(self) -> tuple[list[float], int]:
        """Lateness in seconds of each step's page, and the number of duplicate pages."""
        text = git(self.remote, "show", "refs/heads/watchbill-data:paging/INC-2026-0002.jsonl")
        sent = [json.loads(line) for line in text.splitlines()]
        notified = [line for line in sent if line["kind"] == "notified"]
        late = []
        for line in notified:
            at = datetime.fromisoformat(str(line["at"]).replace("Z", "+00:00"))
            late.append((at - (DETECTED + timedelta(minutes=AFTER[int(line["step"])]))).total_seconds())
        return late, len(self.receiver.requests) - len({line["step"] for line in notified})


def _no_cron(world: Scenario) -> None:
    world.follow(DETECTED + timedelta(seconds=20))


def _cron_late(world: Scenario) -> None:
    pending = [DETECTED + timedelta(minutes=m + 30) for m in AFTER]

    def cron(now: datetime) -> None:
        while pending and pending[0] <= now:
            world.scheduled(pending.pop(0))

    world.follow(DETECTED + timedelta(seconds=20), hook=cron)
    for at in pending:
        world.scheduled(at)


def _at_once(world: Scenario) -> None:
    def race(now: datetime) -> None:
        thread = threading.Thread(target=world.scheduled, args=(now,))
        thread.start()  # races the follower's pass that starts right after this hook returns
        threads.append(thread)

    threads: list[threading.Thread] = []
    world.follow(DETECTED, hook=race)
    for thread in threads:
        thread.join(60)


def _killed(world: Scenario) -> None:
    def killer(now: datetime) -> None:
        if now >= DETECTED + timedelta(minutes=7):
            raise Killed

    with contextlib.suppress(Killed):
        world.follow(DETECTED, hook=killer)
    world.follow(DETECTED + timedelta(minutes=7, seconds=40))


def _push_race(world: Scenario) -> None:
    threads = [threading.Thread(target=world.follow, args=(DETECTED,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)


SCENARIOS: tuple[tuple[str, Callable[[Scenario], None], bool], ...] = (
    ("no cron", _no_cron, False),
    ("cron 30 min late", _cron_late, False),
    ("follower + scheduled at once", _at_once, False),
    ("killed and restarted", _killed, False),
    ("push race (two followers)", _push_race, True),
)


def run() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name, scenario, race in SCENARIOS:
        with tempfile.TemporaryDirectory(prefix="watchbill-bench-paging-") as tmp, Receiver() as receiver:
            world = Scenario(Path(tmp), receiver, race=race)
            scenario(world)
            late, duplicates = world.figures()
        p50 = statistics.median(late) if late else float("nan")
        worst = max(late) if late else float("nan")
        rows.append(
            (
                f"paging: {name}",
                f"{len(late)}/{len(AFTER)} steps, lateness p50 {p50:.1f} s, p100 {worst:.1f} s, "
                f"{duplicates} duplicate pages",
            )
        )
    return rows


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:<45} {figure}")
