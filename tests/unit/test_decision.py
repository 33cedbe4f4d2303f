"""The pure decision: plain data in, a verdict out. No Ansible, no files."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from wrk_ansible.contract.models import StageAssignment, StageRequirements
from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import (
    VERDICT_EXIT,
    Check,
    Outcome,
    Verdict,
    worst,
)
from wrk_ansible.decision.verdict import Here, HostReadiness, RowInputs, decide
from wrk_ansible.names import row_scope
from wrk_ansible.registry.hostvars import HostVars
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation


def ws(name: str, **vars: Any) -> Workstation:
    return Workstation.from_host_vars(name, HostVars.model_validate(vars))


def row(
    stage: str = "execute", requirements: dict[str, Any] | None = None, **assign: Any
) -> ResolvedStage:
    return ResolvedStage(
        stage=stage,
        assignment=StageAssignment.model_validate(assign),
        requirements=StageRequirements.model_validate(requirements or {}),
        origin={},
        explicit=True,
    )


def ready(host: str) -> HostReadiness:
    check = Check(
        name="tool:git",
        required="present",
        found="/usr/bin/git",
        outcome=Outcome.PASS,
        reason="found",
        host=host,
    )
    return HostReadiness(host=host, reachable=True, checks=(check,), source="probe")


def not_ready(host: str, why: str = "git not found") -> HostReadiness:
    check = Check(
        name="tool:git", required="present", found=None, outcome=Outcome.FAIL, reason=why, host=host
    )
    return HostReadiness(host=host, reachable=True, checks=(check,), source="probe")


def unreachable(host: str) -> HostReadiness:
    check = Check(
        name="reachable",
        required="ssh",
        found="refused",
        outcome=Outcome.FAIL,
        reason="connection refused",
        host=host,
    )
    return HostReadiness(host=host, reachable=False, checks=(check,), source="probe")


FLEET = Registry(
    "test",
    workstations=(
        ws("a", wrk_agents=["claude"], wrk_tools=["git"]),
        ws("b", wrk_agents=["claude"], wrk_tools=["git"]),
        ws("c", wrk_agents=["claude"], wrk_tools=["git"], wrk_aliases=["old-c"]),
        ws("d", wrk_agents=["claude"], wrk_tools=["git"]),
        ws("drained", wrk_state="drained", wrk_state_reason="disk swap"),
        ws(
            "lic",
            wrk_licenses=[
                {"feature": "orcaflex", "kind": "flexlm", "server": "27000@lic", "seats": 2}
            ],
            wrk_tools=[{"name": "solver", "version": "1.2.0"}],
        ),
    ),
    groups={"ai": ("a", "b", "c", "d")},
)


def run(
    r: ResolvedStage,
    readiness: dict[str, HostReadiness],
    *,
    here: str = "a",
    local: HostReadiness | None = None,
    handoff: str | None = "ev",
) -> Any:
    return decide(
        RowInputs(
            wrk="WRK-1",
            row=r,
            scope=row_scope(r, FLEET),
            hosts=FLEET,
            readiness=readiness,
            here=Here(name=here, local=local, handoff_ref=handoff),
        )
    )


def test_worst_follows_the_priority_order() -> None:
    assert worst([Verdict.PASS, Verdict.FALLBACK]) is Verdict.FALLBACK
    assert worst([Verdict.FALLBACK, Verdict.PAUSE, Verdict.PASS]) is Verdict.PAUSE
    assert worst([Verdict.PAUSE, Verdict.FAIL]) is Verdict.FAIL
    assert worst([]) is Verdict.PASS
    assert VERDICT_EXIT == {Verdict.PASS: 0, Verdict.FALLBACK: 3, Verdict.PAUSE: 2, Verdict.FAIL: 1}


def test_pass_on_the_local_assigned_host() -> None:
    d = run(row(workstations=["a"], fallback=["b"]), {"a": ready("a"), "b": ready("b")})
    assert d.verdict is Verdict.PASS
    assert d.hosts == ("a",)


def test_list_takes_the_first_ready_assigned_host_without_falling_back() -> None:
    d = run(row(workstations=["a", "b"]), {"a": not_ready("a"), "b": ready("b")}, here="b")
    assert d.verdict is Verdict.PASS
    assert d.hosts == ("b",)


def test_fallback_names_the_ready_fallback() -> None:
    d = run(
        row(workstations=["a"], fallback=["b", "c"]),
        {"a": unreachable("a"), "b": not_ready("b"), "c": ready("c")},
        here="c",
    )
    assert d.verdict is Verdict.FALLBACK
    assert d.hosts == ("c",)
    assert "c" in d.reason


def test_parallel_every_member_ready_passes() -> None:
    r = row(workstations=["a", "b"], parallel=True, requirements={"tools": ["git"]})
    local = not_ready("a", "no solver")
    d = run(r, {"a": ready("a"), "b": ready("b")}, local=local)
    assert d.verdict is Verdict.PASS
    assert d.hosts == ("a", "b")


def test_parallel_each_missing_member_takes_the_next_unused_fallback() -> None:
    r = row(
        workstations=["a", "b", "c"],
        parallel=True,
        fallback=["d", "old-c"],
        requirements={"tools": ["git"]},
    )
    d = run(
        r,
        {"a": ready("a"), "b": unreachable("b"), "c": not_ready("c"), "d": ready("d")},
        local=not_ready("a"),
    )
    # c is both an assigned member (not ready) and a fallback via its alias: counted once
    assert d.verdict is Verdict.PAUSE
    r2 = row(
        workstations=["a", "b"], parallel=True, fallback=["c", "d"], requirements={"tools": ["git"]}
    )
    d2 = run(
        r2,
        {"a": ready("a"), "b": unreachable("b"), "c": not_ready("c"), "d": ready("d")},
        local=not_ready("a"),
    )
    assert d2.verdict is Verdict.FALLBACK
    assert d2.hosts == ("a", "d")


def test_pause_is_a_p1_gap_with_checked_proposals_and_the_on_unavailable_action() -> None:
    r = row(
        workstations=["a"],
        on_unavailable="defer",
        requirements={"tools": ["git"]},
        primary="claude",
    )
    d = run(r, {"a": unreachable("a")}, here="b", local=ready("b"))
    assert d.verdict is Verdict.PAUSE
    (gap,) = d.gaps
    assert gap.priority == "P1"
    assert "a: connection refused" in gap.summary
    assert any(p.startswith("assign b") for p in gap.proposals)
    assert not any("drained" in p or "lic" in p for p in gap.proposals)  # lic declares no git
    assert gap.proposals[-1].startswith("defer WRK-1")


def test_drained_host_is_screened_out_with_its_reason() -> None:
    d = run(row(workstations=["drained"], fallback=["b"]), {"b": ready("b")}, here="b")
    assert d.verdict is Verdict.FALLBACK
    state = next(c for c in d.checks if c.name == "state")
    assert state.outcome is Outcome.FAIL
    assert "disk swap" in state.reason


def test_declared_license_and_version_contradictions_screen_out() -> None:
    r = row(workstations=["a"], requirements={"licenses": [{"feature": "orcaflex"}]})
    d = run(r, {"a": ready("a")})
    assert d.verdict is Verdict.PAUSE
    assert any(
        c.name == "declared-license:orcaflex" and c.outcome is Outcome.FAIL for c in d.checks
    )
    r2 = row(
        workstations=["lic"], requirements={"tools": [{"name": "solver", "min_version": "1.10"}]}
    )
    d2 = run(r2, {"lic": ready("lic")}, here="lic")
    tool = next(c for c in d2.checks if c.name == "declared-tool:solver")
    assert tool.outcome is Outcome.FAIL  # 1.2.0 < 1.10 as versions, not as strings
    assert d2.verdict is Verdict.PAUSE


def test_unknown_check_is_not_a_pass() -> None:
    unknown = Check(
        name="license:orcaflex",
        required="1 seat",
        found=None,
        outcome=Outcome.UNKNOWN,
        reason="lmutil missing",
        host="a",
    )
    d = run(
        row(workstations=["a"]),
        {"a": HostReadiness(host="a", reachable=True, checks=(unknown,), source="probe")},
    )
    assert d.verdict is Verdict.PAUSE


def test_group_scope_takes_the_first_ready_members_in_inventory_order() -> None:
    r = row(workstations={"group": "ai", "count": 2}, requirements={"tools": ["git"]})
    d = run(
        r,
        {"a": not_ready("a"), "b": ready("b"), "c": ready("c"), "d": ready("d")},
        here="b",
        local=ready("b"),
    )
    # c is remote but came from a group, not named explicitly: rule 1 fails
    assert d.hosts == ("b", "c")
    assert d.verdict is Verdict.FAIL
    assert "rule 1" in d.reason


@pytest.mark.parametrize(
    ("local", "handoff", "rule"),
    [
        (ready("a"), "ev", "rule 2"),  # the local host could run it
        (not_ready("a"), None, "rule 3"),  # no handoff evidence
    ],
)
def test_remote_run_needs_each_rule(local: HostReadiness, handoff: str | None, rule: str) -> None:
    r = row(workstations=["b"], requirements={"tools": ["git"]})
    d = run(r, {"b": ready("b")}, here="a", local=local, handoff=handoff)
    assert d.verdict is Verdict.FAIL
    assert rule in d.reason


def test_remote_run_allowed_when_all_three_rules_hold() -> None:
    r = row(workstations=["b"], requirements={"tools": ["git"]})
    d = run(r, {"b": ready("b")}, here="a", local=not_ready("a"), handoff="ev")
    assert d.verdict is Verdict.PASS
    assert [c.outcome for c in d.checks if c.kind == "policy"] == [Outcome.PASS] * 3


def test_single_machine_without_fallback_warns() -> None:
    d = run(row(workstations=["a"]), {"a": ready("a")})
    warn = next(c for c in d.checks if c.name == "fallback-defined")
    assert warn.outcome is Outcome.WARN
    assert d.verdict is Verdict.PASS
    d2 = run(row(workstations=["a"], on_unavailable="pause"), {"a": ready("a")})
    assert not any(c.name == "fallback-defined" for c in d2.checks)


def test_no_existing_workstation_fails() -> None:
    d = run(row(workstations=["ghost"]), {})
    assert d.verdict is Verdict.FAIL


def test_parallel_members_elsewhere_satisfy_rule_2_even_when_local_could_run_one() -> None:
    r = row(workstations=["a", "b"], parallel=True, requirements={"tools": ["git"]})
    d = run(r, {"a": ready("a"), "b": ready("b")}, here="a", local=ready("a"))
    assert d.verdict is Verdict.PASS
    rule2 = next(c for c in d.checks if c.name == "remote-capability")
    assert "parallel" in (rule2.found or "")


GROUPS = Registry(
    "groups",
    workstations=(ws("a"), ws("b"), ws("c")),
    groups={"g1": ("a", "b"), "g2": ("a",), "empty": ()},
)


def decide_on(hosts: Registry, r: ResolvedStage, ready_hosts: tuple[str, ...]) -> Any:
    return decide(
        RowInputs(
            wrk="WRK-1",
            row=r,
            scope=row_scope(r, hosts),
            hosts=hosts,
            readiness={h: ready(h) for h in ready_hosts},
            here=Here(name="a", handoff_ref="ev"),
        )
    )


def test_a_parallel_list_of_groups_is_filled_when_it_can_be() -> None:
    d = decide_on(GROUPS, row(workstations=["g1", "g2"], parallel=True), ("a", "b"))
    assert d.verdict is Verdict.FAIL  # chosen from groups: policy rule 1, but every slot filled
    assert sorted(d.hosts) == ["a", "b"]
    assert d.hosts == ("b", "a")  # g1 gives a up to g2, the only host g2 has


def test_a_group_count_takes_the_first_ready_members_in_order() -> None:
    d = decide_on(GROUPS, row(workstations={"group": "g1", "count": 2}), ("a", "b"))
    assert d.hosts == ("a", "b")


def test_an_empty_group_names_no_workstation() -> None:
    for scope in (["empty"], {"group": "empty", "count": 1}):
        d = decide_on(GROUPS, row(workstations=scope), ("a",))
        assert d.verdict is Verdict.FAIL
        assert "no hosts" in d.reason


def test_a_group_in_a_list_is_no_single_machine_for_the_fallback_warning() -> None:
    d = decide_on(GROUPS, row(workstations=["g1"]), ("a",))
    assert "fallback-defined" not in {c.name for c in d.checks}
    one = decide_on(GROUPS, row(workstations=["a"]), ("a",))
    assert "fallback-defined" in {c.name for c in one.checks}


def seats(host: str, free: int) -> HostReadiness:
    check = Check(
        name="license:orcaflex",
        required="1 free seat",
        found=f"{free} free of 1",
        outcome=Outcome.PASS if free else Outcome.FAIL,
        reason="seats",
        host=host,
        spec={"feature": "orcaflex", "seats": 1},
        data={"issued_seats": 1, "used_seats": 1 - free, "free_seats": free},
    )
    return HostReadiness(host=host, reachable=True, checks=(check,), source="probe")


def test_seats_held_by_others_count_for_the_local_host_in_the_policy_too() -> None:
    """Here (a) saw its one seat free, but another item holds it: the row moves to b, and the
    policy's rule 2 sees that a lacks the seat (it must not send the row back to a)."""
    r = row(
        workstations=["a", "b"],
        requirements={"licenses": [{"feature": "orcaflex", "seats": 1}]},
    )
    lic = [{"feature": "orcaflex", "kind": "file", "path": "/l"}]
    hosts = Registry(
        "lic", workstations=(ws("a", wrk_licenses=lic), ws("b", wrk_licenses=lic)), groups={}
    )
    seen = {"a": seats("a", 1), "b": seats("b", 1)}
    d = decide(
        RowInputs(
            wrk="WRK-1",
            row=r,
            scope=row_scope(r, hosts),
            hosts=hosts,
            readiness=seen,
            holds={("a", "orcaflex"): 1},
            here=Here(name="a", local=seen["a"], handoff_ref="ev"),
        )
    )
    assert d.verdict is Verdict.PASS, d.reason
    assert d.hosts == ("b",)
    held = next(c for c in d.checks if c.host == "a" and c.name == "license:orcaflex")
    assert (held.outcome, held.data["reserved_seats"], held.data["left_seats"]) == (
        Outcome.FAIL,
        1,
        0,
    )
    assert d.readiness["a"].ready  # as observed: the hold is the row's business


def test_gates_sharing_a_prerequisite_report_it_once() -> None:
    """plan-schema and plan-html both need the plan file: one check, one gap, one reason."""
    from wrk_ansible.decision.outcomes import Gap, GateResult
    from wrk_ansible.decision.verdict import GateInput, compose

    missing = Check(
        name="plan-file",
        required="plan_ref or spec_ref",
        found="none",
        outcome=Outcome.FAIL,
        reason="the WRK names no plan file",
        kind="gate",
    )
    fix = Gap("P1", "WRK-1: no plan file", ("name it as plan_ref",))
    same = GateResult((missing,), Verdict.PAUSE, (fix,))
    machine = run(row(workstations=["a"]), {"a": ready("a")})
    d = compose(machine, gates=[GateInput("plan-schema", same), GateInput("plan-html", same)])
    assert d.verdict is Verdict.PAUSE
    assert [c.name for c in d.checks].count("plan-file") == 1
    assert d.gaps.count(fix) == 1
    assert d.reason == "the WRK names no plan file"


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ({"group": "g2", "count": 3}, "group 'g2' has 1 host (a); count 3 needs 3"),
        ({"group": "g1", "count": 3}, "group 'g1' has 2 hosts (a, b); count 3 needs 3"),
        ({"group": "empty", "count": 2}, "group 'empty' has no hosts; count 2 needs 2"),
        ({"group": "c", "count": 2}, "'c' is one host, not a group; count 2 needs 2"),
    ],
)
def test_a_group_count_its_group_cannot_fill_fails_naming_the_size(
    scope: dict[str, Any], message: str
) -> None:
    """Issue 15: the gate said ``no ready machine ()``; the one resolver now knows the size."""
    r = replace(row(workstations=scope), origin={"workstations": "frontmatter"})
    short = row_scope(r, GROUPS).short
    assert short is not None
    assert short.message == message
    d = decide_on(GROUPS, r, ("a", "b", "c"))
    assert d.verdict is Verdict.FAIL
    assert d.reason == f"execute: {message}"
    assert row_scope(row(workstations={"group": "g1", "count": 2}), GROUPS).short is None


def test_validation_refuses_a_short_group_only_in_rows_the_wrk_wrote() -> None:
    from wrk_ansible.contract.models import WorkItemFields
    from wrk_ansible.contract.resolve import Contract
    from wrk_ansible.names import InventoryNames

    written = replace(
        row(workstations={"group": "g2", "count": 3}), origin={"workstations": "frontmatter"}
    )
    template = replace(
        row("plan_review", workstations={"group": "g2", "count": 2}),
        origin={"workstations": "template"},
    )
    fields = WorkItemFields.model_validate({"id": "WRK-1"})
    contract = Contract(
        "WRK-1.md", "WRK-1", None, None, False, "frontmatter", (written, template), None, fields
    )
    [issue] = InventoryNames(GROUPS).issues(contract)
    assert issue.field == "stage_assignments.execute.workstations"
    assert issue.message == "group 'g2' has 1 host (a); count 3 needs 3"


def test_no_reason_or_gap_is_an_empty_list() -> None:
    """A parallel list naming one host twice leaves a slot no host can fill: said in words."""
    d = decide_on(GROUPS, row(workstations=["a", "a"], parallel=True), ("a",))
    assert d.verdict is Verdict.PAUSE
    said = [d.reason, *(g.summary for g in d.gaps)]
    assert not any("()" in text or "[]" in text for text in said), said
    assert "1 more needed, and every host the row names already runs a part: a" in d.gaps[0].summary
