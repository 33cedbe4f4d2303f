"""One YAML file loaded for round-trip editing, written back the way it was written.

ruamel.yaml keeps comments, key order and quoting; this module also keeps what ruamel would
otherwise normalise: the indentation of mappings and sequences (guessed from the file), the
comments and ``---`` before the document, and the line width long scalars were wrapped at
(found by trying widths until the unchanged document renders byte for byte as it was read).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from wrk_ansible.errors import InputError
from wrk_ansible.safeyaml import read_text

MAX_FILE_BYTES: Final = 4 * 1024 * 1024
#: Never re-wrap a line the user wrote, unless the file shows it was wrapped at some width.
WIDE: Final = 4096
#: Widths tried first: emitters' defaults (ruamel counts one more than PyYAML's 80/100/120).
_LIKELY_WIDTHS: Final = (81, 101, 121, 80, 100, 120, 73, 89)
_DOC_START: Final = re.compile(r"^---[ \t]*(#.*)?$")
_BLOCK_SCALAR: Final = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation as ruamel's ``YAML.indent`` takes them."""
    mapping = sequence = offset = None
    opener: int | None = None  # indent of the last line that opened a block ("key:")
    scalar_at: int | None = None  # indent of a "key: |" whose content lines are skipped
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if scalar_at is not None and indent > scalar_at:
            continue
        scalar_at = None
        if opener is not None and indent > opener:
            if stripped.startswith("- ") and offset is None:
                offset = indent - opener
                sequence = offset + len(stripped[1:]) - len(stripped[1:].lstrip(" ")) + 1
            elif not stripped.startswith("-") and mapping is None:
                mapping = indent - opener
        body = stripped[2:].lstrip() if stripped.startswith("- ") else stripped
        body_indent = indent + (len(stripped) - len(body))
        opener = body_indent if body.endswith(":") and not body.startswith("#") else None
        if _BLOCK_SCALAR.search(body):
            scalar_at = body_indent
    mapping = mapping or 2
    if offset is None or sequence is None:
        return mapping, mapping, 0
    return mapping, max(sequence, offset + 2), offset


def split_preamble(text: str) -> tuple[str, str]:
    """Comments and a ``---`` line before the document, kept verbatim, and the rest."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _DOC_START.match(stripped):
            return "".join(lines[: index + 1]), "".join(lines[index + 1 :])
        break
    return "", text


@dataclass
class Document:
    """One YAML file, loaded for round-trip editing."""

    path: Path
    original: str | None  # None: the file does not exist yet
    data: CommentedMap
    preamble: str
    yaml: YAML

    def render(self) -> str:
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        body = out.getvalue()
        if body.strip() == "{}":
            body = ""
        return self.preamble + body

    @property
    def changed(self) -> bool:
        if self.original is None:
            return bool(self.data)  # merely reading a missing file must not create it
        return self.render() != self.original


def _yaml(indent: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = WIDE
    yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return yaml


def load_document(path: Path, *, what: str = "inventory file") -> Document:
    """Load ``path`` for editing (an empty document when it does not exist)."""
    if not path.exists():
        return Document(path, None, CommentedMap(), "---\n", _yaml((2, 2, 0)))
    text = read_text(str(path), max_bytes=MAX_FILE_BYTES, what=what)
    preamble, body = split_preamble(text)
    yaml = _yaml(guess_indent(body))
    try:
        data = yaml.load(body)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + preamble.count("\n") if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"invalid YAML: {problem}", path=str(path), line=line) from None
    except YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=str(path)) from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise InputError("expected a mapping at the top level", path=str(path))
    doc = Document(path, text, data, preamble, yaml)
    _calibrate(doc)
    return doc


def _calibrate(doc: Document) -> None:
    """Pick the line width at which the unchanged document renders exactly as read."""
    if doc.original is None or doc.render() == doc.original:
        return
    for width in (*_LIKELY_WIDTHS, *range(40, 201)):
        doc.yaml.width = width
        if doc.render() == doc.original:
            return
    doc.yaml.width = WIDE
