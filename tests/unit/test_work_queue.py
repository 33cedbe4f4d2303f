"""The team's real work items validate; legacy quirks become warnings, never errors."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from wrk_ansible.contract.validate import check_work_item

FIXTURES = Path(__file__).parents[1] / "fixtures"
WORK_QUEUE = FIXTURES / "work-queue"
WARNINGS = FIXTURES / "warnings"
RunWrk = Callable[..., subprocess.CompletedProcess[str]]

MULTI_MACHINE = {"WRK-1022", "WRK-635", "WRK-129", "WRK-1342"}
ITEMS = sorted(WORK_QUEUE.rglob("WRK-*.md"))


def test_the_fixture_queue_is_the_real_one() -> None:
    assert len(ITEMS) == 9
    assert {p.stem for p in ITEMS} >= MULTI_MACHINE | {"WRK-640", "WRK-039", "WRK-664"}


@pytest.fixture(scope="module")
def queue_report(run_wrk: RunWrk) -> dict[str, dict[str, object]]:
    proc = run_wrk("contract", "validate", "--json", str(WORK_QUEUE))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return {item["id"]: item for item in json.loads(proc.stdout)}


def test_validate_whole_queue_exits_0_all_derived_and_valid(
    queue_report: dict[str, dict[str, object]],
) -> None:
    assert set(queue_report) == {p.stem for p in ITEMS}
    for wrk_id, item in queue_report.items():
        assert item["valid"] is True, wrk_id
        assert item["derived"] is True, wrk_id
        assert item["errors"] == [], wrk_id


def _warned_fields(item: dict[str, object]) -> set[str | None]:
    warnings = item["warnings"]
    assert isinstance(warnings, list)
    return {w["field"] for w in warnings}


@pytest.mark.parametrize("wrk_id", sorted(MULTI_MACHINE))
def test_multi_machine_items_warn_about_handoff_evidence(
    wrk_id: str, queue_report: dict[str, dict[str, object]]
) -> None:
    assert "handoff_evidence_ref" in _warned_fields(queue_report[wrk_id])


def test_single_machine_items_do_not_warn_about_handoff(
    queue_report: dict[str, dict[str, object]],
) -> None:
    single = {"WRK-640", "WRK-655", "WRK-664", "WRK-1003", "WRK-039"}
    for wrk_id in single:
        assert "handoff_evidence_ref" not in _warned_fields(queue_report[wrk_id]), wrk_id


def test_derived_items_warn_about_missing_new_fields(
    queue_report: dict[str, dict[str, object]],
) -> None:
    for wrk_id, item in queue_report.items():
        fields = _warned_fields(item)
        assert "machine_capability_requirements" in fields, wrk_id
        assert None in fields, wrk_id  # "no execution contract: derived from legacy fields"


def test_real_items_have_no_contradiction(queue_report: dict[str, dict[str, object]]) -> None:
    for item in queue_report.values():
        assert "computer" not in _warned_fields(item)


def test_contradiction_warns_naming_both_fields(run_wrk: RunWrk) -> None:
    path = WARNINGS / "WRK-9001-contradiction.md"
    proc = run_wrk("contract", "validate", "--json", str(path))
    assert proc.returncode == 0, proc.stdout
    [item] = json.loads(proc.stdout)
    assert item["valid"] is True
    assert item["derived"] is True
    [warning] = [w for w in item["warnings"] if w["field"] == "computer"]
    assert "dev-secondary" in warning["message"]
    assert "execution_workstations" in warning["message"]
    assert "licensed-win-1" in warning["message"]


def test_contradiction_execute_uses_execution_workstations() -> None:
    result = check_work_item(str(WARNINGS / "WRK-9001-contradiction.md"))
    assert result.contract is not None
    execute = result.contract.stage("execute")
    assert execute.assignment.workstations == ("licensed-win-1",)
    assert execute.origin["workstations"] == "execution_workstations"


def test_repeated_other_key_is_a_warning_with_both_lines(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "validate", "--json", str(WARNINGS / "WRK-repeated-other-key.md"))
    assert proc.returncode == 0, proc.stdout
    [item] = json.loads(proc.stdout)
    assert item["valid"] is True
    assert item["errors"] == []
    [warning] = [w for w in item["warnings"] if w["field"] == "priority"]
    assert "lines 6 and 7" in warning["message"]
    assert warning["line"] == 7


def test_repeated_nested_contract_key_is_an_error(tmp_path: Path) -> None:
    wrk = tmp_path / "WRK-71.md"
    wrk.write_text(
        "---\nid: WRK-71\nstatus: pending\ncomputer: dev-primary\n"
        "stage_assignments:\n  execute:\n    primary: claude\n    primary: codex\n"
        "    workstations: [dev-primary]\n"
        "handoff_evidence_ref: .wrk/evidence/WRK-71\n---\n",
        encoding="utf-8",
    )
    result = check_work_item(str(wrk))
    assert not result.valid
    [error] = result.errors
    assert error.field == "stage_assignments.execute.primary"
    assert "lines 7 and 8" in error.message


def test_text_report_names_each_file(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "validate", str(WORK_QUEUE))
    assert proc.returncode == 0
    for path in ITEMS:
        assert str(path) in proc.stdout
    assert "9 file(s): 9 valid (9 derived), 0 invalid" in proc.stderr
