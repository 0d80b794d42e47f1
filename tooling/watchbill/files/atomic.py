"""Atomic file writes: a reader, or a run killed halfway, sees the old file or the new one, never half.

A write that fails (disk full, read-only folder, a parent path that is a file) leaves the old file as it
was and raises ``WriteError`` (an ``OutputError``) saying so, since that is something a person fixes, not a bug.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import OutputError


class WriteError(OutputError, OSError):
    """Raised when a write fails; the old file is intact. It stays an ``OSError`` so that callers which
    already wrap failed writes in a message of their own (``init``) keep doing so."""


def write_bytes_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """``durable`` also waits until the data is on disk; caches skip it, since a cache a power cut empties
    or damages is only a slower next run, while flushing tens of megabytes costs each run a second."""
    existed = path.exists()
    try:
        _replace(path, data, durable)
    except OSError as exc:
        kept = "the file is unchanged" if existed else "nothing was written"
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}; {kept}") from exc
    if not durable:
        return
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _replace(path: Path, data: bytes, durable: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
