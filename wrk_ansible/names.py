"""Host names, aliases, groups and patterns: the one resolver.

Validation (``wrk contract validate``), the gate, the report and the what-if all resolve the
machines a row names here, so they cannot disagree about what a name means:

- a host name or alias is that host (case-insensitively);
- a group name is any member of the group, in inventory order (``workstations: [gpu]`` and
  ``{group: gpu, count: 1}`` mean the same: any one ready member);
- ``{group: G, count: N}`` is N members of G;
- an Ansible pattern (``linux:&gpu:!win2``, ``dev-*``, ``~regex``) selects hosts
  with Ansible's semantics (``--limit``): union terms, then ``&`` intersections, then ``!``
  exclusions.

Pure: it works on a :class:`Directory` (the registry implements it), never on Ansible.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from wrk_ansible.contract.models import GroupScope
from wrk_ansible.contract.resolve import Contract, Issue, ResolvedStage
from wrk_ansible.contract.template import AGENT_HOSTS, ORCHESTRATOR_HOST
from wrk_ansible.contract.validate import ValidationResult, check_work_item
from wrk_ansible.errors import InputError

_GLOB: Final = re.compile(r"[*?\[]")
#: The origin of a value a row takes from the template (the WRK did not write it).
TEMPLATE: Final = "template"
#: Legacy fields that name machines; a name in them must resolve too.
LEGACY_MACHINE_FIELDS: Final = ("computer", "plan_workstations", "execution_workstations")


class Directory(Protocol):
    """What resolving names needs of a registry."""

    @property
    def names(self) -> tuple[str, ...]:
        """Host names in inventory order."""

    @property
    def groups(self) -> Mapping[str, tuple[str, ...]]:
        """Group name -> member host names, in inventory order."""

    def canonical(self, name: str) -> str | None:
        """The host a host name or alias means, the group a group name means; None if unknown."""

    def suggest(self, name: str) -> str | None:
        """The closest known name, for messages."""


def expand(name: str, directory: Directory) -> tuple[str, ...] | None:
    """The hosts ``name`` means: one host, a group's members, or None when it is unknown."""
    known = directory.canonical(name)
    if known is None:
        return None
    groups = directory.groups
    return tuple(groups[known]) if known in groups else (known,)


def is_group(name: str, directory: Directory) -> bool:
    known = directory.canonical(name)
    return known is not None and known in directory.groups


def hosts_named(candidates: Sequence[str], directory: Directory) -> tuple[tuple[str, str], ...]:
    """(candidate, host) for the first candidate naming each distinct host (a host name or
    alias; a group is not one machine), in the candidates' order: a machine known by several
    names (an issue label's roster name, its aliases, its hostname) resolves here like any
    other name, and more than one host means the names disagree."""
    found: dict[str, tuple[str, str]] = {}
    for name in candidates:
        known = directory.canonical(name)
        if known is None or known in directory.groups:
            continue
        found.setdefault(known, (name, known))
    return tuple(found.values())


#: What to do when the orchestrator's machine is not known.
ORCHESTRATOR_UNKNOWN: Final = (
    "the orchestrator's machine ($orchestrator_host) is not known here: set "
    "orchestrator_host in wrk.yml, give --here HOST, or add this machine to the inventory "
    "(wrk inventory add)"
)


def unknown_message(name: str, directory: Directory) -> str:
    if name == ORCHESTRATOR_HOST:
        return getattr(directory, "orchestrator_why", None) or ORCHESTRATOR_UNKNOWN
    hint = directory.suggest(name)
    extra = f"; did you mean {hint!r}?" if hint else ""
    return f"unknown machine {name!r} (not in the inventory){extra}"


@dataclass(frozen=True)
class Placed:
    """A directory that also knows the two places the matrix names by role.

    ``$orchestrator_host`` is the orchestrator's machine (None: not known where ``wrk`` runs);
    ``$agent_hosts`` is a group of every host that declares an agent CLI. Every command resolves
    rows through one of these, built by :func:`wrk_ansible.placement.placed`.
    """

    directory: Directory
    orchestrator: str | None
    agent_hosts: tuple[str, ...]
    #: Why the orchestrator's machine is not known (a configured name the inventory lacks);
    #: said only when a row placed there is resolved.
    orchestrator_why: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return self.directory.names

    @property
    def groups(self) -> Mapping[str, tuple[str, ...]]:
        return {**self.directory.groups, AGENT_HOSTS: self.agent_hosts}

    def canonical(self, name: str) -> str | None:
        if name == ORCHESTRATOR_HOST:
            return self.orchestrator
        if name == AGENT_HOSTS:
            return AGENT_HOSTS
        return self.directory.canonical(name)

    def suggest(self, name: str) -> str | None:
        """As the directory's; a row that says "any machine" in words is pointed at the place
        that means it (``$agent_hosts``), which only a contract row can name."""
        if name.strip().casefold() in ANYWHERE:
            return AGENT_HOSTS
        return self.directory.suggest(name)


#: What people write for "any machine" in a row's workstations.
ANYWHERE: Final = frozenset({"any", "all", "*", "anywhere"})


@dataclass(frozen=True)
class Unknown:
    """A name a row gives that the inventory does not know, and the row key that gives it."""

    name: str
    key: str  # "workstations" or "fallback"


@dataclass(frozen=True)
class ShortGroup:
    """A ``{group, count: N}`` whose group has fewer than N hosts: no readiness can fill it."""

    group: str
    hosts: tuple[str, ...]
    count: int
    #: False when ``group`` names a host (or alias), which is one host.
    is_group: bool = True

    @property
    def message(self) -> str:
        """``group 'gpu' has 1 host (gpu1); count 3 needs 3``, in words even when empty."""
        needs = f"count {self.count} needs {self.count}"
        if not self.is_group:
            return f"{self.group!r} is one host, not a group; {needs}"
        if not self.hosts:
            return f"group {self.group!r} has no hosts; {needs}"
        size = f"{len(self.hosts)} host{'s' if len(self.hosts) > 1 else ''}"
        return f"group {self.group!r} has {size} ({', '.join(self.hosts)}); {needs}"


@dataclass(frozen=True)
class RowScope:
    """Where a row may run, in canonical host names.

    ``slots`` are the places the row needs filled, each with the hosts that may fill it in
    order of preference: one slot for a single machine or a plain list (the first ready one),
    one per entry of a parallel list, N for ``{group, count: N}``. ``fallback`` fills a slot no
    assigned host can.
    """

    slots: tuple[tuple[str, ...], ...]
    fallback: tuple[str, ...]
    #: Hosts the row names directly (a host name or alias, not through a group).
    named: frozenset[str] = field(default_factory=frozenset)
    unknown: tuple[Unknown, ...] = ()
    #: A ``{group, count}`` asking for more hosts than the group has (None: it has enough).
    short: ShortGroup | None = None

    @property
    def assigned(self) -> tuple[str, ...]:
        """Every host that may fill a slot, in order, once each."""
        return tuple(dict.fromkeys(host for slot in self.slots for host in slot))


def _expand_named(
    entries: Sequence[str], key: str, directory: Directory, named: set[str], unknown: list[Unknown]
) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for entry in entries:
        hosts = expand(entry, directory)
        if hosts is None:
            unknown.append(Unknown(entry, key))
            out.append(())
            continue
        if not is_group(entry, directory):
            named.update(hosts)
        out.append(hosts)
    return out


def row_scope(row: ResolvedStage, directory: Directory) -> RowScope:
    """The row's slots, fallbacks and unknown names (see :class:`RowScope`)."""
    ws = row.assignment.workstations
    named: set[str] = set()
    unknown: list[Unknown] = []
    short: ShortGroup | None = None
    slots: list[tuple[str, ...]]
    if ws is None:
        slots = []
    elif isinstance(ws, GroupScope):
        members = expand(ws.group, directory)
        if members is None:
            unknown.append(Unknown(ws.group, "workstations"))
            members = ()
        else:
            group = is_group(ws.group, directory)
            if not group:
                named.update(members)
            distinct = tuple(dict.fromkeys(members))
            if len(distinct) < ws.count:
                short = ShortGroup(ws.group, distinct, ws.count, group)
        slots = [tuple(members)] * ws.count
    else:
        expanded = _expand_named(ws, "workstations", directory, named, unknown)
        if row.assignment.parallel:
            slots = expanded
        else:
            slots = [tuple(dict.fromkeys(h for hosts in expanded for h in hosts))]
    fallback = _expand_named(row.assignment.fallback, "fallback", directory, named, unknown)
    spares = tuple(dict.fromkeys(h for hosts in fallback for h in hosts))
    return RowScope(tuple(slots), spares, frozenset(named), tuple(unknown), short)


class InventoryNames:
    """Checks a contract's machine names against a directory (for contract validation)."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def issues(self, contract: Contract) -> list[Issue]:
        """Every unknown name the WRK gives, once per field, naming the row it appears in and
        the closest known name, and every ``{group, count}`` its group cannot fill. A row the
        WRK left out (the template's) is checked only when it is gated: its defaults may depend
        on where ``wrk`` runs."""
        issues: list[Issue] = []
        reported: set[tuple[str, str]] = set()
        rows: dict[tuple[str, str], list[str]] = {}  # (field, name) -> the rows it fills
        for row in contract.stages:
            scope = row_scope(row, self.directory)
            for missing in scope.unknown:
                origin = row.origin.get(missing.key, TEMPLATE)
                if origin == TEMPLATE:
                    continue
                rows.setdefault((_field(row, missing.key, origin), missing.name), []).append(
                    row.stage
                )
            origin = row.origin.get("workstations", TEMPLATE)
            if scope.short is not None and origin != TEMPLATE:
                where = _field(row, "workstations", origin)
                issues.append(Issue(where, scope.short.message))
        for (where, name), stages in rows.items():
            reported.add((where, name))
            message = unknown_message(name, self.directory)
            if not where.startswith("stage_assignments."):  # a legacy field: which rows
                message = f"{message} (it fills the {', '.join(stages)} rows)"
            issues.append(Issue(where, message, machine=name))
        for key in LEGACY_MACHINE_FIELDS:
            for name in getattr(contract.fields, key):
                if self.directory.canonical(name) is not None or (key, name) in reported:
                    continue
                reported.add((key, name))
                issues.append(Issue(key, unknown_message(name, self.directory), machine=name))
        return issues

    def canonical(self, name: str) -> str | None:
        return self.directory.canonical(name)


def _field(row: ResolvedStage, key: str, origin: str) -> str:
    """Where a row's ``key`` was written: its contract field, or the legacy field it came from."""
    written = origin in {"frontmatter", "assignment file"}
    return f"stage_assignments.{row.stage}.{key}" if written else origin


# -- Ansible patterns (--limit) ----------------------------------------------------------------


def split_pattern(pattern: str) -> list[str]:
    """The terms of a pattern: separated by ``:`` or ``,``, blanks dropped."""
    return [term.strip() for term in re.split(r"[:,]", pattern) if term.strip()]


def _term_hosts(term: str, directory: Directory) -> set[str] | None:
    """The hosts one term selects, or None when it names nothing known."""
    hosts = directory.names
    if term in {"all", "*"}:
        return set(hosts)
    known = expand(term, directory)
    if known is not None:
        return set(known)
    if term.startswith("~"):
        try:
            regex = re.compile(term[1:])
        except re.error as exc:
            raise InputError(f"bad regular expression in pattern: {exc}", field=term) from None
        matcher: Callable[[str], bool] = lambda name: bool(regex.match(name))  # noqa: E731
    elif _GLOB.search(term):
        matcher = lambda name: fnmatch.fnmatchcase(name.lower(), term.lower())  # noqa: E731
    else:
        return None
    selected = {host for host in hosts if matcher(host)}
    for group, members in directory.groups.items():
        if matcher(group):
            selected.update(members)
    return selected


def select(pattern: str, directory: Directory) -> tuple[str, ...]:
    """Host names ``pattern`` selects, in inventory order; an unknown term is an InputError."""
    union: set[str] = set()
    keep: list[set[str]] = []
    drop: set[str] = set()
    terms = split_pattern(pattern)
    if not terms:
        raise InputError("empty host pattern", field="pattern")
    for term in terms:
        bare = term.lstrip("&!")
        selected = _term_hosts(bare, directory)
        if selected is None:
            hint = directory.suggest(bare)
            extra = f"; did you mean {hint!r}?" if hint else ""
            raise InputError(f"{bare!r} is no host, alias or group of the inventory{extra}")
        if term.startswith("&"):
            keep.append(selected)
        elif term.startswith("!"):
            drop |= selected
        else:
            union |= selected
    if not union and keep:
        union = set(directory.names)
    for subset in keep:
        union &= subset
    return tuple(host for host in directory.names if host in union and host not in drop)


def check_against(path: str, directory: Directory | None, **options: Any) -> ValidationResult:
    """:func:`~wrk_ansible.contract.validate.check_work_item` with the machine names resolved
    through ``directory`` (None: names are not checked). Every command validates this way."""
    names = InventoryNames(directory) if directory is not None else None
    return check_work_item(path, machines=names, **options)
