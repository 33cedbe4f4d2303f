"""The rules file's machine roster laid over a registry: its facts become the hosts' facts.

A roster machine resolves to the inventory host its names point at (its own name, the
``machine_aliases`` keys mapping to it, its ``hostname``: :meth:`RoutingRules.names_of`),
through the one resolver (:func:`wrk_ansible.names.hosts_named`), exactly as an issue's
``machine:`` label does. That host then carries what the roster says of it
(:class:`~wrk_ansible.registry.availability.RosterFacts`) and, for ``available: false``, one more
source holding it unavailable, with ``blocked_on`` and ``unavailable_since``. Roster machines no
host answers to (a machine this inventory does not hold) say nothing about any host.

Done once per command, after the registry is read (``open_registry`` in
:mod:`wrk_ansible.cli.common`), so the registry snapshot holds the inventory alone and never
goes stale when the rules file changes.
"""

from __future__ import annotations

import os
from dataclasses import replace

from wrk_ansible.errors import InputError
from wrk_ansible.issues.rules import MAX_RULES_BYTES, Machine, RoutingRules
from wrk_ansible.names import hosts_named
from wrk_ansible.registry.availability import Attestation, RosterFacts, Unavailable, when
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.safeyaml import parse_yaml, read_text

#: The state a rules file's ``available: false`` gives.
UNAVAILABLE = "unavailable"


def shown(path: str) -> str:
    """``path`` as a source name people read: relative to the current folder when below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if relative.startswith(os.pardir) else relative


def _line(path: str, machine: str) -> int | None:
    """Where ``machines.MACHINE`` is written (read again on this error path only)."""
    try:
        text = read_text(path, max_bytes=MAX_RULES_BYTES, what="routing rules file")
        return parse_yaml(text, path).line_of(("machines", machine))
    except InputError:
        return None


def facts_of(name: str, machine: Machine, source: str) -> RosterFacts:
    """What the roster entry ``name`` says of its host."""
    return RosterFacts(
        machine=name,
        source=source,
        capabilities=machine.capabilities,
        capacity=machine.capacity,
        shared_tenancy=machine.shared_tenancy,
        licence_verified=tuple(
            Attestation(solver, a.at, a.by, a.how) for solver, a in machine.licence_verified.items()
        ),
        dispatch_path=tuple(machine.dispatch_path.items()),
        concurrency=tuple(machine.concurrency.items()),
    )


def unavailable_of(name: str, machine: Machine, source: str) -> Unavailable | None:
    """The roster entry's ``available: false`` as a source holding its host; None if available."""
    if machine.available:
        return None
    return Unavailable(
        source,
        UNAVAILABLE,
        entry=f"machines.{name}",
        reason=" ".join(machine.blocked_on.split()) if machine.blocked_on else None,
        since=when(machine.unavailable_since),
    )


def hosts_of(rules: RoutingRules, registry: Registry, path: str) -> dict[str, str]:
    """host -> the roster machine that is it. A machine whose names are two hosts, or two
    machines that are one host, is an error naming the rules file, the line and the machine."""
    found: dict[str, str] = {}
    for name in rules.machines:
        hosts = hosts_named(rules.names_of(name), registry)
        if len(hosts) > 1:
            named = ", ".join(f"{alias!r} is host {host!r}" for alias, host in hosts)
            raise InputError(
                f"machine {name!r} is more than one inventory host ({registry.source}): {named}",
                path=path,
                field=f"machines.{name}",
                line=_line(path, name),
            )
        if not hosts:
            continue
        host = hosts[0][1]
        other = found.setdefault(host, name)
        if other != name:
            raise InputError(
                f"machines {other!r} and {name!r} are both inventory host {host!r} "
                f"({registry.source}): one machine, one roster entry",
                path=path,
                field=f"machines.{name}",
                line=_line(path, name),
            )
    return found


def lay_over(registry: Registry, rules: RoutingRules, path: str) -> Registry:
    """``registry`` with the roster's facts and holds on the hosts its machines resolve to
    (``path``: the rules file, as configured)."""
    hosts = hosts_of(rules, registry, path)
    if not hosts:
        return registry
    source = shown(path)
    workstations = []
    for ws in registry.workstations:
        name = hosts.get(ws.name)
        if name is None:
            workstations.append(ws)
            continue
        machine = rules.machines[name]
        held = unavailable_of(name, machine, source)
        workstations.append(
            replace(
                ws,
                roster=facts_of(name, machine, source),
                unavailable_per=(*ws.unavailable_per, *([held] if held else [])),
            )
        )
    return replace(registry, workstations=tuple(workstations))
