"""Unchanged pages of the previous build hard-linked into the new one, while the new one renders.

A build is written aside and swapped in whole (:mod:`.output`), so each build makes every page's folder and
file again: at 10,000 incidents, 9,000 folders and files, seconds of file-system work even when one incident
changed. The framed pages (incidents, postmortems, history, ...) are most of them, and each is a pure function
of its folder's frame and its own Markdown; the previous build's marker records a digest of both per page.

So, as soon as a build starts, a helper process links every framed page of the previous site into a hidden
folder of the new one (``.watchbill-reuse``; mkdocs leaves hidden entries alone). It runs while this process
renders: a process, not a thread, since a thread would wait on the interpreter lock between two system calls.
When the pages are framed, each one whose digest is unchanged keeps its link; every other page is unlinked
and written anew (never written through a link, which would change the old site's file too), links the
build did not want are removed, and the folders move into place, a rename each.

Nothing is trusted by name alone: a page is kept only when the previous marker's digest equals the one this
build computes, and only paths this build generates are linked or removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

HIDDEN = ".watchbill-reuse"

_LINK_SCRIPT = """
import os, sys
source, target = sys.argv[1], sys.argv[2]
with open(os.path.join(target, ".wanted"), encoding="utf-8", errors="surrogateescape") as wanted:
    pages = [line.split("\\t") for line in wanted.read().splitlines()]
made, linked = set(), []
for page, size, mtime in pages:
    if os.path.isabs(page) or ".." in page.split("/"):
        continue
    try:
        found = os.stat(os.path.join(source, page))
    except OSError:
        continue
    if found.st_size != int(size) or found.st_mtime_ns != int(mtime):
        continue  # changed since that build wrote it: not the page its digest describes
    folder = os.path.dirname(page)
    if folder not in made:
        os.makedirs(os.path.join(target, folder), exist_ok=True)
        made.add(folder)
    try:
        os.link(os.path.join(source, page), os.path.join(target, page))
    except OSError:
        continue
    linked.append(page)
with open(os.path.join(target, ".linked"), "w", encoding="utf-8", errors="surrogateescape") as done:
    done.write("".join(page + "\\n" for page in linked))
"""
"""The helper: link each page listed in ``.wanted`` whose size and modification time are still those the
previous build recorded; list those it linked in ``.linked`` (files, not pipes: a pipe would fill while this
process renders and does not read it)."""

Recorded = tuple[str, int, int]
"""(digest, size, modification time in ns) of a page as a build wrote it: what its marker keeps per page."""


def page_digest(frame_digest: str, src: str, text: str) -> str:
    """A framed page's bytes are a function of its folder's frame, its source path and its Markdown."""
    digest = hashlib.blake2b(frame_digest.encode(), digest_size=16)
    digest.update(src.encode())
    digest.update(b"\0")
    digest.update(text.encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()


def _safe(page: str) -> bool:
    """A relative path inside the site: printable (one line of the helper's list), no root, no '..', no
    empty or hidden part. The marker lives in the output folder, so its names are not trusted."""
    parts = PurePosixPath(page).parts
    return (
        page.isprintable()
        and "\t" not in page
        and not page.startswith("/")
        and bool(parts)
        and all(p not in ("", ".", "..") and p[0] != "." for p in parts)
    )


class Reuse:
    """The previous build's framed pages, linked into ``site_dir/.watchbill-reuse`` by a helper process."""

    def __init__(self, previous: Path | None, pages: dict[str, Recorded], site_dir: Path) -> None:
        self.previous = previous
        self.recorded = {page: entry for page, entry in pages.items() if _safe(page)}
        self.folder = site_dir / HIDDEN
        self._helper: subprocess.Popen[bytes] | None = None
        self._linked: set[str] | None = None

    def start(self) -> None:
        """Start linking; a system that cannot start the helper only gets a build without reuse."""
        if self.previous is None or not self.recorded:
            return
        try:
            self.folder.mkdir()
            text = "".join(f"{page}\t{size}\t{mtime}\n" for page, (_, size, mtime) in self.recorded.items())
            (self.folder / ".wanted").write_text(text, encoding="utf-8", errors="surrogateescape")
            self._helper = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _LINK_SCRIPT, str(self.previous), str(self.folder)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._helper = None

    def linked(self) -> set[str]:
        """The pages the helper linked (waiting for it to finish)."""
        if self._linked is not None:
            return self._linked
        self._linked = set()
        if self._helper is not None and self._helper.wait() == 0:
            try:
                text = (self.folder / ".linked").read_text(encoding="utf-8", errors="surrogateescape")
            except OSError:
                text = ""
            self._linked = {page for page in text.splitlines() if page in self.recorded}
        return self._linked

    def stop(self) -> None:
        """End the helper if the build ended early; its folder goes with the build folder."""
        if self._helper is not None and self._helper.poll() is None:
            self._helper.kill()
            self._helper.wait()

    def keeps(self, page: str, digest: str) -> Recorded | None:
        """The previous build's record of the page when it is linked here with exactly the bytes this build
        wants (the same digest), else None."""
        entry = self.recorded.get(page)
        return entry if entry is not None and entry[0] == digest and page in self.linked() else None

    def unlink(self, page: str) -> None:
        """Remove a linked page that is about to be written anew."""
        (self.folder / page).unlink(missing_ok=True)

    def drop(self, page: str) -> None:
        """Remove a linked page this build does not generate, and its folder once empty."""
        self.unlink(page)
        with contextlib.suppress(OSError):  # not empty: other pages live there
            (self.folder / page).parent.rmdir()

    def discard(self) -> None:
        """Nothing was linked: remove the hidden folder, which must not be published."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def move_into(self, site_dir: Path) -> None:
        """Put the linked and written pages where they belong: one rename per folder mkdocs did not make."""
        for entry in os.scandir(self.folder):
            if not entry.name.startswith("."):
                merge(Path(entry.path), site_dir / entry.name)
        self.discard()


def merge(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``; into it, entry by entry, when both are folders."""
    if not target.exists():
        source.rename(target)
        return
    if not (source.is_dir() and target.is_dir()):
        raise FileExistsError(f"{target} is written twice by one build")
    for entry in os.scandir(source):
        merge(Path(entry.path), target / entry.name)
