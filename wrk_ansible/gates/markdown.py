"""Markdown sections, for gates that ask "does this document have a non-empty X section?".

A section is a heading (``#`` to ``######``, any level, outside code fences) and everything up
to the next heading of the same or a higher level; subsections count as its content. Headings
match case-insensitively, ignoring numbering (``2. Scope``) and a trailing colon.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

_HEADING: Final = re.compile(r"^[ ]{0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE: Final = re.compile(r"^[ ]{0,3}(```|~~~)")
_COMMENT: Final = re.compile(r"<!--.*?-->", re.DOTALL)
_NUMBERING: Final = re.compile(r"^(\d+(\.\d+)*[.)]?|[ivx]+\.)\s+")
#: Content that only says "not written yet" is empty.
_PLACEHOLDER: Final = re.compile(r"^(tbd|todo|tba|\.\.\.|…)\.?$", re.IGNORECASE)

#: Section name -> headings accepted for it.
ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "summary": ("summary", "executive summary"),
    "sources": ("sources",),
    "legal": ("legal",),
    "scope": ("scope",),
    "acceptance criteria": ("acceptance criteria",),
}


def normalise(heading: str) -> str:
    text = heading.strip().strip("*_").strip().rstrip(":").strip().casefold()
    return _NUMBERING.sub("", text).strip()


def strip_frontmatter(text: str) -> str:
    """The text after a leading ``---`` YAML block (YAML comments would read as headings)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return text
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[number + 1 :])
    return text


def sections(text: str) -> dict[str, str]:
    """Normalised heading -> its content (repeated headings are joined)."""
    lines = text.splitlines()
    heads: list[tuple[int, int, str]] = []  # (line index, level, normalised name)
    fenced = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            heads.append((index, len(match.group(1)), normalise(match.group(2))))
    found: dict[str, str] = {}
    for position, (index, level, name) in enumerate(heads):
        end = next((i for i, lvl, _ in heads[position + 1 :] if lvl <= level), len(lines))
        body = "\n".join(lines[index + 1 : end])
        found[name] = f"{found[name]}\n{body}" if name in found else body
    return found


def has_content(body: str) -> bool:
    """True when ``body`` says something: not only headings, comments, blanks or "TBD"."""
    text = _COMMENT.sub("", body)
    words = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not _HEADING.match(line) and not _FENCE.match(line)
    ]
    said = [w.lstrip("-*+_= ").strip() for w in words]
    return any(w and not _PLACEHOLDER.match(w) for w in said)


def section_state(found: Mapping[str, str], name: str) -> str:
    """ "present", "empty" or "missing" for section ``name`` (by its aliases)."""
    bodies = [found[alias] for alias in ALIASES.get(name, (name,)) if alias in found]
    if not bodies:
        return "missing"
    return "present" if any(has_content(b) for b in bodies) else "empty"
