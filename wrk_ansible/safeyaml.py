"""Safe, bounded YAML parsing for data ``wrk`` does not control.

libyaml's C parser keeps validation fast; before anything is constructed, the node graph is
walked once to refuse aliases (so an alias bomb costs nothing), cap nesting depth, and collect
repeated keys and the line of every key, which error messages need.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from wrk_ansible.errors import InputError

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH: Final = 32
#: Keys deeper than this are not given a line of their own (their parent's line is used).
_LINE_DEPTH: Final = 4

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class DuplicateKey:
    """A mapping key given twice; YAML itself would silently keep the last value."""

    path: KeyPath
    first_line: int
    second_line: int

    @property
    def message(self) -> str:
        """The one wording, wherever a duplicate is refused."""
        return (
            f"key {self.path[-1]!r} is given twice (lines {self.first_line} and "
            f"{self.second_line}); YAML would silently keep the last"
        )


@dataclass(frozen=True)
class ParsedYaml:
    """A parsed document, with where each key was written."""

    data: Any
    key_lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: tuple[DuplicateKey, ...] = ()

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """Line of the deepest recorded key on ``path`` (1-based), if any."""
        keys = tuple(str(p) for p in path)
        while keys:
            if keys in self.key_lines:
                return self.key_lines[keys]
            keys = keys[:-1]
        return None


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Builder:
    """One walk over the node graph: refuse aliases and deep nesting, record key lines and
    repeated keys, and build the Python data (plain str/list/dict directly, other scalars
    through the safe constructor). Faster than inspecting and then constructing."""

    def __init__(self, loader: yaml.SafeLoader, line_offset: int, source: str) -> None:
        self.loader = loader
        self.offset = line_offset
        self.source = source
        self.key_lines: dict[KeyPath, int] = {}
        self.duplicates: list[DuplicateKey] = []
        self.seen: set[int] = set()

    def _line(self, node: yaml.Node) -> int:
        return int(node.start_mark.line) + 1 + self.offset

    def build(self, node: yaml.Node, depth: int, path: KeyPath) -> Any:
        if id(node) in self.seen:
            line = self._line(node)
            raise InputError("YAML aliases are not allowed", path=self.source, line=line)
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            line = self._line(node)
            raise InputError(
                f"YAML nested deeper than {MAX_DEPTH} levels", path=self.source, line=line
            )
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else self.loader.construct_object(node)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [
                self.build(item, depth + 1, (*path, str(i))) for i, item in enumerate(node.value)
            ]
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            return self._mapping(node, depth, path)
        # Any other tag (!!set, !!omap, ...): check the children, then let PyYAML build it.
        children = node.value if isinstance(node.value, list) else []
        for child in children:
            for part in child if isinstance(child, tuple) else (child,):
                self.build(part, depth + 1, (*path, "?"))
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, depth: int, path: KeyPath) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = self._line(key_node)
            if isinstance(key_node, yaml.ScalarNode):
                text = str(key_node.value)
                if text in first_seen:
                    self.duplicates.append(DuplicateKey((*path, text), first_seen[text], key_line))
                else:
                    first_seen[text] = key_line
                child: KeyPath = (*path, text)
                if len(child) <= _LINE_DEPTH:
                    self.key_lines.setdefault(child, key_line)
            else:
                child = (*path, "?")
            key = self.build(key_node, depth + 1, child)
            if not isinstance(key, Hashable):
                raise InputError(
                    "a mapping key must be a plain value, not a list or mapping",
                    path=self.source,
                    line=key_line,
                )
            out[key] = self.build(value_node, depth + 1, child)
        return out


def parse_yaml(text: str, source: str, *, line_offset: int = 0) -> ParsedYaml:
    """Parse one YAML document safely, or raise :class:`InputError` naming ``source``.

    ``line_offset`` is added to every line number (frontmatter starts below its ``---``).
    """
    loader = _BaseLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 + line_offset if mark else None
            problem = exc.problem or exc.context or "invalid YAML"
            raise InputError(f"invalid YAML: {problem}", path=source, line=line) from None
        except (yaml.YAMLError, RecursionError) as exc:
            raise InputError(f"invalid YAML: {exc}", path=source) from None
        if node is None:
            return ParsedYaml(data=None)
        builder = _Builder(loader, line_offset, source)
        try:
            data = builder.build(node, 1, ())
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 + line_offset if mark else None
            raise InputError(
                f"invalid YAML: {exc.problem or exc.context}", path=source, line=line
            ) from None
        except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
            raise InputError(f"invalid YAML: {exc}", path=source) from None
    finally:
        loader.dispose()
    return ParsedYaml(data=data, key_lines=builder.key_lines, duplicates=tuple(builder.duplicates))


def read_text(path: str, *, max_bytes: int, what: str = "file") -> str:
    """Read a UTF-8 text file, refusing oversized, binary (NUL) and non-UTF-8 content."""
    try:
        with open(path, "rb") as handle:
            # Read what the file holds (plus one byte to see it grow past the cap): read(n)
            # allocates n bytes up front, and a 4 MiB buffer per small file is slow.
            size = os.fstat(handle.fileno()).st_size
            raw = handle.read(min(size, max_bytes) + 1)
            if len(raw) <= max_bytes and len(raw) > size:
                raw += handle.read(max_bytes + 1 - len(raw))  # it grew while we read
    except IsADirectoryError:
        raise InputError(f"is a directory, expected a {what}", path=path) from None
    except FileNotFoundError:
        raise InputError(f"no such {what}", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", path=path) from None
    if len(raw) > max_bytes:
        raise InputError(f"{what} is larger than the {max_bytes // 1024} KiB limit", path=path)
    nul = raw.find(b"\x00")
    if nul != -1:
        line = raw.count(b"\n", 0, nul) + 1
        raise InputError("contains a NUL byte (binary data?)", path=path, line=line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"is not valid UTF-8 (byte offset {exc.start})", path=path, line=line
        ) from None
    return text.removeprefix("\ufeff")


def json_key_lines(text: str, source: str) -> ParsedYaml | None:
    """Where each key of a JSON document was written (JSON is YAML to this parser), to give
    errors about its fields a line; None when the YAML parser does not take it (a tab, an
    escape YAML 1.1 lacks): such errors then name the file and the field only."""
    try:
        return parse_yaml(text, source)
    except InputError:
        return None


def at_line(error: InputError, parsed: ParsedYaml | None) -> InputError:
    """``error`` at the line of its field (``agents[0].provider``) in ``parsed``, when it names
    a field and no line yet; else ``error`` itself."""
    if parsed is None or error.line is not None or not error.field:
        return error
    path = tuple(part for part in re.split(r"[.\[\]]+", error.field) if part)
    line = parsed.line_of(path)
    if line is None:
        return error
    return InputError(error.detail, path=error.path, field=error.field, line=line)


def refuse_duplicates(parsed: ParsedYaml, source: str) -> None:
    """InputError at the second of two equal keys (a file where every key counts: wrk.yml,
    a rules file)."""
    if parsed.duplicates:
        dup = parsed.duplicates[0]
        raise InputError(
            dup.message,
            path=source,
            field=".".join(dup.path),
            line=dup.second_line,
        )
