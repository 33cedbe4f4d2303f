"""What a host should be (:class:`Baseline`) and what it was seen to be (:class:`Dimensions`).

Both are pydantic shapes: a baseline comes from ``wrk.yml`` (``fleet: baselines:``), an
inventory var (``wrk_baseline``) or a team's harness config file; dimensions come from a
snapshot (``wrk readiness import``) or a probe. The dimensions:

- **compute**: cores, RAM (GiB) against a floor;
- **disk**: free GiB at paths, against a headroom;
- **solvers**: each expected ``absent``, ``present`` (installed) or ``licensed``;
- **agents**: agent CLIs expected ``present`` or ``absent``;
- **checkout**: the work repository present, not dirty, not behind its upstream by more than N.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from wrk_ansible.capacity.model import Name

PathText = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Amount = Annotated[float, Field(ge=0, le=1_000_000_000)]
Presence = Literal["present", "absent"]
#: A solver: not installed, installed, or installed and licensed (ordered).
SolverState = Literal["absent", "present", "licensed"]
SOLVER_RANK = {"absent": 0, "present": 1, "licensed": 2}


class _Shape(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


class ComputeFloor(_Shape):
    cores_min: Annotated[int, Field(ge=0, le=100_000)] | None = None
    ram_gib_min: Amount | None = None


class DiskHeadroom(_Shape):
    path: PathText
    free_gb: Amount


class CheckoutBaseline(_Shape):
    """The work repository's clone on the host: present, clean, at most N behind."""

    required: bool = True
    clean: bool = True
    max_behind: Annotated[int, Field(ge=0, le=1_000_000)] = 0


class Baseline(_Shape):
    """What a host (or every host of a group) is expected to be; a dimension left out is not
    graded."""

    compute_floor: ComputeFloor | None = None
    disk: tuple[DiskHeadroom, ...] = ()
    solvers: dict[Name, SolverState] = Field(default_factory=dict)
    agents: dict[Name, Presence] = Field(default_factory=dict)
    checkout: CheckoutBaseline | None = None

    def asks(self, dimension: str) -> bool:
        """Whether this baseline grades ``dimension`` (compute, disk, solvers, ...)."""
        return bool(
            {
                "compute": self.compute_floor is not None,
                "disk": self.disk,
                "solvers": self.solvers,
                "agents": self.agents,
                "checkout": self.checkout is not None,
            }.get(dimension)
        )

    def over(self, base: Baseline) -> Baseline:
        """This baseline laid over ``base`` (a host's over its group's): keys given win, a
        compute floor's field by field, each solver and agent by name."""
        floor = self.compute_floor
        if floor is not None and base.compute_floor is not None:
            under = base.compute_floor
            floor = ComputeFloor(
                cores_min=floor.cores_min if floor.cores_min is not None else under.cores_min,
                ram_gib_min=floor.ram_gib_min
                if floor.ram_gib_min is not None
                else under.ram_gib_min,
            )
        return Baseline(
            compute_floor=floor or base.compute_floor,
            disk=self.disk or base.disk,
            solvers={**base.solvers, **self.solvers},
            agents={**base.agents, **self.agents},
            checkout=self.checkout or base.checkout,
        )


class _Read(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")


class Compute(_Read):
    cores: int | None = None
    ram_gib: float | None = None


class DiskSeen(_Read):
    path: str
    free_gb: float


class Checkout(_Read):
    present: bool
    dirty: bool | None = None
    behind: int | None = None
    ahead: int | None = None
    revision: str | None = None


class Dimensions(_Read):
    """What one observation saw of a host, dimension by dimension (None: not observed)."""

    compute: Compute | None = None
    disk: tuple[DiskSeen, ...] | None = None
    solvers: dict[str, SolverState] | None = None
    agents: dict[str, Presence] | None = None
    checkout: Checkout | None = None
