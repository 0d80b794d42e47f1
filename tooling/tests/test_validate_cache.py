"""Validation that scales with the change (issue 15): cached facts per file, lazy records, content-keyed cache.

A warm run reads, parses and builds only what changed; the cross-file rules still see every record through its
cached facts, so a change in one file is found in the files that refer to it, at their exact line and column.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.orgfactory import INCIDENT, MINIMAL_ORG, NOW, PEOPLE, build_org, write_file

from watchbill.models import Incident
from watchbill.organisation import InvalidOrganisation, LazyRecords
from watchbill.validate import load_organisation, validate
from watchbill.validate.cache import RACY_NS

validation = importlib.import_module("watchbill.validate")

INCIDENT_PATH = "incidents/2026/INC-2026-0001.yaml"


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The files whose content is read and checked in this process (runs here use one process)."""
    seen: list[str] = []
    original = validation._check_bytes

    def spy(relative: str, kind: str, raw: bytes) -> object:
        seen.append(relative)
        return original(relative, kind, raw)

    monkeypatch.setattr(validation, "_check_bytes", spy)
    yield seen


def age(root: Path) -> None:
    """Date every file back, as a checkout older than the cache's racy window is."""
    past = NOW.timestamp() - 3600
    for folder, _, names in os.walk(root):
        for name in names:
            os.utime(Path(folder, name), (past, past))


def org_with_incidents(tmp_path: Path, count: int) -> Path:
    extra: dict[str, str | None] = {}
    for n in range(2, count + 2):
        ident = f"INC-2026-{n:04d}"
        extra[f"incidents/2026/{ident}.yaml"] = INCIDENT.replace("INC-2026-0001", ident)
    root = build_org(tmp_path / "org", extra)
    age(root)
    return root


def test_a_warm_run_with_one_changed_incident_checks_that_file_alone(tmp_path: Path, checked: list[str]) -> None:
    root = org_with_incidents(tmp_path, 30)
    validate(root, now=NOW, cache_directory=tmp_path / "cache", jobs=1)
    checked.clear()
    write_file(root, "incidents/2026/INC-2026-0007.yaml", INCIDENT.replace("INC-2026-0001", "INC-2026-0007") + "#\n")
    report = validate(root, now=NOW, cache_directory=tmp_path / "cache", jobs=1)
    assert checked == ["incidents/2026/INC-2026-0007.yaml"]
    assert report.files_cached == report.files_checked - 1
    assert report.problems == []


def test_validation_builds_no_incident_record_until_one_is_asked_for(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org")
    org = validate(root, now=NOW, cache_directory=tmp_path / "cache").organisation
    assert isinstance(org.incidents, LazyRecords)
    assert list(org.incidents) == ["INC-2026-0001"] and "INC-2026-0001" in org.incidents
    assert org.incident_facts["INC-2026-0001"].severity == "SEV-1"
    record = org.incidents["INC-2026-0001"]
    assert isinstance(record, Incident) and record.title == "API errors after a deploy"
    assert org.incidents["INC-2026-0001"] is record  # built once, then kept


def test_an_incident_broken_after_loading_is_refused_when_it_is_built(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org")
    org = validate(root, now=NOW, use_cache=False).organisation  # lazy: load_organisation(use_cache=False) is not
    write_file(root, INCIDENT_PATH, INCIDENT.replace("severity: SEV-1", "severity: [SEV-1]"))
    with pytest.raises(InvalidOrganisation) as raised:
        org.incidents["INC-2026-0001"]
    assert [(p.path, p.line, p.column, p.rule) for p in raised.value.problems] == [(INCIDENT_PATH, 3, 11, "wrong-type")]


def test_open_incidents_are_found_from_facts(tmp_path: Path) -> None:
    opened = INCIDENT.replace("INC-2026-0001", "INC-2026-0002").replace("status: resolved", "status: identified", 1)
    opened = opened.replace("resolved_at: 2026-03-02T11:00:00Z\n", "")
    opened = opened.replace("    status: resolved\n", "    status: identified\n")
    root = build_org(tmp_path / "org", {"incidents/2026/INC-2026-0002.yaml": opened})
    org = load_organisation(root, now=NOW, use_cache=False)
    assert [i.id for i in org.open_incidents()] == ["INC-2026-0002"]


def test_a_change_in_the_roster_is_found_in_a_cached_incident_at_its_line(tmp_path: Path, checked: list[str]) -> None:
    root = build_org(tmp_path / "org")
    age(root)
    validate(root, now=NOW, cache_directory=tmp_path / "cache", jobs=1)
    checked.clear()
    without_bob = PEOPLE[: PEOPLE.index("  - id: bob")]
    write_file(root, "schedules/people.yaml", without_bob)
    report = validate(root, now=NOW, cache_directory=tmp_path / "cache", jobs=1)
    assert checked == ["schedules/people.yaml"]
    found = {(p.path, p.line, p.column, p.rule) for p in report.problems}
    assert (INCIDENT_PATH, 38, 14, "unknown-person") in found  # the action item's owner, from cached facts


def test_a_cache_restored_onto_a_fresh_checkout_reads_every_file_and_parses_none(
    tmp_path: Path, checked: list[str]
) -> None:
    root = build_org(tmp_path / "org")
    age(root)
    validate(root, now=NOW, cache_directory=tmp_path / "cache", jobs=1)
    checked.clear()
    for relative in MINIMAL_ORG:
        os.utime(root / relative)  # new times, same content
    report = validate(root, now=NOW, cache_directory=tmp_path / "cache", jobs=1)
    assert checked == [] and report.files_cached == len(MINIMAL_ORG)


def test_an_edit_that_keeps_size_and_time_is_seen_when_the_file_was_fresh(tmp_path: Path) -> None:
    """git's racy-clean rule: a stat recorded within RACY_NS of a change is not trusted."""
    root = build_org(tmp_path / "org")
    path = root / INCIDENT_PATH
    validate(root, now=NOW, cache_directory=tmp_path / "cache", jobs=1)  # the files are seconds old
    before = path.stat()
    path.write_text(INCIDENT.replace("commander: alice", "commander: alicz"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    report = validate(root, now=NOW, cache_directory=tmp_path / "cache", jobs=1)
    assert [(p.line, p.rule) for p in report.problems] == [(16, "unknown-person")]
    assert RACY_NS >= 1_000_000_000


def test_worker_processes_find_what_one_process_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = org_with_incidents(tmp_path, 12)
    write_file(root, "incidents/2026/INC-2026-0005.yaml", INCIDENT.replace("0001", "0005").replace("alice", "zed"))
    write_file(root, "incidents/2026/INC-2026-0009.yaml", "id: INC-2026-0009\ntitle: [\n")
    monkeypatch.setattr(validation, "PARALLEL_THRESHOLD", 2)
    alone = validate(root, now=NOW, use_cache=False, jobs=1)
    pooled = validate(root, now=NOW, use_cache=False, jobs=2)
    assert pooled.problems == alone.problems
    assert {(p.path, p.rule) for p in alone.problems} == {
        ("incidents/2026/INC-2026-0005.yaml", "unknown-person"),
        ("incidents/2026/INC-2026-0009.yaml", "yaml-syntax"),
    }


def test_commands_still_load_without_the_clock_rules(tmp_path: Path) -> None:
    future = INCIDENT.replace("2026-03-02", "2027-03-02").replace("INC-2026-0001", "INC-2027-0001")
    root = build_org(tmp_path / "org", {INCIDENT_PATH: None, "incidents/2027/INC-2027-0001.yaml": future})
    report = validate(root, now=NOW, use_cache=False)
    assert {p.rule for p in report.errors} == {"timestamps-order"}
    org = load_organisation(root, now=NOW, use_cache=False)  # clock=False: no time-relative checks
    assert org.incidents["INC-2027-0001"].started_at.year == 2027


def test_an_uncached_load_reads_every_record_before_its_folder_can_go(tmp_path: Path) -> None:
    """Uncached loads are of scratch trees of other revisions, deleted right after: nothing may be read later."""
    root = build_org(tmp_path / "org")
    org = load_organisation(root, now=NOW, use_cache=False)
    (root / INCIDENT_PATH).unlink()
    assert org.incidents["INC-2026-0001"].severity == "SEV-1"
