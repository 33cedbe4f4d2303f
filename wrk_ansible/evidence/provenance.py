"""Where a record comes from: hashes of the inputs it was decided on, the git revision, the user.

No secrets: file contents are hashed, never stored; no connection vars, no environment.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path


def files_digest(paths: Sequence[Path]) -> str:
    """sha256 over the names and contents of ``paths`` (a missing file counts as empty)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path).encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def inventory_digest(source: str) -> str:
    """sha256 of every file Ansible reads for the inventory ``source`` (the same files the
    registry snapshot is keyed by, host_vars/group_vars beside a file source included)."""
    from wrk_ansible.registry.snapshot import inventory_files

    return files_digest(inventory_files(Path(source)) or [])


def git_revision(folder: Path) -> str | None:
    """The commit checked out in ``folder``, or None outside a git repository."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def current_user() -> str:
    """Who runs wrk, as a safe short name."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = os.environ.get("USER", "unknown")
    return re.sub(r"[^\w.@-]", "_", name)[:64]
