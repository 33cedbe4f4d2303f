"""Where the matrix's places by role are in one inventory: the orchestrator's machine and the
hosts that run agents. Every command builds its :class:`~wrk_ansible.names.Placed` here, so
the gate, validation, the report and the what-if cannot disagree about them.
"""

from __future__ import annotations

from dataclasses import dataclass

from wrk_ansible.errors import UsageError
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
) -> tuple[str | None, str | None]:
    """(host, why not): ``orchestrator_host`` when configured, else the host ``--here``
    names, else the inventory host this machine is; (None, why) when none is known.

    A configured name the inventory does not hold is said, with where it was set
    (``origin``: ``/repo/wrk.yml:4`` or ``$WRK_ORCHESTRATOR_HOST``), only for a row that is
    placed there; a ``--here`` that names no host is an error, as everywhere else."""
    if configured:
        found = registry.find(configured)
        if found is None:
            hint = registry.suggest(configured)
            extra = f"; did you mean {hint!r}?" if hint else ""
            return None, (
                f"the orchestrator's machine ($orchestrator_host): orchestrator_host "
                f"{configured!r} (set at {origin}) is not a host or alias in the inventory "
                f"({registry.source}){extra}"
            )
        return str(found.name), None
    try:
        return str(identify_here(registry, here).name), None
    except UsageError:
        if here:
            raise
        return None, None


def agent_hosts(registry: Registry) -> tuple[str, ...]:
    """Every host that declares an agent CLI (``wrk_agents``), in inventory order."""
    return tuple(ws.name for ws in registry.workstations if ws.agents)


def placed(
    registry: Registry, configured: str | None, here: str | None, origin: str = "wrk.yml"
) -> PlacedRegistry:
    """The registry as a directory that also resolves ``$orchestrator_host`` and
    ``$agent_hosts``."""
    orchestrator, why = orchestrator_machine(registry, configured, here, origin)
    return PlacedRegistry(registry, orchestrator, agent_hosts(registry), why)
