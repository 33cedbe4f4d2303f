"""Safe, bounded YAML parsing for data ``wrk`` does not control.

libyaml's C parser keeps validation fast; before anything is constructed, the node graph is
walked once to refuse aliases (so an alias bomb costs nothing), cap nesting depth, and collect
repeated keys and the line of every key, which error messages need.
"""

from __future__ import annotations

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


def _inspect(root: yaml.Node, line_offset: int, source: str) -> ParsedYaml:
    key_lines: dict[KeyPath, int] = {}
    duplicates: list[DuplicateKey] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int, KeyPath]] = [(root, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        line = node.start_mark.line + 1 + line_offset
        if id(node) in seen:
            raise InputError("YAML aliases are not allowed", path=source, line=line)
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise InputError(
                f"YAML nested deeper than {MAX_DEPTH} levels",
                path=source,
                line=line,
            )
        if isinstance(node, yaml.MappingNode):
            first_seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                if id(key_node) in seen:
                    key_line = key_node.start_mark.line + 1 + line_offset
                    raise InputError(
                        "YAML aliases are not allowed",
                        path=source,
                        line=key_line,
                    )
                seen.add(id(key_node))
                key_line = key_node.start_mark.line + 1 + line_offset
                if isinstance(key_node, yaml.ScalarNode):
                    key = str(key_node.value)
                    if key in first_seen:
                        duplicates.append(DuplicateKey((*path, key), first_seen[key], key_line))
                    else:
                        first_seen[key] = key_line
                    child: KeyPath = (*path, key)
                    if len(child) <= _LINE_DEPTH:
                        key_lines.setdefault(child, key_line)
                else:
                    child = (*path, "?")
                    stack.append((key_node, depth + 1, child))
                stack.append((value_node, depth + 1, child))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, depth + 1, (*path, str(index))))
    return ParsedYaml(data=None, key_lines=key_lines, duplicates=tuple(duplicates))


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
        info = _inspect(node, line_offset, source)
        try:
            data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 + line_offset if mark else None
            raise InputError(
                f"invalid YAML: {exc.problem or exc.context}", path=source, line=line
            ) from None
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise InputError(f"invalid YAML: {exc}", path=source) from None
    finally:
        loader.dispose()
    return ParsedYaml(data=data, key_lines=info.key_lines, duplicates=info.duplicates)


def read_text(path: str, *, max_bytes: int, what: str = "file") -> str:
    """Read a UTF-8 text file, refusing oversized, binary (NUL) and non-UTF-8 content."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
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
