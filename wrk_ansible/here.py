"""Which inventory host ``wrk`` is running on (``--here``), and how it names itself as a writer."""

from __future__ import annotations

import contextlib
import re
import socket
from typing import Protocol

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


def writer_name(hosts: _Finder | None, given: str | None) -> str:
    """The name evidence is written under: the inventory host when known, else the hostname."""
    if hosts is not None:
        try:
            return identify_here(hosts, given).name
        except UsageError:
            if given:
                raise
    raw = given or socket.gethostname() or "unknown-host"
    return re.sub(r"[^A-Za-z0-9._-]", "-", raw)[:64] or "unknown-host"
