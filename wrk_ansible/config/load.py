"""Find and read ``wrk.yml``: ``--config FILE``, else ``$WRK_CONFIG``, else the nearest
``wrk.yml`` in the current folder or above it (as ``.ansible-lint`` is found); none is fine.

A file that cannot be used is an :class:`~wrk_ansible.errors.InputError` naming the file, the
line and the key; nothing is read from it then.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from wrk_ansible.config.model import CONFIG_NAME, WrkConfig
from wrk_ansible.contract.resolve import pydantic_issues
from wrk_ansible.errors import InputError
from wrk_ansible.safeyaml import ParsedYaml, parse_yaml, read_text, refuse_duplicates

ENV: Final = "WRK_CONFIG"
MAX_BYTES: Final = 1024 * 1024


@dataclass(frozen=True)
class LoadedConfig:
    """The configuration in effect and where it came from (``path`` None: no file, defaults)."""

    path: Path | None
    #: How the file was chosen: "--config", "$WRK_CONFIG", "found" or "none".
    chosen_by: str
    model: WrkConfig = field(default_factory=WrkConfig)
    parsed: ParsedYaml | None = field(default=None, repr=False)

    @property
    def folder(self) -> Path | None:
        """The file's folder: relative paths in it are relative to it."""
        return self.path.parent if self.path is not None else None

    def states(self, *keys: str) -> bool:
        """True when the file itself gives ``keys`` (``("quota", "fresh_hours")``)."""
        node: object = self.parsed.data if self.parsed is not None else None
        for key in keys:
            if not isinstance(node, Mapping) or key not in node:
                return False
            node = node[key]
        return True

    def where(self, *keys: str) -> str:
        """``wrk.yml:12`` for a key the file states."""
        line = self.parsed.line_of(keys) if self.parsed is not None else None
        name = str(self.path) if self.path is not None else CONFIG_NAME
        return f"{name}:{line}" if line else name

    def line(self, *keys: str) -> int | None:
        return self.parsed.line_of(keys) if self.parsed is not None else None

    def path_of(self, value: str) -> str:
        """A path the file states, made relative to the current folder's view: absolute ones
        stay, relative ones are joined to the file's folder."""
        if os.path.isabs(value) or self.folder is None:
            return value
        return str(self.folder / value)


def find(start: Path) -> Path | None:
    """The nearest ``wrk.yml`` in ``start`` or a folder above it."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load(given: str | None = None, *, cwd: Path | None = None) -> LoadedConfig:
    """The configuration: the file ``given`` (``--config``), else ``$WRK_CONFIG``, else the
    nearest ``wrk.yml`` found walking up from ``cwd``; a named file must exist."""
    env = os.environ.get(ENV)
    if given:
        path, chosen_by = Path(given), "--config"
    elif env:
        path, chosen_by = Path(env), f"${ENV}"
    else:
        found = find(Path(cwd or os.getcwd()).resolve())
        if found is None:
            return LoadedConfig(None, "none")
        path, chosen_by = found, "found"
    if not path.is_file():
        why = "no such file" if not path.exists() else "not a file"
        raise InputError(
            f"{why} (the configuration named by {chosen_by}); wrk looks at --config FILE, "
            f"then ${ENV}, then the nearest {CONFIG_NAME} in the current folder or above",
            path=str(path),
        )
    return read(path, chosen_by)


def read(path: Path, chosen_by: str = "--config") -> LoadedConfig:
    """Parse and validate one ``wrk.yml``; InputError naming file, line and key."""
    source = str(path)
    text = read_text(source, max_bytes=MAX_BYTES, what="configuration file")
    parsed = parse_yaml(text, source)
    refuse_duplicates(parsed, source)
    data = parsed.data if parsed.data is not None else {}
    if not isinstance(data, Mapping):
        raise InputError("expected a mapping of settings", path=source, line=1)
    try:
        model = WrkConfig.model_validate(data)
    except ValidationError as exc:
        first = pydantic_issues(exc, parsed, file=source)[0]
        message, line = first.message, first.line
        if "Extra inputs are not permitted" in message and first.field:
            message = _unknown_key(first.field)
        stage = re.match(r"unknown stage '([^']+)'", message)
        if stage and first.field == "stages":  # the key's own line, not the mapping's
            line = parsed.line_of(("stages", stage.group(1))) or line
        raise InputError(message, path=source, field=first.field, line=line) from None
    return LoadedConfig(path.absolute(), chosen_by, model, parsed)


def _unknown_key(dotted: str) -> str:
    """ "unknown key" with the closest known one, for a key at the top level."""
    import difflib

    key = dotted.rsplit(".", 1)[-1]
    if "." in dotted:
        return f"unknown key {key!r}"
    hint = difflib.get_close_matches(key, list(WrkConfig.model_fields), n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    return f"unknown key {key!r}{extra}; keys: {', '.join(WrkConfig.model_fields)}"
