"""Check every file against its model, then the organisation as a whole.

Per-file work (read, parse, model, and for incidents the facts the cross-file rules need) is pure and cached
by content (:mod:`.cache`). Cross-references always run, since a change in one file can break a reference in
another that did not change; for incidents they run over cached facts, never over built records. That pass
costs about 20 ms of CPU at 10,000 incidents (``tooling/bench/bench_validate.py`` prints it), so re-checking
everything is cheaper than tracking which file can affect which. Positions are recorded only for a file that
has a problem, by parsing it again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..files.kinds import KINDS, FoundFile, discover
from ..files.loader import Document, decode, parse, read_bytes
from ..models import (
    ChannelsFile,
    EscalationPolicy,
    Incident,
    Maintenance,
    PeopleFile,
    Schedule,
    ServicesFile,
    Settings,
    SeveritiesFile,
)
from ..organisation import IncidentFacts, InvalidOrganisation, LazyRecords, Organisation, Source
from ..problems import LocatedError, Problem
from . import crossref
from .cache import FACT_KINDS, Entry, ValidationCache, digest_of, pause_collector
from .facts import incident_facts
from .messages import problems_from

_BROKEN_KIND = {
    "people": ("person", "*"),
    "severities": ("severity", "*"),
    "channels": ("channel", "*"),
    "services": ("service", "*"),
    "settings": ("settings", "*"),
}
_OBJECT_KIND = {"escalation": "policy"}
Item = TypeVar("Item")
Outcome = TypeVar("Outcome")
PARALLEL_THRESHOLD = 400
"""Below this many files to check, starting worker processes costs more than it saves."""


@dataclass
class Report:
    organisation: Organisation
    problems: list[Problem] = field(default_factory=list)
    files_checked: int = 0
    files_cached: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def passes(self, *, strict: bool = False) -> bool:
        """No errors, and with ``strict`` no warnings either: what the exit code and a CI check follow."""
        return not self.errors and not (strict and self.warnings)


def check_document(doc: Document, kind: str) -> tuple[BaseModel | None, list[Problem]]:
    model_cls = KINDS[kind].model
    try:
        return model_cls.model_validate(doc.data), []
    except ValidationError as exc:
        return None, problems_from(exc, doc, model_cls)


def _parse_bytes(relative: str, kind: str, raw: bytes) -> tuple[Any, tuple[Problem, ...]]:
    """Bytes -> plain data (no positions: most files are valid and never need them), or the load problem."""
    try:
        return parse(decode(raw, relative), relative, positions=False).data, ()
    except LocatedError as exc:
        return None, (_with_layout_hint(exc.problem, kind),)


def _model_of(relative: str, kind: str, data: Any, raw: bytes | Path) -> tuple[BaseModel | None, tuple[Problem, ...]]:
    """The model, or its problems located by parsing again, now noting where every key and item is.

    ``raw`` may be the file's path: a valid file (the usual case) is then never read again."""
    try:
        return KINDS[kind].model.model_validate(data), ()
    except ValidationError:
        pass
    try:
        text = decode(raw if isinstance(raw, bytes) else read_bytes(raw, relative), relative)
        model, problems = check_document(parse(text, relative), kind)
    except LocatedError as exc:  # the file changed since it was read
        return None, (exc.problem,)
    return model, tuple(problems)


def _with_layout_hint(problem: Problem, kind: str) -> Problem:
    """A file that is a bare list was usually meant to sit under its one top-level key (``people:``)."""
    if problem.rule != "yaml-not-mapping":
        return problem
    required = [name for name, info in KINDS[kind].model.model_fields.items() if info.is_required()]
    hint = f"; this file starts with '{required[0]}:'" if len(required) == 1 else ""
    if not hint:
        hint = f"; this file's top-level keys are {', '.join(required)}" if required else ""
    return replace(problem, message=problem.message + hint)


def _check_bytes(relative: str, kind: str, raw: bytes) -> tuple[Any, tuple[Problem, ...]]:
    """What the cache keeps for one file's content: an incident's facts (the record itself is dropped), or
    the parsed data of another kind; None and the problems when it fails."""
    data, problems = _parse_bytes(relative, kind, raw)
    if data is None or kind not in FACT_KINDS:
        return data, problems
    model, problems = _model_of(relative, kind, data, raw)
    return (incident_facts(model, relative) if isinstance(model, Incident) else None), problems


def _check_file(item: tuple[str, str, str]) -> tuple[str | None, Any, tuple[Problem, ...]]:
    """(content digest, what the cache keeps, problems) for one file; no digest when it cannot be read."""
    relative, kind, path = item
    try:
        raw = read_bytes(Path(path), relative)
    except LocatedError as exc:
        return None, None, (exc.problem,)
    return digest_of(raw), *_check_bytes(relative, kind, raw)


def _check_batch(batch: list[tuple[str, str, str]]) -> list[tuple[str | None, Any, tuple[Problem, ...]]]:
    return [_check_file(item) for item in batch]


Checked = tuple[FoundFile, BaseModel | IncidentFacts | None, tuple[Problem, ...]]
"""One file's result: its model (an incident's facts), or None; and its own problems."""


def check_files(
    files: list[FoundFile], cache: ValidationCache | None, jobs: int | None = None
) -> tuple[list[Checked], int]:
    """Per-file results in the order given, and how many files were unchanged since the cached run.

    An unchanged file (by its trusted stat, else by its content digest) is served from the cache. The rest are
    read, parsed and checked in worker processes when there are many, so only digests, facts and plain data
    cross process and cache boundaries; and only the failing files are parsed again for line and column.
    """
    outcomes: dict[str, tuple[Any, tuple[Problem, ...]]] = {}
    todo: list[FoundFile] = []
    cached = 0
    for found in files:
        outcome = _cached(found, cache) if cache is not None else None
        if outcome is None:
            todo.append(found)
        elif isinstance(outcome, Problem):
            outcomes[found.relative] = (None, (outcome,))
        else:
            outcomes[found.relative] = (outcome.data, outcome.problems)
            cached += 1
    for found, (digest, data, problems) in zip(todo, _check_all(todo, jobs), strict=True):
        outcomes[found.relative] = (data, problems)
        if cache is not None and digest is not None:
            cache.put(found.relative, Entry(digest, found.kind, data, problems), found.stat)
    if cache is not None:
        cache.prune({f.relative for f in files})
    results: list[Checked] = []
    for found in files:
        data, problems = outcomes[found.relative]
        if data is None or found.kind in FACT_KINDS:
            results.append((found, data, problems))
        else:
            results.append((found, *_model_of(found.relative, found.kind, data, found.path)))
    return results, cached


def _cached(found: FoundFile, cache: ValidationCache) -> Entry | Problem | None:
    """The cached entry for an unchanged file, the problem reading it, or None to check it."""
    entry = cache.unchanged(found.relative, found.kind, found.stat)
    if entry is not None or found.relative not in cache:
        return entry  # a file new to the cache is read once, by whoever checks it
    raw = _read(found)
    if isinstance(raw, Problem):
        return raw
    entry = cache.get(found.relative, digest_of(raw), found.kind)
    if entry is not None:
        cache.restat(found.relative, found.stat)
    return entry


def _read(found: FoundFile) -> bytes | Problem:
    try:
        return read_bytes(found.path, found.relative)
    except LocatedError as exc:
        return exc.problem


def _check_all(files: list[FoundFile], jobs: int | None) -> list[tuple[str | None, Any, tuple[Problem, ...]]]:
    return in_batches(_check_batch, [(f.relative, f.kind, f.location) for f in files], jobs)


def in_batches(work: Callable[[list[Item]], list[Outcome]], items: list[Item], jobs: int | None) -> list[Outcome]:
    """``work`` over ``items`` in order: in worker processes when there are enough items to repay starting
    them (``jobs`` of them, default one per core, at most 8), else here. Items and outcomes cross process
    boundaries, so they should be plain data."""
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(items) < PARALLEL_THRESHOLD:
        return work(items)
    size = max(50, len(items) // (workers * 4))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    from concurrent.futures import ProcessPoolExecutor  # here: 20 ms of imports that most runs never need

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [outcome for batch in pool.map(work, batches) for outcome in batch]


_LISTED: dict[type[BaseModel], tuple[str, str]] = {
    SeveritiesFile: ("severity", "severities"),
    PeopleFile: ("person", "people"),
    ChannelsFile: ("channel", "channels"),
    ServicesFile: ("service", "services"),
}
"""Files that list records under one key: model -> (kind, key)."""
_SINGLE: dict[type[BaseModel], str] = {
    Schedule: "schedule",
    EscalationPolicy: "policy",
    Maintenance: "maintenance",
}
"""Files that are one record: model -> kind."""
_TABLES = {
    "severity": "severities",
    "person": "people",
    "channel": "channels",
    "service": "services",
    "schedule": "schedules",
    "policy": "policies",
    "incident": "incident_facts",
    "maintenance": "maintenance",
}
"""Kind -> the Organisation attribute that indexes it by id (incidents by their facts; the records are lazy)."""


def _records(model: BaseModel | IncidentFacts, path: str) -> list[tuple[str, str, Any, Source]]:
    """(kind, id, record, source) for each record a file defines."""
    if isinstance(model, IncidentFacts):
        return [("incident", model.id, model, Source(path))]
    listed = _LISTED.get(type(model))
    if listed is not None:
        kind, key = listed
        return [(kind, item.id, item, Source(path, (key, i))) for i, item in enumerate(getattr(model, key))]
    single = _SINGLE.get(type(model))
    return [(single, getattr(model, "id"), model, Source(path))] if single else []  # noqa: B009 - typed BaseModel


def assemble(
    root: Path, results: Iterable[tuple[FoundFile, BaseModel | IncidentFacts | None, Any]]
) -> tuple[Organisation, list[crossref.Finding]]:
    """Index the valid models by id, noting duplicates as findings (the first definition wins).

    Incidents are indexed by their facts; their records are built from the files when first asked for."""
    org = Organisation(root=root)
    findings: list[crossref.Finding] = []
    built: dict[str, Incident] = {}
    for found, result, _ in results:
        model = result
        if model is None:
            stem = PurePosixPath(found.relative).stem
            org.broken.add(_BROKEN_KIND.get(found.kind, (_OBJECT_KIND.get(found.kind, found.kind), stem)))
        elif isinstance(model, Settings):
            org.settings = model
        elif isinstance(model, Incident):  # from a caller that built the record already
            built[found.relative] = model
            model = incident_facts(model, found.relative)
        for kind, ident, record, source in _records(model, found.relative) if model is not None else []:
            table = getattr(org, _TABLES[kind])
            if ident in table:
                first = org.sources[(kind, ident)].path
                message = f"{kind} id '{ident}' is already defined in {first}; ids must be unique"
                findings.append(crossref.Finding(source.path, (*source.loc, "id"), "error", message, "duplicate-id"))
                continue
            table[ident] = record
            org.sources[(kind, ident)] = source
    paths = {ident: org.sources[("incident", ident)].path for ident in org.incident_facts}
    org.incidents = LazyRecords(paths, lambda relative: built.get(relative) or incident_at(root, relative))
    return org, findings


def incident_at(root: Path, relative: str) -> Incident:
    """The record in one incident file, for an organisation that has validated it; refused if it no longer
    validates (it changed since)."""
    path = root / relative
    try:
        data, problems = _parse_bytes(relative, "incident", read_bytes(path, relative))
    except LocatedError as exc:
        raise InvalidOrganisation([exc.problem]) from None
    model, problems = _model_of(relative, "incident", data, path) if data is not None else (None, problems)
    if not isinstance(model, Incident):
        raise InvalidOrganisation(list(problems))
    return model


class Locator:
    """Finds line and column for cross-reference findings, parsing a file only when one needs it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.docs: dict[str, Document | None] = {}

    def problem(self, finding: crossref.Finding) -> Problem:
        if finding.path not in self.docs:
            try:
                raw = read_bytes(self.root / finding.path, finding.path)
                self.docs[finding.path] = parse(decode(raw, finding.path), finding.path)
            except LocatedError:
                self.docs[finding.path] = None
        doc = self.docs[finding.path]
        line, column = (1, 1)
        if doc is not None:
            pos = doc.locate(finding.loc, key=finding.at_key)
            line, column = pos.line, pos.column
        return Problem(finding.path, line, column, finding.level, finding.message, finding.rule)


def validate(
    root: Path,
    *,
    now: datetime,
    use_cache: bool = True,
    cache_directory: Path | None = None,
    jobs: int | None = None,
    clock: bool = True,
) -> Report:
    with pause_collector():
        return _validate(root, now, use_cache, cache_directory, jobs, clock)


def _validate(
    root: Path, now: datetime, use_cache: bool, cache_directory: Path | None, jobs: int | None, clock: bool
) -> Report:
    cache = ValidationCache(root, cache_directory) if use_cache else None  # first: it notes when the run began
    files, problems = discover(root)
    if not files and not problems:
        problems.append(
            Problem(".", 1, 1, "error", f"no incidents/, policies/ or schedules/ files under {root}", "no-files")
        )
    results, cached = check_files(files, cache, jobs)
    for _, _, file_problems in results:
        problems.extend(file_problems)
    org, findings = assemble(root, results)
    if cache is not None:
        org.digests = cache.digests()
    findings.extend(crossref.check(org, now=now, clock=clock))
    locator = Locator(root)
    problems.extend(locator.problem(f) for f in findings)
    if cache is not None:
        cache.save()
    return Report(organisation=org, problems=sorted(set(problems)), files_checked=len(files), files_cached=cached)


def load_organisation(root: Path, *, now: datetime, use_cache: bool = True) -> Organisation:
    """For commands that act on the data: refuse to act on an organisation with errors.

    ``now`` is the instant the command acts or asks at (``--at``). Records are not judged against it
    (see :func:`crossref.check`): the operation checks the record it changes, and ``validate`` judges
    every record against the real present.
    """
    report = validate(root, now=now, use_cache=use_cache, clock=False)
    if report.errors:
        raise InvalidOrganisation(list(report.errors))
    if not use_cache and isinstance(report.organisation.incidents, LazyRecords):
        # Uncached loads are of scratch trees and other revisions, which are deleted after use.
        report.organisation.incidents.materialize()
    return report.organisation
