"""The real ``gh`` binary's offline error paths, through wrk's one seam to it
(:mod:`wrk_ansible.issues.gh`): each is one clear message, never a traceback or a verdict.

Only loopback is contacted: the "no network" case points gh at ``GH_HOST=127.0.0.1:9`` (a port
nothing listens on); the others fail before any connection. What a live GitHub answers
(an unknown issue, a rate limit) is read from gh's own words in the unit tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wrk_ansible.errors import InputError
from wrk_ansible.issues.gh import view_issue

pytestmark = pytest.mark.integration


def _env(home: Path, **extra: str) -> dict[str, str]:
    """No token, no config but ``home``'s (empty), no proxy: gh as a new user runs it."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG"}}
    return {**keep, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), **extra}


def test_gh_not_installed_says_so_and_how_to_do_without(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        view_issue("o/r", 5, gh=str(tmp_path / "no-gh"), environ=_env(tmp_path))
    text = str(caught.value)
    assert "cannot read o/r#5: the gh CLI is not installed" in text
    assert "--issues FILE" in text


def test_gh_not_logged_in(gh: str, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        view_issue("vamseeachanta/digitalmodel", 1495, gh=gh, environ=_env(tmp_path))
    assert "gh is not logged in: run `gh auth login`" in str(caught.value)


def test_no_network(gh: str, tmp_path: Path) -> None:
    env = _env(tmp_path, GH_HOST="127.0.0.1:9", GH_ENTERPRISE_TOKEN="not-a-token")
    with pytest.raises(InputError) as caught:
        view_issue("127.0.0.1:9/owner/repo", 7, gh=gh, environ=env, timeout=60)
    assert "GitHub is unreachable from here (no network)" in str(caught.value)
