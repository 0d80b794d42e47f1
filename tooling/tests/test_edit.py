"""Round-trip edits keep what people wrote, refuse invalid results, and never lose a concurrent update."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchbill.files.loader import parse
from watchbill.files.yamledit import EditError, add_timeline, add_update, create_record, edit_record, set_value
from watchbill.models import Incident, TimelineEvent, Update

RECORD = """\
# yaml-language-server: $schema=../../tooling/schemas/incident.schema.json
# Written by the incident commander; keep the timeline terse.
id: INC-2026-0001
title: Checkout latency   # shown on the status page
severity: SEV-2
status: investigating
services:
  - service: api
    impact: degraded_performance
detected_by: customer
started_at: 2026-03-01T10:00:00Z
detected_at: 2026-03-01T10:04:00Z
updates:
  - at: 2026-03-01T10:05:00Z
    status: investigating
    message: >-
      We are looking into slow checkouts.
timeline:
  # first page went out late because of the holiday
  - at: 2026-03-01T10:04:00Z
    kind: detected
    message: Ticket from ACME.
"""

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def record(tmp_path: Path) -> Path:
    path = tmp_path / "incidents" / "2026" / "INC-2026-0001.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(RECORD)
    return path


def test_appending_keeps_comments_order_and_folded_text(record: Path) -> None:
    add_timeline(record, TimelineEvent(at=T0 + timedelta(minutes=9), kind="note", message="Rolled back."))
    text = record.read_text()
    assert text.startswith(RECORD.split("timeline:")[0])
    assert "# first page went out late because of the holiday" in text
    assert "title: Checkout latency   # shown on the status page" in text
    assert text.rstrip().endswith("message: Rolled back.")
    assert "at: 2026-03-01T10:09:00Z" in text  # unquoted, like people write it


def test_update_sets_status_in_place(record: Path) -> None:
    incident = add_update(record, Update(at=T0 + timedelta(minutes=20), status="identified", message="Found it."))
    assert incident.status == "identified"
    lines = record.read_text().splitlines()
    assert lines[5] == "status: identified"
    assert len(incident.updates) == 2


def test_invalid_edit_is_refused_and_the_file_is_untouched(record: Path) -> None:
    with pytest.raises(EditError) as info:
        edit_record(record, Incident, lambda data: set_value(data, "severity", "critical"))
    assert info.value.problems[0].rule == "invalid-value"
    assert record.read_text() == RECORD


def test_new_field_goes_after_its_predecessor_in_model_order(record: Path) -> None:
    edit_record(record, Incident, lambda data: set_value(data, "acknowledged_at", T0 + timedelta(minutes=6)))
    keys = list(parse(record.read_text(), "f").data)
    assert keys.index("acknowledged_at") == keys.index("detected_at") + 1


def test_create_record_refuses_to_overwrite(record: Path, tmp_path: Path) -> None:
    incident = Incident.model_validate(parse(RECORD, "f").data)
    with pytest.raises(FileExistsError):
        create_record(record, tmp_path, incident, "incident.schema.json")
    assert record.read_text() == RECORD


def test_created_record_validates_and_carries_the_modeline(tmp_path: Path) -> None:
    incident = Incident.model_validate(parse(RECORD, "f").data)
    target = tmp_path / "incidents" / "2026" / "INC-2026-0002.yaml"
    create_record(target, tmp_path, incident.model_copy(update={"id": "INC-2026-0002"}), "incident.schema.json")
    text = target.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../tooling/schemas/incident.schema.json\n")
    again = Incident.model_validate(parse(text, "f").data)
    assert again.started_at == incident.started_at and again.updates == incident.updates


def test_no_temporary_files_are_left_behind(record: Path) -> None:
    add_timeline(record, TimelineEvent(at=T0, message="x"))
    assert sorted(p.name for p in record.parent.iterdir()) == ["INC-2026-0001.yaml"]


def _append_many(path: str, start: int) -> None:
    for i in range(start, start + 25):
        add_timeline(Path(path), TimelineEvent(at=T0 + timedelta(seconds=i), message=f"event {i}"))


@pytest.mark.slow
def test_concurrent_editors_lose_no_update(record: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(record), n * 100)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    incident = Incident.model_validate(parse(record.read_text(), "f").data)
    messages = {event.message for event in incident.timeline}
    assert {f"event {n * 100 + i}" for n in range(3) for i in range(25)} <= messages
    assert len(incident.timeline) == 1 + 75


def test_multi_line_text_is_written_as_a_block(record: Path) -> None:
    add_timeline(record, TimelineEvent(at=T0, message="first line\nsecond line"))
    text = record.read_text()
    assert "    message: |-\n      first line\n      second line\n" in text
    incident = Incident.model_validate(parse(text, "f").data)
    assert incident.timeline[-1].message == "first line\nsecond line"
