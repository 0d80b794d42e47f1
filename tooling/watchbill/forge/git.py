"""Branches, commits and pushes with GitPython, safe against other writers.

Every change is made in a scratch tree (a temporary directory with its own index), never in the
person's or the CI job's checkout, and pushed with ``--force-with-lease`` naming the commit it was built
on: the push lands only if nobody moved the branch meanwhile. GitPython does not raise when a push is
rejected, so each ``PushInfo``'s flags are checked; on a rejection the branch is fetched again and the
change is replayed on the new tip (a rebase of one commit, done by re-applying the change itself, so it
never stops on a textual conflict), then pushed again.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import git

from ..errors import ForgeError

T = TypeVar("T")
PUSH_ATTEMPTS = 8
_REJECTED = git.PushInfo.REJECTED | git.PushInfo.REMOTE_REJECTED
_FAILED = git.PushInfo.ERROR | git.PushInfo.REMOTE_FAILURE


class GitError(ForgeError):
    """Git refused or failed; the message says what to check."""


class PushRejected(GitError):
    """The remote kept moving under us for every attempt."""


@dataclass(frozen=True)
class Identity:
    name: str = "watchbill"
    email: str = "watchbill@users.noreply.github.com"


@dataclass(frozen=True)
class Scratch:
    path: Path
    index: Path
    parent: str | None


@dataclass(frozen=True)
class Published(Generic[T]):
    commit: str | None
    """The branch's tip afterwards (None if the branch does not exist and nothing was committed)."""
    changed: bool
    value: T
    attempts: int = 1


class _PushWarnings(logging.Filter):
    """GitPython logs a warning for every rejected push; here rejections are expected, and handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Error lines received while pushing")


logging.getLogger("git.remote").addFilter(_PushWarnings())
_RETRYABLE = (
    "stale info",
    "fetch first",
    "non-fast-forward",
    "failed to update ref",
    "cannot lock ref",
    "incorrect old value",
)
"""Remote rejections that mean "someone else moved the branch": fetch, replay, push again."""


def identity_from(repo: git.Repo) -> Identity:
    """Who commits: GIT_AUTHOR_NAME/EMAIL as git itself honours them, else the repository's configured user,
    else a bot identity (CI runners usually have none)."""
    env_name, env_email = os.environ.get("GIT_AUTHOR_NAME", ""), os.environ.get("GIT_AUTHOR_EMAIL", "")
    if env_name and env_email:
        return Identity(env_name, env_email)
    reader = repo.config_reader()
    name = reader.get_value("user", "name", default="")
    email = reader.get_value("user", "email", default="")
    if name and email:
        return Identity(str(name), str(email))
    return Identity()


class Repository:
    """A local clone and one of its remotes."""

    def __init__(self, path: Path, *, remote: str = "origin", identity: Identity | None = None) -> None:
        try:
            self.repo = git.Repo(path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitError(f"{path} is not a git repository") from None
        if remote not in [r.name for r in self.repo.remotes]:
            raise GitError(f"{path} has no remote named '{remote}'; add one or pass --remote")
        self.remote_name = remote
        self.identity = identity or identity_from(self.repo)
        self.sleep: Callable[[float], None] = time.sleep

    @property
    def remote(self) -> git.Remote:
        return self.repo.remote(self.remote_name)

    def _git(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
        runner = self.repo.git if cwd is None else git.Git(cwd)
        try:
            output: str = runner.execute(
                ["git", *args], env={**(env or {}), "GIT_TERMINAL_PROMPT": "0"}, strip_newline_in_stdout=True
            )
        except git.GitCommandError as exc:
            detail = (exc.stderr or "").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {detail[-1].strip() if detail else exc.status}") from None
        return output

    def heads(self, pattern: str | None = None) -> dict[str, str]:
        """Branches on the remote (asked of the remote itself, not a possibly stale local view)."""
        args = ["ls-remote", "--heads", self.remote_name]
        if pattern is not None:
            args.append(f"refs/heads/{pattern}")
        found: dict[str, str] = {}
        for line in self._git(*args).splitlines():
            sha, _, ref = line.partition("\t")
            if ref.startswith("refs/heads/"):
                found[ref[len("refs/heads/") :]] = sha
        return found

    def fetch(self, branch: str) -> str | None:
        """The remote branch's tip, fetched into ``refs/remotes/<remote>/<branch>``; None if it does not exist."""
        sha = self.heads(branch).get(branch)
        if sha is None:
            return None
        if not self.has_commit(sha):
            # A shallow clone (what CI checks out) only needs the tip: the data branch's full history
            # grows by megabytes a month and would be downloaded by every probe job.
            depth = ["--depth=1"] if self.shallow else []
            self._git(
                "fetch",
                "--quiet",
                "--no-tags",
                *depth,
                self.remote_name,
                f"+refs/heads/{branch}:refs/remotes/{self.remote_name}/{branch}",
            )
        return sha

    @property
    def shallow(self) -> bool:
        return (Path(self.repo.git_dir) / "shallow").exists()

    def has_commit(self, sha: str) -> bool:
        try:
            self._git("cat-file", "-e", f"{sha}^{{commit}}")
        except GitError:
            return False
        return True

    def read(self, commit: str, path: str) -> bytes | None:
        """A file's bytes at ``commit``, or None if it is not there."""
        try:
            listing = self._git("ls-tree", commit, "--", path)
        except GitError:
            return None
        if not listing:
            return None
        blob = listing.split()[2]
        data: bytes = self.repo.odb.stream(bytes.fromhex(blob)).read()
        return data

    def names(self, commit: str, folder: str) -> list[str]:
        """The names of the files directly in ``folder`` at ``commit`` (none if it has no such folder)."""
        try:
            listing = self._git("ls-tree", "--name-only", commit, "--", f"{folder.rstrip('/')}/")
        except GitError:
            return []
        return [line.rpartition("/")[2] for line in listing.splitlines() if line]

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            self._git("merge-base", "--is-ancestor", ancestor, descendant)
        except GitError:
            return False
        return True

    @contextmanager
    def scratch(self, start: str | None) -> Iterator[Scratch]:
        """A throw-away tree at ``start`` (empty for None), with its own index; the clone is not touched."""
        folder = Path(tempfile.mkdtemp(prefix="watchbill-scratch-"))
        work = folder / "tree"
        work.mkdir()
        index = folder / "index"
        env = self._scratch_env(work, index)
        try:
            if start is not None:
                self._git("read-tree", start, env=env, cwd=work)
                self._git("checkout-index", "--all", "--force", env=env, cwd=work)
            yield Scratch(work, index, start)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _scratch_env(self, work: Path, index: Path) -> dict[str, str]:
        return {"GIT_INDEX_FILE": str(index), "GIT_WORK_TREE": str(work), "GIT_DIR": str(self.repo.git_dir)}

    def commit(self, scratch: Scratch, message: str, *, orphan: bool = False) -> str | None:
        """Commit everything in the scratch tree; None when it is identical to its parent.

        ``orphan`` makes a root commit of the tree (history squashed into one commit)."""
        env = self._scratch_env(scratch.path, scratch.index)
        self._git("add", "--all", "--", ".", env=env, cwd=scratch.path)
        tree = self._git("write-tree", env=env, cwd=scratch.path)
        if not orphan and scratch.parent is not None and tree == self._git("rev-parse", f"{scratch.parent}^{{tree}}"):
            return None
        who = {
            "GIT_AUTHOR_NAME": self.identity.name,
            "GIT_AUTHOR_EMAIL": self.identity.email,
            "GIT_COMMITTER_NAME": self.identity.name,
            "GIT_COMMITTER_EMAIL": self.identity.email,
        }
        parents = ["-p", scratch.parent] if scratch.parent is not None and not orphan else []
        # Repositories that require the DCO refuse commits without the trailer; the machine certifies its own.
        signed = f"{message}\n\nSigned-off-by: {self.identity.name} <{self.identity.email}>"
        return self._git("commit-tree", tree, *parents, "-m", signed, env={**env, **who}, cwd=scratch.path)

    def push(self, commit: str, branch: str, *, expect: str | None) -> bool:
        """Move the remote ``branch`` to ``commit`` if it is still at ``expect`` (None: must not exist).

        True when the remote took it; False when it was rejected because the branch moved (fetch and
        replay); GitError for anything else (no permission, a protected branch, a broken connection).
        """
        local = f"refs/watchbill/push/{branch}"
        self._git("update-ref", local, commit)
        try:
            infos = self.remote.push(
                f"{local}:refs/heads/{branch}", force_with_lease=f"refs/heads/{branch}:{expect or ''}"
            )
        except git.GitCommandError as exc:
            detail = (exc.stderr or "").strip().splitlines()
            raise GitError(f"push to {branch} failed: {detail[-1].strip() if detail else exc.status}") from None
        finally:
            self._git("update-ref", "-d", local)
        if not infos:
            raise GitError(f"push to {branch} reported nothing; check the remote's URL and permissions")
        for info in infos:
            if info.flags & _REJECTED:
                reason = info.summary.strip()
                if info.flags & git.PushInfo.REMOTE_REJECTED and not any(word in reason for word in _RETRYABLE):
                    raise GitError(f"the remote refused the push to {branch}: {reason}")
                return False
            if info.flags & _FAILED:
                raise GitError(f"push to {branch} failed: {info.summary.strip()}")
        return True

    def publish(
        self,
        branch: str,
        change: Callable[[Path], T],
        message: str | Callable[[T], str],
        *,
        start: Callable[[str | None], str | None] | None = None,
        attempts: int = PUSH_ATTEMPTS,
        orphan: bool = False,
    ) -> Published[T]:
        """Fetch ``branch``, apply ``change`` to a scratch tree of it, commit, push; replay on rejection.

        ``start`` picks the commit to build on from the branch's tip (default: the tip itself, or an empty
        tree for a new branch); ``change`` must be safe to run again on a newer tip. ``orphan`` replaces the
        branch's history with one commit of the resulting tree (still only if nobody moved the branch).
        """
        for attempt in range(1, attempts + 1):
            head = self.fetch(branch)
            base = start(head) if start is not None else head
            with self.scratch(base) as scratch:
                value = change(scratch.path)
                text = message(value) if callable(message) else message
                commit = self.commit(scratch, text, orphan=orphan)
            if commit is None:
                return Published(head, False, value, attempt)
            if self.push(commit, branch, expect=head):
                return Published(commit, True, value, attempt)
            self.sleep(random.uniform(0.05, 0.25) * attempt)  # noqa: S311 - jitter, not security
        raise PushRejected(f"{branch} kept changing on the remote; gave up after {attempts} attempts")
