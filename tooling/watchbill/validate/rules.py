"""Every rule id a ``validate`` finding can carry, in one table (yamllint's way): the documentation of the rules
is generated from it, and a test holds it equal to the ids the checks really use.

The id is what a problem ends with (``[unknown-person]``) and what GitHub shows as an annotation's title;
``level`` is the level it is reported at (``error`` fails the check, ``warning`` fails it only with
``--strict``); ``stage`` says which pass finds it: reading the file, parsing YAML, checking the file against
its model, or looking across files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..problems import Level

Stage = Literal["file", "yaml", "model", "organisation"]


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    stage: Stage
    summary: str


def _table(*rules: Rule) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules}


RULES: dict[str, Rule] = _table(
    Rule("no-files", "error", "file", "The folder has no incidents/, policies/ or schedules/ files at all."),
    Rule("unknown-file", "warning", "file", "A YAML file sits where no kind of record lives, so it is not checked."),
    Rule("folder-unreadable", "error", "file", "A data folder cannot be listed; the files in it would go unchecked."),
    Rule("file-unreadable", "error", "file", "A file cannot be read (permissions, or it vanished)."),
    Rule("file-symlink", "error", "file", "A symbolic link that loops, points to nothing or leaves the repository."),
    Rule("file-not-regular", "error", "file", "A FIFO, socket or device where a record should be; it is not opened."),
    Rule("file-too-large", "error", "file", "A file over the size limit (5 MiB)."),
    Rule("file-binary", "error", "file", "A file with NUL bytes: binary, not YAML."),
    Rule("file-encoding", "error", "file", "A file that is not UTF-8 (e.g. UTF-16 or Latin-1)."),
    Rule("yaml-syntax", "error", "yaml", "YAML that does not parse; the message says what usually fixes it."),
    Rule("yaml-empty", "error", "yaml", "An empty file."),
    Rule("yaml-not-mapping", "error", "yaml", "The top level is not a mapping of keys to values."),
    Rule("yaml-duplicate-key", "error", "yaml", "A key given twice in one mapping."),
    Rule("yaml-key-type", "error", "yaml", "A key that is not text (a number, a boolean, a collection)."),
    Rule("yaml-tag", "error", "yaml", "A tag that is not allowed, or a value its tag cannot hold (``!!int abc``)."),
    Rule("yaml-merge", "error", "yaml", "A ``<<`` merge of something other than a mapping."),
    Rule("yaml-alias-bomb", "error", "yaml", "Aliases that expand to more nodes than any record needs."),
    Rule("yaml-too-deep", "error", "yaml", "Nesting deeper than any record needs."),
    Rule("yaml-ambiguous-number", "error", "yaml", "A number with a leading zero (octal in YAML 1.1, decimal in 1.2)."),
    Rule("yaml-number-too-large", "error", "yaml", "A number written with more than 100 characters."),
    Rule("yaml-line-separator", "error", "yaml", "An invisible line separator (NEL, U+2028, U+2029) in the text."),
    Rule("missing-key", "error", "model", "A required key is missing."),
    Rule("unknown-key", "error", "model", "A key the model does not have, usually a misspelling."),
    Rule("wrong-type", "error", "model", "A value of the wrong type (text for a number, a list for a mapping...)."),
    Rule("invalid-value", "error", "model", "A value of the right type that is not allowed (pattern, range, choice)."),
    Rule("duplicate-id", "error", "organisation", "Two records of one kind with the same id."),
    Rule(
        "duplicate-github-login",
        "error",
        "organisation",
        "Two people in schedules/people.yaml with one GitHub login (GitHub ignores case).",
    ),
    Rule("id-filename-mismatch", "error", "organisation", "A record's id does not match its file name or folder."),
    Rule("unknown-person", "error", "organisation", "A reference to a person not in schedules/people.yaml."),
    Rule("unknown-channel", "error", "organisation", "A reference to a channel not in policies/channels.yaml."),
    Rule("unknown-severity", "error", "organisation", "A reference to a severity not in policies/severities.yaml."),
    Rule("unknown-schedule", "error", "organisation", "A reference to a schedule with no file under schedules/."),
    Rule("unknown-policy", "error", "organisation", "A reference to an escalation policy that is not defined."),
    Rule("unknown-service", "error", "organisation", "A reference to a service not in policies/services.yaml."),
    Rule("unknown-probe", "error", "organisation", "An incident's probe is not a probe of any service."),
    Rule("unknown-incident", "error", "organisation", "A related incident that does not exist."),
    Rule(
        "escalation-unreachable",
        "error",
        "organisation",
        "An escalation policy (error) or one of its steps (warning) reaches nobody, or a severity has no step.",
    ),
    Rule(
        "escalation-member-unreachable",
        "warning",
        "organisation",
        "A schedule member has no contact on a step's channels: the step reaches nobody on their weeks.",
    ),
    Rule("channel-secret-literal", "warning", "organisation", "A channel URL without ${ENV} may hold a secret."),
    Rule("schedule-gap", "warning", "organisation", "Nobody is on call for a while in the next 28 days."),
    Rule(
        "timezone-alias",
        "warning",
        "organisation",
        "A time zone named by an old alias (``US/Eastern``) or a legacy zone (``EST``, ``EST5EDT``).",
    ),
    Rule(
        "status-page-url",
        "error",
        "organisation",
        "The site workflow publishes a status site but ``status_page.url`` is not set (feeds and API need it).",
    ),
    Rule("probe-region-not-run", "warning", "organisation", "A probe asks a region the probe workflow never runs."),
    Rule("timestamps-order", "error", "organisation", "Incident timestamps out of order, or in the future."),
    Rule("postmortem-overdue", "error", "organisation", "A required postmortem is not published by its due date."),
)
"""Rule id -> :class:`Rule`, in the order the documentation lists them."""
