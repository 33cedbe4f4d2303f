"""The effective settings and where each came from.

Precedence, for every setting: the command-line option, then the environment variable, then
``wrk.yml``, then the built-in default. :meth:`Settings.table` lists them all
(``wrk config show``) with their origins; commands ask for one value at a time.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from wrk_ansible.agents.catalog import (
    CATALOG_VAR,
    DEFAULT_QUOTA_FRESH_HOURS,
    FRESH_VAR,
    PACING_VAR,
    AgentCatalog,
    AgentPolicy,
    fresh_hours_of,
    parse_catalog,
    parse_pacing,
)
from wrk_ansible.agents.pacing import Pacing
from wrk_ansible.capacity.model import Capacity
from wrk_ansible.config.load import LoadedConfig
from wrk_ansible.contract.template import Matrix, merged
from wrk_ansible.decision.readiness import DEFAULT_FRESH_HOURS
from wrk_ansible.errors import InputError
from wrk_ansible.outcome.validators import ValidatorSpec

T = TypeVar("T")
DEFAULT: Final = "default"
DEFAULT_INVENTORY: Final = "inventory"
DEFAULT_EVIDENCE_DIR: Final = os.path.join(".wrk", "evidence")

#: setting -> its environment variable.
ENV: Final[Mapping[str, str]] = {
    "inventory": "WRK_INVENTORY",
    "evidence_dir": "WRK_EVIDENCE_DIR",
    "orchestrator_host": "WRK_ORCHESTRATOR_HOST",
    "readiness.fresh_hours": "WRK_FRESH_HOURS",
    "quota.fresh_hours": "WRK_QUOTA_FRESH_HOURS",
    "routing_policy": "WRK_ROUTING_POLICY",
    "routing_rules": "WRK_ROUTING_RULES",
    "issues": "WRK_ISSUES",
}


@dataclass(frozen=True)
class Value(Generic[T]):
    """A setting's value and where it came from (``--inventory``, ``$WRK_INVENTORY``,
    ``/repo/wrk.yml:3``, ``default``)."""

    value: T
    origin: str

    @property
    def from_file(self) -> bool:
        return self.origin != DEFAULT and not self.origin.startswith(("-", "$"))


Note = Callable[[str], None]


class Settings:
    """The configuration in effect: one loaded ``wrk.yml`` (or none) and the environment."""

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        environ: Mapping[str, str] | None = None,
        note: Note | None = None,
    ) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.environ = os.environ if environ is None else environ
        self._note = note
        self._noted: set[str] = set()

    # -- one value -----------------------------------------------------------------------
    def _pick(self, key: str, cli: T | None, flag: str | None, default: T) -> Value[Any]:
        if cli is not None:
            return Value(cli, flag or key)
        env = ENV.get(key)
        if env and self.environ.get(env):
            return Value(self.environ[env], f"${env}")
        keys = tuple(key.split("."))
        node: Any = self.model
        for part in keys:
            node = getattr(node, part)
        if node is not None:
            return Value(node, self.loaded.where(*keys))
        return Value(default, DEFAULT)

    def _path(self, key: str, cli: T | None, flag: str | None, default: T) -> Value[Any]:
        """A path setting: one the file states is relative to the file's folder."""
        picked = self._pick(key, cli, flag, default)
        if picked.from_file:
            return Value(self.loaded.path_of(picked.value), picked.origin)
        return picked

    def inventory(self, cli: str | None = None) -> Value[str]:
        """The inventory: ``--inventory``, ``$WRK_INVENTORY``, ``inventory:``, ./inventory."""
        return self._path("inventory", cli, "--inventory", DEFAULT_INVENTORY)

    def evidence_dir(self, cli: str | None = None) -> Value[str]:
        """The evidence store: ``--evidence-dir``, ``$WRK_EVIDENCE_DIR``, ``evidence_dir:``,
        ./.wrk/evidence."""
        return self._path("evidence_dir", cli, "--evidence-dir", DEFAULT_EVIDENCE_DIR)

    def orchestrator_host(self) -> Value[str | None]:
        return self._pick("orchestrator_host", None, None, None)

    def readiness_fresh_hours(self, cli: float | None = None) -> Value[float]:
        picked = self._pick("readiness.fresh_hours", cli, "--fresh-hours", DEFAULT_FRESH_HOURS)
        return Value(self._hours(picked), picked.origin)

    def routing_policy(self) -> Value[str | None]:
        """The routing policy file; None: the neutral one wrk ships."""
        return self._path("routing_policy", None, None, None)

    def routing_rules(self) -> Value[str | None]:
        """The label routing rules file; None: none."""
        return self._path("routing_rules", None, None, None)

    def issue_exports(self, cli: list[str] | None = None) -> Value[tuple[str, ...]]:
        """Issue export files: ``--issues`` (repeatable), ``$WRK_ISSUES`` (separated by
        ``os.pathsep``), ``issues:`` (relative to wrk.yml), none."""
        if cli:
            return Value(tuple(cli), "--issues")
        env = ENV["issues"]
        if self.environ.get(env):
            return Value(tuple(p for p in self.environ[env].split(os.pathsep) if p), f"${env}")
        if self.model.issues:
            found = tuple(self.loaded.path_of(p) for p in self.model.issues)
            return Value(found, self.loaded.where("issues"))
        return Value((), DEFAULT)

    def capacity(self, from_rules: Callable[[], Capacity] | None = None) -> Value[Capacity]:
        """The caps in effect: ``capacity:`` in wrk.yml, else the routing rules file's
        (``from_rules`` reads it, when one is configured), else nothing capped."""
        if self.model.capacity is not None:
            return Value(self.model.capacity, self.loaded.where("capacity"))
        rules = self.routing_rules()
        if from_rules is not None and rules.value is not None:
            return Value(from_rules(), f"{rules.value} (routing_rules, from {rules.origin})")
        return Value(Capacity(), DEFAULT)

    def fleet(self) -> Any:
        """``fleet:`` (:class:`~wrk_ansible.config.model.FleetSettings`), its harness config
        path made relative to wrk.yml's folder."""
        chosen = self.model.fleet
        if chosen.harness_config is not None:
            path = str(self.loaded.path_of(chosen.harness_config))
            chosen = chosen.model_copy(update={"harness_config": path})
        return chosen

    def attestation_ttl_days(self) -> Value[float]:
        """``readiness: attestation_ttl_days``: how long a licence attestation counts (14)."""
        from wrk_ansible.decision.licence import DEFAULT_TTL_DAYS

        days = self.model.readiness.attestation_ttl_days
        if days is not None:
            return Value(days, self.loaded.where("readiness", "attestation_ttl_days"))
        return Value(DEFAULT_TTL_DAYS, DEFAULT)

    def lease_ttl_minutes(self) -> Value[float]:
        """``leases: ttl_minutes``: how long a lease lasts without a heartbeat (default 90)."""
        from wrk_ansible.evidence.leases import DEFAULT_TTL_MINUTES

        if self.model.leases.ttl_minutes is not None:
            return Value(self.model.leases.ttl_minutes, self.loaded.where("leases", "ttl_minutes"))
        return Value(DEFAULT_TTL_MINUTES, DEFAULT)

    def validators(self) -> Value[Mapping[str, ValidatorSpec]]:
        """The validators ``wrk.yml`` defines (name -> command and timeout); none by default."""
        if self.model.validators:
            return Value(self.model.validators, self.loaded.where("validators"))
        return Value({}, DEFAULT)

    @property
    def omit_titles(self) -> Value[bool]:
        """``privacy: omit_titles``: no work item title in records or on the review page."""
        if "omit_titles" in self.model.privacy:
            return Value(True, self.loaded.where("privacy"))
        return Value(False, DEFAULT)

    @functools.cached_property
    def matrix(self) -> Matrix:
        """The stage matrix: the built-in rows with ``stages:`` laid over them (once)."""
        return merged(self.model.stage_overrides())

    def matrix_origin(self, stage: str) -> str:
        return self.loaded.where("stages", stage) if stage in self.model.stages else DEFAULT

    def _hours(self, picked: Value[Any]) -> float:
        if isinstance(picked.value, str):
            try:
                value = float(picked.value)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or value <= 0:
                raise InputError(
                    f"{picked.value!r} is not a positive number of hours", field=picked.origin
                )
            return value
        return float(picked.value)

    # -- agents: wrk.yml, else the inventory's group vars (deprecated there) -----------------
    def _deprecated(self, var: str, key: str, registry: Any) -> None:
        if self._note is None or var in self._noted:
            return
        self._noted.add(var)
        self._note(
            f"wrk: note: {var} is read from the inventory ({registry.source}/group_vars/all); "
            f"that place is deprecated: move it to {key}: in wrk.yml"
        )

    def agent_policy(self, registry: Any, quota_fresh_cli: float | None = None) -> AgentPolicy:
        """The agent catalog, quota pacing and quota freshness window in effect."""
        fleet: Mapping[str, Any] = getattr(registry, "fleet_vars", {}) or {}
        source = f"{getattr(registry, 'source', 'inventory')}/group_vars/all"
        if self.model.agents is not None:
            catalog = AgentCatalog(agents=self.model.agents)
        elif fleet.get(CATALOG_VAR) is not None:
            self._deprecated(CATALOG_VAR, "agents", registry)
            catalog = parse_catalog(fleet[CATALOG_VAR], source=source)
        else:
            catalog = AgentCatalog()
        if self.model.quota.pacing is not None:
            pacing = parse_pacing(
                {k: list(v) for k, v in self.model.quota.pacing.items()},
                source=str(self.loaded.path),
                field="quota.pacing",
            )
        elif fleet.get(PACING_VAR) is not None:
            self._deprecated(PACING_VAR, "quota.pacing", registry)
            pacing = parse_pacing(fleet[PACING_VAR], source=source, field=PACING_VAR)
        else:
            pacing = Pacing()
        hours = self.quota_fresh_hours(registry, quota_fresh_cli).value
        return AgentPolicy(catalog, pacing, hours)

    def quota_fresh_hours(self, registry: Any = None, cli: float | None = None) -> Value[float]:
        picked = self._pick("quota.fresh_hours", cli, "--fresh-hours", None)
        if picked.value is None:
            fleet: Mapping[str, Any] = getattr(registry, "fleet_vars", {}) or {}
            if fleet.get(FRESH_VAR) is not None:
                self._deprecated(FRESH_VAR, "quota.fresh_hours", registry)
                return Value(fresh_hours_of(registry), f"{registry.source}/group_vars/all")
            return Value(DEFAULT_QUOTA_FRESH_HOURS, DEFAULT)
        return Value(self._hours(picked), picked.origin)

    # -- everything, for ``wrk config show`` -------------------------------------------------
    def table(
        self,
        registry: Any = None,
        *,
        inventory: str | None = None,
        evidence_dir: str | None = None,
        capacity: Value[Capacity] | None = None,
    ) -> list[tuple[str, Any, str]]:
        """(setting, effective value, origin) for every setting (``inventory`` and
        ``evidence_dir``: the command-line options, when given; ``capacity``: the caps in
        effect, read by the caller, who can read the routing rules file)."""
        rows: list[tuple[str, Any, str]] = [
            ("config", str(self.loaded.path) if self.loaded.path else None, self.loaded.chosen_by)
        ]
        for key, value in (
            ("inventory", self.inventory(inventory)),
            ("evidence_dir", self.evidence_dir(evidence_dir)),
            ("orchestrator_host", self.orchestrator_host()),
            ("readiness.fresh_hours", self.readiness_fresh_hours()),
            ("quota.fresh_hours", self.quota_fresh_hours(registry)),
            ("routing_policy", self.routing_policy()),
            ("routing_rules", self.routing_rules()),
            ("issues", self.issue_exports()),
            ("privacy.omit_titles", self.omit_titles),
            ("capacity", capacity or self.capacity()),
            ("leases.ttl_minutes", self.lease_ttl_minutes()),
            ("readiness.attestation_ttl_days", self.attestation_ttl_days()),
        ):
            shown = value.value.summary() if isinstance(value.value, Capacity) else value.value
            rows.append((key, shown, value.origin))
        if self.model.agents is not None:
            rows.append(
                ("agents", [a.name for a in self.model.agents], self.loaded.where("agents"))
            )
        else:
            fleet = getattr(registry, "fleet_vars", {}) or {}
            declared = fleet.get(CATALOG_VAR)
            if declared is not None:
                names = [a.name for a in parse_catalog(declared, source="inventory").agents]
                rows.append(("agents", names, f"{registry.source} ({CATALOG_VAR}, deprecated)"))
            else:
                rows.append(("agents", [], DEFAULT))
        quota = self.model.quota.pacing
        rows.append(
            (
                "quota.pacing",
                dict(quota) if quota else "built-in",
                self.loaded.where("quota", "pacing") if quota else DEFAULT,
            )
        )
        matrix = self.matrix
        for stage, row in matrix.items():
            rows.append((f"stages.{stage}", dict(row), self.matrix_origin(stage)))
        return rows
