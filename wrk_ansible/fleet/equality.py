"""A team's own readiness snapshots and baselines, read as wrk's (``wrk readiness import``).

Two file shapes another tool writes:

- a **snapshot** (``equality-<machine>.yaml``, schema 4 or 5): ``generated_at``, ``machine``,
  ``host``, ``status``, ``provenance`` (checkout sha, dirty, behind/ahead of main) and
  ``dimensions`` (``compute.static`` cores and RAM, ``compute.headroom`` free disk,
  ``solvers`` with a status each, ``harness.providers`` for agent CLIs). Read into
  :class:`~wrk_ansible.fleet.model.Dimensions`; everything else in it is left alone.
- a **harness config** (``harness-config.yaml``): its ``workstations:`` give baselines
  (``compute_floor``, ``solvers_baseline``, ``providers_baseline``).

``generated_at`` without an offset is taken as UTC (the files do not say). Both are parsed
by :mod:`wrk_ansible.safeyaml` (no aliases, bounded); a bad field is an error naming the file,
the line and the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wrk_ansible import clock
from wrk_ansible.contract.resolve import pydantic_issues
from wrk_ansible.errors import InputError
from wrk_ansible.fleet.model import (
    Baseline,
    Checkout,
    Compute,
    ComputeFloor,
    Dimensions,
    DiskSeen,
    Presence,
    SolverState,
)
from wrk_ansible.safeyaml import ParsedYaml, parse_yaml, read_text

MAX_BYTES: Final = 1024 * 1024
#: Snapshot schema versions read (their ``schema_version``).
SCHEMAS: Final = (4, 5)
#: Where a snapshot's free disk (one number, no path) is shown.
SNAPSHOT_DISK: Final = "(snapshot)"


class _Read(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")


class _Static(_Read):
    cores: Annotated[int, Field(ge=0)] | None = None
    ram_total_mib: Annotated[float, Field(ge=0)] | None = None


class _Headroom(_Read):
    disk_avail_gb: Annotated[float, Field(ge=0)] | None = None


class _Compute(_Read):
    static: _Static = Field(default_factory=_Static)
    headroom: _Headroom = Field(default_factory=_Headroom)


class _Solver(_Read):
    name: str
    status: SolverState


class _Harness(_Read):
    providers: dict[str, Presence] = Field(default_factory=dict)


class _Dims(_Read):
    compute: _Compute | None = None
    solvers: tuple[_Solver, ...] | None = None
    harness: _Harness | None = None


class _Provenance(_Read):
    checkout_sha: str | None = None
    dirty: bool | None = None
    behind_main: Annotated[int, Field(ge=0)] | None = None
    ahead_main: Annotated[int, Field(ge=0)] | None = None


class _Snapshot(_Read):
    generated_at: str
    schema_version: int
    machine: Annotated[str, Field(min_length=1, max_length=128)]
    host: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    status: str = "active"
    provenance: _Provenance | None = None
    dimensions: _Dims = Field(default_factory=_Dims)


class Snapshot(BaseModel):
    """One imported snapshot: who it is of, when it was made, what it saw."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    machine: str
    host: str | None
    generated_at: str
    schema_version: int
    reachable: bool
    dimensions: Dimensions


def _parsed(path: str, what: str) -> ParsedYaml:
    parsed = parse_yaml(read_text(path, max_bytes=MAX_BYTES, what=what), path)
    if not isinstance(parsed.data, dict):
        raise InputError(f"expected a mapping ({what})", path=path, line=1)
    return parsed


def _invalid(exc: ValidationError, parsed: ParsedYaml, path: str) -> InputError:
    first = pydantic_issues(exc, parsed, file=path)[0]
    return InputError(first.message, path=path, field=first.field, line=first.line)


def _dimensions(raw: _Snapshot) -> Dimensions:
    dims = raw.dimensions
    compute = disk = None
    if dims.compute is not None:
        mib = dims.compute.static.ram_total_mib
        compute = Compute(
            cores=dims.compute.static.cores, ram_gib=None if mib is None else mib / 1024
        )
        free = dims.compute.headroom.disk_avail_gb
        disk = (DiskSeen(path=SNAPSHOT_DISK, free_gb=free),) if free is not None else None
    checkout = None
    if raw.provenance is not None:
        prov = raw.provenance
        checkout = Checkout(
            present=prov.checkout_sha is not None,
            dirty=prov.dirty,
            behind=prov.behind_main,
            ahead=prov.ahead_main,
            revision=prov.checkout_sha,
        )
    return Dimensions(
        compute=compute,
        disk=disk,
        solvers={s.name: s.status for s in dims.solvers} if dims.solvers is not None else None,
        agents=dict(dims.harness.providers) if dims.harness is not None else None,
        checkout=checkout,
    )


def read_snapshot(path: str) -> Snapshot:
    """One snapshot file; InputError naming the file, line and field when it is not one."""
    parsed = _parsed(path, "readiness snapshot")
    try:
        raw = _Snapshot.model_validate(parsed.data)
    except ValidationError as exc:
        raise _invalid(exc, parsed, path) from None
    if raw.schema_version not in SCHEMAS:
        raise InputError(
            f"schema_version {raw.schema_version} is not read (only "
            f"{', '.join(map(str, SCHEMAS))})",
            path=path,
            field="schema_version",
            line=parsed.line_of(("schema_version",)),
        )
    if clock.parse(raw.generated_at) is None:
        raise InputError(
            f"generated_at {raw.generated_at!r} is not a time",
            path=path,
            field="generated_at",
            line=parsed.line_of(("generated_at",)),
        )
    return Snapshot(
        machine=raw.machine,
        host=raw.host,
        generated_at=raw.generated_at,
        schema_version=raw.schema_version,
        reachable=raw.status != "unreachable",
        dimensions=_dimensions(raw),
    )


def generated(snapshot: Snapshot) -> datetime:
    """When the snapshot was made (UTC; validated by :func:`read_snapshot`)."""
    found = clock.parse(snapshot.generated_at)
    assert found is not None  # read_snapshot refused any other
    return found


# -- baselines ------------------------------------------------------------------------------
class _Floor(_Read):
    cores_min: Annotated[int, Field(ge=0)] | None = None
    ram_gib_min: Annotated[float, Field(ge=0)] | None = None


class _Workstation(_Read):
    compute_floor: _Floor | None = None
    solvers_baseline: dict[str, SolverState] = Field(default_factory=dict)
    providers_baseline: dict[str, Presence] = Field(default_factory=dict)


class _HarnessConfig(_Read):
    workstations: dict[str, _Workstation | None] = Field(default_factory=dict)


def read_harness_baselines(path: str) -> dict[str, Baseline]:
    """machine -> its baseline, from a harness config's ``workstations:``."""
    parsed = _parsed(path, "harness config")
    try:
        raw = _HarnessConfig.model_validate(parsed.data)
    except ValidationError as exc:
        raise _invalid(exc, parsed, path) from None
    out: dict[str, Baseline] = {}
    for name, ws in raw.workstations.items():
        if ws is None:
            continue
        floor = ws.compute_floor
        try:
            out[name] = Baseline(
                compute_floor=ComputeFloor(cores_min=floor.cores_min, ram_gib_min=floor.ram_gib_min)
                if floor is not None
                else None,
                solvers=dict(ws.solvers_baseline),
                agents=dict(ws.providers_baseline),
            )
        except ValidationError as exc:
            item = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in item["loc"])
            raise InputError(
                f"{item['msg']} ({where})",
                path=path,
                field=f"workstations.{name}",
                line=parsed.line_of(("workstations", name)),
            ) from None
    return out
