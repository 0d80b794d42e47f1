"""The "Report an incident" issue form: read a submitted issue into a declaration, or say why not.

The issue's body is written by anyone who can open an issue, so it is treated as hostile: its size is
capped, every field is checked against a closed set (the organisation's services, the form's own
options), control characters are refused, and none of it reaches the public record. The public title and
first update are ours; the reporter's words go to the internal timeline only.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from ..errors import RequestError
from ..fields import format_instant, parse_instant
from ..models import Incident, Service
from ..models.incident import DetectedBy, Impact
from ..organisation import Organisation
from .ops import Declaration

T = TypeVar("T")
FORM_LABEL = "incident-report"
"""The label the issue form puts on every report; the intake workflow acts only on issues carrying it."""
COMMENT_MARKER = "<!-- watchbill:intake -->"
"""Hidden in the comment that accepts a report, so a later run for the same issue (an edit, a re-label)
knows it was handled and opens no second incident."""
REJECTED_MARKER = "<!-- watchbill:intake-rejected -->"
"""Hidden in a rejection: the reporter may edit the issue, and the next run must try again."""
_LEGACY_REJECTION = "could not be turned into an incident"
"""Rejections written before REJECTED_MARKER carried COMMENT_MARKER; their wording tells them apart."""
MAX_EVENT_BYTES = 2 * 1024 * 1024
MAX_BODY_CHARS = 20_000
MAX_DESCRIPTION_CHARS = 5_000
MAX_SHORT_CHARS = 200
MAX_ISSUE_TITLE_CHARS = 256
"""GitHub's own limit for an issue title: a title GitHub accepted must not be a reason to refuse a report."""
MAX_START_AGE = timedelta(days=30)
NO_RESPONSE = "_No response_"

SERVICE = "Affected service"
IMPACT = "How bad is it?"
SOURCE = "Who noticed it?"
DESCRIPTION = "What is happening?"
STARTED = "When did it start?"
REFERENCE = "Customer or ticket reference"
REQUIRED = (SERVICE, IMPACT, SOURCE, DESCRIPTION)
OPTIONAL = (STARTED, REFERENCE)

IMPACT_OPTIONS: dict[str, Impact] = {
    "Slower than usual (degraded performance)": "degraded_performance",
    "Some things fail (partial outage)": "partial_outage",
    "Nothing works (major outage)": "major_outage",
}
SOURCE_OPTIONS: dict[str, DetectedBy] = {
    "A customer told us": "customer",
    "I noticed it myself": "internal",
}
_HEADING = re.compile(r"^###[ \t]+(.+?)[ \t]*$", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
"""C0 controls (tab and newlines allowed) and bidirectional overrides, which can disguise text."""


class ReportRejected(RequestError):
    """The report cannot become an incident; ``reasons`` are written back to the reporter."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class IssueReport:
    issue_number: int
    issue_title: str
    author: str
    service: Service
    impact: Impact
    detected_by: DetectedBy
    description: str
    started_at: datetime | None
    reference: str | None
    notes: tuple[str, ...] = ()
    """Things we chose not to use (e.g. an unreadable start time), told to the reporter."""


def sections(body: str) -> dict[str, str | None]:
    """GitHub's issue-form markdown (``### Label`` then the value) -> label -> value (None when left empty).

    Only the form's own labels split the body, so a reporter's own ``###`` lines stay inside their text.
    """
    found: dict[str, str | None] = {}
    matches = [m for m in _HEADING.finditer(body) if m.group(1).strip() in (*REQUIRED, *OPTIONAL)]
    for index, match in enumerate(matches):
        label = match.group(1).strip()
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        value = body[match.end() : end].strip()
        if label in found:
            raise ReportRejected([f"the field '{label}' appears twice; submit the form without editing its headings"])
        found[label] = None if value in ("", NO_RESPONSE) else value
    return found


def _clean(value: str, label: str, limit: int, reasons: list[str], *, single_line: bool) -> str | None:
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if _CONTROL.search(text):
        reasons.append(f"'{label}' contains control characters; type it again as plain text")
        return None
    if single_line and "\n" in text:
        reasons.append(f"'{label}' must be one line")
        return None
    if len(text) > limit:
        reasons.append(f"'{label}' is {len(text):,} characters long; keep it under {limit:,}")
        return None
    return text


def _service(org: Organisation, text: str) -> Service | None:
    wanted = " ".join(text.split()).casefold()
    for service in org.services.values():
        if wanted in (service.id.casefold(), " ".join(service.name.split()).casefold()):
            return service
    return None


def read_event(path: Path) -> dict[str, Any]:
    """The issues event payload GitHub wrote for the workflow ($GITHUB_EVENT_PATH)."""
    try:
        if path.stat().st_size > MAX_EVENT_BYTES:
            raise RequestError(f"{path} is larger than {MAX_EVENT_BYTES:,} bytes; is it an issues event payload?")
        event = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RequestError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(f"{path} is not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise RequestError(f"{path} does not hold a JSON object")
    return event


def _issue(event: Mapping[str, Any]) -> Mapping[str, Any]:
    issue = event.get("issue")
    if not isinstance(issue, Mapping):
        raise ValueError("the event has no 'issue'; is this an issues event payload?")
    if not isinstance(issue.get("number"), int) or isinstance(issue.get("number"), bool):
        raise ValueError("the event's issue has no number")
    return issue


def issue_number(event: Mapping[str, Any]) -> int:
    number: int = _issue(event)["number"]
    return number


def has_form_label(event: Mapping[str, Any]) -> bool:
    labels = _issue(event).get("labels") or []
    return any(isinstance(label, Mapping) and label.get("name") == FORM_LABEL for label in labels)


def read_report(event: Mapping[str, Any], org: Organisation, *, now: datetime) -> IssueReport:
    """Check every field of the submitted form; raise ReportRejected listing everything to fix at once."""
    issue = _issue(event)
    fields = _fields(issue.get("body"))
    reasons: list[str] = []
    service = _service_field(org, fields[SERVICE] or "", reasons)
    impact = _option(fields[IMPACT], IMPACT, IMPACT_OPTIONS, reasons)
    source = _option(fields[SOURCE], SOURCE, SOURCE_OPTIONS, reasons)
    description = _clean(fields[DESCRIPTION] or "", DESCRIPTION, MAX_DESCRIPTION_CHARS, reasons, single_line=False)
    reference = None
    if fields.get(REFERENCE):
        reference = _clean(fields[REFERENCE] or "", REFERENCE, MAX_SHORT_CHARS, reasons, single_line=True)
    started_at, note = _start(fields[STARTED] or "", now) if fields.get(STARTED) else (None, None)
    title = issue.get("title") if isinstance(issue.get("title"), str) else ""
    clean_title = _clean(title or "", "title", MAX_ISSUE_TITLE_CHARS, reasons, single_line=True) or ""
    if reasons:
        raise ReportRejected(reasons)
    assert service is not None and impact is not None and source is not None and description is not None
    return IssueReport(
        issue_number=int(issue["number"]),
        issue_title=clean_title,
        author=_author(issue.get("user")),
        service=service,
        impact=impact,
        detected_by=source,
        description=description,
        started_at=started_at,
        reference=reference,
        notes=(note,) if note else (),
    )


def _fields(body: object) -> dict[str, str | None]:
    """The form's sections, once the body is known to be a form of sane size with every required field."""
    if not isinstance(body, str) or not body.strip():
        raise ReportRejected(["the issue is empty; please use the 'Report an incident' form"])
    if len(body) > MAX_BODY_CHARS:
        raise ReportRejected([f"the report is {len(body):,} characters long; keep it under {MAX_BODY_CHARS:,}"])
    fields = sections(body)
    missing = [f"'{label}' is required" for label in REQUIRED if not fields.get(label)]
    if missing:
        raise ReportRejected(missing)
    return fields


def _service_field(org: Organisation, text: str, reasons: list[str]) -> Service | None:
    service_text = _clean(text, SERVICE, 100, reasons, single_line=True)
    service = _service(org, service_text) if service_text else None
    if service_text is not None and service is None:
        names = ", ".join(f"{s.name} ({s.id})" for s in org.services.values() if s.public) or "none"
        reasons.append(f"there is no service called '{service_text[:100]}'; the services are: {names}")
    return service


def _option(text: str | None, label: str, options: Mapping[str, T], reasons: list[str]) -> T | None:
    """One of the form's own options, or a reason saying which ones there are."""
    chosen = options.get((text or "").strip())
    if chosen is None:
        reasons.append(f"'{label}' must be one of the form's options: {', '.join(options)}")
    return chosen


def _author(user: object) -> str:
    """The reporter's login as GitHub allows it; anything else (it reaches the record) is 'someone'."""
    login = user.get("login") if isinstance(user, Mapping) else None
    author = login if isinstance(login, str) else "someone"
    return author if re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?", author) else "someone"


def _start(text: str, now: datetime) -> tuple[datetime | None, str | None]:
    """A start time is a help, not a requirement: an unreadable one is noted and the report time used."""
    try:
        started = parse_instant(text.strip())
    except ValueError:
        return None, f"could not read the start time '{text.strip()[:60]}'; the report time is used instead"
    if started > now:
        return None, "the start time is in the future; the report time is used instead"
    if now - started > MAX_START_AGE:
        return None, "the start time is more than 30 days ago; the report time is used instead"
    return started, None


IMPACT_WORDS: dict[str, str] = {
    "degraded_performance": "degraded performance",
    "partial_outage": "partial outage",
    "major_outage": "major outage",
}


def declaration(report: IssueReport) -> Declaration:
    """Our own public wording; the reporter's text stays in the internal timeline."""
    service = report.service
    return Declaration(
        title=f"{service.name}: {IMPACT_WORDS[report.impact]} reported",
        severity=service.severity,
        services=((service.id, report.impact),),
        detected_by=report.detected_by,
        started_at=report.started_at,
        message=f"We are investigating reports of problems with {service.name}. "
        "We will post an update as soon as we know more.",
        labels=("reported",),
    )


def timeline_note(report: IssueReport) -> str:
    who = "a customer" if report.detected_by == "customer" else "a colleague"
    lines = [f"Reported through issue #{report.issue_number} by @{report.author} (noticed by {who})."]
    if report.issue_title:
        lines.append(f"Title: {report.issue_title}")
    lines.append(report.description)
    if report.reference:
        lines.append(f"Reference: {report.reference}")
    return "\n".join(lines)


def accepted_comment(incident: Incident, pull_url: str, pull_number: int, report: IssueReport) -> str:
    notes = "".join(f"\n- Note: {note}" for note in report.notes)
    return (
        f"{COMMENT_MARKER}\nThank you: this report is now incident **{incident.id}** ({incident.severity}), "
        f"proposed in #{pull_number} ({pull_url}). On-call reviews it there; the status page changes once it "
        f"is merged.\n\n- Service: {report.service.name}\n- Impact: {IMPACT_WORDS[report.impact]}"
        f"\n- Declared at: {format_instant(incident.detected_at)}{notes}\n"
    )


def was_accepted(comments: list[str]) -> bool:
    """Whether an earlier run turned this issue into an incident (a rejection does not count)."""
    return any(COMMENT_MARKER in body and _LEGACY_REJECTION not in body for body in comments)


def rejected_comment(reasons: list[str]) -> str:
    listed = "\n".join(f"- {reason}" for reason in reasons)
    return (
        f"{REJECTED_MARKER}\nThis report could not be turned into an incident yet:\n\n{listed}\n\n"
        "Please edit the issue to fix these (keep the form's headings), or open a new report. "
        "If customers are affected right now, also page on-call directly.\n"
    )
