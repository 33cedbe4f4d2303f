"""Host-var values from users: parsed safely, validated, and made inert for Ansible.

``KEY=VALUE`` text is parsed as one YAML scalar or flow collection with a safe loader that
refuses aliases. ``wrk_*`` keys are validated against :class:`HostVars`; connection vars come
from an allow-list. Every string holding ``{{``, ``{%`` or ``{#`` is written tagged
``!unsafe``, so Ansible treats it as data and never renders it as a template.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from typing import Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.scalarstring import LiteralScalarString, ScalarString, SingleQuotedScalarString

from wrk_ansible.errors import InputError
from wrk_ansible.registry.hostvars import (
    ALLOWED_CONNECTIONS,
    CONNECTION_VARS_ALLOWED,
    WRK_VARS,
    HostVars,
)
from wrk_ansible.safeyaml import parse_yaml

UNSAFE_TAG: Final = "!unsafe"
TEMPLATE_MARKERS: Final = re.compile(r"\{\{|\{%|\{#")
KEY_PATTERN: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: ``wrk_*`` vars that hold lists: ``a,b`` given for them means ``[a, b]``.
LIST_VARS: Final = frozenset(
    {"wrk_aliases", "wrk_agents", "wrk_tools", "wrk_licenses", "wrk_storage"}
)
_PLAIN_STR: Final = "tag:yaml.org,2002:str"
_RESOLVER: Final = yaml.resolver.Resolver()


class _ConnectionVars(BaseModel):
    """Shapes of the allow-listed connection vars (Ansible itself reads them)."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid", strict=True)

    ansible_host: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:\[\]-]{1,253}$")
    ansible_port: int | None = Field(default=None, ge=1, le=65535)
    ansible_user: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.@\\-]{1,128}$")
    ansible_connection: str | None = None
    ansible_python_interpreter: str | None = Field(
        default=None,
        pattern=r"^(auto|auto_silent|auto_legacy|auto_legacy_silent|/[A-Za-z0-9._/+-]+)$",
    )
    ansible_ssh_private_key_file: str | None = Field(default=None, pattern=r"^[^\x00-\x1f]+$")
    ansible_shell_type: str | None = Field(default=None, pattern=r"^(sh|csh|fish|powershell|cmd)$")
    ansible_become: bool | None = None
    ansible_become_user: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.@\\-]{1,128}$")


def closest(name: str, known: frozenset[str] | set[str] | list[str]) -> str | None:
    """The known name nearest to ``name``, if any is near."""
    found = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return found[0] if found else None


def split_assignment(text: str, *, source: str = "command line") -> tuple[str, str]:
    """``KEY=VALUE`` -> (key, raw value text)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError(f"expected KEY=VALUE, got {text!r}", path=source)
    if not KEY_PATTERN.match(key):
        raise InputError(f"{key!r} is not a variable name", path=source, field=key)
    if raw.strip() == "":
        raise InputError(
            "empty value; use 'wrk inventory unset HOST KEY' to remove a key",
            path=source,
            field=key,
        )
    return key, raw


def parse_value(raw: str, *, key: str) -> Any:
    """The YAML value of ``raw`` (a scalar or a flow collection), parsed safely.

    Text holding a template marker is always a plain string, never a structure.
    """
    if TEMPLATE_MARKERS.search(raw):
        return raw
    try:
        return parse_yaml(raw, f"value of {key}").data
    except InputError as exc:
        if raw.lstrip().startswith(("[", "{")):
            raise InputError(exc.detail, path="command line", field=key) from None
        return raw


def key_kind(key: str, *, host: str, path: str, allow_connection_vars: bool) -> str:
    """'wrk' or 'connection' for a key that may be written; raises for any other key."""
    if key in WRK_VARS:
        return "wrk"
    if key in CONNECTION_VARS_ALLOWED:
        return "connection"
    if key.startswith("ansible_"):
        if allow_connection_vars:
            return "connection"
        raise InputError(
            f"host {host!r}: {key} shapes how Ansible connects or runs and is not on the "
            f"allow-list ({', '.join(sorted(CONNECTION_VARS_ALLOWED))}); "
            "pass --allow-connection-vars to write it anyway",
            path=path,
            field=key,
        )
    hint = closest(key, WRK_VARS | CONNECTION_VARS_ALLOWED)
    known = f"; did you mean {hint}?" if hint else f"; known: {', '.join(sorted(WRK_VARS))}"
    raise InputError(f"host {host!r}: unknown key {key}{known}", path=path, field=key)


def _errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"])
        parts.append(f"{loc}: {error['msg']}")
    return "; ".join(parts)


def _problem(key: str, value: Any, kind: str, allow_connection_vars: bool) -> str | None:
    """None when ``value`` is valid for ``key``, else the reason."""
    try:
        if kind == "wrk":
            HostVars.model_validate({key: value})
        elif key in _ConnectionVars.model_fields:
            _ConnectionVars.model_validate({key: value})
    except ValidationError as exc:
        return _errors(exc)
    if (
        key == "ansible_connection"
        and not allow_connection_vars
        and value not in ALLOWED_CONNECTIONS
    ):
        return (
            f"must be one of {', '.join(sorted(ALLOWED_CONNECTIONS))} "
            "(or pass --allow-connection-vars)"
        )
    return None


def check_value(
    host: str, key: str, value: Any, *, path: str, allow_connection_vars: bool, raw: str | None
) -> Any:
    """The value to store for ``key``: validated, or an InputError naming host and key.

    ``raw`` is the text the user typed: when the parsed value has the wrong type but the text
    itself is valid (``wrk_notes=yes``), the text is stored as a string.
    """
    kind = key_kind(key, host=host, path=path, allow_connection_vars=allow_connection_vars)
    candidates = [value]
    if key in LIST_VARS and isinstance(value, str):
        parts = [value] if TEMPLATE_MARKERS.search(value) else value.split(",")
        candidates = [[part.strip() for part in parts if part.strip()]]
    if raw is not None and raw not in candidates:
        candidates.append(raw)
    reasons = [_problem(key, c, kind, allow_connection_vars) for c in candidates]
    for candidate, reason in zip(candidates, reasons, strict=True):
        if reason is None:
            return candidate
    raise InputError(f"host {host!r}: {reasons[0]} (got {value!r})", path=path, field=key)


def plain_safe(text: str) -> bool:
    """Whether ``text`` written unquoted reads back as the same string in YAML 1.1 (Ansible)."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return tag == _PLAIN_STR


def to_yaml(value: Any, *, flow: bool = False) -> Any:
    """``value`` as ruamel round-trip data: template-looking strings tagged ``!unsafe``."""
    if isinstance(value, str):
        if TEMPLATE_MARKERS.search(value):
            style = "|" if "\n" in value else None
            return TaggedScalar(value=str(value), style=style, tag=UNSAFE_TAG)
        if "\n" in value and not flow:
            return LiteralScalarString(value)
        if not plain_safe(value):
            return SingleQuotedScalarString(value)
        return str(value)
    if isinstance(value, dict):
        mapping = CommentedMap((str(k), to_yaml(v, flow=flow)) for k, v in value.items())
        if flow:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list | tuple):
        seq = CommentedSeq(to_yaml(v, flow=flow) for v in value)
        if flow:
            seq.fa.set_flow_style()
        return seq
    return value


def to_plain(value: Any) -> Any:
    """Round-trip data as plain Python (tags dropped), for comparing and validating."""
    if isinstance(value, TaggedScalar):
        return str(value.value) if value.value is not None else None
    if isinstance(value, ScalarString):
        return str(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, datetime):
        return datetime.fromisoformat(value.isoformat())
    if isinstance(value, date):
        return date.fromisoformat(value.isoformat())
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def is_unsafe(value: Any) -> bool:
    """Whether ``value`` is a scalar written with the ``!unsafe`` tag."""
    return isinstance(value, TaggedScalar) and str(value.tag) == UNSAFE_TAG
