"""An issue reference, ``OWNER/REPO#N``, and the evidence folder name derived from it.

GitHub owner and repository names are case-insensitive, so two spellings of one reference are
equal and share one evidence folder (written in lowercase). The folder name is reversible:
``gh.OWNER.REPO.N`` (an owner holds no dot, a number holds no dot, so the repository is what
lies between), and it passes the ledger's folder-name check (letters, digits, ``._-``, at most
128 characters, no ``/`` or ``#``). A reference too long for that is folded into a
``ghx.`` name with a digest: still unique, no longer reversible.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

from wrk_ansible.errors import InputError

#: GitHub's rules: an owner is letters, digits and inner hyphens, at most 39 characters; a
#: repository is letters, digits, ``._-``, at most 100 characters, never ``.`` or ``..``.
_OWNER: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?"
_REPO: Final = r"[A-Za-z0-9._-]{1,100}"
_NUMBER: Final = r"[1-9][0-9]{0,9}"
_REF: Final = re.compile(rf"^({_OWNER})/({_REPO})#({_NUMBER})$")
_SLUG: Final = re.compile(rf"^({_OWNER})/({_REPO})$")
_URL: Final = re.compile(
    rf"^https?://[A-Za-z0-9.-]+(?::[0-9]+)?/({_OWNER})/({_REPO})/(?:issues|pull)/({_NUMBER})/?$"
)
_FOLDER: Final = re.compile(rf"^gh\.({_OWNER})\.({_REPO})\.({_NUMBER})$")
#: The ledger's limit on a folder name.
_MAX_FOLDER: Final = 128
PREFIX: Final = "gh."
HASHED_PREFIX: Final = "ghx."


def _check_repo(repo: str, text: str, what: str) -> None:
    if repo in {".", ".."} or repo.lower().endswith(".git"):
        raise InputError(f"{text!r} is not {what}: {repo!r} is not a repository name")


@dataclass(frozen=True, eq=False)
class IssueRef:
    """One GitHub issue: ``owner/repo#number``. Equal (and hashed) case-insensitively."""

    owner: str
    repo: str
    number: int

    @property
    def slug(self) -> str:
        """``OWNER/REPO``."""
        return f"{self.owner}/{self.repo}"

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.owner.lower(), self.repo.lower(), self.number)

    def __str__(self) -> str:
        return f"{self.owner}/{self.repo}#{self.number}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IssueRef) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    @property
    def folder(self) -> str:
        """The evidence folder of this issue's chains (see the module's docstring)."""
        owner, repo, number = self.key
        name = f"{PREFIX}{owner}.{repo}.{number}"
        if len(name) <= _MAX_FOLDER:
            return name
        digest = hashlib.sha256(str(self.key).encode()).hexdigest()[:16]
        return f"{HASHED_PREFIX}{owner}.{digest}.{number}"  # at most 70 characters


def parse_ref(text: str) -> IssueRef:
    """``OWNER/REPO#N`` -> :class:`IssueRef`, or an :class:`InputError` saying what is wrong."""
    match = _REF.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InputError(
            f"{text!r} is not an issue reference: expected OWNER/REPO#N (e.g. octo-org/widgets#12)"
        )
    owner, repo, number = match.groups()
    _check_repo(repo, text, "an issue reference")
    return IssueRef(owner, repo, int(number))


def looks_like_ref(text: str) -> bool:
    """True when ``text`` is written as an issue reference (so a command takes it as one, not
    as a path)."""
    try:
        parse_ref(text)
    except InputError:
        return False
    return True


def parse_slug(text: str) -> tuple[str, str]:
    """``OWNER/REPO`` (``--repo``, ``repository.nameWithOwner``) -> (owner, repo)."""
    match = _SLUG.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InputError(f"{text!r} is not a repository: expected OWNER/REPO")
    owner, repo = match.groups()
    _check_repo(repo, text, "a repository")
    return owner, repo


def ref_from_url(url: str) -> IssueRef | None:
    """The reference an issue URL (``https://github.com/OWNER/REPO/issues/N``) names; None
    when the URL is not one."""
    match = _URL.match(url.strip())
    if match is None:
        return None
    owner, repo, number = match.groups()
    if repo in {".", ".."}:
        return None
    return IssueRef(owner, repo, int(number))


def ref_from_folder(name: str) -> IssueRef | None:
    """The reference an evidence folder name stands for (lowercase); None when the name is not
    an issue's (a WRK id, ``_readiness``, or a hashed ``ghx.`` name)."""
    match = _FOLDER.match(name)
    if match is None:
        return None
    owner, repo, number = match.groups()
    if repo in {".", ".."}:
        return None
    return IssueRef(owner, repo, int(number))
