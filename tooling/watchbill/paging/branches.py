"""Page for incidents the probes opened that still wait on their pull request.

An outage must not wait for someone to merge: a record on an incident branch is paged like one on the base
branch, and its notifications are recorded on that branch, so the next run does not page again and merging
the pull request carries the record of who was paged into the base branch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..forge.git import GitError, Repository
from ..lifecycle.episodes import FILE, Episode, LedgerError
from ..lifecycle.flow import Lifecycle
from ..lifecycle.plan import branch_name, record_path
from ..models import Incident, TimelineEvent
from ..organisation import Organisation
from ..yamledit import EditError, edit_record
from .run import AckError, IncidentRun, acknowledge_file, page, record_events


@dataclass
class PendingPaging:
    runs: list[IncidentRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def run_pending(
    org: Organisation,
    repo: Repository,
    now: datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    send_options: Mapping[str, Any] | None = None,
) -> PendingPaging:
    """One pass over the open, unacknowledged records that exist only on incident branches."""
    result = PendingPaging()
    if org.settings.lifecycle.mode != "pull_request":
        return result
    lifecycle = Lifecycle(org, repo, now)
    try:
        waiting = lifecycle.pending()
    except LedgerError as exc:
        result.errors.append(
            f"records on incident branches were not paged: {FILE} on the data branch is damaged: {exc}"
        )
        return result
    for episode, record in waiting:
        branch = episode.branch
        if branch is None or record.id in org.incidents or record.acknowledged_at is not None:
            continue  # merged (paged from the checkout like any other record), or acknowledged
        outcome, events = page(org, record, now, env=env, dry_run=dry_run, send_options=send_options)
        result.runs.append(outcome)
        if not events:
            continue

        def change(tree: Path, path: str = episode.path, recorded: list[TimelineEvent] = events) -> None:
            edit_record(tree / path, Incident, lambda data: record_events(data, recorded))

        def start(head: str | None, episode: Episode = episode) -> str | None:
            return lifecycle.start_for(episode, head)

        try:
            repo.publish(branch, change, f"{record.id}: record escalation notifications", start=start)
        except (GitError, EditError, OSError) as exc:
            result.errors.append(f"{record.id}: paged, but the record on {branch} could not be updated: {exc}")
    return result


def acknowledge_on_branch(
    org: Organisation, repo: Repository, incident_id: str, now: datetime, by: str | None
) -> tuple[Incident, bool, str]:
    """Acknowledge a record that exists only on its incident branch: the responder paged for it runs
    ``watchbill ack`` in their own clone, which does not have the record yet."""
    branch = branch_name(org.settings.lifecycle.branch_prefix, incident_id)
    if repo.fetch(branch) is None:
        raise AckError(f"unknown incident {incident_id}: not in this checkout, and no branch {branch} on the remote")
    path = record_path(incident_id)
    base = org.settings.lifecycle.base_branch
    base_head = repo.fetch(base)
    if base_head is not None and repo.read(base_head, path) is not None:
        # Merged: an acknowledgement on the old branch would never reach the record that escalation reads.
        raise AckError(f"{incident_id} is on {base} already (its pull request was merged); pull, then ack again")

    def change(tree: Path) -> tuple[Incident, bool]:
        if not (tree / path).is_file():
            raise AckError(f"{branch} has no {path}")
        return acknowledge_file(org, tree / path, incident_id, now, by)

    published = repo.publish(branch, change, f"{incident_id}: acknowledged" + (f" by {by}" if by else ""))
    incident, changed = published.value
    return incident, changed, branch
