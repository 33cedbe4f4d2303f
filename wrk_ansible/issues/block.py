"""The optional ``wrk`` block of an issue body: an explicit contract, in the same schema as a WRK
frontmatter's contract keys.

The block is a fenced code block whose opening line is three backticks followed by ``wrk``,
closed by a line of three backticks::

    ```wrk
    stage_assignments:
      execute: {workstations: [win1], primary: claude}
    machine_capability_requirements:
      execute: {licenses: [{feature: orcaflex}]}
    ```

It holds ``stage_assignments``, ``machine_capability_requirements`` and
``handoff_evidence_ref`` (any other key is refused: a block names gates and requirements, never
a command line). It is parsed by :mod:`wrk_ansible.safeyaml` (no aliases, bounded nesting,
repeated keys refused), capped at :data:`MAX_BLOCK_BYTES`, and a value that looks like a Jinja
template is refused. Lines in errors are lines of the issue body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, ConfigDict, ValidationError

from wrk_ansible.contract.models import (
    NOT_A_TEMPLATE,
    TEMPLATE_MARKERS,
    PathText,
    StageAssignments,
    StageRequirementMap,
)
from wrk_ansible.contract.resolve import Issue, pydantic_issues
from wrk_ansible.errors import InputError
from wrk_ansible.safeyaml import parse_yaml

MAX_BLOCK_BYTES: Final = 64 * 1024
#: Where a block's issues point (the field prefix).
WHERE: Final = "wrk block"
_OPEN: Final = re.compile(r"^ {0,3}```wrk[ \t]*$")
_CLOSE: Final = re.compile(r"^ {0,3}```[ \t]*$")


class BlockContract(BaseModel):
    """What a ``wrk`` block may say: the contract keys of a WRK's frontmatter."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    stage_assignments: StageAssignments | None = None
    machine_capability_requirements: StageRequirementMap | None = None
    handoff_evidence_ref: PathText | None = None


@dataclass(frozen=True)
class Block:
    """A block found in a body: its contract (None when it is broken), the body line it opens
    on, and its problems."""

    line: int
    contract: BlockContract | None
    errors: tuple[Issue, ...] = ()


def _issue(field: str | None, message: str, line: int | None) -> Issue:
    where = WHERE if not field else f"{WHERE}: {field}"
    return Issue(where, message, line)


def _unknown(issue: Issue) -> str:
    if issue.message.startswith("Extra inputs") and issue.field and "." not in issue.field:
        keys = ", ".join(BlockContract.model_fields)
        return (
            f"unknown key {issue.field!r}; a wrk block holds {keys} (it names gates and "
            "requirements, never a command line)"
        )
    return issue.message


def find_block(body: str) -> tuple[int, int] | Issue | None:
    """(first, last) body lines (1-based) of the block's content, an issue when the body holds
    an unclosed block or two, None when it holds none."""
    lines = body.splitlines()
    found: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        if _OPEN.match(lines[index]):
            start = index
            index += 1
            while index < len(lines) and not _CLOSE.match(lines[index]):
                index += 1
            if index >= len(lines):
                return _issue(
                    None, "the ```wrk block is not closed (a line of ``` ends it)", start + 1
                )
            found.append((start + 2, index))
        index += 1
    if len(found) > 1:
        where = ", ".join(str(first - 1) for first, _ in found)
        return _issue(
            None,
            f"the body holds {len(found)} ```wrk blocks (lines {where}); keep one",
            found[1][0] - 1,
        )
    return found[0] if found else None


def parse_block(body: str) -> Block | None:
    """The body's ``wrk`` block, validated; None when there is none. Never raises for bad
    input: its problems are the block's errors."""
    span = find_block(body)
    if span is None:
        return None
    if isinstance(span, Issue):
        return Block(span.line or 1, None, (span,))
    first, last = span
    opening = first - 1
    text = "\n".join(body.splitlines()[first - 1 : last])
    if len(text.encode("utf-8", "replace")) > MAX_BLOCK_BYTES:
        return Block(
            opening,
            None,
            (_issue(None, f"larger than the {MAX_BLOCK_BYTES // 1024} KiB limit", opening),),
        )
    for offset, line in enumerate(text.splitlines()):
        if TEMPLATE_MARKERS.search(line):  # keys and comments too, not only values
            return Block(opening, None, (_issue(None, NOT_A_TEMPLATE, first + offset),))
    try:
        parsed = parse_yaml(text, WHERE, line_offset=first - 1)
    except InputError as exc:
        return Block(opening, None, (_issue(None, exc.detail, exc.line or opening),))
    if parsed.duplicates:
        dup = parsed.duplicates[0]
        return Block(opening, None, (_issue(".".join(dup.path), dup.message, dup.second_line),))
    data = {} if parsed.data is None else parsed.data
    if not isinstance(data, dict):
        message = "expected a mapping (stage_assignments, machine_capability_requirements, ...)"
        return Block(opening, None, (_issue(None, message, opening),))
    try:
        contract = BlockContract.model_validate(data)
    except ValidationError as exc:
        issues = tuple(
            _issue(issue.field, _unknown(issue), issue.line or opening)
            for issue in pydantic_issues(exc, parsed)
        )
        return Block(opening, None, issues)
    return Block(opening, contract)
