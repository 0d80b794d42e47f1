"""Faults: a run killed mid-write, pushes that race, a provider that is down, damaged probe data.

Whatever goes wrong, the rest carries on. Real processes are killed with SIGKILL; real git with a bare
remote whose pre-receive hook holds pushes until they overlap; real HTTP and SMTP listeners on 127.0.0.1
that refuse or never answer (``receivers``). Time is pinned with ``--at``, ``WATCHBILL_NOW`` and explicit ``now``.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from support.github_server import FakeGitHub
from support.org_repo import clone, git, make_repo, remote_branches, remote_record
from support.orgfactory import NOW, build_org
from support.probe_servers import free_port
from support.receivers import Receiver, Silent, channels
from typer.testing import CliRunner

from watchbill.cli import app
from watchbill.files.yamledit import check_text
from watchbill.models import Incident
from watchbill.paging import notify
from watchbill.paging import run as pager
from watchbill.paging.plan import Notification
from watchbill.probes.result import Result, ResultsFile, write_results
from watchbill.state import read_probe_state
from watchbill.validate import load_organisation, validate

pytestmark = pytest.mark.slow  # kills, races and damages real processes and repositories

WATCHBILL = Path(sys.executable).with_name("watchbill")
REPO = Path(__file__).resolve().parents[2]
RECORD = "incidents/2026/INC-2026-0002.yaml"
BRANCH = "watchbill/inc-2026-0002"
DATA = "watchbill-data"
DAY_LOG = f"log/{NOW.date().isoformat()}.tsv"
STEP = timedelta(minutes=5)

OPEN = """\
id: INC-2026-0002
title: Slow API responses
severity: SEV-1
status: investigating
services:
  - service: api
    impact: degraded_performance
detected_by: customer
started_at: 2026-11-23T09:00:00Z
detected_at: 2026-11-23T09:10:00Z
updates:
  - at: 2026-11-23T09:15:00Z
    status: investigating
    message: We are looking into slow API responses.
timeline:
  - at: 2026-11-23T09:10:00Z
    kind: detected
    message: Ticket from a customer.
  - at: 2026-11-23T09:12:00Z
    kind: note
    message: Dashboards show p99 latency at 4 s.
"""
POLICY = """\
id: standard
name: Standard
steps:
  - after: 0m
    targets:
      - channel:hook
"""
SERVICES = """\
services:
  - id: api
    name: Public API
    owner: primary
    probes:
      - id: health
        severity: SEV-1
        http:
          url: https://api.example.com/health
  - id: db
    name: Database
    owner: primary
    public: false
    probes:
      - id: port
        tcp:
          host: db.example.com
          port: 5432
"""


# --- real parts -------------------------------------------------------------------------------------------


def env(tmp: Path, **extra: str) -> dict[str, str]:
    """A clean environment for child processes: no tokens, no secrets, a private cache."""
    return {
        "PATH": f"{WATCHBILL.parent}:/usr/bin:/bin",
        "HOME": str(tmp),
        "LANG": "C.UTF-8",
        "WATCHBILL_CACHE_DIR": str(tmp / "cache"),
        "GIT_CONFIG_NOSYSTEM": "1",
        **{name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ},  # the code under test
        **extra,
    }


def watchbill(cwd: Path, *args: str, environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(WATCHBILL), *args, "--root", str(cwd)],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def results_file(path: Path, at: datetime, verdicts: dict[str, bool]) -> Path:
    results = [
        Result(key=key, at=at, ok=ok, latency_ms=40.0 if ok else None, error=None if ok else "connection refused")
        for key, ok in verdicts.items()
    ]
    write_results(path, ResultsFile(merged=True, started_at=at, finished_at=at, results=results))
    return path


HOOK_SCRIPT = """\
#!{python}
# Holds the first {crowd} pushes to {ref} until all of them have arrived, so they overlap for certain.
import sys, time, uuid
from pathlib import Path
arrivals = Path({arrivals!r})
updates = sys.stdin.read()
if {ref!r} in updates:
    (arrivals / uuid.uuid4().hex).write_text(updates)
    if len(list(arrivals.iterdir())) <= {crowd}:
        deadline = time.monotonic() + 60
        while len(list(arrivals.iterdir())) < {crowd} and time.monotonic() < deadline:
            time.sleep(0.02)
"""


def hold_pushes(remote: Path, ref: str, crowd: int) -> Path:
    """Install the pre-receive hook on the bare remote; returns the folder with one file per push received."""
    arrivals = remote.parent / f"arrivals-{ref.replace('/', '-')}"
    arrivals.mkdir()
    script = remote / "hooks" / "pre-receive"
    script.write_text(HOOK_SCRIPT.format(python=sys.executable, arrivals=str(arrivals), ref=ref, crowd=crowd))
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return arrivals


# --- (a) a run killed mid-write ---------------------------------------------------------------------------

FILLER = ("Still looking at the slow responses, more as we learn it. " * 40).strip()
DRIVER = """\
import sys
from datetime import datetime, timedelta, timezone
from typer.testing import CliRunner
from watchbill.cli import app
root, done, filler = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runner = CliRunner()
start = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
while True:
    done += 1
    at = (start + timedelta(minutes=done)).isoformat()
    message = f"Update {done}: {filler}"
    result = runner.invoke(app, ["update", "INC-2026-0002", "-m", message, "--root", root, "--at", at])
    if result.exit_code != 0:
        sys.stderr.write(result.output)
        sys.exit(3)
    print(done, flush=True)
"""


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "the driver printed nothing in time"
    return process.stdout.readline()


def test_a_killed_update_leaves_the_old_record_or_the_new_one_never_a_mix(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org", {RECORD: OPEN})
    path = root / RECORD
    rng = random.Random(20261123)
    done = 0
    children = env(tmp_path)
    for _ in range(10):
        driver = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(root), str(done), FILLER],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=children,
        )
        try:
            first = int(_first_line(driver, 120))
            time.sleep(rng.uniform(0.0, 0.4))  # the fault: SIGKILL at a random point of a later edit
        finally:
            driver.send_signal(signal.SIGKILL)
            out, err = driver.communicate(timeout=30)
        assert driver.returncode == -signal.SIGKILL, err
        printed = max([first, *(int(n) for n in out.split())])  # edits the driver saw finish
        incident = check_text(path.read_text(encoding="utf-8"), RECORD, Incident)  # whole, and valid
        messages = [u.message for u in incident.updates[1:]]
        assert messages == [f"Update {n}: {FILLER}" for n in range(1, len(messages) + 1)]
        assert len(messages) in (printed, printed + 1)
        done = len(messages)
    assert done >= 10
    assert validate(root, now=NOW, use_cache=False).errors == []  # leftover temporary files are not records
    finished = CliRunner().invoke(
        app, ["update", "INC-2026-0002", "-m", "Fixed.", "--root", str(root), "--at", "2026-11-23T11:59:00Z"]
    )
    assert finished.exit_code == 0, finished.output  # no lock or half-written file is left in the way


# --- (b) a rejected push is retried -----------------------------------------------------------------------


def test_lifecycle_runs_racing_on_the_data_branch_all_land(tmp_path: Path) -> None:
    _, remote = make_repo(tmp_path, {"policies/services.yaml": SERVICES})
    racers = 3
    arrivals = hold_pushes(remote, f"refs/heads/{DATA}", crowd=racers)
    runs = []
    for index in range(racers):
        where = clone(remote, tmp_path / f"runner{index}")
        at = NOW + timedelta(seconds=index)
        results = results_file(tmp_path / f"results{index}.json", at, {"api/health": True, "db/port": True})
        runs.append(watchbill(where, "lifecycle", str(results), "--at", at.isoformat(), environment=env(tmp_path)))
    outcomes = [finish(process) for process in runs]
    assert [code for code, _, _ in outcomes] == [0] * racers, outcomes
    assert all("recorded run" in out for _, out, _ in outcomes)
    log = git(remote, "show", f"{DATA}:{DAY_LOG}")
    run_ids = {line.split("\t")[1] for line in log.splitlines() if line and not line.startswith("#")}
    assert len(run_ids) == racers  # every run is on the branch: none was lost
    assert git(remote, "rev-list", "--count", DATA) == str(racers)  # one commit each, one line of history
    assert len(list(arrivals.iterdir())) >= 2 * racers - 1  # the losers were rejected and pushed again


def _paging_world(tmp_path: Path, receiver: Receiver) -> tuple[Path, Path]:
    """A probe opened INC-2026-0002 on its own branch (pull request not merged); nobody was paged yet."""
    services = SERVICES.replace("        severity: SEV-1\n", "        severity: SEV-1\n        failure_threshold: 1\n")
    work, remote = make_repo(
        tmp_path,
        {
            "policies/services.yaml": services,
            "policies/channels.yaml": channels(receiver.port, "hook"),
            "policies/escalation/standard.yaml": POLICY,
        },
    )
    results = results_file(tmp_path / "failing.json", NOW, {"api/health": False, "db/port": True})
    code, _, err = finish(
        watchbill(work, "lifecycle", str(results), "--at", NOW.isoformat(), environment=env(tmp_path))
    )
    assert code == 0, err
    assert remote_record(remote, BRANCH, RECORD).status == "investigating"
    return work, remote


def test_paging_records_on_an_incident_branch_survive_a_concurrent_push(tmp_path: Path, receiver: Receiver) -> None:
    _, remote = _paging_world(tmp_path, receiver)
    arrivals = hold_pushes(remote, f"refs/heads/{BRANCH}", crowd=2)
    at = (NOW + timedelta(minutes=1)).isoformat()
    with FakeGitHub(bare=remote, actions_create_pulls=True) as github:
        pager_run = watchbill(
            clone(remote, tmp_path / "escalate"),
            "escalate",
            "run",
            "--at",
            at,
            "--retries",
            "0",
            environment=env(tmp_path),
        )
        update = ["update", "INC-2026-0002", "-m", "We found the cause.", "--status", "identified", "--pr", "--at", at]
        person = watchbill(clone(remote, tmp_path / "person"), *update, environment=env(tmp_path, **github.env()))
        outcomes = [finish(pager_run), finish(person)]
    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert len(list(arrivals.iterdir())) >= 3  # one push was rejected and replayed on the other's commit
    record = remote_record(remote, BRANCH, RECORD)
    assert "We found the cause." in [u.message for u in record.updates]  # the person's edit is there
    assert [(e.kind, e.via) for e in record.timeline if e.kind == "notified"] == [("notified", "hook")]  # and the page
    assert len(receiver.requests) == 1
    again = finish(
        watchbill(clone(remote, tmp_path / "again"), "escalate", "run", "--at", at, environment=env(tmp_path))
    )
    assert again[0] == 0, again
    assert len(receiver.requests) == 1  # the record of the page was kept, so nobody is paged twice


def _workflow_script(name: str, needle: str) -> str:
    workflow = YAML(typ="safe").load((REPO / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if needle in step.get("run", ""):
                return str(step["run"])
    raise AssertionError(f"no step of {name} runs {needle!r}")


def test_the_escalate_workflow_records_on_the_data_branch_and_leaves_main_to_people(
    tmp_path: Path, receiver: Receiver
) -> None:
    _, remote = make_repo(
        tmp_path,
        {
            RECORD: OPEN,
            "policies/channels.yaml": channels(receiver.port, "hook"),
            "policies/escalation/standard.yaml": POLICY,
        },
    )
    runner = clone(remote, tmp_path / "runner")  # the workflow's checkout, about to go stale
    person = clone(remote, tmp_path / "person")
    update = ["update", "INC-2026-0002", "-m", "We found the cause.", "--at", NOW.isoformat()]
    code, _, err = finish(watchbill(person, *update, environment=env(tmp_path)))
    assert code == 0, err
    git(person, "commit", "--quiet", "-am", "INC-2026-0002: update")
    git(person, "push", "--quiet", "origin", "HEAD:main")
    script = _workflow_script("escalate.yml", "watchbill escalate run")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=runner,
        env=env(tmp_path, WATCHBILL_NOW=(NOW + timedelta(minutes=1)).isoformat(), WATCHBILL_SECRETS=""),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(remote, "log", "-1", "--format=%s", "main") == "INC-2026-0002: update"  # the person's, untouched
    on_main = remote_record(remote, "main", RECORD)
    assert "We found the cause." in [u.message for u in on_main.updates]
    assert [e for e in on_main.timeline if e.kind == "notified"] == []
    journal = git(remote, "show", f"{DATA}:paging/INC-2026-0002.jsonl").splitlines()
    assert [json.loads(line)["kind"] for line in journal] == ["claimed", "notified"]
    assert len(receiver.requests) == 1
    later = (NOW + timedelta(minutes=2)).isoformat()
    again = finish(
        watchbill(clone(remote, tmp_path / "again"), "escalate", "run", "--at", later, environment=env(tmp_path))
    )
    assert again[0] == 0, again
    assert len(receiver.requests) == 1


# --- (c) a provider that is down delays nothing else ------------------------------------------------------


def _step_org(tmp_path: Path, receiver: Receiver, hung_http: Silent, hung_smtp: Silent) -> Path:
    channels_text = f"""\
channels:
  - id: email
    name: Email
    kind: email
    url: mailto://127.0.0.1:9?to={{address}}
    personal: true
  - id: hung-http
    name: Webhook that never answers
    kind: webhook
    url: json://${{HOOK_USER}}:${{HOOK_TOKEN}}@127.0.0.1:{hung_http.port}/hook
  - id: hung-smtp
    name: Mail server that never greets
    kind: email
    url: mailto://127.0.0.1:{hung_smtp.port}?mode=insecure&from=pager@example.com&to=oncall@example.com
  - id: refused
    name: Webhook on a closed port
    kind: webhook
    url: json://127.0.0.1:{free_port()}/hook
  - id: working
    name: Working webhook
    kind: webhook
    url: json://127.0.0.1:{receiver.port}/page
"""
    policy = POLICY.replace("      - channel:hook\n", "".join(f"      - channel:{c}\n" for c in CHANNELS))
    return build_org(
        tmp_path / "org",
        {RECORD: OPEN, "policies/channels.yaml": channels_text, "policies/escalation/standard.yaml": policy},
    )


CHANNELS = ("hung-http", "hung-smtp", "refused", "working")
"""In the order they are sent: a sender that went one by one would page the working channel last."""
SECRET_ENV = {"HOOK_USER": "pager", "HOOK_TOKEN": "t0ken-never-logged"}


@pytest.fixture
def hung() -> Iterator[tuple[Silent, Silent]]:
    with Silent() as http, Silent() as smtp:
        yield http, smtp


def test_a_provider_that_is_down_delays_no_other_channel_of_the_step(
    tmp_path: Path, receiver: Receiver, hung: tuple[Silent, Silent]
) -> None:
    hung_http, hung_smtp = hung
    org = load_organisation(_step_org(tmp_path, receiver, hung_http, hung_smtp), now=NOW, use_cache=False)
    options = {"timeout": 1.5, "retries": 1, "backoff": 0.2}
    started = time.monotonic()
    outcome = pager.page_incident(org, "INC-2026-0002", NOW, env=SECRET_ENV, send_options=options)
    elapsed = time.monotonic() - started
    assert [(r.notification.channel, r.ok) for r in outcome.sent] == [(c, c == "working") for c in CHANNELS]
    assert len(hung_http.accepted) == len(hung_smtp.accepted) == 2  # tried, given up, tried once more
    [page] = receiver.requests
    assert page.path == "/page"
    # The working channel comes last, yet it was paged before either hung provider was even retried.
    assert page.at < min(hung_http.accepted[1], hung_smtp.accepted[1])
    slowest = (options["retries"] + 1) * options["timeout"] + options["backoff"]
    assert elapsed < slowest + 5.0  # the slowest target's attempts and waits, not their sum over targets
    record = check_text((org.root / RECORD).read_text(encoding="utf-8"), RECORD, Incident)
    assert [e.via for e in record.timeline if e.kind == "notified"] == ["working"]  # the rest: retried next run
    assert all("t0ken-never-logged" not in (r.error or "") for r in outcome.sent)


def test_an_attempt_on_a_server_that_never_greets_is_given_up_after_its_timeout(
    tmp_path: Path, receiver: Receiver, hung: tuple[Silent, Silent]
) -> None:
    """apprise's mail plugin would wait 15 s for the greeting; the attempt ends at its own timeout."""
    hung_http, hung_smtp = hung
    org = load_organisation(_step_org(tmp_path, receiver, hung_http, hung_smtp), now=NOW, use_cache=False)
    note = Notification("INC-2026-0002", 0, 0, "channel:hung-smtp", "hung-smtp", None, NOW)
    started = time.monotonic()
    [record] = notify.send(
        [note], org, lambda n: notify.Message("t", "b"), env=SECRET_ENV, now=NOW, retries=0, timeout=0.5
    )
    elapsed = time.monotonic() - started
    assert not record.ok and record.attempts == 1 and record.error
    assert len(hung_smtp.accepted) == 1
    assert elapsed < 5.0  # a third of the plugin's own wait


# --- (d) damaged probe data is reported and the run goes on -----------------------------------------------


class Probes:
    """A repository whose probe runs go through ``watchbill lifecycle`` in a fresh clone each time."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        _, self.remote = make_repo(tmp, {"policies/services.yaml": SERVICES})
        self.runs = 0

    def run(self, at: datetime, api_ok: bool) -> tuple[int, str, str]:
        self.runs += 1
        where = clone(self.remote, self.tmp / f"run{self.runs}")
        results = results_file(self.tmp / f"results{self.runs}.json", at, {"api/health": api_ok, "db/port": True})
        return finish(watchbill(where, "lifecycle", str(results), "--at", at.isoformat(), environment=env(self.tmp)))

    def damage(self, change: Callable[[Path], None]) -> None:
        """Someone (a bad merge, a hand edit, a broken disk) pushes damaged files to the data branch."""
        self.runs += 1
        where = clone(self.remote, self.tmp / f"damage{self.runs}", branch=DATA)
        change(where)
        git(where, "commit", "--quiet", "-am", "damage")
        git(where, "push", "--quiet", "origin", f"HEAD:{DATA}")

    def checkout(self) -> Path:
        self.runs += 1
        return clone(self.remote, self.tmp / f"data{self.runs}", branch=DATA)


def _append(relative: str, data: bytes) -> Callable[[Path], None]:
    def change(tree: Path) -> None:
        with (tree / relative).open("ab") as handle:
            handle.write(data)

    return change


def _cut(relative: str, size: int) -> Callable[[Path], None]:
    def change(tree: Path) -> None:
        path = tree / relative
        path.write_bytes(path.read_bytes()[:size])

    return change


def test_garbage_bytes_in_a_day_log_are_reported_and_the_failing_streak_still_counts(tmp_path: Path) -> None:
    probes = Probes(tmp_path)
    assert probes.run(NOW, api_ok=False)[0] == 0  # one failure: below the threshold of two
    probes.damage(_append(DAY_LOG, b"\xff\xfe\x00 not text \x81\x82\n"))
    code, out, err = probes.run(NOW + STEP, api_ok=False)
    assert code == 0, err
    assert f"{DAY_LOG}:6:1: warning: damaged line skipped: not UTF-8 text [probe-data]" in err
    assert "INC-2026-0002 opened" in out  # the second failure still counted
    assert remote_record(probes.remote, BRANCH, RECORD).status == "investigating"


def test_a_day_log_cut_short_mid_line_loses_that_line_and_no_later_run(tmp_path: Path) -> None:
    probes = Probes(tmp_path)
    probes.run(NOW, api_ok=True)
    probes.run(NOW + STEP, api_ok=True)
    text = git(probes.remote, "show", f"{DATA}:{DAY_LOG}") + "\n"
    probes.damage(_cut(DAY_LOG, text.rindex("\n", 0, -1) + 4))  # the last line keeps 3 bytes, and no newline
    code, _, err = probes.run(NOW + 2 * STEP, api_ok=False)
    assert code == 0, err
    assert f"{DAY_LOG}:6:1: warning: damaged line skipped" in err
    snapshot = read_probe_state(probes.checkout())
    health = snapshot.probes["api/health"]
    assert (health.last_checked, health.ok) == (NOW + 2 * STEP, False)  # the new run was not swallowed
    assert [(p.path, p.line) for p in snapshot.problems] == [(DAY_LOG, 6)]


def test_a_month_file_with_garbage_is_reported_and_the_days_it_holds_still_count(tmp_path: Path) -> None:
    probes = Probes(tmp_path)
    for day in range(3):
        assert probes.run(NOW + timedelta(days=day), api_ok=day != 1)[0] == 0
    month = f"days/{NOW:%Y-%m}.tsv"
    probes.damage(_append(month, b"\x00\xff garbage from a broken disk \xfe\n"))
    code, _, err = probes.run(NOW + timedelta(days=3), api_ok=True)
    assert code == 0, err
    assert f"{month}:6:1: warning: damaged line skipped: not UTF-8 text [probe-data]" in err
    checkout = probes.checkout()
    organisation = clone(probes.remote, tmp_path / "organisation")
    later = (NOW + timedelta(days=3)).isoformat()
    status = subprocess.run(
        [str(WATCHBILL), "probe", "status", "--state", str(checkout), "--root", str(organisation), "--at", later],
        capture_output=True,
        text=True,
        env=env(tmp_path),
        timeout=120,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    assert f"{month}:6:1" in status.stderr  # every reader reports it too
    days = {d.day.isoformat(): (d.checks, d.failures) for d in read_probe_state(checkout).probes["api/health"].days}
    assert days["2026-11-23"] == (1, 0) and days["2026-11-24"] == (1, 1) and days["2026-11-25"] == (1, 0)


def test_a_damaged_episode_ledger_is_reported_and_the_run_is_still_recorded(tmp_path: Path) -> None:
    probes = Probes(tmp_path)
    probes.run(NOW, api_ok=False)
    assert "INC-2026-0002 opened" in probes.run(NOW + STEP, api_ok=False)[1]
    ledger = git(probes.remote, "show", f"{DATA}:episodes.json").encode()
    probes.damage(_cut("episodes.json", len(ledger) // 2))  # a truncated JSON document
    branch_before = git(probes.remote, "rev-parse", BRANCH)
    code, out, err = probes.run(NOW + 2 * STEP, api_ok=False)
    assert code == 1  # a person must repair it: the job goes red ...
    assert "episodes.json:1:1: error: the episode ledger is damaged: not valid JSON" in err
    assert "recorded run" in out  # ... but the probe data is kept
    snapshot = read_probe_state(probes.checkout())
    assert snapshot.probes["api/health"].last_checked == NOW + 2 * STEP
    assert git(probes.remote, "show", f"{DATA}:episodes.json").encode() == ledger[: len(ledger) // 2]  # left be
    assert git(probes.remote, "rev-parse", BRANCH) == branch_before  # no incident was touched blindly,
    assert remote_branches(probes.remote) == sorted(["main", DATA, BRANCH])  # nor a second one opened for the outage


def test_the_status_page_builds_from_damaged_probe_data(tmp_path: Path) -> None:
    probes = Probes(tmp_path)
    probes.run(NOW, api_ok=True)
    probes.damage(_append(DAY_LOG, b"\xff\xfe\n12\n"))
    checkout = probes.checkout()
    root = clone(probes.remote, tmp_path / "site-root")
    shutil.copytree(REPO / "site", root / "site", ignore=shutil.ignore_patterns("public", "build"))
    out = tmp_path / "out"
    done = subprocess.run(
        [str(WATCHBILL), "site", "build", "--root", str(root), "--state", str(checkout), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env(tmp_path, WATCHBILL_NOW=(NOW + STEP).isoformat()),
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "api" / "v2" / "summary.json").read_text(encoding="utf-8"))
    [api] = [c for c in summary["components"] if c["id"] == "api"]
    assert api["watchbill"] == {"status": "operational", "stale": False, "uptime": 1.0}  # read from the probe data
