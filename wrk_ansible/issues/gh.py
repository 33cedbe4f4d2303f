"""The one seam to the GitHub CLI: read an issue live with ``gh issue view``, change its labels
with ``gh issue edit``.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from wrk_ansible.errors import InputError
from wrk_ansible.refs import parse_slug

#: The fields wrk reads of an issue (the same as an export's).
FIELDS: Final = ("number", "title", "state", "labels", "url", "body")
TIMEOUT: Final = 60.0
EXPORT_HINT: Final = "; or give an export: --issues FILE (gh issue list --json ...)"
#: One label as gh's ``--add-label`` reads it (a CSV field: no comma, no quote) and GitHub
#: allows it (at most 50 characters).
_LABEL: Final = re.compile(r'^[^\s,"\x00-\x1f\x7f-][^,"\x00-\x1f\x7f]{0,49}$')

#: (pattern in gh's stderr, what it means); first match wins.
_KNOWN: Final = (
    (re.compile(r"gh auth login|authentication token|not logged in", re.I),
     "gh is not logged in: run `gh auth login` (or set GH_TOKEN)"),
    (re.compile(r"rate limit", re.I),
     "GitHub's API rate limit is exhausted: wait for it to reset"),
    (re.compile(r"^'[^'\n]*' not found$", re.M),
     "a label to add does not exist in the repository (create it: gh label create NAME)"),
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


def _environment(environ: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    env.update({"GH_PROMPT_DISABLED": "1", "GH_NO_UPDATE_NOTIFIER": "1", "NO_COLOR": "1"})
    return env


class _NotRun(Exception):
    """gh could not be run at all (missing, not executable, no answer in time)."""


def _run(
    cmd: list[str], *, timeout: float, environ: Mapping[str, str] | None
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` (an argument list: never a shell); :class:`_NotRun` saying why not."""
    try:
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            encoding="utf-8",  # gh writes UTF-8 whatever the locale
            errors="replace",
            timeout=timeout,
            env=_environment(environ),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise _NotRun("the gh CLI is not installed (Debian: apt-get install gh)") from None
    except OSError as exc:  # not executable, a folder, ...
        raise _NotRun(f"cannot run gh ({exc.strerror or exc})") from None
    except subprocess.TimeoutExpired:
        raise _NotRun(f"gh did not answer within {timeout:g} s") from None


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
    cmd = [gh, "issue", "view", str(number), "-R", repo, "--json", ",".join(FIELDS)]
    try:
        done = _run(cmd, timeout=timeout, environ=environ)
    except _NotRun as exc:
        raise InputError(f"cannot read {ref}: {exc}" + EXPORT_HINT, field="gh") from None
    if done.returncode != 0:
        raise InputError(f"cannot read {ref}: {meaning_of(done.stderr, done.returncode)}"
                         + EXPORT_HINT, field="gh")  # fmt: skip
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise InputError(f"cannot read {ref}: gh printed no JSON", field="gh") from None
    if not isinstance(data, dict):
        raise InputError(f"cannot read {ref}: gh printed no issue object", field="gh")
    return data


@dataclass(frozen=True)
class Edited:
    """What ``gh issue edit`` did: ``ok``, its exit code (None: gh did not run) and, in one
    phrase, what it said (the issue's URL on success, the meaning of its error otherwise)."""

    ok: bool
    returncode: int | None
    message: str
    command: tuple[str, ...]


def check_label(label: str) -> str:
    """``label`` as a value gh reads as one label, else :class:`InputError`: gh splits
    ``--add-label`` values on commas and reads quotes, and GitHub caps a name at 50
    characters."""
    if not _LABEL.match(label):
        raise InputError(
            f"{label!r} cannot be written as one label (1-50 characters, no comma, quote, "
            "control character or leading space or dash)",
            field="label",
        )
    return label


def edit_labels(
    repo: str,
    number: int,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    gh: str = "gh",
    timeout: float = TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> Edited:
    """``gh issue edit N -R OWNER/REPO --add-label=X --remove-label=Y``. A label is always the
    value of its option, in the same argument (``--add-label=X``), so no label can be read as
    an option. Labels gh could not read as one are refused before gh runs (:func:`check_label`);
    gh's own failures are an :class:`Edited` that is not ``ok``, never an exception."""
    owner, name = parse_slug(repo)
    if not add and not remove:
        raise ValueError("edit_labels: no label to add or remove")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"edit_labels: {number!r} is not an issue number")
    cmd = [gh, "issue", "edit", str(number), "-R", f"{owner}/{name}"]
    cmd += [f"--add-label={check_label(label)}" for label in add]
    cmd += [f"--remove-label={check_label(label)}" for label in remove]
    try:
        done = _run(cmd, timeout=timeout, environ=environ)
    except _NotRun as exc:
        return Edited(False, None, str(exc), tuple(cmd[1:]))
    if done.returncode != 0:
        return Edited(
            False, done.returncode, meaning_of(done.stderr, done.returncode), tuple(cmd[1:])
        )
    said = next((line.strip() for line in done.stdout.splitlines() if line.strip()), "")
    return Edited(True, 0, said[:300] or "edited", tuple(cmd[1:]))
