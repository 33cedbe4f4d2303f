"""``wrk.yml``: what is a team's choice, validated by one model and published as JSON Schema.

Every key is optional; a file that states nothing leaves the neutral built-in defaults. Unknown
keys are refused with the closest known one, so a typo never silently does nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from wrk_ansible.agents.catalog import AgentDecl
from wrk_ansible.capacity.model import Capacity
from wrk_ansible.contract.models import (
    MachineName,
    PathText,
    TemplateRow,
    ValidatorName,
    stage_keyed,
)
from wrk_ansible.contract.stages import STAGE_IDS
from wrk_ansible.contract.template import DEFAULT_MATRIX
from wrk_ansible.fleet.model import Baseline
from wrk_ansible.outcome.validators import ValidatorSpec

#: The file ``wrk`` looks for, walking up from the current folder.
CONFIG_NAME: Final = "wrk.yml"
SCHEMA_VERSION: Final = 1

Hours = Annotated[float, Field(gt=0, le=1_000_000)]
#: A pacing curve: (day of the window, max used %) points, joined by straight lines.
Curve = tuple[tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0, le=100)]], ...]


class _Shape(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


class QuotaSettings(_Shape):
    """How agents' usage quotas are read and paced."""

    #: How old a quota snapshot may be and still count for a claim (hours; default 24).
    fresh_hours: Hours | None = None
    #: Per window (weekly, daily): the most of its quota an agent may have used by each day.
    pacing: dict[Literal["weekly", "daily"], Curve] | None = None


class ReadinessSettings(_Shape):
    """How readiness evidence is used."""

    #: How old readiness evidence may be and still count (hours; default 25).
    fresh_hours: Hours | None = None
    #: How long a licence attestation says a feature is licensed (days; default 14).
    attestation_ttl_days: Annotated[float, Field(gt=0, le=3650)] | None = None


class LeaseSettings(_Shape):
    """How long the capacity a claim takes is held (docs/capacity.md#leases)."""

    #: Minutes a lease lasts without a heartbeat (default 90, as the team's dispatch records).
    ttl_minutes: Annotated[float, Field(gt=0, le=10_080)] | None = None


class FleetBaselines(_Shape):
    """Baselines by host and by group (a host's laid over its groups', in inventory order)."""

    hosts: dict[MachineName, Baseline] = Field(default_factory=dict)
    groups: dict[MachineName, Baseline] = Field(default_factory=dict)


class FleetSettings(_Shape):
    """Fleet health (docs/fleet.md): baselines, freshness, the drain and resume policy."""

    baselines: FleetBaselines = Field(default_factory=FleetBaselines)
    #: A team's harness config whose ``workstations:`` are baselines too (under these).
    harness_config: PathText | None = None
    #: How old the newest observation may be before a host grades stale (hours; default 36).
    fresh_hours: Hours | None = None
    #: Consecutive failing observations that drain a host (default 3).
    fail_after: Annotated[int, Field(ge=1, le=1000)] = 3
    #: Consecutive passing observations that resume a host health drained (default 2).
    pass_after: Annotated[int, Field(ge=1, le=1000)] = 2


#: Stage ids as a WRK's rows take them (``impl-review`` for ``impl_review``).
StageMatrix = Annotated[
    dict[str, TemplateRow],
    BeforeValidator(stage_keyed),
    Field(json_schema_extra={"propertyNames": {"enum": list(STAGE_IDS)}}),
]


Privacy = Literal["omit_titles"]


def _one_or_many(value: Any) -> Any:
    """``privacy: omit_titles`` or a list of such words."""
    return (value,) if isinstance(value, str) else value


class WrkConfig(_Shape):
    """The whole file. Relative paths are relative to the file's own folder."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"title": "wrk.yml", "$id": "https://wrk-ansible.invalid/wrk.yml"},
    )

    version: Literal[1] = SCHEMA_VERSION
    #: The workstation registry (an Ansible inventory folder, file or source).
    inventory: PathText | None = None
    #: The evidence store (committed and merged through git).
    evidence_dir: PathText | None = None
    #: The machine the orchestrator runs on: where the rows placed on ``$orchestrator_host``
    #: (resource_intelligence, plan_draft, claim, close by default) run.
    orchestrator_host: MachineName | None = None
    #: The stage matrix, row by row over the built-in one (keys given replace the default's).
    stages: StageMatrix = Field(default_factory=dict)
    #: The fleet's agents (today's ``wrk_agent_catalog`` in the inventory's group_vars).
    agents: tuple[AgentDecl, ...] | None = None
    quota: QuotaSettings = Field(default_factory=QuotaSettings)
    readiness: ReadinessSettings = Field(default_factory=ReadinessSettings)
    #: The routing policy file (Linux first, licensed work only on licensed machines).
    routing_policy: PathText | None = None
    #: The label routing rules file (which issue labels route to which machines).
    routing_rules: PathText | None = None
    #: Issue export files (``gh issue list --json ...``) the commands read issues from when
    #: no ``--issues`` is given (docs/issues.md).
    issues: tuple[PathText, ...] | None = None
    #: Seat pools, budget pools, WIP caps and per-host concurrency (docs/capacity.md), in the
    #: shapes of a routing rules file; without it, the routing rules file's, else none.
    capacity: Capacity | None = None
    leases: LeaseSettings = Field(default_factory=LeaseSettings)
    fleet: FleetSettings = Field(default_factory=FleetSettings)
    #: Post-check commands by name (docs/config.md#validators): a contract row names them,
    #: only this file says what they run.
    validators: dict[ValidatorName, ValidatorSpec] = Field(default_factory=dict)
    #: ``omit_titles``: evidence records and the review page leave work item titles out.
    privacy: Annotated[tuple[Privacy, ...], BeforeValidator(_one_or_many)] = ()

    def stage_overrides(self) -> dict[str, dict[str, Any]]:
        """stage -> the keys this file states for it (as plain data, for merging)."""
        out: dict[str, dict[str, Any]] = {}
        for stage, row in self.stages.items():
            full = row.model_dump(mode="json")  # nested shapes whole: {group, count}
            out[stage] = {key: full[key] for key in row.model_fields_set}
        return out


def schema() -> dict[str, Any]:
    """The JSON Schema of ``wrk.yml`` (``wrk config schema``)."""
    out = WrkConfig.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return out


__all__ = ["CONFIG_NAME", "DEFAULT_MATRIX", "WrkConfig", "schema"]
