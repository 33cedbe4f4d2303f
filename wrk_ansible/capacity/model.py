"""What capacity a team declares, in the shapes of its routing rules file.

One model for both places it is written: ``capacity:`` in ``wrk.yml``, and the ``solver_pools``,
``budget_pools``, ``wip_caps`` sections and per-machine ``concurrency`` of a routing rules file
(:meth:`wrk_ansible.issues.rules.RoutingRules.capacity`). Pure data, no I/O:

- a **solver pool** is a fleet-wide count of seats shared by license features
  (``flex: {members: [solver-a, solver-b], max_concurrent: 1}``: one run of either, on any
  host, at a time);
- a **budget pool** is providers sharing one quota (``pool: {members: [agent-a, agent-b],
  max_concurrent: 3}``: three runs of the two combined);
- **WIP caps** bound the items in flight per machine and per provider; with a ``per_machine``
  section, a machine it does not list gets its ``default`` (fail-closed when the team sets 1);
- **concurrency** bounds one license feature's runs on one host (``solver-a: 2``).

Without any of these nothing is capped. Machine names are as written (an inventory host, an
alias, or a rules-file roster name); they resolve to inventory hosts where caps are applied.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Count = Annotated[int, Field(ge=0, le=10_000)]
Seats = Annotated[int, Field(ge=1, le=10_000)]
Text = Annotated[str, StringConstraints(max_length=4096)]
#: The key of ``wip_caps.per_machine`` that caps every machine it does not list.
DEFAULT: Final = "default"


class _Shape(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


class SolverPool(_Shape):
    """Fleet-wide seats shared by license features."""

    members: tuple[Name, ...] = Field(min_length=1)
    max_concurrent: Seats
    #: When the licences behind the pool expire (kept, shown).
    expiry: datetime.date | None = None
    note: Text | None = None


class BudgetPool(_Shape):
    """Providers sharing one quota: at most ``max_concurrent`` runs of them combined."""

    members: tuple[Name, ...] = Field(min_length=1)
    max_concurrent: Seats


class WipCaps(_Shape):
    """Items in flight per machine (``default``: every machine not listed) and per provider."""

    per_machine: dict[Name, Count] = Field(default_factory=dict)
    per_provider: dict[Name, Count] = Field(default_factory=dict)
    #: What exceeding a cap does: ``queue`` (the item waits; the only behaviour wrk has).
    overflow: Literal["queue"] | None = None

    def machine_cap(self, names: tuple[str, ...]) -> tuple[str, int] | None:
        """(the key that caps it, the cap) for the machine known by ``names`` (its inventory
        name first, then aliases and roster names), else the ``default``; None: uncapped."""
        folded = {key.casefold(): (key, cap) for key, cap in self.per_machine.items()}
        for name in names:
            found = folded.get(name.casefold())
            if found is not None and name.casefold() != DEFAULT:
                return found
        return folded.get(DEFAULT)

    def provider_cap(self, provider: str) -> int | None:
        wanted = provider.casefold()
        return next((c for p, c in self.per_provider.items() if p.casefold() == wanted), None)


class Capacity(_Shape):
    """Every cap a team declares (``capacity:`` in ``wrk.yml``, or its rules file's)."""

    solver_pools: dict[Name, SolverPool] = Field(default_factory=dict)
    budget_pools: dict[Name, BudgetPool] = Field(default_factory=dict)
    wip_caps: WipCaps | None = None
    #: Machine -> license feature -> concurrent runs on that machine.
    concurrency: dict[Name, dict[Name, Seats]] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.solver_pools or self.budget_pools or self.wip_caps or self.concurrency)

    def pools_of_feature(self, feature: str) -> list[tuple[str, SolverPool]]:
        wanted = feature.casefold()
        return [
            (name, pool)
            for name, pool in self.solver_pools.items()
            if any(m.casefold() == wanted for m in pool.members)
        ]

    def pools_of_provider(self, provider: str) -> list[tuple[str, BudgetPool]]:
        wanted = provider.casefold()
        return [
            (name, pool)
            for name, pool in self.budget_pools.items()
            if any(m.casefold() == wanted for m in pool.members)
        ]

    def host_concurrency(self, names: tuple[str, ...]) -> Mapping[str, int]:
        """Feature -> runs for the machine known by ``names`` (first listed spelling wins)."""
        folded = {key.casefold(): value for key, value in self.concurrency.items()}
        for name in names:
            if name.casefold() in folded:
                return folded[name.casefold()]
        return {}

    def summary(self) -> str:
        """One line for ``wrk config show``."""
        if self.empty:
            return "nothing capped"
        parts = []
        if self.solver_pools:
            parts.append(f"{len(self.solver_pools)} solver pool(s)")
        if self.budget_pools:
            parts.append(f"{len(self.budget_pools)} budget pool(s)")
        if self.wip_caps is not None:
            caps = self.wip_caps
            default = caps.per_machine.get(DEFAULT)
            parts.append(
                f"WIP caps for {len(caps.per_machine) - (default is not None)} machine(s)"
                + (f" (default {default})" if default is not None else "")
                + f" and {len(caps.per_provider)} provider(s)"
            )
        if self.concurrency:
            parts.append(f"concurrency on {len(self.concurrency)} machine(s)")
        return ", ".join(parts)
