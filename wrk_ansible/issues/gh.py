"""The one seam to the GitHub CLI: read an issue live with ``gh issue view``.

Only an argument list is run (never a shell), with gh's prompts and update checks off, under a
timeout. Whatever goes wrong (no ``gh``, no login, no network, a rate limit, an unknown issue
or repository) is one :class:`~wrk_ansible.errors.InputError` saying what happened and what to
do, never a traceback and never a verdict.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from typing import Any, Final

from wrk_ansible.errors import InputError

#: The fields wrk reads of an issue (the same as an export's).
FIELDS: Final = ("number", "title", "state", "labels", "url", "body")
TIMEOUT: Final = 60.0
_EXPORT_HINT: Final = "; or give an export: --issues FILE (gh issue list --json ...)"

#: (pattern in gh's stderr, what it means); first match wins.
_KNOWN: Final = (
    (re.compile(r"gh auth login|authentication token|not logged in", re.I),
     "gh is not logged in: run `gh auth login` (or set GH_TOKEN)"),
    (re.compile(r"rate limit", re.I),
     "GitHub's API rate limit is exhausted: wait for it to reset"),
    (re.compile(r"Could not resolve to an? (Issue|PullRequest)", re.I),
     "no such issue"),
    (re.compile(r"Could not resolve to a Repository", re.I),
     "no such repository (or no access to it)"),
    (re.compile(r"error connecting to|dial tcp|no such host|connection refused|i/o timeout"
                r"|network is unreachable|TLS handshake", re.I),
     "GitHub is unreachable from here (no network)"),
)  # fmt: skip


def meaning_of(stderr: str, returncode: int) -> str:
    """What gh's stderr (and exit code) means, in one phrase."""
    for pattern, meaning in _KNOWN:
        if pattern.search(stderr):
            return meaning
    if returncode == 4:  # gh's own code for "authentication required"
        return "gh is not logged in: run `gh auth login` (or set GH_TOKEN)"
    first = next((line.strip() for line in stderr.splitlines() if line.strip()), "no message")
    return f"gh failed (exit {returncode}): {first[:300]}"


def view_issue(
    repo: str,
    number: int,
    *,
    gh: str = "gh",
    timeout: float = TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The issue ``repo#number`` as ``gh issue view --json`` gives it."""
    ref = f"{repo}#{number}"
    env = dict(os.environ if environ is None else environ)
    env.update({"GH_PROMPT_DISABLED": "1", "GH_NO_UPDATE_NOTIFIER": "1", "NO_COLOR": "1"})
    cmd = [gh, "issue", "view", str(number), "-R", repo, "--json", ",".join(FIELDS)]
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            encoding="utf-8",  # gh writes UTF-8 whatever the locale
            errors="replace",
            timeout=timeout,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(
            f"cannot read {ref}: the gh CLI is not installed (Debian: apt-get install gh)"
            + _EXPORT_HINT,
            field="gh",
        ) from None
    except OSError as exc:  # not executable, a folder, ...
        raise InputError(
            f"cannot read {ref}: cannot run gh ({exc.strerror or exc})" + _EXPORT_HINT,
            field="gh",
        ) from None
    except subprocess.TimeoutExpired:
        raise InputError(
            f"cannot read {ref}: gh did not answer within {timeout:g} s" + _EXPORT_HINT,
            field="gh",
        ) from None
    if done.returncode != 0:
        raise InputError(f"cannot read {ref}: {meaning_of(done.stderr, done.returncode)}"
                         + _EXPORT_HINT, field="gh")  # fmt: skip
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise InputError(f"cannot read {ref}: gh printed no JSON", field="gh") from None
    if not isinstance(data, dict):
        raise InputError(f"cannot read {ref}: gh printed no issue object", field="gh")
    return data
