"""Path containment (the one check that a path stays inside a folder, symlinks resolved) and
wrk's own cache folder, outside any work tree."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final


def contained(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """True when ``path``, with every symlink resolved, lies inside ``root`` (or is it)."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def inside(root: Path, ref: str) -> Path | None:
    """``root / ref`` when ``ref`` is relative and stays inside ``root``, else None."""
    if os.path.isabs(ref):
        return None
    target = root / ref
    return target if contained(root, target) else None


#: Where wrk keeps what it may lose (the registry snapshot, clone ids outside git).
CACHE_ENV: Final = "WRK_CACHE_DIR"


def cache_dir() -> Path:
    """``$WRK_CACHE_DIR``, else ``$XDG_CACHE_HOME/wrk``, else ``~/.cache/wrk``."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wrk"
