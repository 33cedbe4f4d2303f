"""Each host graded against its baseline, per dimension and overall: pure, no I/O.

Grades: ``ok``; ``below-baseline``, naming what; ``unreachable`` (the newest observation could
not reach the host, or says so); ``stale`` (no observation within the freshness window, or the
observation says nothing of a dimension the baseline asks about). A dimension the baseline does
not ask about is not graded. Overall: unreachable or stale for the host as a whole, else
below-baseline when any dimension is, else stale when any dimension is, else ok.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from wrk_ansible.fleet.model import SOLVER_RANK, Baseline, Dimensions

#: Dimensions in the order they are shown.
DIMENSIONS: Final = ("compute", "disk", "solvers", "agents", "checkout")


class Grade(StrEnum):
    OK = "ok"
    BELOW = "below-baseline"
    UNREACHABLE = "unreachable"
    STALE = "stale"


@dataclass(frozen=True)
class Observed:
    """One observation of a host: when, whether it was reached, what it saw, where it is
    written (a record id) and whether it was imported from another tool's snapshot."""

    host: str
    at: datetime
    reachable: bool
    dimensions: Dimensions
    source: str
    imported: bool = False
    #: Tool -> the version the observation saw (probe records only).
    versions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DimensionGrade:
    name: str
    grade: Grade
    what: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.name}: " + ("; ".join(self.what) if self.what else self.grade.value)


@dataclass(frozen=True)
class HostGrade:
    host: str
    grade: Grade
    dimensions: tuple[DimensionGrade, ...]
    observed_at: datetime | None = None
    source: str | None = None
    why: str = ""

    @property
    def failing(self) -> tuple[DimensionGrade, ...]:
        return tuple(d for d in self.dimensions if d.grade is Grade.BELOW)

    @property
    def summary(self) -> str:
        """``below-baseline: solvers: orcaflex present, expected licensed; ...``."""
        if self.grade is Grade.BELOW:
            return "below-baseline: " + "; ".join(d.text for d in self.failing)
        return f"{self.grade.value}: {self.why}" if self.why else self.grade.value

    @property
    def passed(self) -> bool:
        return self.grade is Grade.OK


def _compute(baseline: Baseline, seen: Dimensions) -> DimensionGrade | None:
    floor = baseline.compute_floor
    if floor is None:
        return None
    if seen.compute is None:
        return DimensionGrade("compute", Grade.STALE, ("not observed",))
    what = []
    cores, ram = seen.compute.cores, seen.compute.ram_gib
    if floor.cores_min is not None and (cores is None or cores < floor.cores_min):
        what.append(f"{cores if cores is not None else 'unknown'} cores, floor {floor.cores_min}")
    if floor.ram_gib_min is not None and (ram is None or ram < floor.ram_gib_min):
        shown = f"{ram:.1f}" if ram is not None else "unknown"
        what.append(f"{shown} GiB RAM, floor {floor.ram_gib_min:g}")
    return DimensionGrade("compute", Grade.BELOW if what else Grade.OK, tuple(what))


def _disk(baseline: Baseline, seen: Dimensions) -> DimensionGrade | None:
    if not baseline.disk:
        return None
    if seen.disk is None:
        return DimensionGrade("disk", Grade.STALE, ("not observed",))
    free = {d.path: d.free_gb for d in seen.disk}
    below, unseen = [], []
    for want in baseline.disk:
        got = free.get(want.path)
        if got is None:
            unseen.append(f"{want.path} not observed")
        elif got < want.free_gb:
            below.append(f"{want.path} {got:g} GB free, headroom {want.free_gb:g}")
    if below:
        return DimensionGrade("disk", Grade.BELOW, tuple(below + unseen))
    return DimensionGrade("disk", Grade.STALE if unseen else Grade.OK, tuple(unseen))


def _solvers(baseline: Baseline, seen: Dimensions) -> DimensionGrade | None:
    if not baseline.solvers:
        return None
    if seen.solvers is None:
        return DimensionGrade("solvers", Grade.STALE, ("not observed",))
    found = {k.casefold(): v for k, v in seen.solvers.items()}
    what = []
    for name, want in baseline.solvers.items():
        got = found.get(name.casefold(), "absent")
        meets = got == "absent" if want == "absent" else SOLVER_RANK[got] >= SOLVER_RANK[want]
        if not meets:
            what.append(f"{name} {got}, expected {want}")
    return DimensionGrade("solvers", Grade.BELOW if what else Grade.OK, tuple(what))


def _agents(baseline: Baseline, seen: Dimensions) -> DimensionGrade | None:
    if not baseline.agents:
        return None
    if seen.agents is None:
        return DimensionGrade("agents", Grade.STALE, ("not observed",))
    found = {k.casefold(): v for k, v in seen.agents.items()}
    what = [
        f"{name} {found.get(name.casefold(), 'absent')}, expected {want}"
        for name, want in baseline.agents.items()
        if found.get(name.casefold(), "absent") != want
    ]
    return DimensionGrade("agents", Grade.BELOW if what else Grade.OK, tuple(what))


def _checkout(baseline: Baseline, seen: Dimensions) -> DimensionGrade | None:
    want = baseline.checkout
    if want is None:
        return None
    got = seen.checkout
    if got is None:
        return DimensionGrade("checkout", Grade.STALE, ("not observed",))
    what = []
    if want.required and not got.present:
        what.append("no clone of the work repository")
    elif got.present:
        if want.clean and got.dirty:
            what.append("dirty")
        if got.behind is not None and got.behind > want.max_behind:
            what.append(f"{got.behind} commit(s) behind its upstream, at most {want.max_behind}")
    return DimensionGrade("checkout", Grade.BELOW if what else Grade.OK, tuple(what))


def current(found: Sequence[Observed], now: datetime) -> Observed | None:
    """The host's current observation: the newest one (not dated in the future), each of its
    dimensions from the newest observation that observed it (a probe that saw no dimension
    does not hide a snapshot's)."""
    usable = [o for o in found if o.at <= now]
    if not usable:
        return None
    newest = usable[-1]
    fields = {}
    for name in Dimensions.model_fields:
        fields[name] = next(
            (
                getattr(o.dimensions, name)
                for o in reversed(usable)
                if getattr(o.dimensions, name) is not None
            ),
            None,
        )
    return Observed(
        newest.host,
        newest.at,
        newest.reachable,
        Dimensions(**fields),
        newest.source,
        newest.imported,
        newest.versions,
    )


def grade_dimensions(baseline: Baseline, seen: Dimensions) -> tuple[DimensionGrade, ...]:
    """Each dimension the baseline asks about, graded on what was seen."""
    graders = (_compute, _disk, _solvers, _agents, _checkout)
    return tuple(g for grader in graders if (g := grader(baseline, seen)) is not None)


def grade(
    host: str,
    baseline: Baseline,
    observed: Observed | None,
    now: datetime,
    fresh_hours: float,
) -> HostGrade:
    """``host`` graded on its newest observation ``observed`` (None: there is none)."""
    if observed is None:
        return HostGrade(host, Grade.STALE, (), why="no evidence")
    age = now - observed.at
    at, source = observed.at, observed.source
    if age > timedelta(hours=fresh_hours):
        hours = age.total_seconds() / 3600
        why = f"newest evidence {hours:.0f} h old ({observed.source}), window {fresh_hours:g} h"
        return HostGrade(host, Grade.STALE, (), at, source, why)
    if not observed.reachable:
        return HostGrade(host, Grade.UNREACHABLE, (), at, source, f"unreachable ({source})")
    dims = grade_dimensions(baseline, observed.dimensions)
    if any(d.grade is Grade.BELOW for d in dims):
        overall = Grade.BELOW
    elif any(d.grade is Grade.STALE for d in dims):
        overall = Grade.STALE
    else:
        overall = Grade.OK
    why = "; ".join(d.text for d in dims if d.grade is Grade.STALE)
    return HostGrade(host, overall, dims, observed.at, observed.source, why)
