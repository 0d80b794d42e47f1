"""Every record at once from the record cache: the same records the files hold, whatever the cache holds."""

from __future__ import annotations

import importlib
import marshal
import shutil
from pathlib import Path

import pytest
from support.orgfactory import NOW
from support.site_org import site_org

from watchbill.models import Incident
from watchbill.organisation import InvalidOrganisation, LazyRecords
from watchbill.validate import incident_at, load_organisation
from watchbill.validate.records import RecordCache, load_every_incident

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHBILL_CACHE_DIR", str(tmp_path / "cache"))


def _all(root: Path) -> dict[str, Incident]:
    org = load_organisation(root, now=NOW, use_cache=True)
    assert isinstance(org.incidents, LazyRecords)
    load_every_incident(org)
    assert not list(org.incidents.unbuilt())
    return dict(org.incidents)


def _from_files(root: Path) -> dict[str, Incident]:
    org = load_organisation(root, now=NOW, use_cache=True)
    return {ident: incident_at(root, org.sources[("incident", ident)].path) for ident in org.incidents}


def _example(tmp_path: Path) -> Path:
    root = tmp_path / "example"
    for folder in ("incidents", "policies", "schedules"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def test_records_from_the_cache_equal_the_records_in_the_files(tmp_path: Path) -> None:
    root = _example(tmp_path)
    first = _all(root)  # cold: every file parsed, the cache written
    cache = RecordCache(root)
    assert len(cache.stored) == len(first) > 10
    again = _all(root)  # warm: no file parsed
    assert again == first == _from_files(root)


def test_an_edited_file_is_read_again_and_the_cache_keeps_only_what_the_run_used(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    _all(root)
    path = root / "incidents" / "2026" / "INC-2026-0005.yaml"
    path.write_text(path.read_text().replace("Checkout failures", "Checkout errors"))
    records = _all(root)
    assert records["INC-2026-0005"].title == "Checkout errors for card payments"
    assert records == _from_files(root)
    assert len(RecordCache(root).stored) == len(records)  # the old version's entry is gone


@pytest.mark.parametrize("damage", [b"\x00not marshal", marshal.dumps({"fingerprint": "other code", "data": {}})])
def test_a_damaged_or_foreign_cache_is_only_a_slower_run(tmp_path: Path, damage: bytes) -> None:
    root = site_org(tmp_path / "org")
    _all(root)
    RecordCache(root).path.write_bytes(damage)
    assert _all(root) == _from_files(root)


def test_a_cached_entry_cannot_stand_in_for_a_file_that_changed(tmp_path: Path) -> None:
    """Entries are found by the content digest validation computed, so a stale entry is never used."""
    root = site_org(tmp_path / "org")
    _all(root)
    cache = RecordCache(root)
    for data in cache.stored.values():
        if data["id"] == "INC-2026-0005":
            data["title"] = "Forged title"
    cache.used = dict(cache.stored)
    cache.stored = {}
    cache.save()  # the forged entry sits under the digest of the file as it is
    path = root / "incidents" / "2026" / "INC-2026-0005.yaml"
    path.write_text(path.read_text() + "\n")  # same record, other bytes: another digest
    assert _all(root)["INC-2026-0005"].title == "Checkout failures for card payments"


def test_a_file_that_turned_invalid_after_validation_is_refused_with_its_problem(tmp_path: Path) -> None:
    root = site_org(tmp_path / "org")
    org = load_organisation(root, now=NOW, use_cache=True)
    path = root / "incidents" / "2026" / "INC-2026-0005.yaml"
    path.write_text(path.read_text().replace("severity: SEV-1", "severity: [SEV-1"))
    org.digests.clear()  # as for a file validation has not seen in this state
    with pytest.raises(InvalidOrganisation) as raised:
        load_every_incident(org)
    assert raised.value.problems[0].path == "incidents/2026/INC-2026-0005.yaml"


def test_a_first_run_parses_in_worker_processes_and_reports_a_broken_file_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.import_module("watchbill.validate"), "PARALLEL_THRESHOLD", 2)
    root = _example(tmp_path)
    org = load_organisation(root, now=NOW, use_cache=True)
    load_every_incident(org, jobs=2)
    assert dict(org.incidents) == _from_files(root)
    org = load_organisation(root, now=NOW, use_cache=True)
    path = root / org.sources[("incident", next(iter(org.incidents)))].path
    path.write_text("id: [unclosed\n")
    RecordCache(root).path.unlink()
    org.digests.clear()
    with pytest.raises(InvalidOrganisation) as raised:
        load_every_incident(org, jobs=2)
    assert raised.value.problems[0].path == path.relative_to(root).as_posix()
