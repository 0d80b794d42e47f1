"""Where changes leave the machine: git branches and pushes, and GitHub pull requests."""

from .git import GitError, Identity, Published, PushRejected, Repository
from .github import GitHub, GitHubError, PullRequest, PullRequestsNotAllowed, from_environment, repository_from

__all__ = [
    "GitError",
    "GitHub",
    "GitHubError",
    "Identity",
    "Published",
    "PullRequest",
    "PullRequestsNotAllowed",
    "PushRejected",
    "Repository",
    "from_environment",
    "repository_from",
]
