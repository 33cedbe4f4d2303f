"""Crash-safe file writes shared by every writer in wrk.

A write goes to a hidden temp file in the same folder, is fsynced, then renamed into place (or
hard-linked, when the name must never be overwritten), so a crash leaves the old file or the
new one and never half of one. Temp files are named ``.wrk-*.tmp``: readers skip them and the
next writer (holding its lock) removes any a killed process left behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Final

TEMP_PREFIX: Final = ".wrk-"
TEMP_SUFFIX: Final = ".tmp"


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX; Windows cannot open a folder and needs no fsync)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _temp_with(folder: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def replace_file(path: Path, data: bytes | str) -> None:
    """Replace (or create) ``path`` with ``data`` atomically, keeping an existing file's mode.

    A symlink is written through: the file it points at is replaced and the link stays a link.
    Text is written as UTF-8 exactly as given (no newline translation).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_with(path.parent, data)
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else _new_file_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def create_file(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` atomically; raise FileExistsError if it already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_with(path.parent, data)
    try:
        os.chmod(tmp, _new_file_mode())
        os.link(tmp, path)  # fails, rather than overwrites, when the name is taken
    finally:
        os.unlink(tmp)
    _fsync_dir(path.parent)


def clean_temp_files(*folders: Path) -> list[Path]:
    """Remove temp files a killed writer left in ``folders``. Call only while holding the lock."""
    removed = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for leftover in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed
