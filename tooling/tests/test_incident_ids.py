"""An incident's identity: parsing, the record path and branch it names, ordering, and the next free id."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.orgfactory import NOW, build_org

from watchbill.incidents.ids import MAX_NUMBER, IncidentId, IncidentIdError, next_after, next_free_id
from watchbill.organisation import Organisation
from watchbill.validate import load_organisation


@pytest.fixture
def org(tmp_path: Path) -> Organisation:
    return load_organisation(build_org(tmp_path / "org"), now=NOW, use_cache=False)


def test_an_id_knows_its_year_number_file_and_branch() -> None:
    ident = IncidentId.parse(" inc-2026-0007 ")
    assert (ident.year, ident.number) == (2026, 7)
    assert str(ident) == "INC-2026-0007"
    assert ident.path == "incidents/2026/INC-2026-0007.yaml"
    assert ident.branch("watchbill/") == "watchbill/inc-2026-0007"


def test_an_id_reads_back_from_its_branch_and_its_file() -> None:
    ident = IncidentId(2026, 42)
    assert IncidentId.from_branch("watchbill/", ident.branch("watchbill/")) == ident
    assert IncidentId.from_path(ident.path) == ident
    assert IncidentId.from_path("incidents/2026/INC-2026-0042.yml") == ident


@pytest.mark.parametrize(
    "branch", ["watchbill/inc-2026-0008-old", "other/inc-2026-0009", "watchbill-data", "watchbill/x-inc-2026-0010"]
)
def test_only_branches_named_for_an_incident_give_an_id(branch: str) -> None:
    assert IncidentId.from_branch("watchbill/", branch) is None


@pytest.mark.parametrize("text", ["INC-2026-7", "INC-26-0007", "INC-2026-00007", "SEV-1", "", "INC-2026-0007\n-x"])
def test_text_that_is_not_an_id_is_refused_with_the_right_form(text: str) -> None:
    with pytest.raises(IncidentIdError, match="is not an incident id; write it like INC-2026-0007"):
        IncidentId.parse(text)


def test_ids_sort_by_year_then_number() -> None:
    ids = [IncidentId(2026, 10), IncidentId(2025, 9999), IncidentId(2026, 9), IncidentId(2026, 100)]
    assert [str(i) for i in sorted(ids)] == ["INC-2025-9999", "INC-2026-0009", "INC-2026-0010", "INC-2026-0100"]


def test_the_next_id_skips_numbers_reserved_by_branches(org: Organisation) -> None:
    assert str(next_free_id(org, 2026)) == "INC-2026-0002"
    reserved = [IncidentId(2026, 2), IncidentId(2026, 5), IncidentId(2025, 99)]
    assert str(next_free_id(org, 2026, reserved)) == "INC-2026-0006"


def test_a_new_year_starts_at_one(org: Organisation) -> None:
    assert str(next_free_id(org, 2027)) == "INC-2027-0001"


def test_a_file_that_does_not_load_still_holds_its_id(org: Organisation) -> None:
    broken = org.root / "incidents" / "2026" / "INC-2026-0004.yaml"
    broken.write_text("id: [not closed\n")
    assert str(next_free_id(org, 2026)) == "INC-2026-0005"


def test_the_ten_thousandth_id_of_a_year_is_refused_with_a_clear_message() -> None:
    assert str(next_after(2026, [IncidentId(2026, MAX_NUMBER - 1)])) == "INC-2026-9999"
    with pytest.raises(IncidentIdError, match=r"INC-2026-9999 is the last incident id of 2026: .* at most 9,999"):
        next_after(2026, [IncidentId(2026, MAX_NUMBER)])
    with pytest.raises(IncidentIdError, match="out of range"):
        IncidentId(2026, 10_000)
