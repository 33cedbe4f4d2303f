"""Read the workstation registry through Ansible's own inventory machinery.

The only module of wrk that imports ``ansible`` (lazily, inside :func:`load_registry`): YAML,
INI, ``group_vars``/``host_vars``, inventory plugins and patterns behave exactly as they do for
``ansible-inventory``. Vars are read raw (``VariableManager.get_vars``, as
``ansible-inventory --list`` does), never through templated hostvars, so a value such as
``{{ lookup('pipe', ...) }}`` stays text and never runs. The result is plain frozen data.

This is also the one module allowed to touch Ansible's private API (a test holds every other
module to that). What it still needs from there sits in :func:`_origin`, the only helper that
reaches past a public name; tests/unit/test_ansible_private_api.py pins the ansible-core range
it was checked against and exercises each seam, so an upgrade that breaks one fails loudly.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import sys
from collections.abc import Mapping
from contextlib import redirect_stderr
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from wrk_ansible.errors import InputError
from wrk_ansible.names import select
from wrk_ansible.packaged import inventory_plugins
from wrk_ansible.registry.workstation import SHOWN_CONNECTION_VARS, Workstation

#: Ansible's implicit groups: not names a work item may use.
IMPLICIT_GROUPS: Final = frozenset({"all", "ungrouped"})
#: Placeholders the queue uses for "anywhere"; the closest real thing is any host running an
#: agent, the place ``$agent_hosts`` names.
#: Vars that describe the fleet, not a host: read from group ``all`` (``group_vars/all/``) into
#: :attr:`Registry.fleet_vars`, and not validated as host vars.
FLEET_VARS: Final = frozenset({"wrk_agent_catalog", "wrk_quota_pacing", "wrk_quota_fresh_hours"})
#: The readiness role's inputs (``wrk_readiness_transport``, ...) may be set per host or group
#: in the inventory; they steer the probe and are not declarations, so they are not validated
#: as host vars here (the role checks them).
ROLE_INPUT_PREFIX: Final = "wrk_readiness_"


@dataclass(frozen=True)
class Registry:
    """The workstations of one inventory source, in inventory order, and its groups."""

    source: str
    workstations: tuple[Workstation, ...]
    groups: Mapping[str, tuple[str, ...]]
    _index: Mapping[str, str] = field(init=False, repr=False, compare=False)
    #: The fleet-level vars of group ``all`` (see :data:`FLEET_VARS`), as plain data.
    fleet_vars: Mapping[str, Any] = field(default_factory=dict, compare=False)
    #: What Ansible warned about while reading it (a file it could not parse, a key it
    #: skipped): a registry read with warnings is never snapshotted, so they are said each run.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for ws in self.workstations:
            for name in ws.names:
                other = index.setdefault(name.casefold(), ws.name)
                if other != ws.name:
                    raise InputError(
                        f"name {name!r} is claimed by both {other!r} and {ws.name!r}",
                        path=self.source,
                        field="wrk_aliases",
                    )
        for group in self.groups:
            index.setdefault(group.casefold(), group)
        object.__setattr__(self, "groups", MappingProxyType(dict(self.groups)))
        object.__setattr__(self, "_index", MappingProxyType(index))
        object.__setattr__(self, "fleet_vars", MappingProxyType(dict(self.fleet_vars)))

    @property
    def names(self) -> tuple[str, ...]:
        """Host names in inventory order."""
        return tuple(ws.name for ws in self.workstations)

    def canonical(self, name: str) -> str | None:
        """The host name for a host or alias, the group name for a group; None if unknown."""
        return self._index.get(name.strip().casefold())

    def suggest(self, name: str) -> str | None:
        """The closest known host, alias or group name, for error messages."""
        folded = name.strip().casefold()
        known = {key: key for key in self._index}
        for ws in self.workstations:
            known.update({n.casefold(): n for n in ws.names})
        known.update({g.casefold(): g for g in self.groups})
        close = difflib.get_close_matches(folded, list(known), n=1, cutoff=0.6)
        if close:
            return known[close[0]]
        # "orcaflex-license-machine": a word naming a declared license or tool points at a host.
        words = {w for w in folded.replace("_", "-").replace(".", "-").split("-") if w}
        for ws in self.workstations:
            if words & {f.casefold() for f in ws.license_features}:
                return ws.name
        for ws in self.workstations:
            if words & {t.casefold() for t in ws.tool_names}:
                return ws.name
        loose = difflib.get_close_matches(folded, list(known), n=1, cutoff=0.3)
        return known[loose[0]] if loose else None

    def find(self, name: str) -> Workstation | None:
        """The workstation named (or aliased) ``name``, or None."""
        host = self.canonical(name)
        for ws in self.workstations:
            if ws.name == host:
                return ws
        return None

    def names_of(self, host: str) -> tuple[str, ...]:
        """Every other name ``host`` goes by, for caps written with another spelling: its
        aliases, then the rules file's roster machine that is it."""
        found = self.find(host)
        if found is None:
            return ()
        roster = (found.roster.machine,) if found.roster is not None else ()
        return (*found.aliases, *roster)

    def get(self, name: str) -> Workstation:
        """The workstation named (or aliased) ``name``; InputError naming the closest one."""
        ws = self.find(name)
        if ws is None:
            hint = self.suggest(name)
            extra = f"; did you mean {hint!r}?" if hint else ""
            raise InputError(f"unknown workstation {name!r}{extra}", path=self.source)
        return ws

    def hosts_in(self, pattern: str) -> tuple[str, ...]:
        """Host names a group, host, alias or Ansible pattern selects, in inventory order."""
        return select(pattern, self)


def _plain(value: Any) -> Any:
    """Ansible's tagged values as plain Python data (str, int, float, bool, list, dict)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, datetime):
        return datetime.fromisoformat(value.isoformat())
    if isinstance(value, date):
        return date.fromisoformat(value.isoformat())
    return str(value)


def _origin(value: Any) -> tuple[str | None, int | None]:
    """File and line Ansible recorded for a loaded value, when it kept one.

    Private API, on purpose: ansible-core 2.19 records where a value was loaded only as an
    ``Origin`` data tag, and its one public tagging module (``ansible.module_utils.datatag``)
    offers ``deprecate_value`` and ``native_type_name`` but no way to read a tag; the
    ``ansible._protomatter.origin`` filter is internal too. Checked: ansible-core 2.19.0,
    2.19.14 and 2.20.10 (same ``Origin.get_tag``, ``path``, ``line_num``). If a later release
    moves it, error messages lose the line (never the InputError itself), and
    tests/unit/test_ansible_private_api.py fails.
    """
    try:
        from ansible._internal._datatag._tags import Origin  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a future ansible-core without it
        return None, None
    if isinstance(value, Origin):  # an AnsibleError's ``obj`` may be the Origin itself
        tag = value
    else:
        get_tag = getattr(Origin, "get_tag", None)
        tag = get_tag(value) if get_tag is not None else None
    if tag is None:
        return None, None
    return getattr(tag, "path", None), getattr(tag, "line_num", None)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling, outermost first.

    Ansible re-raises a parse error as a new exception that drops the file
    (``host_group_vars`` raises ``AnsibleParserError(to_native(e))`` inside ``except``); the
    original, with its ``obj`` and its Origin, is still its ``__context__``."""
    found: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in found and len(found) < 16:
        found.append(link)
        link = link.__cause__ or link.__context__
    return found


def _yaml_context(exc: BaseException, line: int | None) -> str:
    """Where the YAML construct an error is about began, when not on the error's own line
    (an unclosed ``[`` is found only at the end of the file): PyYAML's public marks."""
    import yaml

    for link in _chain(exc):
        if isinstance(link, yaml.MarkedYAMLError) and link.context_mark is not None:
            mark, context = link.context_mark, link.context or ""
            if mark.line + 1 == line:
                return ""
            what = context.removeprefix("while parsing ").removeprefix("while scanning ")
            return f" ({what} starting at line {mark.line + 1}, column {mark.column + 1})"
    return ""


#: A file an Ansible message names without an Origin ("Could not process '/x/box.yml': ...").
_NAMED_FILE: Final = re.compile(r"'(/[^'\n]+)'")


def _failure(exc: BaseException, source: str, loader: Any = None) -> InputError:
    """An Ansible error reading the inventory as one InputError naming the file and line.

    The file and line are those Ansible recorded (the first error in the chain with an
    Origin); else the file its message names, at the line its data starts; else ``source``.
    A file holding a NUL byte or bytes that are not UTF-8 is said so, at that byte's line."""
    path, line, message = None, None, None
    for link in _chain(exc):
        found_path, found_line = _origin(getattr(link, "obj", None))
        if found_path:
            path, line, message = found_path, found_line, str(link)
            break
    message = " ".join((message or str(getattr(exc, "message", None) or exc)).split())
    if path is None:
        named = [p for p in _NAMED_FILE.findall(message) if os.path.isfile(p)]
        if named:
            path, line = named[0], _first_line(loader, named[0])
    if path is not None and os.path.isfile(path) and line is None:
        unreadable = _unreadable(path)
        if unreadable is not None:
            return unreadable
    where = _yaml_context(exc, line)
    return InputError(
        f"cannot read the inventory: {message}{where}", path=path or source, line=line
    )


def _first_line(loader: Any, path: str) -> int | None:
    """The line where the data of ``path`` starts, as Ansible's loader records it."""
    if loader is None:
        return None
    from ansible.errors import AnsibleError  # type: ignore[import-untyped]

    try:
        return _origin(loader.load_from_file(path, cache="none"))[1]
    except AnsibleError:
        return None


def _unreadable(path: str) -> InputError | None:
    """The file's NUL byte or invalid UTF-8, located (as for every file wrk reads), or None."""
    from wrk_ansible.safeyaml import read_text

    try:
        read_text(path, max_bytes=64 * 1024 * 1024, what="inventory file")
    except InputError as exc:
        if exc.line is not None:  # a NUL byte or invalid UTF-8; not a size or a read error
            return InputError(f"cannot read the inventory: {exc.detail}", path=path, line=exc.line)
    return None


def _validate(host: str, raw: Mapping[str, Any], source: str) -> Any:
    """The host's ``wrk_*`` vars as :class:`HostVars`; InputError naming file, host and field."""
    from pydantic import ValidationError

    from wrk_ansible.registry.hostvars import WRK_VARS, HostVars

    for key in raw:
        if key not in WRK_VARS:
            path, line = _origin(raw[key])  # keys carry no origin; their values do
            hint = difflib.get_close_matches(key, sorted(WRK_VARS), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise InputError(
                f"host {host!r}: unknown host var {key!r}{extra}",
                path=path or source,
                field=key,
                line=line,
            )
    try:
        return HostVars.model_validate({key: _plain(value) for key, value in raw.items()})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        node: Any = raw
        path, line = _origin(raw[str(loc[0])])
        for step in loc:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                break
            found = _origin(node)
            if found[0]:
                path, line = found
        dotted = ".".join(str(part) for part in loc)
        raise InputError(
            f"host {host!r}: {first['msg']}", path=path or source, field=dotted, line=line
        ) from None


def _why_unparsed(said: str) -> str:
    """Ansible's reasons for not parsing a source, condensed to the plugins that matter."""
    found = re.findall(r"Failed to parse inventory with '(\w+)' plugin: (.+)", said)
    reasons = {plugin: reason.strip() for plugin, reason in found}
    # A plugin config (``plugin: x``) fails in 'auto' with the real reason; the yaml and ini
    # attempts on it only add noise. Otherwise every plugin's reason is worth reading.
    if "auto" in reasons and not reasons["auto"].startswith("no root 'plugin' key"):
        return str(reasons["auto"])
    text = "; ".join(f"{plugin}: {reason}" for plugin, reason in reasons.items())
    return text or "no inventory plugin accepted it"


class _Read(NamedTuple):
    """What :func:`_read` built: Ansible's inventory and vars, with the loader and sources."""

    inventory: Any
    variables: Any
    loader: Any
    sources: list[str]
    #: Ansible's warnings while parsing (already passed on to stderr).
    warnings: tuple[str, ...] = ()


def _inventory_manager(loader: Any, sources: list[str]) -> tuple[Any, bool]:
    """Ansible's InventoryManager over ``sources``, and whether any source parsed.

    Public API only: ``InventoryManager.parse_source`` returns whether its source parsed, and
    ``parse_sources`` (run by the constructor) calls it for every source and every file of a
    source directory, so a subclass that records the returns knows what Ansible's private
    ``_inventory.processed_sources`` would say. (The config settings do not serve: they are
    the user's ansible.cfg or process-wide ``ansible.constants``, end in a generic AnsibleError
    known only by its text, and ``INVENTORY_ANY_UNPARSED_IS_FAILED`` would also refuse a
    directory holding one stray file that Ansible merely warns about.)
    Checked: ansible-core 2.19.0, 2.19.14, 2.20.10. Should a release stop calling it, nothing
    ever counts as parsed and every inventory is refused: loud, never silently wrong.
    """
    from ansible.inventory.manager import InventoryManager  # type: ignore[import-untyped]

    class Recording(InventoryManager):  # type: ignore[misc]  # ansible-core ships no types
        parsed_any = False
        #: Files (not folders) no inventory plugin could parse, in the order Ansible tried.
        unparsed: tuple[str, ...] = ()

        def parse_source(self, source: str, cache: bool = False) -> bool:
            parsed = bool(super().parse_source(source, cache=cache))
            self.parsed_any = self.parsed_any or parsed
            if not parsed and os.path.isfile(source):
                self.unparsed = (*self.unparsed, source)
            return parsed

    inventory = Recording(loader=loader, sources=sources)
    return inventory, inventory.parsed_any


def _read(source: str) -> _Read:
    """Ansible's InventoryManager and VariableManager over ``source``; InputError if unparsed."""
    from ansible.errors import AnsibleError
    from ansible.parsing.dataloader import DataLoader  # type: ignore[import-untyped]
    from ansible.plugins.loader import inventory_loader  # type: ignore[import-untyped]
    from ansible.vars.manager import VariableManager  # type: ignore[import-untyped]

    # The package's own inventory plugins (wrk_registry), so `plugin: wrk_registry` configs load
    # from any working directory, not only where ansible.cfg is; 'auto' finds them by name.
    plugins = inventory_plugins()
    if plugins is not None:
        inventory_loader.add_directory(str(plugins))
    loader = DataLoader()
    # The one list Ansible reads: InventoryManager keeps it as given (its ``_sources``).
    sources = [source]
    captured = io.StringIO()
    try:
        with redirect_stderr(captured):
            inventory, parsed = _inventory_manager(loader, sources)
    except AnsibleError as exc:
        raise _failure(exc, source, loader) from None
    said = captured.getvalue().strip()
    if not parsed:
        raise _unparsed(loader, inventory.unparsed, said, source)
    if said:  # Ansible's own warnings about an inventory that did load: pass them on.
        print(said, file=sys.stderr)
    variables = VariableManager(loader=loader, inventory=inventory)
    return _Read(inventory, variables, loader, sources, (said,) if said else ())


#: Files Ansible's yaml plugin reads as YAML (JSON is YAML to it); an INI file is never
#: re-read as YAML, which would blame a syntax it does not use.
_YAML_SUFFIXES: Final = (".yml", ".yaml", ".json")


def _unparsed(loader: Any, files: tuple[str, ...], said: str, source: str) -> InputError:
    """Why nothing in ``source`` parsed, naming the file (and, for YAML, the line): the first
    YAML file that does not load is re-read through Ansible's own loader, whose error carries
    the Origin; any other unparsed file is named with the plugins' reasons."""
    from ansible.errors import AnsibleError

    for path in files:
        if os.path.splitext(path)[1].lower() in _YAML_SUFFIXES:
            try:
                loader.load_from_file(path, cache="none")
            except AnsibleError as exc:
                return _failure(exc, path, loader)
    reason = _why_unparsed(said)
    # A plugin that names the file and line it failed on (wrk_registry: "registry.yaml:4 [...]").
    for found, line in _LOCATION.findall(reason):
        if os.path.isfile(found):
            said_once = reason.replace(f"{found}:{line}: ", "").replace(f"{found}:{line} ", "")
            return InputError(f"cannot read the inventory: {said_once}", path=found, line=int(line))
    where = files[0] if len(files) == 1 else source
    extra = f" ({len(files)} files: {', '.join(files[:5])})" if len(files) > 1 else ""
    return InputError(f"cannot read the inventory: {reason}{extra}", path=where)


#: ``/path/file:LINE`` in a plugin's reason.
_LOCATION: Final = re.compile(r"(/[^\s:'\"\[\]]+):(\d+)")


def load_registry(source: str) -> Registry:
    """Read the inventory at ``source`` (a directory, file or plugin config) as a Registry."""
    if "," not in source and not os.path.exists(source):
        raise InputError("no such inventory (file or directory)", path=source)
    read = _read(source)
    from ansible.errors import AnsibleError

    captured = io.StringIO()
    try:
        with redirect_stderr(captured):
            registry = _registry(source, read)
    except AnsibleError as exc:  # a host_vars/ or group_vars/ file Ansible could not load
        raise _failure(exc, source, read.loader) from None
    finally:  # e.g. a key given twice in host_vars (Ansible keeps the last): pass it on
        said = captured.getvalue().strip()
        if said:
            print(said, file=sys.stderr)
    return replace(registry, warnings=(*registry.warnings, said)) if said else registry


def _registry(source: str, read: _Read) -> Registry:
    inventory, variables = read.inventory, read.variables
    group_order = [name for name in inventory.groups if name not in IMPLICIT_GROUPS]
    # Members in the group's own order (as ``ansible-inventory --list`` shows them).
    members = {
        name: tuple(h.name for h in inventory.groups[name].get_hosts()) for name in group_order
    }
    workstations: list[Workstation] = []
    for host in inventory.get_hosts("all"):
        raw = variables.get_vars(host=host, include_hostvars=False, stage="all")
        wrk = {
            str(k): v
            for k, v in raw.items()
            if str(k).startswith("wrk_")
            and str(k) not in FLEET_VARS
            and not str(k).startswith(ROLE_INPUT_PREFIX)
        }
        host_vars = _validate(host.name, wrk, source)
        own = {group.name for group in host.get_groups()}
        groups = tuple(name for name in group_order if name in own)
        connection = {k: _plain(raw[k]) for k in SHOWN_CONNECTION_VARS if k in raw}
        workstations.append(
            Workstation.from_host_vars(host.name, host_vars, groups=groups, connection=connection)
        )
    return Registry(
        source=source,
        workstations=tuple(workstations),
        groups=members,
        fleet_vars=_fleet_vars(read),
        warnings=read.warnings,
    )


def _fleet_vars(read: _Read) -> dict[str, Any]:
    """Group ``all``'s fleet-level vars (inline and from ``group_vars/all/``), as plain data.

    ``get_vars_from_inventory_sources`` runs the vars plugins (``host_group_vars`` reads
    ``group_vars/``) over the inventory sources, as Ansible does for stage ``all``; it gets the
    loader and the sources list that ``_read`` itself gave Ansible, not Ansible's private copies.
    """
    from ansible.vars.plugins import get_vars_from_inventory_sources  # type: ignore[import-untyped]

    group = read.inventory.groups["all"]
    found = dict(group.get_vars())
    found.update(get_vars_from_inventory_sources(read.loader, read.sources, [group], "all"))
    return {key: _plain(found[key]) for key in FLEET_VARS if key in found}
