"""Check every file against its model, then the organisation as a whole.

Per-file work (read, parse, model) is pure and cached by content digest; cross-references always run,
since a change in one file can break a reference in another that did not change.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

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
from ..organisation import InvalidOrganisation, Organisation, Source
from ..problems import LocatedError, Problem
from . import crossref
from .cache import Entry, ValidationCache
from .messages import problems_from

_BROKEN_KIND = {
    "people": ("person", "*"),
    "severities": ("severity", "*"),
    "channels": ("channel", "*"),
    "services": ("service", "*"),
    "settings": ("settings", "*"),
}
_OBJECT_KIND = {"escalation": "policy"}
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


def _model_of(relative: str, kind: str, data: Any, raw: bytes) -> tuple[BaseModel | None, tuple[Problem, ...]]:
    try:
        return KINDS[kind].model.model_validate(data), ()
    except ValidationError:
        doc = parse(decode(raw, relative), relative)  # again, now noting where every key and item is
        model, problems = check_document(doc, kind)
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


def _parse_batch(batch: list[tuple[str, str, bytes]]) -> list[tuple[Any, tuple[Problem, ...]]]:
    return [_parse_bytes(relative, kind, raw) for relative, kind, raw in batch]


def _read(found: FoundFile) -> bytes | Problem:
    try:
        return read_bytes(found.path, found.relative)
    except LocatedError as exc:
        return exc.problem


def check_files(
    files: list[FoundFile], cache: ValidationCache | None, jobs: int | None = None
) -> tuple[list[tuple[FoundFile, BaseModel | None, tuple[Problem, ...]]], int]:
    """Per-file results in the order given, and how many files were unchanged since the cached run.

    Parsing (the expensive part) is cached and spread over processes; model validation is cheap and runs
    here, so only plain data crosses process and cache boundaries.
    """
    loaded: dict[str, tuple[Any, tuple[Problem, ...]]] = {}
    raws: dict[str, bytes] = {}
    todo: list[tuple[FoundFile, str, bytes]] = []
    for found in files:
        raw = _read(found)
        if isinstance(raw, Problem):
            loaded[found.relative] = (None, (raw,))
            continue
        raws[found.relative] = raw
        digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
        entry = cache.get(found.relative, digest) if cache else None
        if entry is not None and entry.kind == found.kind:
            loaded[found.relative] = (entry.data, entry.problems)
        else:
            todo.append((found, digest, raw))
    cached = len(raws) - len(todo)
    outcomes = _parse_all([(f.relative, f.kind, raw) for f, _, raw in todo], jobs)
    for (found, digest, _), outcome in zip(todo, outcomes, strict=True):
        loaded[found.relative] = outcome
        if cache is not None:
            cache.put(found.relative, Entry(digest, found.kind, outcome[0], outcome[1]))
    if cache is not None:
        cache.prune({f.relative for f in files})
    results: list[tuple[FoundFile, BaseModel | None, tuple[Problem, ...]]] = []
    for found in files:
        data, problems = loaded[found.relative]
        if data is None:
            results.append((found, None, problems))
        else:
            results.append((found, *_model_of(found.relative, found.kind, data, raws[found.relative])))
    return results, cached


def _parse_all(items: list[tuple[str, str, bytes]], jobs: int | None) -> list[tuple[Any, tuple[Problem, ...]]]:
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(items) < PARALLEL_THRESHOLD:
        return _parse_batch(items)
    size = max(50, len(items) // (workers * 4))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [outcome for batch in pool.map(_parse_batch, batches) for outcome in batch]


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
    Incident: "incident",
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
    "incident": "incidents",
    "maintenance": "maintenance",
}
"""Kind -> the Organisation attribute that indexes it by id."""


def _records(model: BaseModel, path: str) -> list[tuple[str, str, Any, Source]]:
    """(kind, id, record, source) for each record a file defines."""
    listed = _LISTED.get(type(model))
    if listed is not None:
        kind, key = listed
        return [(kind, item.id, item, Source(path, (key, i))) for i, item in enumerate(getattr(model, key))]
    single = _SINGLE.get(type(model))
    return [(single, getattr(model, "id"), model, Source(path))] if single else []  # noqa: B009 - typed BaseModel


def assemble(
    root: Path, results: Iterable[tuple[FoundFile, BaseModel | None, Any]]
) -> tuple[Organisation, list[crossref.Finding]]:
    """Index the valid models by id, noting duplicates as findings (the first definition wins)."""
    org = Organisation(root=root)
    findings: list[crossref.Finding] = []
    for found, model, _ in results:
        if model is None:
            stem = PurePosixPath(found.relative).stem
            org.broken.add(_BROKEN_KIND.get(found.kind, (_OBJECT_KIND.get(found.kind, found.kind), stem)))
        elif isinstance(model, Settings):
            org.settings = model
        for kind, ident, record, source in _records(model, found.relative) if model is not None else []:
            table = getattr(org, _TABLES[kind])
            if ident in table:
                first = org.sources[(kind, ident)].path
                message = f"{kind} id '{ident}' is already defined in {first}; ids must be unique"
                findings.append(crossref.Finding(source.path, (*source.loc, "id"), "error", message, "duplicate-id"))
                continue
            table[ident] = record
            org.sources[(kind, ident)] = source
    return org, findings


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
    files, problems = discover(root)
    if not files and not problems:
        problems.append(
            Problem(".", 1, 1, "error", f"no incidents/, policies/ or schedules/ files under {root}", "no-files")
        )
    cache = ValidationCache(root, cache_directory) if use_cache else None
    results, cached = check_files(files, cache, jobs)
    for _, _, file_problems in results:
        problems.extend(file_problems)
    org, findings = assemble(root, results)
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
    return report.organisation
