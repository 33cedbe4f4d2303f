"""What git remembers of the evidence: records a commit held that the work tree lost or changed,
and chain HEADs that moved backwards.

A hash chain cannot see its own truncation: delete the newest record, point ``HEAD`` at the one
before, and what is left is a whole chain. Evidence committed to git can: when the evidence
folder is inside a git work tree, this walks the history of the current branch (HEAD's
ancestry) and reports, per chain,

- records a commit held that the work tree no longer has (removed),
- records whose bytes differ from those the commit that added them held, in the work tree or
  in a later commit (edited: records are written once, so any change is one),
- a ``HEAD`` whose sequence number is lower than one a commit held (moved backwards).

It costs four git processes whatever the number of records: ``rev-parse`` to find the work tree,
``rev-parse`` again (is there a commit), one ``git log --raw`` over the evidence folder (every
record and ``HEAD`` version any commit added, with its blob id) and one ``git cat-file --batch``
for the ``HEAD`` versions; and one more read of each record the history holds, to compare its
bytes with the blob (git's blob id is not the sha256 the chain check computed). Nothing is
compared when the folder is not in a work tree, the repository has no commit, or no commit
holds the evidence yet (it is untracked): that is said, never an error.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from wrk_ansible.evidence.ledger import HEAD, Ledger, folder_of, read_head
from wrk_ansible.evidence.repo import WorkTree, git, locate
from wrk_ansible.evidence.verify import Problem

_RECORD: Final = re.compile(r"^(\d{6})-[a-z][a-z0-9-]{0,40}\.json$")
_ABSENT: Final = re.compile(r"^0+$")


@dataclass(frozen=True)
class History:
    """The git layer's answer: whether history was compared, and what it found."""

    checked: bool
    #: Why nothing was compared, or what was compared (for the user).
    summary: str
    repository: str | None = None
    #: Commits in HEAD's ancestry that changed the evidence folder (merges aside).
    commits: int = 0
    #: Record files some commit held.
    records: int = 0
    problems: tuple[Problem, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "summary": self.summary,
            "repository": self.repository,
            "commits": self.commits,
            "records": self.records,
            "problems": [str(p) for p in self.problems],
        }


@dataclass(frozen=True)
class _Held:
    """One version of a file a commit held: the commit that added or changed it, its blob."""

    commit: str
    blob: str


@dataclass
class _Walk:
    commits: int = 0
    #: (wrk, chain, file name) -> every version a commit held, children before parents (so the
    #: last is the version the record was added with)
    records: dict[tuple[str, str, str], list[_Held]] = field(default_factory=dict)
    #: (wrk, chain) -> every HEAD version a commit held
    heads: dict[tuple[str, str], list[_Held]] = field(default_factory=dict)


def _entries(raw: bytes) -> Iterator[tuple[str, str, str]]:
    """(commit, new blob id, path) of each path a commit added or changed, from ``git log
    --raw -z --format=%x01%H``: tokens are ``\\x01COMMIT``, then ``:META STATUS`` and ``PATH``
    pairs."""
    commit = ""
    tokens = iter(raw.split(b"\0"))
    for token in tokens:
        text = token.decode("utf-8", "surrogateescape").lstrip("\n")
        if text.startswith("\x01"):
            commit = text[1:]
        elif text.startswith(":"):
            path = next(tokens, b"").decode("utf-8", "surrogateescape")
            meta = text[1:].split()
            if len(meta) >= 4 and not _ABSENT.match(meta[3]):
                yield commit, meta[3], path


def _walk(tree: WorkTree, scope: str) -> _Walk | str:
    """Every record and HEAD version HEAD's ancestry held below ``scope``; or why not."""
    pathspec = f":(top,literal){scope}" if scope else ":(top)"
    done = git(
        tree.top,
        *("log", "--topo-order", "--raw", "--no-abbrev", "--no-renames", "-z"),
        *("--format=%x01%H", "HEAD", "--", pathspec),
    )
    if done.rc != 0:
        return f"git log failed: {done.err or done.rc}"
    walk = _Walk()
    seen: set[str] = set()
    for commit, blob, path in _entries(done.out):
        seen.add(commit)
        if not path.startswith(tree.prefix):
            continue
        parts = path[len(tree.prefix) :].split("/")
        if len(parts) != 3:
            continue
        wrk, chain, name = parts
        if name == HEAD:
            walk.heads.setdefault((wrk, chain), []).append(_Held(commit, blob))
        elif _RECORD.match(name):
            walk.records.setdefault((wrk, chain, name), []).append(_Held(commit, blob))
    walk.commits = len(seen)
    return walk


def _contents(top: Path, blobs: list[str]) -> dict[str, bytes] | str:
    """The content of each blob, through one ``git cat-file --batch``."""
    if not blobs:
        return {}
    done = git(top, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in blobs).encode())
    if done.rc != 0:
        return f"git cat-file failed: {done.err or done.rc}"
    out: dict[str, bytes] = {}
    data, at = done.out, 0
    while at < len(data):
        end = data.find(b"\n", at)
        if end < 0:
            break
        header = data[at:end].decode("ascii", "replace").split()
        at = end + 1
        if len(header) < 3 or header[1] != "blob":
            continue  # "<id> missing": nothing to compare
        size = int(header[2])
        out[header[0]] = data[at : at + size]
        at += size + 1
    return out


def blob_id(data: bytes, length: int) -> str:
    """The git blob id of ``data`` (sha1, or sha256 in a sha256 repository)."""
    algorithm = hashlib.sha256 if length == 64 else hashlib.sha1
    return algorithm(b"blob %d\0" % len(data) + data).hexdigest()


def _short(commit: str) -> str:
    return commit[:12]


def _record_problems(root: Path, walk: _Walk) -> list[Problem]:
    """Removed and edited records, one problem per chain (the first record concerned)."""
    lost: dict[tuple[str, str], list[tuple[str, str]]] = {}
    changed: dict[tuple[str, str], list[tuple[str, str]]] = {}
    base = str(root)
    for (wrk, chain, name), versions in sorted(walk.records.items()):
        first = versions[-1]  # the version the record was added with
        later = next((v for v in versions if v.blob != first.blob), None)
        if later is not None:
            why = f"commit {_short(later.commit)} changed what {_short(first.commit)} added"
            changed.setdefault((wrk, chain), []).append((name, why))
            continue
        try:
            with open(os.path.join(base, wrk, chain, name), "rb") as file:
                data = file.read()  # plain strings: 10,000 Path objects cost as much as git
        except FileNotFoundError:
            lost.setdefault((wrk, chain), []).append((name, _short(first.commit)))
            continue
        except OSError:
            continue  # unreadable: the chain check says so
        if blob_id(data, len(first.blob)) != first.blob:
            why = f"its bytes differ from those commit {_short(first.commit)} held"
            changed.setdefault((wrk, chain), []).append((name, why))
    problems = []
    for (wrk, chain), files in sorted(lost.items()):
        name, commit = files[0]
        more = f" (and {len(files) - 1} more record(s) of this chain)" if len(files) > 1 else ""
        why = f"removed: commit {commit} held it, the work tree does not{more}"
        problems.append(Problem(f"{wrk}/{chain}", f"{wrk}/{chain}/{name[:6]}", why))
    for (wrk, chain), files in sorted(changed.items()):
        name, why = files[0]
        more = f" (and {len(files) - 1} more record(s) of this chain)" if len(files) > 1 else ""
        problems.append(
            Problem(f"{wrk}/{chain}", f"{wrk}/{chain}/{name[:6]}", f"edited: {why}{more}")
        )
    return problems


def _head_problems(root: Path, walk: _Walk, contents: dict[str, bytes]) -> list[Problem]:
    """A chain whose HEAD is behind the highest sequence number a commit's HEAD held."""
    problems = []
    for (wrk, chain), versions in sorted(walk.heads.items()):
        best: tuple[int, str] | None = None
        for held in versions:
            try:
                seq = int(contents.get(held.blob, b"").split()[0])
            except (ValueError, IndexError):
                continue
            if best is None or seq > best[0]:
                best = (seq, held.commit)
        if best is None:
            continue
        now = read_head(root / wrk / chain)
        where = f"{wrk}/{chain}"
        if now is None:
            message = f"HEAD is gone: commit {_short(best[1])} held HEAD at {best[0]}"
            problems.append(Problem(where, None, message))
        elif now[0] < best[0]:
            message = (
                f"truncated: HEAD moved backwards to {now[0]}; commit {_short(best[1])} held "
                f"HEAD at {best[0]}"
            )
            problems.append(Problem(where, f"{where}/{best[0]:06d}", message))
    return problems


def check_history(ledger: Ledger, wrk: str | None = None) -> History:
    """Compare the evidence folder (or one WRK's folder) with what HEAD's ancestry held."""
    tree = locate(ledger.root)
    if isinstance(tree, str):
        return History(False, f"not checked: {tree}")
    repo = str(tree.top)
    if git(tree.top, "rev-parse", "-q", "--verify", "HEAD^{commit}").rc != 0:
        return History(False, "not checked: the repository has no commit yet", repo)
    scope = tree.prefix + (f"{folder_of(wrk)}/" if wrk else "")
    walk = _walk(tree, scope)
    if isinstance(walk, str):
        return History(False, f"not checked: {walk}", repo)
    if not walk.records and not walk.heads:
        return History(
            True, "no commit holds this evidence yet (untracked): nothing to compare", repo
        )
    contents = _contents(tree.top, sorted({h.blob for v in walk.heads.values() for h in v}))
    if isinstance(contents, str):
        return History(False, f"not checked: {contents}", repo)
    problems = _record_problems(ledger.root, walk) + _head_problems(ledger.root, walk, contents)
    summary = (
        f"{walk.commits} commit(s) of {repo} held {len(walk.records)} record(s) "
        f"of {len(walk.heads)} chain(s)"
    )
    return History(True, summary, repo, walk.commits, len(walk.records), tuple(problems))
