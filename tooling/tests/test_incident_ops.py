"""The pure operations behind the incident verbs: ids, changes, due dates, and what needs attention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from support.orgfactory import NOW, build_org

from watchbill.files.loader import parse
from watchbill.files.yamledit import dump_text, plain
from watchbill.incidents import ops
from watchbill.models import Incident
from watchbill.organisation import Organisation
from watchbill.validate import load_organisation


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Organisation:
    return load_organisation(build_org(tmp_path_factory.mktemp("org")), now=NOW, use_cache=False)


HOUR = timedelta(hours=1)


def parse_round_trip(text: str) -> CommentedMap:
    loaded: CommentedMap = YAML(typ="rt").load(text)
    return loaded


def request(**changes: object) -> ops.Declaration:
    fields: dict[str, object] = {"title": "Checkout fails", "severity": "SEV-1", "services": (("api", "major_outage"),)}
    fields.update(changes)
    return ops.Declaration(**fields)  # type: ignore[arg-type]


def test_declare_refuses_a_start_in_the_future(org: Organisation) -> None:
    with pytest.raises(ops.OperationError, match="in the future"):
        ops.declare(org, request(started_at=NOW + timedelta(hours=1)), now=NOW, ident="INC-2026-0002")


def test_a_person_declares_what_monitoring_caught_with_or_without_the_probe(org: Organisation) -> None:
    outside = ops.declare(org, request(detected_by="monitor"), now=NOW, ident="INC-2026-0002")
    assert (outside.detected_by, outside.probe) == ("monitor", None)  # an outside monitor (a Datadog alert)
    ours = ops.declare(org, request(detected_by="monitor", probe="api/health"), now=NOW, ident="INC-2026-0002")
    assert (ours.detected_by, ours.probe) == ("monitor", "api/health")


def test_declare_refuses_a_probe_that_does_not_exist_or_watches_another_service(org: Organisation) -> None:
    with pytest.raises(ops.OperationError, match="unknown probe 'api/nope'; known: api/health, db/port"):
        ops.declare(org, request(detected_by="monitor", probe="api/nope"), now=NOW, ident="INC-2026-0002")
    with pytest.raises(ops.OperationError, match="not among the affected services"):
        ops.declare(org, request(detected_by="monitor", probe="db/port"), now=NOW, ident="INC-2026-0002")
    with pytest.raises(ops.OperationError, match="give it with --detected-by monitor"):
        ops.declare(org, request(probe="api/health"), now=NOW, ident="INC-2026-0002")


def _applied(incident: Incident, *changes: ops.RecordEdit) -> tuple[Incident, str]:
    """Apply edits to the record's round-trip YAML the way the verbs do; the model and the text written."""
    data = CommentedMap(plain(incident))
    for change in changes:
        change.apply(data)
        incident = Incident.model_validate(parse(dump_text(data), "x.yaml").data)
        data = parse_round_trip(dump_text(data))
    return incident, dump_text(data)


def test_a_relapse_by_hand_takes_mitigated_at_back(org: Organisation) -> None:
    declared = ops.declare(org, request(), now=NOW, ident="INC-2026-0002")
    mitigated, _ = _applied(
        declared, ops.status_update(declared, now=NOW + HOUR, message="Fixed.", status="monitoring")
    )
    assert mitigated.mitigated_at == NOW + HOUR
    change = ops.status_update(mitigated, now=NOW + 15 * HOUR, message="It is back.", status="investigating")
    relapsed, _ = _applied(mitigated, change)
    assert relapsed.mitigated_at is None and relapsed.status == "investigating"
    assert "Relapsed: the mitigation at 2026-11-23T13:00:00Z did not hold." in [e.message for e in relapsed.timeline]
    again = ops.status_update(relapsed, now=NOW + 16 * HOUR, message="Fixed now.", status="monitoring")
    remitigated, _ = _applied(relapsed, again)
    assert remitigated.mitigated_at == NOW + 16 * HOUR  # time to mitigate counts the relapse


def test_resolving_without_monitoring_writes_two_plain_instants_not_an_alias(org: Organisation) -> None:
    declared = ops.declare(org, request(), now=NOW, ident="INC-2026-0002")
    resolved, text = _applied(declared, ops.resolve(declared, now=NOW + HOUR))
    assert resolved.mitigated_at == resolved.resolved_at == NOW + HOUR
    assert "mitigated_at: 2026-11-23T13:00:00Z\n" in text and "resolved_at: 2026-11-23T13:00:00Z\n" in text
    assert "&id" not in text and "*id" not in text


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
