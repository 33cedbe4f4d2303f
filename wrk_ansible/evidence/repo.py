"""The git work tree an evidence folder lives in, asked of the real ``git``.

Argument lists only, never a shell. The caller's ``GIT_DIR``, ``GIT_WORK_TREE`` and the like are
dropped, so the repository found is the one holding the folder (wrk may run inside a git hook,
where git sets them for its own repository).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Variables that would point git at another repository than the folder's own.
_REPOSITORY_VARS: Final = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
TIMEOUT: Final = 120.0


@dataclass(frozen=True)
class WorkTree:
    """The git work tree holding a folder."""

    #: The work tree's top folder.
    top: Path
    #: This work tree's own git dir: ``.git`` of a clone, ``.git/worktrees/NAME`` of a linked
    #: worktree (``git rev-parse --absolute-git-dir``), never the dir worktrees share.
    git_dir: Path
    #: The folder's path below ``top``, ``/``-separated with a final ``/`` (``""`` at the top).
    prefix: str


@dataclass(frozen=True)
class GitRun:
    """One finished ``git`` process (``rc`` -1: git could not be started or timed out)."""

    rc: int
    out: bytes
    err: str


def git(folder: Path, *args: str, stdin: bytes | None = None) -> GitRun:
    """``git -C folder ARGS...``: its exit code, stdout (bytes) and stderr."""
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARS}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # a reader must not take the index lock
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
            env=env,
        )
    except FileNotFoundError:
        return GitRun(-1, b"", "git is not installed")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return GitRun(-1, b"", f"git did not run: {exc}")
    return GitRun(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace").strip())


def _existing(folder: Path) -> tuple[Path, tuple[str, ...]]:
    """The nearest folder of ``folder`` (or above) that exists, and the parts below it."""
    here = Path(os.path.abspath(folder))
    missing: list[str] = []
    while not here.is_dir() and here.parent != here:
        missing.insert(0, here.name)
        here = here.parent
    return here, tuple(missing)


def locate(folder: Path) -> WorkTree | str:
    """The git work tree ``folder`` is (or would be, once made) inside, or why there is none
    (not in one, inside a ``.git`` folder, git missing, or git refusing the repository)."""
    start, missing = _existing(folder)
    done = git(
        start,
        "rev-parse",
        "--is-inside-work-tree",
        "--absolute-git-dir",
        "--show-toplevel",
        "--show-prefix",
    )
    lines = done.out.decode("utf-8", "replace").split("\n")
    if done.rc != 0 or len(lines) < 4 or lines[0] != "true":
        if done.rc == 0 or "not a git repository" in done.err:
            return "the evidence folder is not in a git work tree"
        why = done.err.splitlines()[0] if done.err else f"exit {done.rc}"
        return f"git cannot read the repository there: {why}"
    prefix = lines[3] + "".join(f"{part}/" for part in missing)
    return WorkTree(top=Path(lines[2]), git_dir=Path(lines[1]), prefix=prefix)


def work_tree(folder: Path) -> WorkTree | None:
    """The git work tree ``folder`` is (or would be) inside; None outside one."""
    found = locate(folder)
    return found if isinstance(found, WorkTree) else None
