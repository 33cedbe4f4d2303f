"""The fleet's agent catalog (``wrk_agent_catalog`` in ``group_vars/all/agents.yml``).

Agents are declared once: name, the CLI that marks one present on a host (hosts list theirs in
``wrk_agents``), the kinds of work it fits and its quota window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from wrk_ansible.agents.pacing import Pacing, curve_from_days
from wrk_ansible.contract.models import AgentName, ToolName
from wrk_ansible.contract.stages import PHASES, STAGE_IDS
from wrk_ansible.errors import InputError

CATALOG_VAR: Final = "wrk_agent_catalog"
Window = Literal["weekly", "daily"]


class AgentDecl(BaseModel):
    """One agent of the fleet."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    name: AgentName
    cli: ToolName
    #: Phases or stage ids it fits; empty means any kind of work.
    kinds: tuple[str, ...] = ()
    quota_window: Window = "weekly"

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        known = (*PHASES, *STAGE_IDS)
        for kind in kinds:
            if kind not in known:
                raise ValueError(f"unknown kind {kind!r}; kinds: {', '.join(known)}")
        return kinds

    def fits(self, stage: str, phase: str) -> bool:
        """True when the agent fits work of this stage (or its phase)."""
        return not self.kinds or stage in self.kinds or phase in self.kinds


class AgentCatalog(BaseModel):
    """Every agent of the fleet, in declared order."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    agents: tuple[AgentDecl, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> AgentCatalog:
        seen: set[str] = set()
        for agent in self.agents:
            if agent.name in seen:
                raise ValueError(f"agent {agent.name!r} is declared twice")
            seen.add(agent.name)
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(agent.name for agent in self.agents)

    def get(self, name: str) -> AgentDecl | None:
        return next((agent for agent in self.agents if agent.name == name), None)

    def window(self, name: str) -> Window:
        """The agent's quota window; weekly for an agent the catalog does not declare."""
        agent = self.get(name)
        return agent.quota_window if agent else "weekly"


def parse_catalog(value: Any, *, source: str) -> AgentCatalog:
    """``wrk_agent_catalog``'s value as a catalog; InputError naming the file and field."""
    if value is None:
        return AgentCatalog()
    try:
        return AgentCatalog.model_validate({"agents": value})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = [str(part) for part in first["loc"][1:]]
        where = CATALOG_VAR + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc)
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InputError(message, path=source, field=where) from None


def catalog_of(registry: Any) -> AgentCatalog:
    """The catalog a registry declares (empty when it declares none)."""
    fleet: Mapping[str, Any] = getattr(registry, "fleet_vars", {}) or {}
    return parse_catalog(fleet.get(CATALOG_VAR), source=f"{registry.source}/group_vars/all")


PACING_VAR: Final = "wrk_quota_pacing"
FRESH_VAR: Final = "wrk_quota_fresh_hours"
DEFAULT_QUOTA_FRESH_HOURS: Final = 24.0
_WINDOW_DAYS: Final = {"weekly": 7.0, "daily": 1.0}


def parse_pacing(given: Any, *, source: str, field: str = PACING_VAR) -> Pacing:
    """Pacing curves (window -> [[day, max used %], ...]) over the defaults; InputError naming
    ``source`` and the field when a curve is malformed."""
    if not isinstance(given, Mapping):
        raise InputError("expected a mapping of window -> points", path=source, field=field)
    curves = dict(Pacing().curves)
    for window, points in given.items():
        where = f"{field}.{window}"
        if window not in _WINDOW_DAYS:
            raise InputError(
                f"unknown window; windows: {', '.join(_WINDOW_DAYS)}", path=source, field=where
            )
        try:
            pairs = tuple((float(day), float(pct)) for day, pct in points)
        except (TypeError, ValueError):
            raise InputError(
                "expected a list of [day, max used %] pairs", path=source, field=where
            ) from None
        try:
            curves[window] = curve_from_days(pairs, _WINDOW_DAYS[window])
        except ValueError as exc:
            raise InputError(str(exc), path=source, field=where) from None
    return Pacing(curves)


def pacing_of(registry: Any) -> Pacing:
    """The pacing curves an inventory declares (``wrk_quota_pacing``), over the defaults."""
    fleet: Mapping[str, Any] = getattr(registry, "fleet_vars", {}) or {}
    given = fleet.get(PACING_VAR)
    if given is None:
        return Pacing()
    return parse_pacing(given, source=f"{registry.source}/group_vars/all")


def fresh_hours_of(registry: Any) -> float:
    """How old a quota snapshot may be and still count (``wrk_quota_fresh_hours``, 24)."""
    fleet: Mapping[str, Any] = getattr(registry, "fleet_vars", {}) or {}
    value = fleet.get(FRESH_VAR, DEFAULT_QUOTA_FRESH_HOURS)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InputError(
            "expected a positive number of hours",
            path=f"{registry.source}/group_vars/all",
            field=FRESH_VAR,
        )
    return float(value)


@dataclass(frozen=True)
class AgentPolicy:
    """What claims route by: the agents, their quota pacing, how fresh a snapshot must be.
    Built from ``wrk.yml`` (:meth:`wrk_ansible.config.settings.Settings.agent_policy`), else
    from the inventory's group vars (:func:`policy_of`)."""

    catalog: AgentCatalog = field(default_factory=AgentCatalog)
    pacing: Pacing = field(default_factory=Pacing)
    quota_fresh_hours: float = DEFAULT_QUOTA_FRESH_HOURS


def policy_of(registry: Any) -> AgentPolicy:
    """The agent policy an inventory's group vars declare (the place before ``wrk.yml``)."""
    return AgentPolicy(catalog_of(registry), pacing_of(registry), fresh_hours_of(registry))
