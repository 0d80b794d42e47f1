"""Carry out planned actions on incident files in a checkout, round-trip, so people's edits survive.

Each edit checks its precondition on the file as it is *now* (not as planned): a change replayed on a newer
branch tip, or repeated by a second run, does nothing the second time, and a status a person set since
the plan was made is respected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import RequestError
from ..files.yamledit import EditError, append_item, check_text, create_record, edit_record, set_value
from ..models import Incident
from .plan import IMPACT_RANK, Action, Join, Open, Recover, Relapse, Resolve, worse

SCHEMA_FILE = "incident.schema.json"


class IdTaken(RequestError):
    """The incident's file already exists and belongs to a different incident (a person took the id)."""


def apply(root: Path, action: Action) -> bool:
    """Apply one action under ``root``; returns whether the file changed."""
    if isinstance(action, Open):
        return _open(root, action)
    if isinstance(action, Join | Recover | Relapse | Resolve):
        path = root / action.episode.path
        if not path.exists():
            return False
        _, changed = edit_record(path, Incident, _change(action), display=action.episode.path)
        return changed
    return False


def _change(action: Join | Recover | Relapse | Resolve) -> Callable[[CommentedMap], bool]:
    if isinstance(action, Join):
        return lambda data: _join(data, action)
    return lambda data: _edit(data, action)


def _join(data: CommentedMap, action: Join) -> bool:
    """List the probe on the record, say when it was detected, raise the service's impact to the probe's."""
    if str(data.get("status", "")) == "resolved":
        return False  # a person resolved it since the plan: the probe's next failure opens a new one
    probe = action.episode.probe
    listed = data.get("probes")
    if isinstance(listed, list) and probe in listed:
        return False  # joined already, by an earlier attempt or a run racing this one
    if isinstance(listed, list):
        listed.append(probe)
    else:
        first = data.get("probe")
        set_value(data, "probes", CommentedSeq([*([str(first)] if first else []), probe]))
    for affected in data.get("services") or []:
        if isinstance(affected, dict) and affected.get("service") == action.service:
            impact = affected.get("impact")
            if impact in IMPACT_RANK and worse(impact, action.impact) != impact:
                affected["impact"] = action.impact
    append_item(data, "timeline", action.event)
    return True


def _open(root: Path, action: Open) -> bool:
    path = root / action.episode.path
    if path.exists():
        try:
            existing = check_text(path.read_text(encoding="utf-8"), action.episode.path, Incident)
        except EditError:
            raise IdTaken(f"{action.episode.path} exists and is not a valid incident record") from None
        if existing.probe == action.episode.probe and existing.started_at == action.incident.started_at:
            return False  # already proposed, by an earlier attempt or a run racing this one
        raise IdTaken(f"{action.incident.id} is already used by another incident ({existing.title!r})")
    create_record(path, root, action.incident, SCHEMA_FILE)
    return True


def _edit(data: CommentedMap, action: Recover | Relapse | Resolve) -> bool:
    status = str(data.get("status", ""))
    if isinstance(action, Recover):
        if status not in ("investigating", "identified"):
            return False
        append_item(data, "updates", action.update)
        set_value(data, "status", "monitoring")
        if data.get("mitigated_at") is None:
            set_value(data, "mitigated_at", action.mitigated_at)
        append_item(data, "timeline", action.event)
        return True
    if isinstance(action, Relapse):
        if status != "monitoring":
            return False
        append_item(data, "updates", action.update)
        set_value(data, "status", action.update.status)
        if "mitigated_at" in data:
            del data["mitigated_at"]  # the impact came back: it was not mitigated after all
        append_item(data, "timeline", action.event)
        return True
    if status != "monitoring":
        return False
    append_item(data, "updates", action.update)
    set_value(data, "status", "resolved")
    if data.get("mitigated_at") is None:
        set_value(data, "mitigated_at", action.resolved_at)
    set_value(data, "resolved_at", action.resolved_at)
    append_item(data, "timeline", action.event)
    return True
