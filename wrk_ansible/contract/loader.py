"""Read a work item: a markdown file whose first lines are YAML frontmatter between ``---``.

Every way a real file can be broken ends here as one :class:`InputError` naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from wrk_ansible.errors import InputError
from wrk_ansible.safeyaml import ParsedYaml, parse_yaml, read_text

#: Whole-file cap. Real items are a few KiB; a 50 MB file is refused before it is read.
MAX_FILE_BYTES: Final = 4 * 1024 * 1024
#: Frontmatter cap, checked before YAML parsing.
MAX_FRONTMATTER_BYTES: Final = 256 * 1024

_DELIMITERS: Final = ("---",)
_CLOSERS: Final = ("---", "...")


@dataclass(frozen=True)
class WorkItemFile:
    """A work item as read from disk: its frontmatter data and where it sits in the text."""

    path: str
    text: str
    parsed: ParsedYaml
    #: Character offset in ``text`` where the closing delimiter line starts.
    closing_offset: int
    newline: str

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.parsed.data
        return data

    @property
    def body(self) -> str:
        """The markdown after the frontmatter."""
        rest = self.text[self.closing_offset :]
        _, _, body = rest.partition("\n")
        return body


def load_work_item(path: str | os.PathLike[str], *, text: str | None = None) -> WorkItemFile:
    """Load one work item file or raise :class:`InputError` naming it and the problem.

    ``text`` stands in for the file's content (to check an edit before it is written).
    """
    name = os.fspath(path)
    if text is None:
        text = read_text(name, max_bytes=MAX_FILE_BYTES, what="work item file")
    if not text.strip():
        raise InputError("empty file: no frontmatter (a reserved id?)", path=name)
    newline = "\r\n" if "\r\n" in text[:4096] else "\n"
    lines = text.splitlines(keepends=True)
    if lines[0].rstrip("\r\n").rstrip() not in _DELIMITERS:
        raise InputError("no YAML frontmatter: the first line must be '---'", path=name, line=1)
    offset = len(lines[0])
    closing = None
    for number, line in enumerate(lines[1:], start=2):
        if line.rstrip("\r\n").rstrip() in _CLOSERS:
            closing = (number, offset)
            break
        offset += len(line)
        if offset > MAX_FRONTMATTER_BYTES:
            raise InputError(
                f"frontmatter is larger than the {MAX_FRONTMATTER_BYTES // 1024} KiB limit",
                path=name,
            )
    if closing is None:
        raise InputError("frontmatter is not closed: no second '---' line", path=name)
    closing_line, closing_offset = closing
    yaml_text = text[len(lines[0]) : closing_offset]
    parsed = parse_yaml(yaml_text, name, line_offset=1)
    if parsed.data is None:
        raise InputError("frontmatter is empty", path=name, line=1)
    if not isinstance(parsed.data, dict):
        kind = type(parsed.data).__name__
        kind = {"list": "a list", "str": "a string", "int": "a number"}.get(kind, kind)
        raise InputError(
            f"frontmatter must be a mapping of fields, found {kind}", path=name, line=2
        )
    bad_keys = [k for k in parsed.data if not isinstance(k, str)]
    if bad_keys:
        raise InputError(
            f"frontmatter keys must be strings, found {bad_keys[0]!r}", path=name, line=2
        )
    del closing_line
    return WorkItemFile(
        path=name, text=text, parsed=parsed, closing_offset=closing_offset, newline=newline
    )


def iter_work_item_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files named directly, and every ``WRK-*.md`` below each folder named, sorted."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*.md") if p.name.upper().startswith("WRK-") and p.is_file()
            )
            yield from (os.fspath(p) for p in found)
        else:
            yield given
