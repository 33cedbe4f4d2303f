"""``wrk inventory import``: write a legacy ``registry.yaml`` into the inventory.

The mapping is :func:`~wrk_ansible.registry.legacy_registry.map_registry`; every write goes
through :mod:`~wrk_ansible.registry.edit`. Provenance lives in ``.wrk-import.yml`` at the
inventory root (hidden: Ansible never reads it): per host, the groups and the values the last
import wrote. A re-import then tells imported values from hand edits:

- a value still equal to what the import wrote is updated (or removed when the registry no
  longer has it); a value edited or removed by hand is kept, and reported, unless
  ``overwrite``;
- a machine renamed in the registry (its new entry lists the old name as an alias) renames the
  imported host, moving its vars file with any hand edits;
- a host the registry no longer lists is kept and reported, never deleted;
- nothing changes at all when the registry and the inventory already agree.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from ruamel.yaml.comments import CommentedMap

from wrk_ansible.errors import InputError
from wrk_ansible.registry.edit import InventoryEdit, edit_inventory
from wrk_ansible.registry.legacy_registry import MappedRegistry, map_registry
from wrk_ansible.registry.ops import Assignment, write_values
from wrk_ansible.registry.values import check_value, to_plain, to_yaml
from wrk_ansible.safeyaml import parse_yaml, read_text

PROVENANCE_FILE: Final = ".wrk-import.yml"
PROVENANCE_VERSION: Final = 1
MAX_REGISTRY_BYTES: Final = 4 * 1024 * 1024
_HEADER: Final = (
    "# Written by 'wrk inventory import': the groups and values each import wrote, so a\n"
    "# re-import can tell imported values from hand edits. Not read by Ansible.\n---\n"
)
_HOST_HEADER: Final = (
    "---\n# Written by 'wrk inventory import'; hand edits are kept on re-import "
    "(docs/inventory.md).\n"
)
_MISSING: Final = object()


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    source: str
    inventory: str
    dry_run: bool
    added: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    not_in_registry: list[str] = field(default_factory=list)
    unmapped: list[dict[str, str | None]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> Iterator[str]:
        verb = "would change" if self.dry_run else "changed"
        yield f"import {self.source} -> {self.inventory}: {verb} {len(self.files)} file(s)"
        for host in self.added:
            yield f"  added    {host}"
        for old, new in self.renamed:
            yield f"  renamed  {old} -> {new} (the registry lists {old} as an alias)"
        for host, keys in self.updated.items():
            yield f"  updated  {host}: {', '.join(keys)}"
        for host, key in self.kept:
            yield f"  kept     {host}: {key} (edited by hand; --overwrite replaces it)"
        for host in self.not_in_registry:
            yield f"  not in registry: {host} (kept; retire it if it is gone)"
        grouped: dict[tuple[str, str], list[str]] = {}
        for entry in self.unmapped:
            hosts = grouped.setdefault((str(entry["key"]), str(entry["reason"])), [])
            hosts.append(entry["host"] or "(top level)")
        for (key, reason), hosts in grouped.items():
            yield f"  not mapped: {key} ({reason}): {', '.join(hosts)}"
        if not self.files:
            yield "  nothing to change"


def _desired_groups(mapped: MappedRegistry, host: str) -> list[str]:
    return [group for group, members in mapped.groups.items() if host in members]


def _renames(edit: InventoryEdit, mapped: MappedRegistry, record: dict[str, Any]) -> dict[str, str]:
    """Inventory host -> registry machine, for imported hosts the registry renamed."""
    present = {h.lower(): h for h in edit.host_names()}
    out: dict[str, str] = {}
    for host, host_vars in mapped.hosts.items():
        if host.lower() in present:
            continue
        for alias in host_vars.get("wrk_aliases", ()):
            old = present.get(str(alias).lower())
            if old is None or old in mapped.hosts:
                continue
            if old not in record:
                raise InputError(
                    f"machine {host!r} lists {alias!r} as an alias, but the inventory has a "
                    f"host {old!r} that no import wrote; rename or retire it by hand first",
                    path=mapped.source,
                    field=f"machines.{host}.hostname_aliases",
                )
            out[old] = host
    return out


def _apply_vars(
    edit: InventoryEdit,
    host: str,
    new: dict[str, Any],
    before: dict[str, Any],
    *,
    overwrite: bool,
    allow_connection_vars: bool,
    report: ImportReport,
) -> dict[str, Any]:
    """Bring one host's vars up to date; returns what to record as imported."""
    current = edit.vars_of(host)
    path = str(edit.host_vars_path(host))
    recorded: dict[str, Any] = {}
    writes: list[tuple[Assignment, Any]] = []
    for key, mapped_value in new.items():
        try:
            checked = check_value(
                host,
                key,
                mapped_value,
                path=path,
                allow_connection_vars=allow_connection_vars,
                raw=None,
            )
        except InputError as exc:
            raise InputError(exc.detail, path=report.source, field=f"machines.{host}") from None
        value = to_plain(checked)
        cur, prev = current.get(key, _MISSING), before.get(key, _MISSING)
        if cur == value:
            recorded[key] = value
        elif overwrite or cur == prev or (cur is _MISSING and prev is _MISSING):
            writes.append((Assignment(key, value), value))
            recorded[key] = value
        else:
            report.kept.append((host, key))
            if prev is not _MISSING:
                recorded[key] = prev
    data = edit.host_vars(host).data
    for key, prev in before.items():
        if key not in new and current.get(key, _MISSING) == prev:
            del data[key]  # the registry dropped it, and nobody edited it since
            report.updated.setdefault(host, []).append(key)
    changed = write_values(edit, host, writes)
    if changed:
        report.updated.setdefault(host, []).extend(changed)
    return recorded


def _apply_groups(
    edit: InventoryEdit, host: str, wanted: list[str], before: list[str], *, overwrite: bool
) -> list[str]:
    current = edit.groups_of(host)
    for group in wanted:
        if group not in current and (overwrite or group not in before):
            edit.add_to_group(host, group)
    for group in before:
        if group not in wanted and group in current and len(edit.groups_of(host)) > 1:
            edit.remove_from_group(host, group)
    return wanted


def _check_names(edit: InventoryEdit, source: str) -> None:
    seen: dict[str, str] = {}
    for host in edit.host_names():
        for name in (host, *(edit.vars_of(host).get("wrk_aliases") or ())):
            other = seen.setdefault(str(name).lower(), host)
            if other != host:
                raise InputError(
                    f"after the import, name {name!r} would name both {other!r} and {host!r}",
                    path=source,
                    field="hostname_aliases",
                )


def _plan(
    edit: InventoryEdit,
    mapped: MappedRegistry,
    report: ImportReport,
    *,
    overwrite: bool,
    allow_connection_vars: bool,
) -> dict[str, Any]:
    provenance = to_plain(edit.document(_provenance_path(edit)).data) or {}
    version = provenance.get("schema_version", PROVENANCE_VERSION)
    if version != PROVENANCE_VERSION:
        raise InputError(
            f"written by a newer wrk (schema_version {version}); upgrade wrk",
            path=str(_provenance_path(edit)),
            field="schema_version",
        )
    record: dict[str, Any] = dict(provenance.get("hosts") or {})
    for old, new in _renames(edit, mapped, record).items():
        edit.rename_host(old, new)
        record[new] = record.pop(old)
        report.renamed.append((old, new))
    existing = set(edit.host_names())
    for host, new_vars in mapped.hosts.items():
        before = record.get(host) or {}
        if host not in existing:
            report.added.append(host)
        recorded_vars = _apply_vars(
            edit,
            host,
            new_vars,
            dict(before.get("vars") or {}),
            overwrite=overwrite,
            allow_connection_vars=allow_connection_vars,
            report=report,
        )
        groups = _apply_groups(
            edit,
            host,
            _desired_groups(mapped, host),
            list(before.get("groups") or []),
            overwrite=overwrite,
        )
        record[host] = {"groups": groups, "vars": recorded_vars}
    for host in report.added:
        report.updated.pop(host, None)
    report.not_in_registry = [h for h in record if h not in mapped.hosts]
    _check_names(edit, mapped.source)
    return record


def _provenance_path(edit: InventoryEdit) -> Path:
    return edit.layout.root / PROVENANCE_FILE


def import_registry(
    registry: str,
    inventory: str,
    *,
    dry_run: bool = False,
    overwrite: bool = False,
    allow_connection_vars: bool = False,
) -> ImportReport:
    """Import ``registry`` into the inventory at ``inventory``; returns the report."""
    raw = read_text(registry, max_bytes=MAX_REGISTRY_BYTES, what="registry")
    parsed = parse_yaml(raw, registry)
    mapped = map_registry(parsed.data, registry, line_of=parsed.line_of)
    report = ImportReport(registry, inventory, dry_run, unmapped=mapped.report())
    with edit_inventory(inventory, create=True, dry_run=dry_run) as edit:
        record = _plan(
            edit, mapped, report, overwrite=overwrite, allow_connection_vars=allow_connection_vars
        )
        doc = edit.document(_provenance_path(edit))
        data = CommentedMap()
        data["schema_version"] = PROVENANCE_VERSION
        data["source"] = os.path.basename(registry)
        data["sha256"] = hashlib.sha256(raw.encode("utf-8")).hexdigest()
        data["hosts"] = to_yaml(record)
        doc.data = data
        if doc.original is None:
            doc.preamble = _HEADER
        for host in report.added:
            vars_doc = edit.host_vars(host)
            if vars_doc.original is None:
                vars_doc.preamble = _HOST_HEADER
        report.files = [str(path) for path in edit.changed_files()]
    return report
