"""The ops verbs on an open :class:`~wrk_ansible.registry.edit.InventoryEdit`.

Each verb validates everything before it changes anything, so bad input raises
:class:`InputError` with no file touched (``edit_inventory`` writes only on success).

State rules: ``wrk_state`` and its reason and time change only through ``drain``, ``resume``
and ``retire``, so the three stay consistent. A retired host is kept (work items still name
it) but takes no new work: only ``wrk_notes`` and ``wrk_aliases`` may still change, and
``resume --unretire`` is the one deliberate way back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

from wrk_ansible.errors import InputError
from wrk_ansible.registry.edit import InventoryEdit
from wrk_ansible.registry.values import (
    TEMPLATE_MARKERS,
    check_value,
    closest,
    parse_value,
    plain_safe,
    split_assignment,
    to_yaml,
)

STATE_KEYS: Final = frozenset({"wrk_state", "wrk_state_reason", "wrk_state_since"})
RETIRED_EDITABLE: Final = frozenset({"wrk_notes", "wrk_aliases"})
HOST_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
GROUP_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


@dataclass(frozen=True)
class Assignment:
    """One ``KEY=VALUE`` from the command line, parsed."""

    key: str
    value: Any
    raw: str | None = None
    flow: bool = False


def parse_assignments(texts: Iterable[str]) -> list[Assignment]:
    """``KEY=VALUE`` strings -> assignments; a key given twice is an error."""
    out: list[Assignment] = []
    for text in texts:
        key, raw = split_assignment(text)
        if any(a.key == key for a in out):
            raise InputError("given more than once", path="command line", field=key)
        value = parse_value(raw, key=key)
        out.append(Assignment(key, value, raw, raw.lstrip().startswith(("[", "{"))))
    return out


def now_utc() -> str:
    """The current UTC time as ``wrk_state_since`` stores it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve(edit: InventoryEdit, name: str) -> str:
    """The inventory host ``name`` means: exact, case-insensitive, or an alias."""
    if name in edit.host_names():
        return name
    names = edit.names()
    if name.lower() in names:
        return names[name.lower()]
    hint = closest(name.lower(), set(names))
    suggestion = f"; did you mean {names[hint]}?" if hint else ""
    raise InputError(
        f"unknown host {name!r}{suggestion}", path=str(edit.layout.hosts_file), field="host"
    )


def state_of(edit: InventoryEdit, host: str) -> str:
    return str(edit.vars_of(host).get("wrk_state") or "active")


def _refuse_retired(edit: InventoryEdit, host: str, keys: Iterable[str]) -> None:
    if state_of(edit, host) != "retired":
        return
    blocked = sorted(set(keys) - RETIRED_EDITABLE)
    if blocked:
        raise InputError(
            f"host {host!r} is retired and takes no new work; only "
            f"{', '.join(sorted(RETIRED_EDITABLE))} may change "
            f"('wrk inventory resume {host} --unretire' brings it back)",
            path=str(edit.host_vars_path(host)),
            field=blocked[0],
        )


def _check_aliases(edit: InventoryEdit, host: str, aliases: Sequence[Any]) -> None:
    """Refuse an alias (or host name) that another host already answers to."""
    names = edit.names()
    for alias in aliases:
        owner = names.get(str(alias).lower())
        if owner is not None and owner != host:
            raise InputError(
                f"host {host!r}: alias {alias!r} already names host {owner!r}",
                path=str(edit.host_vars_path(host)),
                field="wrk_aliases",
            )


def _stored(existing: Any, assignment: Assignment, value: Any) -> Any:
    """``value`` as YAML, in the style of the value it replaces where that is harmless."""
    flow = assignment.flow or (
        isinstance(existing, CommentedSeq | CommentedMap) and existing.fa.flow_style()
    )
    if (
        isinstance(existing, ScalarString)
        and isinstance(value, str)
        and "\n" not in value
        and not TEMPLATE_MARKERS.search(value)
    ):
        return type(existing)(value)
    return to_yaml(value, flow=bool(flow))


def validated(
    edit: InventoryEdit,
    host: str,
    assignments: Sequence[Assignment],
    *,
    allow_connection_vars: bool,
) -> list[tuple[Assignment, Any]]:
    """Each assignment with the value to store, all checked before anything changes."""
    path = str(edit.host_vars_path(host))
    out = []
    for a in assignments:
        value = check_value(
            host,
            a.key,
            a.value,
            path=path,
            allow_connection_vars=allow_connection_vars,
            raw=a.raw,
        )
        if a.key == "wrk_aliases":
            _check_aliases(edit, host, value)
        out.append((a, value))
    return out


def set_vars(
    edit: InventoryEdit,
    host: str,
    assignments: Sequence[Assignment],
    *,
    allow_connection_vars: bool = False,
) -> list[str]:
    """Set host vars; returns the keys whose stored value changed."""
    state = [a.key for a in assignments if a.key in STATE_KEYS]
    if state:
        raise InputError(
            "the state changes only through 'wrk inventory drain/resume/retire'",
            path="command line",
            field=state[0],
        )
    _refuse_retired(edit, host, (a.key for a in assignments))
    checked = validated(edit, host, assignments, allow_connection_vars=allow_connection_vars)
    return write_values(edit, host, checked)


def write_values(
    edit: InventoryEdit, host: str, checked: Sequence[tuple[Assignment, Any]]
) -> list[str]:
    """Store already-validated values, keeping each replaced value's quoting style."""
    data = edit.host_vars(host).data
    changed = []
    for assignment, value in checked:
        current = edit.vars_of(host).get(assignment.key, _MISSING)
        if assignment.key in data and current == value and type(current) is type(value):
            continue
        data[assignment.key] = _stored(data.get(assignment.key), assignment, value)
        changed.append(assignment.key)
    return changed


_MISSING: Final = object()


def unset_var(edit: InventoryEdit, host: str, key: str) -> None:
    """Remove one host var; the key must be set in the host's vars file."""
    if key in STATE_KEYS:
        raise InputError(
            "the state changes only through 'wrk inventory drain/resume/retire'",
            path="command line",
            field=key,
        )
    _refuse_retired(edit, host, [key])
    data = edit.host_vars(host).data
    if key not in data:
        raise InputError(
            f"host {host!r} has no {key} to unset", path=str(edit.host_vars_path(host)), field=key
        )
    del data[key]


def add_host(
    edit: InventoryEdit,
    host: str,
    groups: Sequence[str],
    assignments: Sequence[Assignment],
    *,
    allow_connection_vars: bool = False,
) -> None:
    """A new host in ``groups`` with the given vars; refused if any name is taken."""
    where = str(edit.layout.hosts_file)
    if not HOST_NAME.match(host) or not plain_safe(host):
        raise InputError(f"{host!r} is not a host name", path=where, field="host")
    owner = edit.names().get(host.lower())
    if owner is not None:
        raise InputError(f"host {host!r} already exists (as {owner!r})", path=where, field="host")
    if host.lower() in {g.lower() for g in edit.group_names()}:
        raise InputError(f"{host!r} is already a group name", path=where, field="host")
    if not groups:
        raise InputError("give at least one --group", path="command line", field="group")
    for group in groups:
        if not GROUP_NAME.match(group) or group in {"all", "ungrouped"}:
            raise InputError(f"{group!r} is not a group name you can add to", field="group")
    state = [a.key for a in assignments if a.key in STATE_KEYS]
    if state:
        raise InputError("a new host starts active", path="command line", field=state[0])
    checked = validated(edit, host, assignments, allow_connection_vars=allow_connection_vars)
    write_values(edit, host, checked)
    for group in groups:
        edit.add_to_group(host, group)


def _set_state(edit: InventoryEdit, host: str, values: dict[str, str | None]) -> bool:
    data = edit.host_vars(host).data
    before = edit.vars_of(host)
    for key, value in values.items():
        if value is None:
            data.pop(key, None)
        elif before.get(key) != value:
            data[key] = to_yaml(value)
    return edit.vars_of(host) != before


def drain(edit: InventoryEdit, host: str, reason: str, *, since: str | None = None) -> bool:
    """Take ``host`` out of rotation with a reason; returns whether anything changed."""
    _refuse_retired(edit, host, ["wrk_state"])
    if not reason.strip():
        raise InputError("a drain needs a non-empty --reason", field="reason")
    check_value(
        host, "wrk_state_reason", reason, path="command line", allow_connection_vars=False, raw=None
    )
    values = {"wrk_state": "drained", "wrk_state_reason": reason}
    if state_of(edit, host) != "drained" or edit.vars_of(host).get("wrk_state_reason") != reason:
        values["wrk_state_since"] = since or now_utc()
    return _set_state(edit, host, dict(values))


def resume(edit: InventoryEdit, host: str, *, unretire: bool = False) -> bool:
    """Put ``host`` back in rotation; a retired host only with ``unretire``."""
    if not unretire:
        _refuse_retired(edit, host, ["wrk_state"])
    values: dict[str, str | None] = {"wrk_state_reason": None, "wrk_state_since": None}
    if state_of(edit, host) != "active":
        values = {"wrk_state": "active", **values}
    return _set_state(edit, host, values)


def retire(edit: InventoryEdit, host: str, *, reason: str | None, since: str | None = None) -> bool:
    """Mark ``host`` retired: kept, so work items still resolve, but given no new work."""
    if state_of(edit, host) == "retired" and reason is None:
        return False
    if reason is not None:
        check_value(
            host,
            "wrk_state_reason",
            reason,
            path="command line",
            allow_connection_vars=False,
            raw=None,
        )
    values: dict[str, str | None] = {"wrk_state": "retired", "wrk_state_reason": reason}
    if state_of(edit, host) != "retired":
        values["wrk_state_since"] = since or now_utc()
    return _set_state(edit, host, values)
