"""A cached view of the registry, keyed by everything that shapes the inventory.

Importing Ansible's inventory classes alone costs about 0.23 s, more than a whole gate on fresh
evidence may take. So the Registry read through Ansible is saved as JSON under
``$WRK_CACHE_DIR`` (default ``$XDG_CACHE_HOME/wrk``, else ``~/.cache/wrk``: outside any work
tree, so reading a registry never changes a repository), keyed by the sha256 of every
inventory file, the ``ansible.cfg`` in force, the ansible-core and wrk versions and the
``ANSIBLE_*`` environment.
Any change to any of them is a new key, so the next read goes through Ansible again. An
inventory that uses plugins or scripts (whose output no file hash can pin) is never cached, nor
is a failure: an inventory Ansible cannot read raises and saves nothing, and one it read with
warnings (a file it could not parse, a key it skipped) is read through Ansible every time, so
the warning is never silenced by a snapshot. Without a snapshot to use, the inventory is read
in a forked child (:func:`read_through_ansible`), so Ansible's memory never stays in ``wrk``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from wrk_ansible import __version__, forked
from wrk_ansible.atomic import replace_file
from wrk_ansible.fleet.model import Baseline
from wrk_ansible.paths import cache_dir as wrk_cache_dir
from wrk_ansible.registry.hostvars import LicenseDecl, StorageDecl, ToolDecl
from wrk_ansible.registry.inventory import Registry, load_registry
from wrk_ansible.registry.workstation import Workstation

SNAPSHOT_VERSION: Final = 1
_STATIC_SUFFIXES: Final = ("", ".yml", ".yaml", ".json", ".ini", ".cfg", ".toml")
_MAX_FILES: Final = 5000
#: Snapshots kept per cache folder (several inventories may be in use side by side).
_KEEP: Final = 8


def inventory_files(source: Path) -> list[Path] | None:
    """Every file Ansible may read for ``source``, sorted: the file or folder itself, and for a
    file the ``host_vars/`` and ``group_vars/`` beside it (where ``wrk inventory`` writes).
    None when the source is missing."""
    if source.is_file():
        files = [source]
        for folder in ("host_vars", "group_vars"):
            beside = source.parent / folder
            if beside.is_dir():
                files += [p for p in beside.rglob("*") if p.is_file()]
    elif source.is_dir():
        files = [p for p in source.rglob("*") if p.is_file()]
    else:
        return None
    return sorted(files)


def _static_files(source: Path) -> Iterator[Path] | None:
    """:func:`inventory_files`, or None when one of them is not static data (a script, a file
    only a plugin understands) or there are too many to hash on every run."""
    files = inventory_files(source)
    if files is None:
        return None
    if len(files) > _MAX_FILES:
        return None
    for path in files:
        if path.name.startswith("."):
            continue  # hidden (wrk's lock and provenance files): hashed, never parsed as data
        if path.suffix not in _STATIC_SUFFIXES or os.access(path, os.X_OK):
            return None  # an inventory script, or a file only a plugin understands
        if path.suffix in (".yml", ".yaml") and _is_plugin_config(path):
            return None
    return iter(files)


def _is_plugin_config(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096)
    return any(line.strip().startswith(b"plugin:") for line in head.splitlines())


def _ansible_cfg() -> Path | None:
    """The config file Ansible itself would use (ANSIBLE_CONFIG, ./, ~/, /etc/ansible/)."""
    env = os.environ.get("ANSIBLE_CONFIG")
    for candidate in (
        Path(env) if env else None,
        Path("ansible.cfg"),
        Path.home() / ".ansible.cfg",
        Path("/etc/ansible/ansible.cfg"),
    ):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


#: ``ANSIBLE_*`` settings that steer only how a run connects and what it prints, never how an
#: inventory is read: left out of the key, so a fresh ssh control folder per command (as CI
#: and the benchmarks give) or another output format still finds the snapshot. Every other
#: ``ANSIBLE_*`` variable is part of the key, known to matter or not.
RUN_ONLY: Final = frozenset(
    {
        "ANSIBLE_SSH_CONTROL_PATH_DIR",
        "ANSIBLE_SSH_CONTROL_PATH",
        "ANSIBLE_SSH_ARGS",
        "ANSIBLE_SSH_RETRIES",
        "ANSIBLE_PIPELINING",
        "ANSIBLE_TIMEOUT",
        "ANSIBLE_FORKS",
        "ANSIBLE_HOST_KEY_CHECKING",
        "ANSIBLE_RETRY_FILES_ENABLED",
        "ANSIBLE_NOCOLOR",
        "ANSIBLE_FORCE_COLOR",
        "ANSIBLE_STDOUT_CALLBACK",
        "ANSIBLE_SHOW_CUSTOM_STATS",
    }
)


def _core_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ansible-core")
    except PackageNotFoundError:
        return "unknown"


def snapshot_key(source: str) -> str | None:
    """The sha256 of every input that shapes the inventory; None when it cannot be cached."""
    if "," in source:
        return None  # a host list given on the command line
    files = _static_files(Path(source))
    if files is None:
        return None
    digest = hashlib.sha256()
    digest.update(f"wrk {__version__}; ansible-core {_core_version()}\n".encode())
    digest.update(os.path.realpath(source).encode() + b"\n")
    for name in sorted(k for k in os.environ if k.startswith("ANSIBLE_") and k not in RUN_ONLY):
        digest.update(f"{name}={os.environ[name]}\n".encode())
    cfg = _ansible_cfg()
    for path in [*([cfg] if cfg else []), *files]:
        digest.update(str(path).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _encode(registry: Registry) -> dict[str, Any]:
    return {
        "snapshot_version": SNAPSHOT_VERSION,
        "source": registry.source,
        "groups": {name: list(hosts) for name, hosts in registry.groups.items()},
        "fleet_vars": json.loads(json.dumps(dict(registry.fleet_vars), default=str)),
        "workstations": [ws.as_dict() for ws in registry.workstations],
    }


def _decode(data: dict[str, Any]) -> Registry:
    workstations = tuple(
        Workstation(
            name=ws["name"],
            aliases=tuple(ws["aliases"]),
            groups=tuple(ws["groups"]),
            access=ws["access"],
            os=ws["os"],
            agents=tuple(ws["agents"]),
            tools=tuple(ToolDecl.model_validate(t) for t in ws["tools"]),
            licenses=tuple(LicenseDecl.model_validate(lic) for lic in ws["licenses"]),
            storage=tuple(StorageDecl.model_validate(s) for s in ws["storage"]),
            gpu=ws["gpu"],
            state=ws["state"],
            state_reason=ws["state_reason"],
            state_since=ws["state_since"],
            signing_key=ws["signing_key"],
            notes=ws["notes"],
            connection=tuple((k, v) for k, v in ws["connection"].items()),
            baseline=Baseline.model_validate(ws["baseline"]) if ws.get("baseline") else None,
        )
        for ws in data["workstations"]
    )
    return Registry(
        source=data["source"],
        workstations=workstations,
        groups={name: tuple(hosts) for name, hosts in data["groups"].items()},
        fleet_vars=data["fleet_vars"],
    )


def _read_encoded(source: str) -> tuple[str, tuple[str, ...]]:
    """The registry as its snapshot's JSON text: plain data (Ansible's tagged strings would
    pickle as Ansible's classes and import Ansible where they are unpickled)."""
    registry = load_registry(source)
    return json.dumps(_encode(registry)), tuple(str(w) for w in registry.warnings)


def read_through_ansible(source: str) -> Registry:
    """:func:`load_registry`, in a forked child when this process has not imported Ansible:
    its modules and the inventory's heap (about 20 MB) end with the child, so a cold gate or
    report peaks no higher than a warm one plus the snapshot. The registry comes back as its
    snapshot (the same shape a warm run decodes); errors and Ansible's warnings as they were.
    A process that has Ansible loaded already reads it here (there is nothing to save)."""
    if "ansible" in sys.modules or not forked.available():
        return load_registry(source)
    text, warnings = forked.call("reading the inventory", _read_encoded, source)
    registry = _decode(json.loads(text))
    return replace(registry, warnings=warnings) if warnings else registry


def cached_registry(source: str, cache_dir: str | None = None) -> Registry:
    """The registry at ``source``: from the snapshot when its key matches, else through
    Ansible (and then saved). A broken or foreign snapshot file is ignored and replaced."""
    key = snapshot_key(source)
    if key is None:
        return read_through_ansible(source)
    folder = Path(cache_dir) if cache_dir else wrk_cache_dir()
    path = folder / f"registry-{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("snapshot_version") == SNAPSHOT_VERSION and data.get("source") == source:
            return _decode(data)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    registry = read_through_ansible(source)  # an unreadable inventory raises: nothing saved
    if registry.warnings:
        return registry  # Ansible skipped something: say it again next run, never cache it
    try:
        replace_file(path, json.dumps(_encode(registry), sort_keys=True))
        ignore = folder / ".gitignore"
        if not ignore.exists():
            # the cache must not dirty the repository it sits in (sync-checks reads git status)
            replace_file(ignore, "# wrk's registry cache, never committed\n*\n")
        snapshots = sorted(folder.glob("registry-*.json"), key=lambda p: p.stat().st_mtime)
        for old in snapshots[:-_KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only checkout still works, only slower
    return registry
