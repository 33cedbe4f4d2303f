"""The health policy (wrk_ansible.fleet.health), pure, on graded observations with fixed times:
three failures in a row drain with a ``health:`` reason naming the failing checks, two passes
resume what health drained, a person's drain survives any number of passes, stale observations
count neither way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from wrk_ansible.evidence.fleet import baselines
from wrk_ansible.fleet.grade import DimensionGrade, Grade, HostGrade
from wrk_ansible.fleet.health import Policy, decide
from wrk_ansible.fleet.model import Baseline
from wrk_ansible.registry.hostvars import HostVars
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation

T0 = datetime(2026, 8, 1, tzinfo=UTC)
BELOW = (DimensionGrade("solvers", Grade.BELOW, ("solver-a present, expected licensed",)),)


def seen(*grades: Grade) -> list[HostGrade]:
    return [
        HostGrade(
            "build1",
            g,
            BELOW if g is Grade.BELOW else (),
            T0 + timedelta(days=n),
            f"_fleet/c/{n + 1:06d}",
        )
        for n, g in enumerate(grades)
    ]


def test_three_failures_in_a_row_drain() -> None:
    two = decide("build1", "active", None, seen(Grade.OK, Grade.BELOW, Grade.BELOW), Policy())
    assert (two.action, two.failing) == (None, 2)
    three = seen(Grade.OK, Grade.BELOW, Grade.UNREACHABLE, Grade.BELOW)
    drained = decide("build1", "active", None, three, Policy())
    assert drained.action == "drain"
    assert drained.reason == (
        "health: below-baseline: solvers: solver-a present, expected licensed "
        "(3 failing observations in a row)"
    )
    assert drained.observations == ("_fleet/c/000004", "_fleet/c/000003", "_fleet/c/000002")


def test_two_passes_resume_what_health_drained() -> None:
    reason = "health: below-baseline: solvers: ..."
    one = decide("build1", "drained", reason, seen(Grade.BELOW, Grade.OK), Policy())
    assert one.action is None
    two = decide("build1", "drained", reason, seen(Grade.BELOW, Grade.OK, Grade.OK), Policy())
    assert (two.action, two.passing) == ("resume", 2)
    # a stale observation (it says nothing the baseline asks about) is skipped, not a break
    gap = decide("build1", "drained", reason, seen(Grade.OK, Grade.STALE, Grade.OK), Policy())
    assert gap.action == "resume"


def test_a_persons_drain_survives_any_number_of_passes() -> None:
    many = seen(*([Grade.OK] * 30))
    kept = decide("build1", "drained", "maintenance: new disk", many, Policy())
    assert kept.action is None
    assert kept.why == "drained by a person: only a person resumes it"
    assert decide("build1", "retired", None, seen(*([Grade.BELOW] * 5)), Policy()).action is None


def test_the_policy_is_configurable() -> None:
    strict = Policy(fail_after=1, pass_after=5)
    assert decide("build1", "active", None, seen(Grade.BELOW), strict).action == "drain"
    passes = seen(*([Grade.OK] * 4))
    assert decide("build1", "drained", "health: x", passes, strict).action is None


def test_baselines_lay_over_one_another(tmp_path: Path) -> None:
    """harness config < the inventory's wrk_baseline < wrk.yml groups < wrk.yml hosts."""
    harness = tmp_path / "harness-config.yaml"
    harness.write_text(
        "workstations:\n  build1:\n    compute_floor: {cores_min: 8, ram_gib_min: 16}\n"
        "    solvers_baseline: {solver-a: absent}\n",
        encoding="utf-8",
    )
    inventory = {"solvers": {"solver-b": "present"}, "agents": {"agent-a": "present"}}
    ws = Workstation.from_host_vars(
        "build1", HostVars.model_validate({"wrk_baseline": inventory}), groups=("linux",)
    )
    registry = Registry(source="inv", workstations=(ws,), groups={"linux": ("build1",)})
    groups = {"linux": Baseline.model_validate({"agents": {"agent-a": "absent"}})}
    hosts = {"build1": Baseline.model_validate({"compute_floor": {"cores_min": 4}})}
    (found,) = baselines(registry, hosts, groups, str(harness)).values()
    assert found.compute_floor is not None
    assert (found.compute_floor.cores_min, found.compute_floor.ram_gib_min) == (4, 16)  # by field
    assert found.solvers == {"solver-a": "absent", "solver-b": "present"}
    assert found.agents == {"agent-a": "absent"}
