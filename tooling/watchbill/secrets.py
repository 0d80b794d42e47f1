"""Secrets Watchbill reads for itself: ``NAME=value`` lines from one variable or one file.

Policies, people and probes refer to secrets as ``${NAME}``; those references are resolved from the
process environment (``paging.notify`` at send time, ``probes.http`` for headers). A team keeps every
such value in one repository secret, ``WATCHBILL_SECRETS``, or in a file named by
``WATCHBILL_SECRETS_FILE`` (a mounted secret on a self-hosted runner), and a workflow passes it through
``env:``. Parsing happens here, not in shell: ``IFS='=' read`` lost a value's trailing ``=`` (base64
padding) and kept a Windows line end.

The format, line by line: ``NAME=value``, split at the first ``=`` so the value keeps every later one;
a trailing CR is dropped (a file saved on Windows); blank lines and lines starting with ``#`` are
skipped; the value is taken as written (no quotes removed, no spaces trimmed). ``NAME`` is what a
``${NAME}`` reference can name: upper-case letters, digits and ``_``, not starting with a digit. A line
that breaks this is refused with its line number and never with its text, which may be a value.

In GitHub Actions (``GITHUB_ACTIONS=true``) each value is registered with the runner's ``add-mask``
workflow command before anything else is printed, so the log shows ``***`` wherever a value would
appear; elsewhere nothing about the values is ever printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path

from .errors import UsageError

VARIABLE = "WATCHBILL_SECRETS"
FILE_VARIABLE = "WATCHBILL_SECRETS_FILE"
MAX_FILE_BYTES = 1024 * 1024  # GitHub caps a secret at 48 KB; a larger file is not a secrets file
_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class SecretsError(UsageError):
    """Raised when the secrets cannot be read; the message locates the line and never quotes it."""


def parse(text: str, source: str) -> dict[str, tuple[str, int]]:
    """Each name's value and line number; ``source`` names where the text came from in messages."""
    found: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals:
            hidden = "the line is not shown: it may hold a value"
            raise SecretsError(f"{source} line {number}: expected NAME=value ({hidden})")
        if not _NAME.fullmatch(name):
            raise SecretsError(
                f"{source} line {number}: the name before '=' must be upper-case letters, digits and '_', "
                "not starting with a digit, as ${NAME} references are written (the line is not shown)"
            )
        if name in found:
            raise SecretsError(f"{source} line {number}: {name} is already given on line {found[name][1]}")
        found[name] = (value, number)
    return found


def read(environ: Mapping[str, str]) -> dict[str, str]:
    """The secrets named by the environment: the file's, then the variable's; a name given in both is refused."""
    sources: list[tuple[str, str]] = []
    path = environ.get(FILE_VARIABLE)
    if path:
        sources.append((f"{FILE_VARIABLE} ({path})", _read_file(Path(path))))
    if environ.get(VARIABLE):
        sources.append((VARIABLE, environ[VARIABLE]))
    merged: dict[str, str] = {}
    seen: dict[str, str] = {}
    for source, text in sources:
        for name, (value, number) in parse(text, source).items():
            if name in seen:
                raise SecretsError(f"{source} line {number}: {name} is already given in {seen[name]}")
            seen[name] = f"{source} line {number}"
            merged[name] = value
    return merged


def install(environ: MutableMapping[str, str]) -> list[str]:
    """Merge the secrets into ``environ`` and return the workflow commands the caller must print first.

    ``WATCHBILL_SECRETS`` itself leaves the environment, so no child process (git, a notifier) inherits
    the whole set. The commands are empty outside GitHub Actions."""
    values = read(environ)
    environ.pop(VARIABLE, None)
    environ.update(values)
    return mask_commands(values.values(), environ)


def mask_commands(values: Iterable[str], environ: Mapping[str, str]) -> list[str]:
    """One ``::add-mask::`` line per distinct non-empty value, only when running in GitHub Actions.

    The value is escaped as ``@actions/core`` escapes command data (``%``, CR, LF), because the runner
    unescapes it before masking: an unescaped ``%25`` in a value would otherwise mask the wrong text."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return []
    distinct = dict.fromkeys(value for value in values if value)
    return [f"::add-mask::{_escape(value)}" for value in distinct]


def _escape(data: str) -> str:
    return data.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _read_file(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SecretsError(f"cannot read {FILE_VARIABLE} ({path}): {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise SecretsError(f"{FILE_VARIABLE} ({path}) is larger than {MAX_FILE_BYTES} bytes; is it the right file?")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SecretsError(f"{FILE_VARIABLE} ({path}) is not UTF-8 text (byte {exc.start + 1})") from None
