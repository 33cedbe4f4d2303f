"""Where the matrix's places by role are in one inventory: the orchestrator's machine and the
hosts that run agents. Every command builds its :class:`~wrk_ansible.names.Placed` here, so
the gate, validation, the report and the what-if cannot disagree about them.
"""

from __future__ import annotations

from dataclasses import dataclass

from wrk_ansible.errors import InputError, UsageError
from wrk_ansible.here import identify_here
from wrk_ansible.names import Placed
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation


@dataclass(frozen=True)
class PlacedRegistry(Placed):
    """A registry whose rows resolve their places by role (the report's and what-if's view:
    it finds workstations too)."""

    directory: Registry

    def find(self, name: str) -> Workstation | None:
        return self.directory.find(name)


def orchestrator_machine(
    registry: Registry, configured: str | None, here: str | None, origin: str = "wrk.yml"
) -> str | None:
    """``orchestrator_host`` when configured, else the host ``--here`` names, else the
    inventory host this machine is; None when none of them is known.

    A configured name the inventory does not hold is an error naming where it was set
    (``origin``: ``/repo/wrk.yml:4`` or ``$WRK_ORCHESTRATOR_HOST``); so is a ``--here`` that
    names no host (as everywhere else ``--here`` is read)."""
    if configured:
        found = registry.find(configured)
        if found is None:
            hint = registry.suggest(configured)
            extra = f"; did you mean {hint!r}?" if hint else ""
            path, _, line = origin.rpartition(":")
            raise InputError(
                f"{configured!r} is not a host or alias in the inventory ({registry.source})"
                f"{extra}",
                path=path if line.isdigit() else origin,
                line=int(line) if line.isdigit() else None,
                field="orchestrator_host",
            )
        return found.name
    try:
        return identify_here(registry, here).name
    except UsageError:
        if here:
            raise
        return None


def agent_hosts(registry: Registry) -> tuple[str, ...]:
    """Every host that declares an agent CLI (``wrk_agents``), in inventory order."""
    return tuple(ws.name for ws in registry.workstations if ws.agents)


def placed(
    registry: Registry, configured: str | None, here: str | None, origin: str = "wrk.yml"
) -> PlacedRegistry:
    """The registry as a directory that also resolves ``$orchestrator_host`` and
    ``$agent_hosts``."""
    orchestrator = orchestrator_machine(registry, configured, here, origin)
    return PlacedRegistry(registry, orchestrator, agent_hosts(registry))
