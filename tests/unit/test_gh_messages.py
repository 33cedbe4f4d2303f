"""gh's own words (as gh 2.x prints them) read as one meaning each."""

from __future__ import annotations

import pytest

from wrk_ansible.issues.gh import meaning_of

CASES = [
    ("To get started with GitHub CLI, please run:  gh auth login\n", 4, "not logged in"),
    ("GraphQL: Could not resolve to an issue or pull request with the number of 99999. "
     "(repository.issue)\n", 1, "no such issue"),
    ("GraphQL: Could not resolve to a Repository with the name 'o/nope'. (repository)\n", 1,
     "no such repository"),
    ("HTTP 403: API rate limit exceeded for user ID 1.\n", 1, "rate limit"),
    ("error connecting to api.github.com\ncheck your internet connection\n", 1, "unreachable"),
    ('Post "https://127.0.0.1:9/api/graphql": dial tcp 127.0.0.1:9: connect: connection '
     "refused\n", 1, "unreachable"),
    ("something new\n", 2, "gh failed (exit 2): something new"),
    ("", 4, "not logged in"),
]  # fmt: skip


@pytest.mark.parametrize(("stderr", "code", "meaning"), CASES)
def test_each_message_has_one_meaning(stderr: str, code: int, meaning: str) -> None:
    assert meaning in meaning_of(stderr, code)
