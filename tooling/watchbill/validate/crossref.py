"""Rules that look across files: references, uniqueness, ordering and promises kept.

Each rule yields findings addressed by (file, key path); validate.Locator turns them into line:col.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..fields import format_duration, format_instant, zone
from ..files.loader import Loc
from ..models import Schedule, Step, split_target
from ..oncall import first_gap, shifts
from ..organisation import IncidentFacts, Organisation, Source
from ..problems import Level
from .workflows import PROBE_WORKFLOW, SITE_WORKFLOW, probe_regions
from .zones import advice

_ENV_REF = re.compile(r"\$\{[A-Z_][A-Z0-9_]*\}")
_SAFE_LITERAL_SCHEMES = ("mailto://", "mailtos://", "json://", "jsons://", "form://", "xml://")


_TABLE_KIND = {"escalation policy": "policy"}


@dataclass(frozen=True)
class Finding:
    path: str
    loc: Loc
    level: Level
    message: str
    rule: str
    at_key: bool = False


def _at(source: Source, *loc: str | int) -> tuple[str, Loc]:
    return source.path, (*source.loc, *loc)


def _unknown(
    org: Organisation,
    kind: str,
    table: Mapping[str, object],
    ident: str,
    source: Source,
    loc: tuple[str | int, ...],
    rule: str,
) -> Iterator[Finding]:
    if ident not in table and not org.is_broken(_TABLE_KIND.get(kind, kind), ident):
        known = ", ".join(sorted(table)) or "none defined"
        path, full = _at(source, *loc)
        yield Finding(path, full, "error", f"unknown {kind} '{ident}' (known: {known})", rule)


def check(org: Organisation, *, now: datetime, clock: bool = True) -> list[Finding]:
    """Every finding; ``clock=False`` leaves out the rules that judge records against ``now``.

    Those rules (a record dated in the future, an overdue postmortem, coverage gaps ahead) are about the
    present, not about whether the data holds together: a command acting or asking at ``--at`` loads the
    organisation without them, so back-dating one record or asking who was on call in March never trips
    over an unrelated record dated later. ``validate`` runs them against the real present.
    """
    findings: list[Finding] = []
    for rule in (
        _file_names,
        _people,
        _channels,
        _severities,
        _schedules,
        _policies,
        _services,
        _probe_regions,
        _incidents,
        _maintenance,
        _settings,
        _status_page_url,
        _timezones,
    ):
        findings.extend(rule(org, now))
    if clock:
        for timed in CLOCK_RULES:
            findings.extend(timed(org, now))
    return findings


def _file_names(org: Organisation, now: datetime) -> Iterator[Finding]:
    """Schedules, policies and maintenance windows; an incident's place is checked from its own file
    (:func:`.facts.incident_facts`), since it depends on nothing else."""
    for (kind, ident), source in org.sources.items():
        if kind not in ("schedule", "policy", "maintenance"):
            continue
        stem = posixpath.splitext(posixpath.basename(source.path))[0]
        if stem != ident:
            yield Finding(
                source.path,
                ("id",),
                "error",
                f"id '{ident}' does not match the file name '{stem}'; rename one of them",
                "id-filename-mismatch",
            )


def _people(org: Organisation, now: datetime) -> Iterator[Finding]:
    logins: dict[str, str] = {}
    for person in org.people.values():
        source = org.source("person", person.id)
        for channel in person.contacts:
            yield from _unknown(org, "channel", org.channels, channel, source, ("contacts", channel), "unknown-channel")
        if person.github is None:
            continue
        # GitHub logins ignore case: two people on one login make a comment's author ambiguous.
        first = logins.setdefault(person.github.casefold(), person.id)
        if first != person.id:
            path, loc = _at(source, "github")
            message = (
                f"the GitHub login '{person.github}' is {first}'s already; a comment by it could not be told "
                "apart, so neither may act by comment until one is changed"
            )
            yield Finding(path, loc, "error", message, "duplicate-github-login")


def _channels(org: Organisation, now: datetime) -> Iterator[Finding]:
    for channel in org.channels.values():
        if _ENV_REF.search(channel.url) or (channel.url.startswith(_SAFE_LITERAL_SCHEMES) and "@" not in channel.url):
            continue
        source = org.source("channel", channel.id)
        path, loc = _at(source, "url")
        yield Finding(
            path,
            loc,
            "warning",
            "channel URL has no ${ENV} reference; if it holds a token or webhook secret, move it to a "
            "repository secret and write ${NAME} here",
            "channel-secret-literal",
        )


def _severities(org: Organisation, now: datetime) -> Iterator[Finding]:
    for sev in org.severities.values():
        if sev.escalation:
            yield from _unknown(
                org,
                "escalation policy",
                org.policies,
                sev.escalation,
                org.source("severity", sev.id),
                ("escalation",),
                "unknown-policy",
            )


def _schedules(org: Organisation, now: datetime) -> Iterator[Finding]:
    for schedule in org.schedules.values():
        source = org.source("schedule", schedule.id)
        for li, layer in enumerate(schedule.layers):
            for mi, member in enumerate(layer.members):
                yield from _unknown(
                    org, "person", org.people, member, source, ("layers", li, "members", mi), "unknown-person"
                )
            for ci, change in enumerate(layer.changes):
                for mi, member in enumerate(change.members):
                    yield from _unknown(
                        org,
                        "person",
                        org.people,
                        member,
                        source,
                        ("layers", li, "changes", ci, "members", mi),
                        "unknown-person",
                    )
        for oi, override in enumerate(schedule.overrides):
            yield from _unknown(
                org, "person", org.people, override.person, source, ("overrides", oi, "person"), "unknown-person"
            )


def _schedule_gaps(org: Organisation, now: datetime) -> Iterator[Finding]:
    for schedule in org.schedules.values():
        gap = first_gap(schedule, now)
        if gap is not None:
            path, loc = _at(org.source("schedule", schedule.id), "layers")
            yield Finding(
                path,
                loc,
                "warning",
                f"nobody is on call from {format_instant(gap.start)} to {format_instant(gap.end)} "
                "(first gap in the next 28 days); add a layer or an override to cover it",
                "schedule-gap",
            )


def _reachable(org: Organisation, kind: str, ident: str, via: list[str]) -> bool:
    """Can this target reach at least one human or room through the allowed channels?

    A target in a file that failed to load counts as reachable: that file's own error is the news.
    """
    if org.is_broken(kind, ident) or org.is_broken("channel", "*"):
        return True
    if kind == "channel":
        return ident in org.channels
    if kind == "person":
        person = org.people.get(ident)
        return person is not None and any(c in org.channels and (not via or c in via) for c in person.contacts)
    schedule = org.schedules.get(ident)
    if schedule is None:
        return False
    members = {m for layer in schedule.layers for m in layer.members}
    return any(_reachable(org, "person", m, via) for m in members)


_TARGET_TABLES = {"schedule": "schedules", "person": "people", "channel": "channels"}


def _policies(org: Organisation, now: datetime) -> Iterator[Finding]:
    for policy in org.policies.values():
        source = org.source("policy", policy.id)
        any_reachable = False
        for si, step in enumerate(policy.steps):
            reachable = yield from _policy_step(org, source, si, step)
            any_reachable = any_reachable or reachable
        for severity in org.severities:
            if not any(step.severities is None or severity in step.severities for step in policy.steps):
                yield Finding(
                    source.path,
                    ("steps",),
                    "error",
                    f"no step applies to {severity}: an incident of that severity would page nobody",
                    "escalation-unreachable",
                )
        if not any_reachable:
            yield Finding(
                source.path,
                ("id",),
                "error",
                f"policy '{policy.id}' can reach nobody: give its targets contacts on its channels",
                "escalation-unreachable",
            )


def _policy_step(org: Organisation, source: Source, si: int, step: Step) -> Generator[Finding, None, bool]:
    """Findings for one escalation step; returns whether the step reaches anyone."""
    step_reachable = False
    for ti, target in enumerate(step.targets):
        kind, ident = split_target(target)
        table = getattr(org, _TARGET_TABLES[kind])
        unknown = list(_unknown(org, kind, table, ident, source, ("steps", si, "targets", ti), f"unknown-{kind}"))
        yield from unknown
        # An unknown target is already an error; calling its step unreachable too would be noise.
        if unknown or _reachable(org, kind, ident, step.via):
            step_reachable = True
    for vi, channel in enumerate(step.via):
        yield from _unknown(org, "channel", org.channels, channel, source, ("steps", si, "via", vi), "unknown-channel")
    for vi, severity in enumerate(step.severities or []):
        where = ("steps", si, "severities", vi)
        yield from _unknown(org, "severity", org.severities, severity, source, where, "unknown-severity")
    if not step_reachable:
        path, loc = _at(source, "steps", si)
        yield Finding(
            path,
            loc,
            "warning",
            f"step {si + 1} reaches nobody: no target has a contact on its channels",
            "escalation-unreachable",
        )
    return step_reachable


def _services(org: Organisation, now: datetime) -> Iterator[Finding]:
    for service in org.services.values():
        source = org.source("service", service.id)
        yield from _unknown(org, "schedule", org.schedules, service.owner, source, ("owner",), "unknown-schedule")
        if service.escalation:
            yield from _unknown(
                org, "escalation policy", org.policies, service.escalation, source, ("escalation",), "unknown-policy"
            )
        if "severity" in service.model_fields_set:
            yield from _unknown(
                org, "severity", org.severities, service.severity, source, ("severity",), "unknown-severity"
            )
        elif service.severity not in org.severities and not org.is_broken("severity", service.severity):
            path, loc = _at(source, "id")
            yield Finding(
                path,
                loc,
                "error",
                f"service '{service.id}' has no 'severity', and the default {service.severity} is not defined; "
                f"add 'severity:' with one of: {', '.join(sorted(org.severities)) or 'none defined'}",
                "unknown-severity",
            )
        for di, dep in enumerate(service.depends_on):
            yield from _unknown(org, "service", org.services, dep, source, ("depends_on", di), "unknown-service")
        seen: dict[str, int] = {}
        for pi, probe in enumerate(service.probes):
            if probe.id in seen:
                path, loc = _at(source, "probes", pi, "id")
                yield Finding(
                    path, loc, "error", f"probe id '{probe.id}' is used twice in service '{service.id}'", "duplicate-id"
                )
            seen[probe.id] = pi
            if probe.severity:
                yield from _unknown(
                    org,
                    "severity",
                    org.severities,
                    probe.severity,
                    source,
                    ("probes", pi, "severity"),
                    "unknown-severity",
                )
        if not (
            service.escalation or org.settings.default_escalation or any(s.escalation for s in org.severities.values())
        ):
            path, loc = _at(source, "id")
            yield Finding(
                path,
                loc,
                "warning",
                f"service '{service.id}' has no escalation policy, and neither its severities nor settings name one",
                "escalation-unreachable",
            )


def _probe_regions(org: Organisation, now: datetime) -> Iterator[Finding]:
    """A probe whose confirmation names a region the probe workflow never runs waits for a verdict that cannot
    come: it would show 'unknown' for ever and never open an incident."""
    matrix = probe_regions(org.root)
    if matrix is None:
        return
    for service in org.services.values():
        source = org.source("service", service.id)
        for pi, probe in enumerate(service.probes):
            if probe.confirm is None:
                continue
            missing = [r for r in probe.confirm.regions if r not in matrix]
            if not missing:
                continue
            running = len(probe.confirm.regions) - len(missing)
            outcome = (
                f"only {running} of the {probe.confirm.min} needed can report, so it can never fail"
                if running < probe.confirm.min
                else "those regions never report"
            )
            path, loc = _at(source, "probes", pi, "confirm", "regions", probe.confirm.regions.index(missing[0]))
            yield Finding(
                path,
                loc,
                "warning",
                f"probe '{service.id}/{probe.id}' asks region(s) {', '.join(missing)} to confirm, but "
                f"{PROBE_WORKFLOW.as_posix()} runs only {', '.join(matrix) or 'none'}; {outcome}",
                "probe-region-not-run",
            )


def _incident_probe(org: Organisation, probe: str, source: Source) -> Iterator[Finding]:
    service_id, _, probe_id = probe.partition("/")
    service = org.services.get(service_id)
    missing = service is None or all(p.id != probe_id for p in service.probes)
    if not missing or org.is_broken("service", "*"):
        return
    path, loc = _at(source, "probe")
    known = ", ".join(f"{service_id}/{p.id}" for p in service.probes) if service else ""
    hint = (
        f"known: {known}"
        if known
        else (f"service '{service_id}' has no probes" if service else f"there is no service '{service_id}'")
    )
    yield Finding(path, loc, "error", f"unknown probe '{probe}' ({hint})", "unknown-probe")


def _incidents(org: Organisation, now: datetime) -> Iterator[Finding]:
    """From each record's facts (:mod:`.facts`): the ids it names, and what its own file already showed."""
    tables: dict[str, Mapping[str, object]] = {
        "severity": org.severities,
        "service": org.services,
        "person": org.people,
        "incident": org.incidents,
    }
    for facts in org.incident_facts.values():
        source = org.source("incident", facts.id)
        for kind, ident, loc, rule in facts.references:
            if ident not in tables[kind]:
                yield from _unknown(org, kind, tables[kind], ident, source, loc, rule)
        if facts.probe:
            yield from _incident_probe(org, facts.probe, source)
        for loc, level, message, rule in facts.own:
            yield Finding(source.path, loc, level, message, rule)


def _incidents_against_clock(org: Organisation, now: datetime) -> Iterator[Finding]:
    for facts in org.incident_facts.values():
        source = org.source("incident", facts.id)
        started_at = datetime.fromisoformat(facts.started_at)
        if started_at > now:
            yield Finding(
                source.path,
                ("started_at",),
                "error",
                f"started_at ({facts.started_at}) is in the future; check the year",
                "timestamps-order",
            )
        yield from _postmortem_due(org, facts, source, now)


def _postmortem_due(org: Organisation, facts: IncidentFacts, source: Source, now: datetime) -> Iterator[Finding]:
    severity = org.severities.get(facts.severity)
    if severity is None or not severity.postmortem.required or facts.resolved_at is None:
        return
    due_within = severity.postmortem.due_within
    if due_within is None:
        return
    due = datetime.fromisoformat(facts.resolved_at) + due_within
    if facts.postmortem_status != "published" and now > due:
        state = "missing" if facts.postmortem_status is None else f"still '{facts.postmortem_status}'"
        loc: Loc = ("postmortem", "status") if facts.postmortem_status is not None else ("status",)
        yield Finding(
            source.path,
            loc,
            "error",
            f"{facts.severity} requires a published postmortem by {due.date().isoformat()} "
            f"({format_duration(due_within)} after resolution); it is {state}",
            "postmortem-overdue",
        )


def _maintenance(org: Organisation, now: datetime) -> Iterator[Finding]:
    for window in org.maintenance.values():
        source = org.source("maintenance", window.id)
        for si, service in enumerate(window.services):
            yield from _unknown(org, "service", org.services, service, source, ("services", si), "unknown-service")


def _settings(org: Organisation, now: datetime) -> Iterator[Finding]:
    if org.settings.default_escalation:
        source = Source("policies/settings.yaml")
        yield from _unknown(
            org,
            "escalation policy",
            org.policies,
            org.settings.default_escalation,
            source,
            ("default_escalation",),
            "unknown-policy",
        )


def _timezones(org: Organisation, now: datetime) -> Iterator[Finding]:
    """Zone names that load but mislead (``EST``, ``US/Eastern``): say which name to write."""
    named: list[tuple[str, Source]] = [(s.timezone, org.source("schedule", s.id)) for s in org.schedules.values()]
    named += [(p.timezone, org.source("person", p.id)) for p in org.people.values()]
    named += [(m.timezone, org.source("maintenance", m.id)) for m in org.maintenance.values()]
    named.append((org.settings.timezone, Source("policies/settings.yaml")))
    for name, source in named:
        text = advice(name)
        if text is not None:
            path, loc = _at(source, "timezone")
            yield Finding(path, loc, "warning", text, "timezone-alias")


STEP_HORIZON = timedelta(days=90)
"""How far ahead to name the weeks in which a schedule member a step cannot reach is on call."""


def _step_members(org: Organisation, now: datetime) -> Iterator[Finding]:
    """A step that reaches someone, but not every member of a schedule it targets: name the weeks it fails."""
    if org.is_broken("channel", "*") or org.is_broken("person", "*"):
        return
    for policy in org.policies.values():
        source = org.source("policy", policy.id)
        for si, step in enumerate(policy.steps):
            targets = [split_target(t) for t in step.targets]
            if not any(_reachable(org, kind, ident, step.via) for kind, ident in targets):
                continue  # the step reaches nobody at all: escalation-unreachable says so
            for kind, ident in targets:
                schedule = org.schedules.get(ident) if kind == "schedule" else None
                if schedule is not None:
                    yield from _unreachable_members(org, source, si, step, schedule, now)


def _unreachable_members(
    org: Organisation, source: Source, si: int, step: Step, schedule: Schedule, now: datetime
) -> Iterator[Finding]:
    missing = sorted(m for m in _members(schedule) if m in org.people and not _reachable(org, "person", m, step.via))
    if not missing:
        return
    timeline = shifts(schedule, now, now + STEP_HORIZON)
    channels = ", ".join(step.via) if step.via else "any channel"
    path, loc = _at(source, *(("steps", si, "via") if step.via else ("steps", si)))
    for person in missing:
        weeks = sorted({week_of(s.start, schedule.timezone) for s in timeline if s.person == person})
        when = f"not on call in the next {STEP_HORIZON.days} days"
        if weeks:
            when = f"on call the weeks of {', '.join(weeks)} in the next {STEP_HORIZON.days} days"
        yield Finding(
            path,
            loc,
            "warning",
            f"step {si + 1} reaches nobody while {person} is on call for '{schedule.id}': no contact on "
            f"{channels} ({when}); add one in schedules/people.yaml or another channel to via",
            "escalation-member-unreachable",
        )


def _members(schedule: Schedule) -> set[str]:
    """Everyone the schedule can put on call: layer members, dated members, override people."""
    members = {m for layer in schedule.layers for m in layer.members}
    members |= {m for layer in schedule.layers for change in layer.changes for m in change.members}
    return members | {o.person for o in schedule.overrides}


def week_of(instant: datetime, zone_name: str) -> str:
    """The Monday of the local week ``instant`` falls in, as an ISO date."""
    day = instant.astimezone(zone(zone_name)).date()
    return (day - timedelta(days=day.weekday())).isoformat()


CLOCK_RULES = (_schedule_gaps, _incidents_against_clock, _step_members)
"""The rules that judge records against the present (see :func:`check`)."""


def _status_page_url(org: Organisation, now: datetime) -> Iterator[Finding]:
    """A published site needs its own address: the API's page.url, feed links and shortlinks are made from it."""
    if org.settings.status_page.url or not (org.root / SITE_WORKFLOW).is_file():
        return
    yield Finding(
        "policies/settings.yaml",
        ("status_page",),
        "error",
        f"{SITE_WORKFLOW.as_posix()} publishes the status site, but status_page has no url; add the line "
        "'  url: https://status.example.com' under 'status_page:' (the address readers open, e.g. "
        "https://ORG.github.io/REPO/ on GitHub Pages)",
        "status-page-url",
        at_key=True,
    )
