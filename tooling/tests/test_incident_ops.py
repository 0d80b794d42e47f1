"""The pure operations behind the incident verbs: ids, changes, due dates, and what needs attention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.orgfactory import NOW, build_org

from watchbill.incidents import ops
from watchbill.organisation import Organisation
from watchbill.validate import load_organisation


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Organisation:
    return load_organisation(build_org(tmp_path_factory.mktemp("org")), now=NOW, use_cache=False)


def request(**changes: object) -> ops.Declaration:
    fields: dict[str, object] = {"title": "Checkout fails", "severity": "SEV-1", "services": (("api", "major_outage"),)}
    fields.update(changes)
    return ops.Declaration(**fields)  # type: ignore[arg-type]


def test_declare_refuses_a_start_in_the_future(org: Organisation) -> None:
    with pytest.raises(ops.OperationError, match="in the future"):
        ops.declare(org, request(started_at=NOW + timedelta(hours=1)), now=NOW, ident="INC-2026-0002")


def test_declare_refuses_monitor_detection_which_belongs_to_probes(org: Organisation) -> None:
    with pytest.raises(ops.OperationError, match="incidents a probe opens"):
        ops.declare(org, request(detected_by="monitor"), now=NOW, ident="INC-2026-0002")


def test_declare_refuses_a_service_named_twice(org: Organisation) -> None:
    services = (("api", "major_outage"), ("api", "partial_outage"))
    with pytest.raises(ops.OperationError, match="named twice"):
        ops.declare(org, request(services=services), now=NOW, ident="INC-2026-0002")


def test_parse_service_defaults_to_a_major_outage_and_rejects_unknown_impacts() -> None:
    assert ops.parse_service(" api ") == ("api", "major_outage")
    assert ops.parse_service("api:partial_outage") == ("api", "partial_outage")
    with pytest.raises(ops.OperationError, match="is not one of"):
        ops.parse_service("api:down")


def test_an_update_without_a_status_keeps_the_current_one_and_adds_no_status_event(org: Organisation) -> None:
    incident = ops.declare(org, request(), now=NOW, ident="INC-2026-0002")
    change = ops.status_update(incident, now=NOW + timedelta(minutes=5), message="Still looking.")
    assert (("status",), "investigating") in change.sets
    assert [key for key, _ in change.appends] == ["updates"]


def test_resolving_via_update_is_refused_with_the_right_verb(org: Organisation) -> None:
    incident = ops.declare(org, request(), now=NOW, ident="INC-2026-0002")
    with pytest.raises(ops.OperationError, match="use 'watchbill resolve'"):
        ops.status_update(incident, now=NOW, message="done", status="resolved")  # type: ignore[arg-type]


def test_assigning_the_same_person_again_changes_nothing(org: Organisation) -> None:
    incident = ops.declare(org, request(commander="alice"), now=NOW, ident="INC-2026-0002")
    change = ops.assign(org, incident, {"commander": "alice"}, now=NOW)
    assert change.sets == [] and change.appends == []


def test_a_postmortem_not_yet_due_is_pending_but_not_overdue(org: Organisation) -> None:
    resolved = org.incidents["INC-2026-0001"].model_copy(update={"postmortem": None})
    org_copy = Organisation(root=org.root, severities=org.severities, incidents={resolved.id: resolved})
    assert resolved.resolved_at is not None
    pending = ops.pending_postmortems(org_copy, resolved.resolved_at + timedelta(days=1))
    assert [(p.incident.id, p.overdue, p.state) for p in pending] == [("INC-2026-0001", False, "missing")]
    late = ops.pending_postmortems(org_copy, resolved.resolved_at + timedelta(days=6))
    assert late[0].overdue


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0m"), (45, "45m"), (60, "1h"), (200, "3h 20m"), (1440, "1 day"), (14400, "10 days"), (1500, "1d 1h")],
)
def test_spans_read_in_the_two_largest_units(minutes: int, text: str) -> None:
    assert ops.human_span(timedelta(minutes=minutes)) == text


def test_changes_never_touch_the_disk(org: Organisation) -> None:
    incident = ops.declare(org, request(), now=NOW, ident="INC-2026-0002")
    before = sorted(p.name for p in org.root.rglob("*"))
    ops.resolve(incident, now=NOW + timedelta(hours=1))
    ops.postmortem(org, incident, now=NOW)
    assert sorted(p.name for p in org.root.rglob("*")) == before
