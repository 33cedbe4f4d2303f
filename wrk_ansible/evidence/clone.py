"""Which clone writes: a random id, made once per clone (or worktree), kept outside tracked files.

Evidence chains are named ``HOST@CLONE`` (:mod:`wrk_ansible.evidence.ledger`), so two clones
gating as the same host never write the same paths, and merging their evidence through git
never conflicts. Where the id is kept:

- in a git work tree, the work tree's own git dir: ``.git/wrk-clone-id`` of a clone,
  ``.git/worktrees/NAME/wrk-clone-id`` of a linked worktree (``git rev-parse
  --absolute-git-dir``), so a worktree per agent gets its own id and ``git clone`` never copies
  it;
- elsewhere, wrk's cache folder (``$WRK_CACHE_DIR``, else ``$XDG_CACHE_HOME/wrk``, else
  ``~/.cache/wrk``): ``clone-ids/<sha256 of the evidence folder's absolute path>.json``, so two
  users, or two folders, never share one.

The file names the folder it was made for (the work tree's top, or the evidence folder): a copy
of a whole clone at another path (``cp -r``) makes an id of its own. Losing the file only
starts a new chain; the old one stays whole and readable.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from wrk_ansible import clock
from wrk_ansible.atomic import create_file, replace_file
from wrk_ansible.errors import WrkError
from wrk_ansible.evidence.repo import work_tree
from wrk_ansible.paths import cache_dir

FILE_NAME: Final = "wrk-clone-id"
#: A clone id: 8 lowercase hex digits (``secrets.token_hex(4)``).
CLONE_ID: Final = re.compile(r"^[0-9a-f]{8}$")


class CloneId(BaseModel):
    """The stored clone id file."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    clone_id: str = Field(pattern=CLONE_ID.pattern)
    #: The folder the id was made for: the work tree's top, or the evidence folder.
    folder: str
    created: str


def id_file(root: Path) -> tuple[Path, str]:
    """Where the clone id of the evidence folder ``root`` is kept, and the folder it is for."""
    tree = work_tree(root)
    if tree is not None:
        return tree.git_dir / FILE_NAME, str(tree.top)
    folder = os.path.realpath(root)
    key = hashlib.sha256(folder.encode("utf-8", "surrogateescape")).hexdigest()
    return cache_dir() / "clone-ids" / f"{key}.json", folder


def _read(path: Path, folder: str) -> str | None:
    try:
        found = CloneId.model_validate_json(path.read_bytes())
    except (OSError, ValueError):  # a pydantic ValidationError is a ValueError
        return None
    return found.clone_id if found.folder == folder else None


def clone_id(root: Path) -> str:
    """This clone's id for the evidence folder ``root``, made (once) when there is none."""
    path, folder = id_file(root)
    found = _read(path, folder)
    if found is not None:
        return found
    made = CloneId(clone_id=secrets.token_hex(4), folder=folder, created=clock.utc_now())
    data = (made.model_dump_json(indent=2) + "\n").encode()
    try:
        try:
            create_file(path, data)  # never overwrites: of two first writers, one id wins
        except FileExistsError:
            found = _read(path, folder)
            if found is not None:
                return found  # the other writer's
            replace_file(path, data)  # a broken file, or a copy made for another folder
    except OSError as exc:
        raise WrkError(
            f"cannot keep this clone's evidence id in {path}: {exc.strerror or exc}"
        ) from None
    return made.clone_id
