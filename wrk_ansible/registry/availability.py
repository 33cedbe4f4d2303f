"""Whether a host may be given work, who says it may not, and what the roster says of it.

A host may be held unavailable by several sources at once: the inventory's own state
(``wrk_state: drained`` or ``retired``), the team's rules file (a roster machine with
``available: false``), and later others (health drains). **Any source that says unavailable
wins**: a host is available only when none does. Each source is cleared only where it is
written, so ``wrk inventory resume`` clears the inventory's state and leaves the others, and
whatever still holds the host says so by name.

Pure data. :class:`Unavailable` is one source's word; :class:`RosterFacts` is what the rules
file's roster says of a host (kept for capacity: licence attestations, dispatch paths).
:mod:`wrk_ansible.registry.roster` lays a rules file over a registry; the decision reads the
host's :attr:`~wrk_ansible.registry.workstation.Workstation.unavailability`, never a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

#: The source of a host's own ``wrk_state``.
INVENTORY: Final = "inventory"


def when(value: datetime | date | str | None) -> str | None:
    """A moment as people read it: ISO 8601, to the minute, UTC as ``Z``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.utcoffset() == timedelta(0):
            return value.replace(tzinfo=None).isoformat(timespec="minutes") + "Z"
        return value.isoformat(timespec="minutes")
    return value.isoformat()


@dataclass(frozen=True)
class Unavailable:
    """One source saying a host may not be given work."""

    #: ``inventory`` (the host's ``wrk_state``), or the file that says so.
    source: str
    #: ``drained``, ``retired`` (the inventory's states) or ``unavailable``.
    state: str
    #: The entry of the source that says it (``machines.NAME``); None: the host's own.
    entry: str | None = None
    #: Why (a drain reason, a rules file's ``blocked_on``).
    reason: str | None = None
    #: Since when, as written or as :func:`when` shows it.
    since: str | None = None

    @property
    def found(self) -> str:
        """Short: what a screening check found (``drained``, ``unavailable per FILE``)."""
        return self.state if self.source == INVENTORY else f"{self.state} per {self.source}"

    def text(self, host: str) -> str:
        """The sentence a gap shows: ``HOST is drained: REASON``, ``HOST is unavailable per
        FILE (ENTRY): blocked on REASON, since WHEN``."""
        if self.source == INVENTORY:  # as wrk has always said it
            return f"{host} is {self.state}" + (f": {self.reason}" if self.reason else "")
        entry = f" ({self.entry})" if self.entry else ""
        details = [f"blocked on {self.reason.rstrip('. ')}"] if self.reason else []
        details += [f"since {self.since}"] if self.since else []
        return f"{host} is {self.found}{entry}" + (": " + ", ".join(details) if details else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "state": self.state,
            "entry": self.entry,
            "reason": self.reason,
            "since": self.since,
        }


def own_state(
    state: str, reason: str | None, since: datetime | date | str | None
) -> Unavailable | None:
    """The inventory's word on a host: None when its ``wrk_state`` is active."""
    if state == "active":
        return None
    return Unavailable(INVENTORY, state, reason=reason, since=when(since))


@dataclass(frozen=True)
class Attestation:
    """A dated licence attestation (``licence_verified``): someone saw the solver work."""

    solver: str
    at: date
    by: str
    how: str

    def as_dict(self) -> dict[str, Any]:
        return {"solver": self.solver, "at": self.at.isoformat(), "by": self.by, "how": self.how}


@dataclass(frozen=True)
class RosterFacts:
    """What the rules file's roster says of the host one of its machines resolves to."""

    #: The roster machine (its name in ``machines``) and the file.
    machine: str
    source: str
    capabilities: tuple[str, ...] = ()
    #: Hardware class (``heavy``, ``workstation``).
    capacity: str | None = None
    #: Other people's sessions share the host.
    shared_tenancy: bool = False
    #: Per solver, read and kept for capacity (not yet used by a decision).
    licence_verified: tuple[Attestation, ...] = ()
    #: solver -> how work must reach it (``scheduled-task``, ``any``); kept for capacity.
    dispatch_path: tuple[tuple[str, str], ...] = ()
    #: solver -> concurrent runs; kept for capacity.
    concurrency: tuple[tuple[str, int], ...] = ()

    @property
    def entry(self) -> str:
        return f"machines.{self.machine}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "source": self.source,
            "capabilities": list(self.capabilities),
            "capacity": self.capacity,
            "shared_tenancy": self.shared_tenancy,
            "licence_verified": [a.as_dict() for a in self.licence_verified],
            "dispatch_path": dict(self.dispatch_path),
            "concurrency": dict(self.concurrency),
        }
