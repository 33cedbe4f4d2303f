"""Path containment: the one check that a path stays inside a folder (symlinks resolved)."""

from __future__ import annotations

import os
from pathlib import Path


def contained(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """True when ``path``, with every symlink resolved, lies inside ``root`` (or is it)."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def inside(root: Path, ref: str) -> Path | None:
    """``root / ref`` when ``ref`` is relative and stays inside ``root``, else None."""
    if os.path.isabs(ref):
        return None
    target = root / ref
    return target if contained(root, target) else None
