"""Pydantic models of the execution contract: what a WRK's frontmatter and an assignment file
may say. Shapes we own forbid unknown keys; the frontmatter as a whole is the team's and keeps
every key it has (only the fields read here are validated).

Input shapes are generous (a name or a list, ``"claude,gemini"``); validated values are always
normalised (tuples, explicit objects), so the rest of the code sees one shape.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import WithJsonSchema

from wrk_ansible.contract.stages import STAGE_IDS, closest, normalise_stage_key
from wrk_ansible.contract.template import AGENT_REFS, PLACE_NAMES
from wrk_ansible.versions import (
    MAX_VERSION_LENGTH,
    VERSION_TEXT_PATTERN,
    is_version,
    not_a_version,
)

SCHEMA_VERSION: Final = 1
#: Requirement entries per kind and stage.
MAX_REQUIREMENTS: Final = 64
#: What makes text a Jinja template (work item data is never templated).
TEMPLATE_MARKERS: Final = re.compile(r"\{\{|\{%|\{#")
NOT_A_TEMPLATE: Final = "looks like a Jinja template; contract values are plain data"


def _no_template(value: Any) -> Any:
    if isinstance(value, str) and TEMPLATE_MARKERS.search(value):
        raise ValueError(NOT_A_TEMPLATE)
    return value


def _pattern(pattern: str, max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, pattern=pattern, max_length=max_length)


_NO_TEMPLATE = BeforeValidator(_no_template)
_HOSTLIKE = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_PLACES = "|".join(re.escape(name) for name in PLACE_NAMES)

#: Machine (inventory host or alias, or group) names: hostname-like, or a place the matrix
#: names by role (``$orchestrator_host``, ``$agent_hosts``).
MachineName = Annotated[
    str, _NO_TEMPLATE, _pattern(rf"^(?:[A-Za-z0-9][A-Za-z0-9._-]*|{_PLACES})$", 253)
]
#: Agent names (claude, codex, agent-router).
AgentName = Annotated[str, _NO_TEMPLATE, _pattern(_HOSTLIKE, 64)]
#: How work reaches a license on a host (``scheduled-task``; ``any``: no constraint).
DispatchPath = Annotated[str, _NO_TEMPLATE, _pattern(_HOSTLIKE, 64)]
GateName = Annotated[str, _NO_TEMPLATE, _pattern(r"^[a-z0-9][a-z0-9._-]*$", 64)]
#: Tools: executable names such as ``g++`` or ``python3.11``.
ToolName = Annotated[str, _NO_TEMPLATE, _pattern(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$", 128)]


def _version(value: Any, info: ValidationInfo) -> Any:
    """A version in the probe's strict grammar (:func:`wrk_ansible.versions.is_version`);
    a YAML integer (``min_version: 3``) is the version "3", a float is refused: YAML reads
    ``3.10`` as 3.1."""
    what = info.field_name or "version"
    if isinstance(value, bool):
        raise ValueError(not_a_version(what, value))
    if isinstance(value, int):
        value = str(value)  # and checked as text below: -3 is no version
    if isinstance(value, float):
        raise ValueError(
            f"{what} {value!r} is a number, not text (YAML reads an unquoted 3.10 as 3.1): "
            f"quote it, like {what}: '3.10'"
        )
    if isinstance(value, str):
        if TEMPLATE_MARKERS.search(value):
            return value  # refused by _no_template, with its own message
        if not is_version(value.strip()):
            raise ValueError(not_a_version(what, value))
        return value.strip()
    return value  # not text: the str type says so


#: A version as the probe reads it (``3.10``, ``9.2p1``, ``11.6c``, ``2024R1``, ``1.2.3-rc1``).
VersionText = Annotated[
    str,
    _NO_TEMPLATE,
    BeforeValidator(_version, json_schema_input_type=str),
    StringConstraints(max_length=MAX_VERSION_LENGTH),
    WithJsonSchema(
        {"type": "string", "pattern": VERSION_TEXT_PATTERN, "maxLength": MAX_VERSION_LENGTH}
    ),
]
FeatureName = Annotated[str, _NO_TEMPLATE, _pattern(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$", 128)]
HostText = Annotated[str, _NO_TEMPLATE, _pattern(r"^[A-Za-z0-9_.:\[\]-]+$", 253)]
PathText = Annotated[
    str,
    BeforeValidator(_no_template),
    StringConstraints(min_length=1, max_length=4096, pattern=r"^[^\x00-\x1f]+$"),
]


def _split_list(value: Any) -> Any:
    """None -> (), ``"a,b"`` -> ("a", "b"), a list stays a list."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


AgentList = Annotated[
    tuple[AgentName, ...],
    BeforeValidator(_split_list, json_schema_input_type=str | list[str] | None),
]
MachineList = Annotated[
    tuple[MachineName, ...],
    BeforeValidator(_split_list, json_schema_input_type=str | list[str] | None),
]


class _Shape(BaseModel):
    """A shape we own: frozen, no unknown keys."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


def _named(value: Any) -> Any:
    """A bare name is shorthand for ``{name: NAME}``."""
    return {"name": value} if isinstance(value, str) else value


class ToolRequirement(_Shape):
    """A tool that must be on PATH (or at its declared path), optionally at a minimum version."""

    name: ToolName
    min_version: VersionText | None = None


class LicenseRequirement(_Shape):
    """A license feature and how many seats the stage needs; ``state: licensed`` asks for more
    than an installed tool or license file (a license server count, or a fresh attestation),
    and ``dispatch_path`` for an attestation made on that path (docs/capacity.md#licences)."""

    feature: FeatureName
    seats: int = Field(default=1, ge=1, le=10_000)
    state: Literal["present", "licensed"] | None = None
    dispatch_path: DispatchPath | None = None


class DiskRequirement(_Shape):
    """Free space needed at a path, in GiB."""

    path: PathText
    free_gb: float = Field(gt=0, le=1_000_000)


class NetworkRequirement(_Shape):
    """A TCP endpoint that must accept connections."""

    host: HostText
    port: int = Field(ge=1, le=65535)


Tool = Annotated[
    ToolRequirement, BeforeValidator(_named, json_schema_input_type=str | ToolRequirement)
]


class StageRequirements(_Shape):
    """What a stage needs from the machine it runs on."""

    # Capped: each entry is a check on the host, each with its own timeout.
    tools: tuple[Tool, ...] = Field(default=(), max_length=MAX_REQUIREMENTS)
    licenses: tuple[LicenseRequirement, ...] = Field(default=(), max_length=MAX_REQUIREMENTS)
    disk: tuple[DiskRequirement, ...] = Field(default=(), max_length=MAX_REQUIREMENTS)
    network: tuple[NetworkRequirement, ...] = Field(default=(), max_length=MAX_REQUIREMENTS)

    @property
    def empty(self) -> bool:
        return not (self.tools or self.licenses or self.disk or self.network)


#: A validator's name, as ``validators:`` in ``wrk.yml`` defines it (a row names it; only
#: ``wrk.yml`` says what it runs).
ValidatorName = Annotated[str, _NO_TEMPLATE, _pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", 64)]
Sha256Text = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9a-f]{64}$")]


class OutputCheck(_Shape):
    """A file the stage must leave behind, relative to the repository: that it exists, and
    optionally its sha256 and a minimum size in bytes (post-checks of ``wrk outcome``)."""

    path: PathText
    sha256: Sha256Text | None = None
    min_bytes: int | None = Field(default=None, ge=0, le=1 << 50)


def _path_only(value: Any) -> Any:
    """A bare path is shorthand for ``{path: PATH}``."""
    return {"path": value} if isinstance(value, str) else value


Output = Annotated[
    OutputCheck, BeforeValidator(_path_only, json_schema_input_type=str | OutputCheck)
]


class GroupScope(_Shape):
    """Any ``count`` hosts of an inventory group, first ready ones in inventory order."""

    group: MachineName
    count: int = Field(default=1, ge=1, le=1000)


class GateRef(_Shape):
    """A named gate check; an advisory one is shown and recorded but never blocks."""

    name: GateName
    advisory: bool = False


Gate = Annotated[GateRef, BeforeValidator(_named, json_schema_input_type=str | GateRef)]


def _scope_kind(value: Any) -> str:
    return "<group>" if isinstance(value, dict | GroupScope) else "<names>"


def _scope_input(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


Workstations = Annotated[
    Annotated[tuple[MachineName, ...], Tag("<names>")] | Annotated[GroupScope, Tag("<group>")],
    Discriminator(_scope_kind),
    BeforeValidator(_scope_input, json_schema_input_type=str | list[str] | GroupScope),
]


def _agents_kind(value: Any) -> str:
    return "<any>" if value == "any" else "<names>"


AgentPool = Annotated[
    Annotated[Literal["any"], Tag("<any>")] | Annotated[tuple[AgentName, ...], Tag("<names>")],
    Discriminator(_agents_kind),
]


class StageAssignment(_Shape):
    """One row of the matrix: who runs the stage, where, what must pass, what if not."""

    primary: AgentName | None = None
    secondary: AgentName | None = None
    agents: AgentPool | None = None
    advisory: tuple[AgentName, ...] = ()
    workstations: Workstations | None = None
    parallel: bool = False
    fallback: tuple[MachineName, ...] = ()
    on_unavailable: Literal["pause", "defer", "replan"] | None = None
    gates: tuple[Gate, ...] | None = None
    #: Post-checks of the row's outcome (``wrk outcome``): files it must leave, and
    #: validators (names defined in ``wrk.yml``, never a command line) that must pass.
    outputs: tuple[Output, ...] = Field(default=(), max_length=MAX_REQUIREMENTS)
    validators: tuple[ValidatorName, ...] = Field(default=(), max_length=MAX_REQUIREMENTS)
    #: How many attempts an outcome may count; a later one is recorded, and fails its check.
    max_attempts: int | None = Field(default=None, ge=1, le=1000)

    @model_validator(mode="after")
    def _consistent(self) -> StageAssignment:
        if self.agents is not None and (self.primary or self.secondary):
            raise ValueError("give either primary/secondary or agents, not both")
        if self.parallel and not (
            isinstance(self.workstations, tuple) and len(self.workstations) >= 2
        ):
            raise ValueError("parallel: true needs a list of at least two workstations")
        return self


AgentRef = Literal[AGENT_REFS]  # type: ignore[valid-type]


class TemplateRow(StageAssignment):
    """A row of the stage matrix (``wrk.yml`` ``stages:``): a contract row whose agents may
    also be the WRK's own (``$orchestrator``, ``$provider``, ``$provider_alt``)."""

    primary: AgentName | AgentRef | None = None
    secondary: AgentName | AgentRef | None = None


def stage_keyed(value: Any) -> Any:
    """Accept ``impl-review`` for ``impl_review``; refuse unknown stages with a hint."""
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise ValueError(f"stage ids are strings, found {key!r}")
        norm = normalise_stage_key(key)
        if norm not in STAGE_IDS:
            hint = closest(norm, STAGE_IDS)
            extra = f" (did you mean {hint!r}?)" if hint else ""
            raise ValueError(f"unknown stage {key!r}{extra}; stages: {', '.join(STAGE_IDS)}")
        if norm in out:
            raise ValueError(f"stage {norm!r} given twice (as {key!r})")
        out[norm] = item
    return out


# Keys are checked (and hyphens normalised) by stage_keyed; the schema lists them.
_STAGE_KEYS = Field(json_schema_extra={"propertyNames": {"enum": list(STAGE_IDS)}})
StageAssignments = Annotated[dict[str, StageAssignment], BeforeValidator(stage_keyed), _STAGE_KEYS]
StageRequirementMap = Annotated[
    dict[str, StageRequirements], BeforeValidator(stage_keyed), _STAGE_KEYS
]


class WorkItemFields(BaseModel):
    """The frontmatter fields the contract reads. Every other key is kept but not checked."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")

    id: str | int | None = None
    title: str | int | float | None = None
    status: str | None = None
    orchestrator: AgentName | None = None
    provider: AgentList = ()
    provider_alt: AgentList = ()
    computer: MachineList = ()
    plan_workstations: MachineList = ()
    execution_workstations: MachineList = ()
    stage_assignments_ref: PathText | None = None
    stage_assignments: StageAssignments | None = None
    machine_capability_requirements: StageRequirementMap | None = None
    handoff_evidence_ref: PathText | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _title_text(cls, value: Any) -> Any:
        return value if value is None or isinstance(value, str | int | float) else str(value)

    @model_validator(mode="after")
    def _one_source(self) -> WorkItemFields:
        if self.stage_assignments is not None and self.stage_assignments_ref is not None:
            raise ValueError("give stage_assignments or stage_assignments_ref, not both")
        return self


#: Frontmatter keys the contract reads: a repeated one is an error, not a warning.
CONTRACT_KEYS: Final = frozenset(WorkItemFields.model_fields)
#: The fields the plan adds; legacy items lack them.
NEW_FIELDS: Final = (
    "stage_assignments_ref",
    "stage_assignments",
    "machine_capability_requirements",
    "handoff_evidence_ref",
)


class AssignmentFile(_Shape):
    """A file named by ``stage_assignments_ref``: the contract kept beside the WRK."""

    schema_version: Literal[1]
    stage_assignments: StageAssignments
    machine_capability_requirements: StageRequirementMap | None = None
    handoff_evidence_ref: PathText | None = None
