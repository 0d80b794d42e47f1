"""Where a build lands, without ever hurting what is there: a marked folder, written aside, swapped atomically.

- A site folder carries a marker file (``.watchbill-site``, JSON: generator, audience, page hashes). A build
  refuses a non-empty folder without it, so ``--out ~/Documents`` cannot empty someone's documents, and refuses
  to put an internal build where a public one was published.
- A build is written into a sibling folder (``.NAME.building-*``, same file system) and then exchanged with
  the old site in one ``renameat2(RENAME_EXCHANGE)`` system call, so readers and a SIGKILL at any instant see
  either the whole old site or the whole new one. Where the call is missing (not Linux), two renames are used;
  the gap between them is microseconds, and the old site stays whole beside it under ``.NAME.old-*``.
- The replaced site is deleted by a helper process while the build returns (:class:`Removal`); leftovers of
  killed builds, and of removals that could not finish, are removed by the next build.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError

MARKER = ".watchbill-site"
"""The file that says 'a Watchbill build made this folder'."""
_BUILDING = ".building-"
_OLD = ".old-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputRefused(OutputError):
    """The output folder holds something a build must not replace."""


def read_marker(directory: Path) -> dict[str, Any] | None:
    """The marker of a previous build, or None when the folder has none (or a damaged one)."""
    try:
        data = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("generator") == "watchbill" else None


def check_target(directory: Path, audience: str) -> dict[str, Any] | None:
    """Refuse what must not be replaced; return the previous build's marker (None for a new or empty folder)."""
    if directory.exists() and not directory.is_dir():
        raise OutputRefused(f"cannot write the site to {directory}: it is a file, not a folder")
    if not directory.exists() or not any(directory.iterdir()):
        return None
    marker = read_marker(directory)
    if marker is None:
        raise OutputRefused(
            f"{directory} is not empty and is not a previous Watchbill build (no {MARKER} file); "
            "choose a new or empty folder, so nothing of yours is deleted"
        )
    if marker.get("audience") == "public" and audience != "public":
        raise OutputRefused(
            f"{directory} holds the public site; an {audience} build would publish people and internal "
            "records there. Build it into another folder with --out"
        )
    return marker


def marker_pages(marker: dict[str, Any] | None) -> dict[str, tuple[str, int, int]]:
    """(digest, size, mtime in ns) by page, as a previous build recorded them (:mod:`.reuse`); pages of an
    older or damaged marker are left out."""
    pages = marker.get("pages") if marker else None
    if not isinstance(pages, dict):
        return {}
    return {
        page: (entry[0], entry[1], entry[2])
        for page, entry in pages.items()
        if isinstance(page, str)
        and isinstance(entry, list)
        and len(entry) == 3
        and isinstance(entry[0], str)
        and all(type(n) is int for n in entry[1:])
    }


def count_files(directory: Path) -> tuple[int, int]:
    """(files, HTML pages) under ``directory``: a walk of names, no stat per file."""
    files = pages = 0
    for _, _, names in os.walk(directory):
        files += len(names)
        pages += sum(1 for name in names if name.endswith(".html"))
    return files, pages


def marker_text(audience: str, pages: Mapping[str, tuple[str, int, int]]) -> str:
    return json.dumps({"generator": "watchbill", "audience": audience, "pages": pages}, sort_keys=True) + "\n"


def _leftovers(directory: Path) -> Iterator[Path]:
    prefix = f".{directory.name}"
    if directory.parent.is_dir():
        for sibling in directory.parent.iterdir():
            name = sibling.name
            if name.startswith(prefix + _BUILDING) or name.startswith(prefix + _OLD):
                yield sibling


def clean_leftovers(directory: Path) -> None:
    """Folders of builds that were killed before their swap, and replaced sites not yet (all) deleted."""
    for leftover in _leftovers(directory):
        remove_in_background(leftover)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where the system cannot."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    result = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system or kernel cannot exchange
        return False
    raise OSError(error, os.strerror(error), str(b))


def swap_in(built: Path, directory: Path) -> Path | None:
    """Put the finished build where the site lives; returns where the replaced site now is, for removal."""
    if not directory.exists():
        built.rename(directory)
        return None
    if _exchange(built, directory):
        return built  # ``built`` now holds the old site
    old = directory.with_name(f".{directory.name}{_OLD}{os.getpid()}")
    directory.rename(old)
    built.rename(directory)
    return old


_REMOVE_SCRIPT = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"
_removing: list[subprocess.Popen[bytes]] = []
"""Removals under way, kept so that none is reaped (and warned about) while it runs."""


@dataclass
class Removal:
    """The replaced site being deleted by a helper process of its own.

    A build is done when its site is live. Deleting the old copy is tens of thousands of system calls (a
    folder per page), seconds on a busy disk, and nothing waits for it: the helper goes on after this process
    returns, and a leftover it could not finish is removed by the next build. ``wait`` is for callers that
    must see the folder gone (tests, and the benchmark, which reports both instants).
    """

    path: Path | None
    process: subprocess.Popen[bytes] | None = None

    def wait(self, timeout: float | None = None) -> None:
        if self.process is not None:
            self.process.wait(timeout)
        elif self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


def remove_in_background(path: Path | None) -> Removal:
    """Start deleting ``path`` (a replaced site); where no helper can start, it is deleted here and now."""
    _removing[:] = [p for p in _removing if p.poll() is None]
    if path is None:
        return Removal(None)
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _REMOVE_SCRIPT, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # an interrupt of the build does not stop the clean-up halfway
        )
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
        return Removal(None)
    _removing.append(process)
    return Removal(path, process)


@contextmanager
def staged(directory: Path) -> Iterator[Path]:
    """A fresh folder beside ``directory`` to build into; removed if the build fails."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(directory)
    aside = Path(tempfile.mkdtemp(prefix=f".{directory.name}{_BUILDING}", dir=directory.parent))
    try:
        yield aside
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
