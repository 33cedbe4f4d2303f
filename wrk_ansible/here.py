"""Which inventory host ``wrk`` is running on (``--here``), and how it names itself as a writer.

One rule for every command that writes evidence (``gate``, ``handoff``, ``readiness``, ``quota
record|import``, ``review record``): ``--here`` when given, else the inventory host whose name
or alias matches this machine's hostname, else a usage error (exit 64) saying so.
"""

from __future__ import annotations

import contextlib
import re
import socket
from typing import Final, Protocol

from wrk_ansible.errors import UsageError
from wrk_ansible.registry.workstation import Workstation


class _Finder(Protocol):
    def find(self, name: str) -> Workstation | None: ...

    def suggest(self, name: str) -> str | None: ...


def machine_names() -> list[str]:
    """This machine's hostname, short and fully qualified."""
    names = [socket.gethostname()]
    with contextlib.suppress(OSError):
        names.append(socket.getfqdn())
    names += [n.split(".")[0] for n in names]
    return list(dict.fromkeys(n for n in names if n))


def identify_here(hosts: _Finder, given: str | None) -> Workstation:
    """``--here HOST`` if given, else the host whose name or alias matches this machine."""
    if given:
        found = hosts.find(given)
        if found is None:
            hint = hosts.suggest(given)
            extra = f"; did you mean {hint!r}?" if hint else ""
            raise UsageError(f"--here {given!r} is not a host or alias in the inventory{extra}")
        return found
    for name in machine_names():
        found = hosts.find(name)
        if found is not None:
            return found
    raise UsageError(
        f"this machine ({', '.join(machine_names())}) matches no inventory host or alias; "
        "say which host this is with --here HOST"
    )


#: What ``--here`` may be without an inventory to check it against: a host-like name.
_WRITER: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Why there is no writer, when there is neither an inventory nor ``--here``.
NO_WRITER: Final = (
    "no inventory here, so this machine's inventory host is not known and the evidence has no "
    "writer: give --here HOST, or an inventory that lists this machine (--inventory DIR, "
    "$WRK_INVENTORY, or ./inventory)"
)


def writer_name(hosts: _Finder | None, given: str | None) -> str:
    """The host evidence is written under, by one rule for every writer: ``--here`` when given
    (a host or alias of the inventory when there is one), else the inventory host this machine
    matches; else a :class:`UsageError` (exit 64) saying how to name it. Never the OS hostname
    unasked: a chain under a name no inventory knows is evidence nobody can attribute."""
    if hosts is not None:
        return identify_here(hosts, given).name
    if not given:
        raise UsageError(NO_WRITER)
    if not _WRITER.match(given):
        raise UsageError(f"--here {given!r} is not a host name (letters, digits, . _ -)")
    return given
