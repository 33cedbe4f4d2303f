"""Safe, bounded YAML parsing for data ``wrk`` does not control.

libyaml's C parser keeps validation fast. The node graph is walked once to refuse aliases (so
an alias bomb costs nothing), cap nesting depth, find repeated keys and build the data. The
line of every key, which only error messages need, is found when it is first asked for, by a
second, full walk of the same text (:attr:`ParsedYaml.key_lines`): most documents are valid and
never need one.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from wrk_ansible.errors import InputError

_LibLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Plain scalar -> the tag YAML's implicit resolvers give it (bounded: cleared when full).
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX: Final = 65_536


class _BaseLoader(_LibLoader):  # type: ignore[valid-type,misc]
    """libyaml's safe loader with the implicit tag of each plain scalar remembered.

    PyYAML resolves every scalar in Python (the first of half a validation's parse time), and
    a queue repeats its values (agent names, states, stage names). The tag of a plain scalar
    depends on its text alone (SafeLoader has no path resolvers), so it is looked up once per
    distinct text; anything else goes to PyYAML's own ``resolve``."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
                    _PLAIN_TAGS.clear()
                _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


if _BaseLoader.yaml_path_resolvers:  # the remembered tags would be wrong: never the case
    raise RuntimeError("wrk_ansible.safeyaml: the safe loader has path resolvers")

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
    duplicates: tuple[DuplicateKey, ...] = ()
    #: The key lines, when the full walk found them while parsing.
    found_lines: dict[KeyPath, int] | None = field(default=None, repr=False, compare=False)
    #: (text, source, line offset) to find them in when first asked for (the fast walk).
    lines_from: tuple[str, str, int] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def key_lines(self) -> dict[KeyPath, int]:
        """Line (1-based) of every key down to four levels, by key path."""
        if self.found_lines is not None:
            return self.found_lines
        if self.lines_from is None:
            return {}
        return _full_parse(*self.lines_from).key_lines

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


class _Slow(Exception):
    """The fast walk met something only the full walk handles (or reports) exactly."""


#: Scalar tags whose SafeConstructor method returns the value itself (no generator, no
#: children): called directly, without construct_object's bookkeeping.
_PLAIN_SCALAR_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")
)


_ScalarNode: Final = yaml.ScalarNode
_MappingNode: Final = yaml.MappingNode
_SequenceNode: Final = yaml.SequenceNode


def _fast_build(loader: yaml.SafeLoader, node: yaml.Node, depth: int) -> Any:
    """The data of ``node`` when it is plain: str-keyed mappings without a repeated key,
    lists, scalars; no line bookkeeping. Anything else raises :class:`_Slow`. Hand-written
    rather than SafeConstructor's generators: this is most of a validation's parse time."""
    if depth > MAX_DEPTH:
        raise _Slow
    kind = type(node)
    if kind is _ScalarNode:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag in _PLAIN_SCALAR_TAGS:
            return loader.yaml_constructors[tag](loader, node)
        raise _Slow
    if kind is _MappingNode and node.tag == _MAP:
        pairs = node.value
        if pairs and depth >= MAX_DEPTH:
            raise _Slow  # its keys are one level deeper: the full walk refuses them
        out: dict[str, Any] = {}
        deeper = depth + 1
        for key_node, value_node in pairs:
            if type(key_node) is not _ScalarNode or key_node.tag != _STR:
                raise _Slow
            if type(value_node) is _ScalarNode and value_node.tag == _STR:
                out[key_node.value] = value_node.value  # the commonest value: a string
            else:
                out[key_node.value] = _fast_build(loader, value_node, deeper)
        if len(out) != len(pairs):
            raise _Slow  # a repeated key: the full walk records where
        return out
    if kind is _SequenceNode and node.tag == _SEQ:
        deeper = depth + 1
        return [_fast_build(loader, item, deeper) for item in node.value]
    raise _Slow


def _fast_parse(text: str) -> Any:
    loader = _BaseLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _fast_build(loader, node, 1)
    finally:
        loader.dispose()


def parse_yaml(text: str, source: str, *, line_offset: int = 0) -> ParsedYaml:
    """Parse one YAML document safely, or raise :class:`InputError` naming ``source``.

    ``line_offset`` is added to every line number (frontmatter starts below its ``---``).

    A document without ``*`` can hold no alias: it is built by the fast walk, and its key lines
    are found only when asked for. Anything the fast walk does not take (an alias, a repeated
    key, deep nesting, other tags, invalid YAML) goes through the full walk, which gives the
    same data and every error with its line.
    """
    if "*" not in text:
        try:
            data = _fast_parse(text)
        except Exception:  # the full walk below reports it exactly
            pass
        else:
            if data is None:
                return ParsedYaml(data=None)
            return ParsedYaml(data=data, lines_from=(text, source, line_offset))
    return _full_parse(text, source, line_offset)


def _full_parse(text: str, source: str, line_offset: int) -> ParsedYaml:
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
    return ParsedYaml(
        data=data, duplicates=tuple(builder.duplicates), found_lines=builder.key_lines
    )


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
