"""An incident record reduced to what the cross-file rules need (:class:`~watchbill.organisation.IncidentFacts`).

Incidents are the kind that grows (one file per incident, thousands of them), and almost everything the
rules ask of one is either about the record alone (its timestamps in order) or an id it names (a severity,
service, person, probe or related incident). Both are worked out once per file content and cached; a later
run re-checks the ids against the current tables without building any record, so changing one file of
ten thousand costs one file's parse plus a pass over small tuples.
"""

from __future__ import annotations

import functools
import posixpath
import sys
from datetime import datetime

from ..files.loader import Loc
from ..incidents.ids import IncidentId
from ..models import Incident
from ..organisation import IncidentFacts, OwnFinding, Reference


def incident_facts(incident: Incident, relative: str) -> IncidentFacts:
    """``relative`` is the file's path from the organisation's root: the record's place is a fact of its own."""
    postmortem = incident.postmortem
    return IncidentFacts(
        id=incident.id,
        severity=sys.intern(incident.severity),
        status=sys.intern(incident.status),
        started_at=incident.started_at.isoformat(),
        resolved_at=incident.resolved_at.isoformat() if incident.resolved_at else None,
        postmortem_status=sys.intern(postmortem.status) if postmortem else None,
        probe=incident.probe or None,
        references=tuple(
            (kind, sys.intern(ident), _shared(loc), rule) for kind, ident, loc, rule in _references(incident)
        ),
        own=(*_placement(incident.id, relative), *_timestamp_order(incident)),
    )


_LOCS: dict[Loc, Loc] = {}


def _shared(loc: Loc) -> Loc:
    """One object per distinct value: the cache (marshal) then stores and loads it once, not once per record."""
    return _LOCS.setdefault(loc, loc)


def _references(incident: Incident) -> list[Reference]:
    refs: list[Reference] = [("severity", incident.severity, ("severity",), "unknown-severity")]
    for si, affected in enumerate(incident.services):
        refs.append(("service", affected.service, ("services", si, "service"), "unknown-service"))
    for role in type(incident.roles).model_fields:  # model_dump() cost a third of the facts
        person = getattr(incident.roles, role)
        if person:
            refs.append(("person", person, ("roles", role), "unknown-person"))
    for ti, event in enumerate(incident.timeline):
        if event.by:
            refs.append(("person", event.by, ("timeline", ti, "by"), "unknown-person"))
    for ri, related in enumerate(incident.related):
        refs.append(("incident", related, ("related", ri), "unknown-incident"))
    if incident.postmortem:
        for ai, author in enumerate(incident.postmortem.authors):
            refs.append(("person", author, ("postmortem", "authors", ai), "unknown-person"))
        for ai, item in enumerate(incident.postmortem.action_items):
            refs.append(("person", item.owner, ("postmortem", "action_items", ai, "owner"), "unknown-person"))
    return refs


def _placement(ident: str, relative: str) -> list[OwnFinding]:
    """The id must match the file's name and its year folder (``id-filename-mismatch``)."""
    found: list[OwnFinding] = []
    stem = posixpath.splitext(posixpath.basename(relative))[0]
    if stem != ident:
        message = f"id '{ident}' does not match the file name '{stem}'; rename one of them"
        found.append((("id",), "error", message, RULE))
    expected, folder = _year_folder(ident[4:8]), posixpath.dirname(relative)  # INC-YYYY-NNNN, by the model
    if folder != expected:
        found.append((("id",), "error", f"incident {ident} belongs in {expected}/, not {folder}/", RULE))
    return found


RULE = "id-filename-mismatch"


@functools.cache
def _year_folder(year: str) -> str:
    return posixpath.dirname(IncidentId(int(year), 1).path)


def _timestamp_order(incident: Incident) -> list[OwnFinding]:
    found: list[OwnFinding] = []
    previous: tuple[str, datetime] | None = None
    for name, moment in incident.milestones():
        if moment is None:
            continue
        if previous is not None and moment < previous[1]:
            message = (
                f"{name} ({moment.isoformat()}) is before {previous[0]} ({previous[1].isoformat()}); "
                "the order is started <= detected <= acknowledged <= mitigated <= resolved"
            )
            found.append(((name,), "error", message, "timestamps-order"))
        previous = (name, moment)
    for ui, update in enumerate(incident.updates):
        if update.at < incident.started_at:
            message = (
                f"update at {update.at.isoformat()} is dated before the incident started "
                f"({incident.started_at.isoformat()}); check the date and UTC offset"
            )
            found.append((("updates", ui, "at"), "error", message, "timestamps-order"))
        if ui and update.at < incident.updates[ui - 1].at:
            found.append((("updates", ui, "at"), "error", "updates must be listed oldest first", "timestamps-order"))
    return found
