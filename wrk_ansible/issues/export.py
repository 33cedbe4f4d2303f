"""Issues from an export file: the JSON array ``gh issue list --json ...`` and
``gh search issues --json ...`` write.

The shape is GitHub's, not ours: fields wrk does not read (``author``, ``createdAt``, a label's
``color``...) are kept out of the way, never refused; the fields it reads are checked. An
issue's repository comes from its ``url``, else ``repository.nameWithOwner``, else the
``repo`` the caller names (``--repo OWNER/REPO``, for exports such as
``gh issue list --json body,labels,number,title`` that carry neither); a missing ``state``
means open.

A broken export is one error naming the file, the issue's line in it and the field: the file is
written by a program, so a malformed entry means a wrong file, not one bad item among good ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError

from wrk_ansible.errors import InputError
from wrk_ansible.refs import IssueRef, parse_slug, ref_from_url
from wrk_ansible.safeyaml import ParsedYaml, json_key_lines, read_text

#: An export of tens of thousands of issues with full bodies stays below this.
MAX_EXPORT_BYTES: Final = 32 * 1024 * 1024
_MAX_NESTING: Final = 32


class _GitHubShape(BaseModel):
    """A shape GitHub writes: fields wrk does not read are ignored, never refused."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")


class ExportLabel(_GitHubShape):
    name: str = Field(min_length=1, max_length=255)


class ExportRepository(_GitHubShape):
    nameWithOwner: str | None = None  # GitHub's field name


def _state(value: Any) -> Any:
    # gh issue list writes OPEN/CLOSED, gh search issues open/closed; missing means open.
    if value is None:
        return "OPEN"
    return value.upper() if isinstance(value, str) else value


def _none_to(default: Any) -> BeforeValidator:
    return BeforeValidator(lambda value: default if value is None else value)


class ExportedIssue(_GitHubShape):
    """One element of the export array."""

    number: StrictInt = Field(ge=1, le=9_999_999_999)
    title: str | None = None
    state: Annotated[Literal["OPEN", "CLOSED"], BeforeValidator(_state)] = "OPEN"
    labels: Annotated[tuple[ExportLabel, ...], _none_to(())] = ()
    url: str | None = None
    body: Annotated[str, _none_to("")] = ""
    repository: ExportRepository | None = None


@dataclass(frozen=True)
class WorkIssue:
    """An issue as a work item: its reference and what the contract reads of it."""

    ref: IssueRef
    title: str | None
    state: Literal["OPEN", "CLOSED"]
    labels: tuple[str, ...]
    body: str
    url: str | None
    #: The export file and the line its entry starts on.
    source: str
    line: int | None = None
    #: False when the export has no ``state`` (the team's April export): open by default.
    state_given: bool = True

    @property
    def is_open(self) -> bool:
        return self.state == "OPEN"


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER: Final = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _elements(text: str, source: str) -> list[tuple[Any, int]]:
    """The array's elements, each with the line it starts on (read one element at a time, so
    every error has a line, even where the YAML parser would not take the JSON)."""
    pos = _skip_space(text, 0)
    if text[pos : pos + 1] != "[":
        what = "empty" if pos >= len(text) else "not a JSON array"
        raise InputError(f"{what}: expected the JSON array gh writes", path=source, line=1)
    out: list[tuple[Any, int]] = []
    line = 1 + text.count("\n", 0, pos)
    last = pos
    pos = _skip_space(text, pos + 1)
    expect_value = False
    while True:
        if pos >= len(text):
            line += text.count("\n", last, pos)
            raise InputError("the JSON array is not closed", path=source, line=line)
        if text[pos] == "]" and not expect_value:
            end = _skip_space(text, pos + 1)
            if end < len(text):
                line += text.count("\n", last, end)
                raise InputError("text after the JSON array", path=source, line=line)
            return out
        line += text.count("\n", last, pos)
        last = pos
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", path=source, line=exc.lineno) from None
        except _Duplicate as exc:
            raise InputError(
                f"key {exc.args[0]!r} is given twice in one issue", path=source, line=line
            ) from None
        except (ValueError, RecursionError) as exc:
            message = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
            raise InputError(f"invalid JSON: {message}", path=source, line=line) from None
        out.append((value, line))
        pos = _skip_space(text, pos)
        expect_value = False
        if text[pos : pos + 1] == ",":
            pos = _skip_space(text, pos + 1)
            expect_value = True
        elif text[pos : pos + 1] not in ("]", ""):
            line += text.count("\n", last, pos)
            raise InputError("expected ',' or ']' between issues", path=source, line=line)


def _depth(value: Any, limit: int) -> bool:
    """True when ``value`` nests no deeper than ``limit``."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return True


class _Lines:
    """The line of a field of an element, found only when an error needs it (the YAML parse
    that knows key lines costs more than the whole load)."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self._parsed: ParsedYaml | bool | None = False

    def of(self, index: int, loc: tuple[str | int, ...], fallback: int) -> int:
        if self._parsed is False:
            self._parsed = json_key_lines(self.text, self.source)
        parsed = self._parsed
        if isinstance(parsed, ParsedYaml) and loc:
            line = parsed.line_of((str(index), *(str(p) for p in loc)))
            if line is not None:
                return line
        return fallback


def _field(index: int, loc: tuple[str | int, ...]) -> str:
    return f"issues[{index}]" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def _repository(
    entry: ExportedIssue, given: tuple[str, str] | None, where: str
) -> tuple[str, str] | None:
    """(owner, repo) from the url, else repository.nameWithOwner (a disagreement between the
    two is an error), else ``given`` (``--repo``: for entries that name no repository; several
    exports can be read at once, so it never overrides one that does)."""
    found: list[tuple[str, tuple[str, str]]] = []
    if entry.url:
        from_url = ref_from_url(entry.url)
        if from_url is None:
            raise ValueError(
                f"url {entry.url!r} is not an issue URL (https://HOST/OWNER/REPO/issues/N)"
            )
        if from_url.number != entry.number:
            raise ValueError(f"url {entry.url!r} names issue {from_url.number}, not {entry.number}")
        found.append(("url", (from_url.owner, from_url.repo)))
    if entry.repository is not None and entry.repository.nameWithOwner:
        try:
            found.append(("repository.nameWithOwner", parse_slug(entry.repository.nameWithOwner)))
        except InputError as exc:
            raise ValueError(exc.detail) from None
    if not found:
        return given
    first_name, first = found[0]
    for name, other in found[1:]:
        if (other[0].lower(), other[1].lower()) != (first[0].lower(), first[1].lower()):
            raise ValueError(
                f"{where}: {first_name} says {'/'.join(first)} but {name} says {'/'.join(other)}"
            )
    return first


def parse_export(text: str, source: str, *, repo: str | None = None) -> tuple[WorkIssue, ...]:
    """Every issue of an export's text (see the module's docstring); ``source`` names it in
    errors."""
    given = parse_slug(repo) if repo is not None else None
    lines = _Lines(text, source)
    issues: list[WorkIssue] = []
    seen: dict[IssueRef, int] = {}
    for index, (value, line) in enumerate(_elements(text, source)):
        number = value.get("number") if isinstance(value, Mapping) else None
        name = f"issue #{number}" if isinstance(number, int) else f"entry {index}"
        if not isinstance(value, dict):
            raise InputError(
                f"{name} is not an object", path=source, field=f"issues[{index}]", line=line
            )
        if not _depth(value, _MAX_NESTING):
            raise InputError(
                f"{name} is nested deeper than {_MAX_NESTING} levels", path=source, line=line
            )
        try:
            entry = ExportedIssue.model_validate(value)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
            raise InputError(
                f"{name}: {err['msg']}",
                path=source,
                field=_field(index, loc),
                line=lines.of(index, loc, line),
            ) from None
        try:
            owner_repo = _repository(entry, given, name)
        except ValueError as exc:
            raise InputError(
                str(exc),
                path=source,
                field=_field(index, ("url",)),
                line=lines.of(index, ("url",), line),
            ) from None
        if owner_repo is None:
            raise InputError(
                f"{name} names no repository (no url or repository.nameWithOwner): give "
                "--repo OWNER/REPO for this export",
                path=source,
                field=f"issues[{index}]",
                line=line,
            )
        ref = IssueRef(owner_repo[0], owner_repo[1], entry.number)
        if ref in seen:
            raise InputError(
                f"{ref} is given twice (lines {seen[ref]} and {line})", path=source, line=line
            )
        seen[ref] = line
        issues.append(
            WorkIssue(
                ref=ref,
                title=entry.title,
                state=entry.state,
                labels=tuple(label.name for label in entry.labels),
                body=entry.body,
                url=entry.url,
                source=source,
                line=line,
                state_given="state" in entry.model_fields_set,
            )
        )
    return tuple(issues)


def load_export(path: str, repo: str | None = None) -> tuple[WorkIssue, ...]:
    """Every issue of the export file ``path`` (capped at :data:`MAX_EXPORT_BYTES`)."""
    text = read_text(path, max_bytes=MAX_EXPORT_BYTES, what="issue export")
    return parse_export(text, path, repo=repo)
