"""Git plumbing against a bare repository on disk: branches, scratch trees, leases and replays."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from git import Repo
from support.org_repo import git, publish

from watchbill.forge.git import GitError, Identity, PushRejected, Repository, identity_from

BOT = Identity("watchbill-test", "bot@example.com")


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository whose ``main`` holds one commit with a README; no other branch yet."""
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "README.md").write_text("hello\n")
    return publish(seed, tmp_path / "remote.git", "start")


def clone(remote: Path, where: Path) -> Repository:
    subprocess.run(["git", "clone", "-q", str(remote), str(where)], check=True, capture_output=True)
    return Repository(where, identity=BOT)


def append_line(text: str) -> Callable[[Path], str]:
    def change(tree: Path) -> str:
        path = tree / "log.txt"
        path.write_text((path.read_text() if path.exists() else "") + text + "\n")
        return text

    return change


def test_publishing_creates_a_branch_from_an_empty_tree(remote: Path, tmp_path: Path) -> None:
    repo = clone(remote, tmp_path / "a")
    published = repo.publish("data", append_line("one"), "first")
    assert published.changed and published.commit == repo.heads()["data"]
    assert git(remote, "show", "data:log.txt") == "one"
    assert git(remote, "log", "--format=%an <%ae>|%s", "data") == "watchbill-test <bot@example.com>|first"


def test_the_clone_itself_is_never_touched(remote: Path, tmp_path: Path) -> None:
    repo = clone(remote, tmp_path / "a")
    head = git(tmp_path / "a", "rev-parse", "HEAD")
    repo.publish("data", append_line("one"), "first")
    assert git(tmp_path / "a", "rev-parse", "HEAD") == head
    assert git(tmp_path / "a", "status", "--porcelain") == ""
    assert not (tmp_path / "a" / "log.txt").exists()


def test_a_rejected_push_is_replayed_on_the_new_tip(remote: Path, tmp_path: Path) -> None:
    ours, theirs = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    ours.publish("data", append_line("one"), "one")
    raced = False

    def change(tree: Path) -> str:
        nonlocal raced
        if not raced:  # someone else pushes between our fetch and our push
            raced = True
            theirs.publish("data", append_line("theirs"), "theirs")
        return append_line("ours")(tree)

    published = ours.publish("data", change, "ours")
    assert published.attempts == 2
    assert git(remote, "show", "data:log.txt").splitlines() == ["one", "theirs", "ours"]


def test_a_push_on_a_stale_lease_is_reported_as_rejected(remote: Path, tmp_path: Path) -> None:
    repo = clone(remote, tmp_path / "a")
    repo.publish("data", append_line("one"), "one")
    with repo.scratch(repo.fetch("data")) as scratch:
        (scratch.path / "x.txt").write_text("x\n")
        commit = repo.commit(scratch, "x")
    assert commit is not None
    assert repo.push(commit, "data", expect="0" * 40) is False
    assert repo.push(commit, "brand-new", expect=repo.heads()["data"]) is False  # "must exist at" a missing branch
    assert repo.push(commit, "data", expect=repo.heads()["data"]) is True


def test_a_push_the_remote_refuses_raises(remote: Path, tmp_path: Path) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho protected branch >&2\nexit 1\n")
    hook.chmod(0o755)
    repo = clone(remote, tmp_path / "a")
    with pytest.raises(GitError, match="refused the push"):
        repo.publish("data", append_line("one"), "one")


def test_a_remote_that_keeps_moving_gives_up(remote: Path, tmp_path: Path) -> None:
    ours, theirs = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    ours.sleep = lambda seconds: None

    def change(tree: Path) -> None:
        theirs.publish("data", append_line("theirs"), "theirs")
        append_line("ours")(tree)

    with pytest.raises(PushRejected):
        ours.publish("data", change, "ours", attempts=3)


def test_nothing_to_commit_pushes_nothing(remote: Path, tmp_path: Path) -> None:
    repo = clone(remote, tmp_path / "a")
    first = repo.publish("data", append_line("one"), "one")
    again = repo.publish("data", lambda tree: None, "nothing")
    assert again.changed is False and again.commit == first.commit


def test_a_branch_can_start_from_another_branch(remote: Path, tmp_path: Path) -> None:
    repo = clone(remote, tmp_path / "a")
    base = repo.fetch("main")
    published = repo.publish("feature", append_line("x"), "x", start=lambda head: head or base)
    assert published.commit is not None
    assert repo.is_ancestor(base or "", published.commit)
    assert repo.read(published.commit, "README.md") == b"hello\n"
    assert repo.read(published.commit, "missing.txt") is None


def test_squashing_keeps_the_tree_in_one_commit(remote: Path, tmp_path: Path) -> None:
    repo = clone(remote, tmp_path / "a")
    for word in ("one", "two", "three"):
        repo.publish("data", append_line(word), word)
    squashed = repo.publish("data", lambda tree: None, "squash", orphan=True)
    assert squashed.changed
    assert git(remote, "rev-list", "--count", "data") == "1"
    assert git(remote, "show", "data:log.txt").splitlines() == ["one", "two", "three"]


def test_heads_lists_the_remotes_branches(remote: Path, tmp_path: Path) -> None:
    repo = clone(remote, tmp_path / "a")
    repo.publish("watchbill/inc-2026-0001", append_line("x"), "x")
    repo.publish("other", append_line("y"), "y")
    assert set(repo.heads()) == {"main", "watchbill/inc-2026-0001", "other"}
    assert set(repo.heads("watchbill/*")) == {"watchbill/inc-2026-0001"}
    assert repo.fetch("nope") is None


def test_a_folder_that_is_not_a_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="is not a git repository"):
        Repository(tmp_path)


def test_a_missing_remote_is_named(remote: Path, tmp_path: Path) -> None:
    clone(remote, tmp_path / "a")
    with pytest.raises(GitError, match="no remote named 'upstream'"):
        Repository(tmp_path / "a", remote="upstream")


def test_a_shallow_ci_checkout_fetches_only_the_tip_and_still_pushes(remote: Path, tmp_path: Path) -> None:
    full = clone(remote, tmp_path / "full")
    for word in ("one", "two", "three"):
        full.publish("data", append_line(word), word)
    where = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{remote}", str(where)], check=True, capture_output=True)
    ci = Repository(where, identity=BOT)
    assert ci.shallow
    published = ci.publish("data", append_line("four"), "four")
    assert published.changed
    assert git(where, "rev-list", "--count", "refs/remotes/origin/data") == "1"  # only the tip came down
    assert git(remote, "rev-list", "--count", "data") == "4"
    assert git(remote, "show", "data:log.txt").splitlines() == ["one", "two", "three", "four"]


def test_the_committer_follows_git_author_variables_before_the_config(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Dana Responder")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "dana@example.com")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True, capture_output=True)
    assert identity_from(Repo(clone)) == Identity("Dana Responder", "dana@example.com")
