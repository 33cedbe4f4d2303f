"""The gate registry: one implementation per built-in, entry point discovery, advisory gates,
unknown gates in contracts, and run_row_gates combining by the worst verdict."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from _gatekit import LEGACY, NOW, context, outcomes, write_wrk

from wrk_ansible.agents.quota import Reading, snapshot_body
from wrk_ansible.contract import gate_names
from wrk_ansible.contract.template import BUILTIN_GATES, DEFAULT_MATRIX
from wrk_ansible.contract.validate import check_work_item
from wrk_ansible.decision.outcomes import Check, Outcome, Verdict
from wrk_ansible.decision.verdict import counted
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.gates import registry as gates
from wrk_ansible.gates.base import GateContext, GateResult, combine

DOC = Path(__file__).parents[2] / "docs" / "gates.md"


def third_party_gate(ctx: GateContext) -> GateResult:
    """A real callable loaded through a real EntryPoint (this module is importable by name)."""
    check = Check(
        name="license-budget",
        required="budget left",
        found="none",
        outcome=Outcome.FAIL,
        reason="out of budget",
    )
    return GateResult((check,), Verdict.FAIL)


def raising_gate(ctx: GateContext) -> GateResult:
    raise RuntimeError("boom")


def wrong_type_gate(ctx: GateContext) -> str:
    return "pass"


def row_gates(ctx: GateContext) -> GateResult:
    """The row's gate results as the composition counts them, rolled up by the worst."""
    return combine(counted(g) for g in gates.run_row_gates(ctx))


PLUGINS = {
    "license-budget": "test_gate_registry:third_party_gate",
    "raises": "test_gate_registry:raising_gate",
    "wrong-type": "test_gate_registry:wrong_type_gate",
    "missing-module": "no_such_module_for_wrk:check",
    "queue-valid": "test_gate_registry:third_party_gate",  # a built-in name: never replaced
    "Bad Name": "test_gate_registry:third_party_gate",  # no contract could name it
}


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    eps = [EntryPoint(name, value, gates.GROUP) for name, value in PLUGINS.items()]
    monkeypatch.setattr(
        gate_names, "entry_points", lambda group: eps if group == gates.GROUP else []
    )
    gate_names.third_party.cache_clear()
    yield
    gate_names.third_party.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    gate_names.third_party.cache_clear()
    yield
    gate_names.third_party.cache_clear()


def test_every_builtin_has_one_implementation() -> None:
    assert set(gates.BUILTIN) | {gates.MACHINE_READINESS} == set(BUILTIN_GATES)
    for name in gates.BUILTIN:
        assert callable(gates.load_gate(name))
    template = {g for row in DEFAULT_MATRIX.values() for g in row["gates"]}
    assert template <= set(BUILTIN_GATES)


def test_known_gates_adds_entry_points(plugins: None) -> None:
    known = gates.known_gates()
    assert known[: len(BUILTIN_GATES)] == BUILTIN_GATES
    assert set(known[len(BUILTIN_GATES) :]) == {
        "license-budget",
        "missing-module",
        "raises",
        "wrong-type",
    }


def test_without_plugins_only_builtins() -> None:
    assert gates.known_gates() == BUILTIN_GATES


def _with_gates(tmp_path: Path, gates_yaml: str) -> Path:
    front = (
        f"{LEGACY}handoff_evidence_ref: ev\nstage_assignments:\n  close:\n    primary: claude\n"
        f"    workstations: [dev-primary]\n    gates: {gates_yaml}\n"
    )
    return write_wrk(tmp_path / "queue" / "pending", front)


def test_contract_naming_an_entry_point_gate_validates(tmp_path: Path, plugins: None) -> None:
    assert check_work_item(str(_with_gates(tmp_path, "[license-budget]"))).valid


def test_unknown_gate_is_an_error_listing_known_ones(tmp_path: Path, plugins: None) -> None:
    result = check_work_item(str(_with_gates(tmp_path, "[licence-budget]")))
    [error] = result.errors
    assert error.field == "stage_assignments.close.gates"
    assert "unknown gate 'licence-budget'" in error.message
    for name in (*BUILTIN_GATES, "license-budget"):
        assert name in error.message


def test_run_row_gates_runs_a_third_party_gate(tmp_path: Path, plugins: None) -> None:
    ctx = context(_with_gates(tmp_path, "[license-budget]"), "close", Ledger(tmp_path / "ev"))
    result = row_gates(ctx)
    assert result.verdict is Verdict.FAIL
    assert outcomes(result) == {"license-budget": "fail"}


def test_advisory_gate_is_shown_but_never_blocks(tmp_path: Path, plugins: None) -> None:
    path = _with_gates(tmp_path, "[{name: license-budget, advisory: true}, queue-valid]")
    result = row_gates(context(path, "close", Ledger(tmp_path / "ev")))
    assert result.verdict is Verdict.PASS
    assert outcomes(result)["license-budget"] == "warn"
    assert result.checks[0].reason == "advisory: out of budget"
    assert outcomes(result)["queue-status"] == "pass"  # the built-in, not the shadowing plugin


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("raises", "raised RuntimeError: boom"),
        ("wrong-type", "returned str, not a GateResult"),
        ("missing-module", "cannot be loaded: ModuleNotFoundError"),
    ],
)
def test_a_broken_plugin_fails_its_row_not_the_process(
    tmp_path: Path, plugins: None, name: str, said: str
) -> None:
    ctx = context(_with_gates(tmp_path, f"[{name}]"), "close", Ledger(tmp_path / "ev"))
    result = row_gates(ctx)
    assert result.verdict is Verdict.FAIL
    assert said in result.checks[0].reason
    assert result.gaps


def test_worst_verdict_wins_and_machine_readiness_is_left_to_the_decision(tmp_path: Path) -> None:
    path = _with_gates(tmp_path, "[machine-readiness, queue-valid, sync-checks]")
    result = row_gates(context(path, "close", Ledger(tmp_path / "ev")))
    names = outcomes(result)
    assert "machine-readiness" not in names
    assert names["queue-status"] == "pass"
    assert names["git-clean"] == "unknown"  # tmp_path is no git repository
    assert result.verdict is Verdict.PAUSE


def test_template_rows_run_their_gates(tmp_path: Path) -> None:
    path = write_wrk(tmp_path / "queue" / "pending")
    ctx = context(path, "plan_draft", Ledger(tmp_path / "ev"))
    result = row_gates(ctx)
    assert {c.name for c in result.checks} == {"plan-file"}  # plan-schema and plan-html
    assert len(result.checks) == 2
    assert result.verdict is Verdict.PAUSE


def test_docs_name_every_builtin_gate() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in BUILTIN_GATES:
        assert f"`{name}`" in text, name
    assert gates.GROUP in text


def test_a_refused_claim_writes_no_routing_record(tmp_path: Path) -> None:
    """Gates run in order; once queue-valid refuses the parked item, routing-evidence still
    decides but records nothing, so later rows never see the work as routed."""
    ledger = Ledger(tmp_path / "ev")
    readings = [
        Reading(a, "weekly", 5.0, NOW + timedelta(days=4), NOW) for a in ("codex", "claude")
    ]
    ledger.append("_quota", "dev-primary", "quota", snapshot_body(readings, {"command": "test"}))
    parked = write_wrk(tmp_path / "queue" / "blocked", status="blocked")
    result = row_gates(context(parked, "claim", ledger))
    assert context(parked, "claim", ledger).row.gates[0].name == "queue-valid"
    assert result.verdict is Verdict.FAIL
    assert outcomes(result)["queue-not-parked"] == "fail"
    assert outcomes(result)["routing-evidence"] == "warn"
    note = next(c for c in result.checks if c.name == "routing-evidence")
    assert note.reason == "decided but not recorded (queue-valid blocks the row)"
    assert result.evidence == ()
    assert [r for r in ledger.records("WRK-900") if r.kind == "routing"] == []
    claimable = write_wrk(tmp_path / "queue" / "pending", name="WRK-901.md", id="WRK-901")
    routed = row_gates(context(claimable, "claim", ledger))
    assert routed.verdict is Verdict.PASS
    assert [ledger.get(e).kind for e in routed.evidence] == ["routing"]


def test_known_gates_answer_for_a_builtin_without_reading_entry_points(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unread(group: str) -> list[EntryPoint]:
        raise AssertionError("entry points were read for a built-in name")

    monkeypatch.setattr(gate_names, "entry_points", unread)
    known = gate_names.KnownGates()
    assert "queue-valid" in known
    with pytest.raises(AssertionError):
        _ = "license-budget" in known  # not a built-in: the entry points are asked


def test_known_gates_collection_lists_what_known_gates_lists(plugins: None) -> None:
    known = gate_names.KnownGates()
    assert list(known) == list(gate_names.known_gates())
    assert len(known) == len(gate_names.known_gates())
    assert "license-budget" in known
    assert "Bad Name" not in known
