"""Page for incidents the probes opened that still wait on their pull request.

An outage must not wait for someone to merge: a record on an incident branch is paged like one on the base
branch (claimed on the data branch first, see ``claims``), and its notifications are also recorded on its
branch, so merging the pull request carries the record of who was paged into the base branch.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..files.yamledit import EditError, edit_record
from ..forge.git import GitError, Repository
from ..forge.github import GitHub
from ..incidents.branches import BranchRecords
from ..incidents.ids import IncidentId
from ..lifecycle import episodes as ledger_file
from ..lifecycle.episodes import FILE, Episode, LedgerError
from ..models import Incident, TimelineEvent
from ..organisation import Organisation
from .run import AckError, acknowledge_file, record_events


def waiting_records(
    org: Organisation, repo: Repository, github: GitHub | None = None
) -> tuple[list[tuple[Episode, Incident]], list[str]]:
    """The open records that exist only on incident branches (not merged, so not in the checkout; paging
    skips the acknowledged ones, reminders do not), and why none could be listed. Given ``github``, a record
    whose pull request was closed without merging ("not an incident") is left out: its paging stops at once."""
    try:
        found = pending(org, repo, BranchRecords(repo, org.settings, github=github))
    except LedgerError as exc:
        return [], [f"records on incident branches were not paged: {FILE} on the data branch is damaged: {exc}"]
    waiting = [
        (episode, record) for episode, record in found if episode.branch is not None and record.id not in org.incidents
    ]
    return waiting, []


def record_on_branches(
    org: Organisation, repo: Repository, waiting: list[tuple[Episode, Incident]], events: dict[str, list[TimelineEvent]]
) -> list[str]:
    """Write each pass's events into the record on its incident branch, so merging the pull request carries
    who was paged into the base branch; returns what could not be written."""
    errors: list[str] = []
    records = BranchRecords(repo, org.settings)
    for episode, record in waiting:
        recorded = events.get(record.id)
        if not recorded or episode.branch is None:
            continue

        def change(tree: Path, path: str = episode.path, recorded: list[TimelineEvent] = recorded) -> None:
            edit_record(tree / path, Incident, lambda data: record_events(data, recorded))

        def start(head: str | None, episode: Episode = episode) -> str | None:
            return records.start_for(episode, head)

        try:
            repo.publish(episode.branch, change, f"{record.id}: record escalation notifications", start=start)
        except (GitError, EditError, OSError) as exc:
            errors.append(f"{record.id}: paged, but the record on {episode.branch} could not be updated: {exc}")
    return errors


def pending(
    org: Organisation, repo: Repository, records: BranchRecords | None = None
) -> list[tuple[Episode, Incident]]:
    """Open records the probes opened, as they stand now on their branches (before any merge), so that
    paging need not wait for someone to merge the pull request."""
    head = repo.fetch(org.settings.data_branch)
    raw = repo.read(head, FILE) if head is not None else None
    if raw is None:
        return []
    records = records or BranchRecords(repo, org.settings)
    found: list[tuple[Episode, Incident]] = []
    seen: set[str] = set()
    for episode in ledger_file.parse(raw.decode("utf-8")).episodes.values():
        if episode.incident in seen:
            continue  # several probes of one service share one incident: it is paged once
        seen.add(episode.incident)
        record = records.locate(episode)
        if isinstance(record, Incident) and record.is_open:
            found.append((episode, record))
    return found


def acknowledge_on_branch(
    org: Organisation, repo: Repository, incident_id: str, now: datetime, by: str | None
) -> tuple[Incident, bool, str]:
    """Acknowledge a record that exists only on its incident branch: the responder paged for it runs
    ``watchbill ack`` in their own clone, which does not have the record yet. (The caller has made sure it
    is not on the base branch: a merged record is acknowledged on the data branch instead.)"""
    ident = IncidentId.parse(incident_id)
    branch = ident.branch(org.settings.lifecycle.branch_prefix)
    if repo.fetch(branch) is None:
        raise AckError(f"unknown incident {incident_id}: not in this checkout, and no branch {branch} on the remote")
    path = ident.path

    def change(tree: Path) -> tuple[Incident, bool]:
        if not (tree / path).is_file():
            raise AckError(f"{branch} has no {path}")
        return acknowledge_file(org, tree / path, incident_id, now, by)

    published = repo.publish(branch, change, f"{incident_id}: acknowledged" + (f" by {by}" if by else ""))
    incident, changed = published.value
    return incident, changed, branch
