"""Map a legacy ``registry.yaml`` (the team's workstation registry) onto inventory hosts and vars.

Pure: a parsed mapping in, plain dicts and lists out, ready to dump as YAML. Nothing here reads
a file or imports Ansible or pydantic, because two callers share it:

- the importer (``wrk inventory import``), which writes ``inventory/`` from the result;
- the inventory plugin ``plugins/inventory/wrk_registry.py``, which serves the same hosts,
  groups and vars to Ansible straight from a ``registry.yaml``.

This module is the single source of the mapping. The plugin imports it (falling back to the
repository checkout it lives in), rather than the package importing a copy under ``plugins/``:
``plugins/`` is not part of the installed package, while wrk-ansible always installs next to
ansible-core (it depends on it), so the package is where both can reach one tested, typed copy.
Only the standard library and :mod:`wrk_ansible.errors` (also stdlib-only) are imported.

Every key the mapping does not carry over is listed in :attr:`MappedRegistry.unmapped`, with
the reason, so nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from wrk_ansible.errors import InputError

#: Groups the mapping produces, in the order they are listed.
GROUP_ORDER: Final = ("linux", "windows", "macos", "licensed", "ai_capable", "gpu")
#: Licensed products the registry names as tools or in notes; all are FlexNet (FlexLM) licensed.
LICENSED_PRODUCTS: Final = ("orcaflex", "ansys", "aqwa")
#: Roles (``role`` or ``harness_profile.roles``) that say a host is for licensed work.
LICENSE_ROLES: Final = frozenset({"simulation-license-host", "licensed-solver"})
_OS: Final = {"linux": "linux", "windows": "windows", "macos": "macos", "darwin": "macos"}
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
#: Keys of a machine the mapping reads in full.
_MAPPED: Final = frozenset(
    {"hostname", "hostname_aliases", "os", "ssh", "capabilities", "storage", "notes"}
    | {"workspace_root", "tier1_repo_root"}
)
_WHY: Final = {
    "tailscale_ip": "addresses are kept out of the inventory (hosts connect by name)",
    "role": "no wrk_* var; used only to infer licenses and the licensed group",
    "harness_profile": "no wrk_* var; its roles are used only to infer licenses",
    "repos": "repositories are not a workstation capability wrk checks",
    "schedule_variant": "scheduling is not part of the registry wrk reads",
    "repo_layout": "no wrk_* var",
    "telegram_hermes": "dispatch settings are not part of the registry wrk reads",
    "tier1_baseline": "repository placement policy is not part of the registry wrk reads",
}
_STORAGE_PURPOSE: Final = {"local": "local", "knowledge": "knowledge"}


@dataclass(frozen=True)
class Unmapped:
    """A key of the legacy registry the mapping did not carry over, and why."""

    host: str | None
    key: str
    reason: str

    def as_dict(self) -> dict[str, str | None]:
        return {"host": self.host, "key": self.key, "reason": self.reason}


@dataclass(frozen=True)
class MappedRegistry:
    """Hosts (name -> vars), groups (name -> host names) and what was not mapped."""

    source: str
    hosts: dict[str, dict[str, Any]]
    groups: dict[str, list[str]]
    unmapped: tuple[Unmapped, ...] = field(default=())

    def report(self) -> list[dict[str, str | None]]:
        return [entry.as_dict() for entry in self.unmapped]


def _names(value: Any, source: str, where: str) -> list[str]:
    """A list of plain names (None -> []), or an InputError naming the field."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
    ):
        raise InputError("expected a list of names", path=source, field=where)
    out: list[str] = []
    for item in (str(v).strip() for v in value):
        if item and item not in out:
            out.append(item)
    return out


def _text(value: Any, source: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InputError("expected text", path=source, field=where)
    text = str(value).strip()
    return text or None


def _mapping(value: Any, source: str, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError("expected a mapping", path=source, field=where)
    return value


def _storage(
    machine: dict[str, Any], host: str, source: str, skipped: list[Unmapped]
) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []

    def add(path: str | None, purpose: str) -> None:
        if path and all(entry["path"] != path for entry in out):
            out.append({"path": path, "purpose": purpose})

    where = f"machines.{host}"
    add(_text(machine.get("workspace_root"), source, f"{where}.workspace_root"), "workspace")
    add(_text(machine.get("tier1_repo_root"), source, f"{where}.tier1_repo_root"), "repo-root")
    storage = _mapping(machine.get("storage"), source, f"{where}.storage")
    for key, value in storage.items():
        if key in _STORAGE_PURPOSE:
            add(_text(value, source, f"{where}.storage.{key}"), _STORAGE_PURPOSE[key])
        elif key == "remote_mounts":
            for path in _names(value, source, f"{where}.storage.remote_mounts"):
                add(path, "remote-mount")
        else:
            skipped.append(Unmapped(host, f"storage.{key}", "unknown storage key"))
    return out


def _licenses(
    tools: list[str], roles: list[str], notes: str | None
) -> tuple[list[dict[str, Any]], bool]:
    """Inferred license entries, and whether the host is for licensed work at all."""
    named = {tool.lower() for tool in tools}
    lowered = (notes or "").lower()
    features = [
        product
        for product in LICENSED_PRODUCTS
        if product in named or (product in lowered and "licen" in lowered)
    ]
    entries = [{"feature": f, "kind": "flexlm", "inferred": True} for f in features]
    licensed = bool(entries) or any(role in LICENSE_ROLES for role in roles)
    return entries, licensed


def _identity(host: str, machine: dict[str, Any], source: str, out: dict[str, Any]) -> None:
    """Access method, connection name and every older name of the host."""
    where = f"machines.{host}"
    ssh = _text(machine.get("ssh"), source, f"{where}.ssh")
    if ssh and ssh.lower() != host.lower():
        # The ssh value is an ssh_config alias: a name, never an address, so it can connect.
        if not _NAME.match(ssh):
            raise InputError(f"{ssh!r} is not a host name", path=source, field=f"{where}.ssh")
        out["ansible_host"] = ssh
    out["wrk_access"] = "ssh" if ssh else "none"
    hostname = _text(machine.get("hostname"), source, f"{where}.hostname")
    older = [hostname] if hostname else []
    older += _names(machine.get("hostname_aliases"), source, f"{where}.hostname_aliases")
    aliases: list[str] = []
    for name in older:
        if not _NAME.match(name):
            raise InputError(
                f"{name!r} is not a host name", path=source, field=f"{where}.hostname_aliases"
            )
        if name.lower() != host.lower() and name.lower() not in {a.lower() for a in aliases}:
            aliases.append(name)
    if aliases:
        out["wrk_aliases"] = aliases


def _capabilities(
    host: str, machine: dict[str, Any], source: str, out: dict[str, Any], skipped: list[Unmapped]
) -> list[str]:
    """OS, agents, tools and GPU; returns the tool names as the registry listed them."""
    where = f"machines.{host}"
    os_name = _text(machine.get("os"), source, f"{where}.os")
    if os_name is not None:
        if os_name.lower() in _OS:
            out["wrk_os"] = _OS[os_name.lower()]
        else:
            skipped.append(Unmapped(host, "os", f"unknown os {os_name!r}"))
    caps = _mapping(machine.get("capabilities"), source, f"{where}.capabilities")
    agents = _names(caps.get("agent_clis"), source, f"{where}.capabilities.agent_clis")
    if agents:
        out["wrk_agents"] = agents
    tools = _names(caps.get("tools"), source, f"{where}.capabilities.tools")
    languages = _names(caps.get("languages"), source, f"{where}.capabilities.languages")
    # Languages are executables too (python3, bash): the probe checks them like any tool.
    all_tools = tools + [name for name in languages if name not in tools]
    if all_tools:
        out["wrk_tools"] = all_tools
    gpu = caps.get("gpu")
    if isinstance(gpu, str) and gpu.strip():
        out["wrk_gpu"] = gpu.strip()
    elif gpu is True:
        out["wrk_gpu"] = True
    elif gpu not in (None, False):
        raise InputError(
            "expected false or a label", path=source, field=f"{where}.capabilities.gpu"
        )
    for key in caps:
        if key not in {"agent_clis", "tools", "languages", "gpu"}:
            skipped.append(Unmapped(host, f"capabilities.{key}", "unknown capability"))
    return tools


def _map_machine(
    host: str, machine: dict[str, Any], source: str, skipped: list[Unmapped]
) -> tuple[dict[str, Any], list[str]]:
    """The vars of one host and the groups it belongs to."""
    where = f"machines.{host}"
    out: dict[str, Any] = {}
    _identity(host, machine, source, out)
    tools = _capabilities(host, machine, source, out, skipped)
    storage = _storage(machine, host, source, skipped)
    if storage:
        out["wrk_storage"] = storage
    notes = _text(machine.get("notes"), source, f"{where}.notes")
    role = _text(machine.get("role"), source, f"{where}.role")
    harness = _mapping(machine.get("harness_profile"), source, f"{where}.harness_profile")
    roles = ([role] if role else []) + _names(
        harness.get("roles"), source, f"{where}.harness_profile.roles"
    )
    licenses, licensed = _licenses(tools, roles, notes)
    if licenses:
        out["wrk_licenses"] = licenses
    elif licensed:
        skipped.append(
            Unmapped(host, "role", "implies licensed work but names no licensed product")
        )
    if notes:
        out["wrk_notes"] = notes
    for key in machine:
        if key not in _MAPPED:
            skipped.append(Unmapped(host, key, _WHY.get(key, "no wrk_* var for it")))
    groups = [out["wrk_os"]] if "wrk_os" in out else []
    groups += ["licensed"] if licensed else []
    groups += ["ai_capable"] if "wrk_agents" in out else []
    groups += ["gpu"] if "wrk_gpu" in out else []
    return out, groups


def map_registry(
    data: Any, source: str, *, line_of: Callable[[tuple[str, ...]], int | None] | None = None
) -> MappedRegistry:
    """Map a parsed legacy registry onto hosts, groups and a report of what was not mapped.

    ``source`` names the file in error messages. Raises :class:`InputError` naming the field
    (and its line, through ``line_of``: :meth:`wrk_ansible.safeyaml.ParsedYaml.line_of`) when
    the registry has the wrong shape or two machines claim the same name.
    """
    try:
        return _map(data, source)
    except InputError as exc:
        if line_of is None or exc.line is not None:
            raise
        line = line_of(tuple(exc.field.split("."))) if exc.field else 1
        raise InputError(exc.detail, path=exc.path, field=exc.field, line=line) from None


def _map(data: Any, source: str) -> MappedRegistry:
    if not isinstance(data, dict):
        raise InputError("expected a mapping with a 'machines' key", path=source)
    machines = data.get("machines")
    if not isinstance(machines, dict) or not machines:
        raise InputError("expected a mapping of machines", path=source, field="machines")
    skipped = [Unmapped(None, key, "not a machine list") for key in data if key != "machines"]
    hosts: dict[str, dict[str, Any]] = {}
    members: dict[str, list[str]] = {group: [] for group in GROUP_ORDER}
    claimed: dict[str, str] = {}
    for raw_name, machine in machines.items():
        host = str(raw_name)
        if not _NAME.match(host):
            raise InputError(f"{host!r} is not a host name", path=source, field="machines")
        if not isinstance(machine, dict):
            raise InputError("expected a mapping", path=source, field=f"machines.{host}")
        host_vars, groups = _map_machine(host, machine, source, skipped)
        for name in (host, *host_vars.get("wrk_aliases", ())):
            other = claimed.setdefault(name.lower(), host)
            if other != host:
                raise InputError(
                    f"name {name!r} is claimed by both {other!r} and {host!r}",
                    path=source,
                    field=f"machines.{host}",
                )
        hosts[host] = host_vars
        for group in groups:
            members[group].append(host)
    groups_out = {group: names for group, names in members.items() if names}
    return MappedRegistry(source, hosts, groups_out, tuple(skipped))
