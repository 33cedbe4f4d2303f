"""The contract's pydantic models: generous inputs, one normalised shape, clear refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from wrk_ansible.contract.models import (
    AssignmentFile,
    GateRef,
    GroupScope,
    StageAssignment,
    StageRequirements,
    ToolRequirement,
    WorkItemFields,
)
from wrk_ansible.contract.template import BUILTIN_GATES
from wrk_ansible.contract.validate import check_work_item


def assignment(**data: Any) -> StageAssignment:
    return StageAssignment.model_validate(data)


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " | ".join(str(e["msg"]) for e in exc.value.errors())


# --- StageAssignment -----------------------------------------------------------------------


def test_parallel_needs_at_least_two_workstations() -> None:
    with pytest.raises(ValidationError) as info:
        assignment(workstations=["dev-primary"], parallel=True)
    assert "at least two workstations" in messages(info)
    with pytest.raises(ValidationError):
        assignment(workstations={"group": "linux", "count": 2}, parallel=True)
    with pytest.raises(ValidationError):
        assignment(parallel=True)
    ok = assignment(workstations=["dev-primary", "licensed-win-1"], parallel=True)
    assert ok.parallel is True
    assert ok.workstations == ("dev-primary", "licensed-win-1")


def test_primary_and_agents_conflict() -> None:
    with pytest.raises(ValidationError) as info:
        assignment(primary="claude", agents=["codex"])
    assert "either primary/secondary or agents" in messages(info)
    with pytest.raises(ValidationError):
        assignment(secondary="claude", agents="any")
    assert assignment(agents="any").agents == "any"
    assert assignment(agents=["claude", "codex"]).agents == ("claude", "codex")


def test_agents_must_be_any_or_a_list() -> None:
    with pytest.raises(ValidationError):
        assignment(agents="anything")


def test_workstations_name_list_or_group() -> None:
    assert assignment(workstations="dev-primary").workstations == ("dev-primary",)
    assert assignment(workstations=["a", "b"]).workstations == ("a", "b")
    group = assignment(workstations={"group": "ai_capable", "count": 2}).workstations
    assert group == GroupScope(group="ai_capable", count=2)
    assert assignment(workstations={"group": "gpu"}).workstations == GroupScope(
        group="gpu", count=1
    )


@pytest.mark.parametrize(
    "scope",
    [
        {"group": "gpu", "count": 0},
        {"group": "gpu", "count": "two"},
        {"group": "gpu", "size": 2},
        {"count": 2},
        {"group": "bad name!"},
        42,
    ],
)
def test_bad_group_scopes(scope: Any) -> None:
    with pytest.raises(ValidationError):
        assignment(workstations=scope)


def test_gates_as_names_or_objects() -> None:
    row = assignment(gates=["machine-readiness", {"name": "route-policy", "advisory": True}])
    assert row.gates == (
        GateRef(name="machine-readiness"),
        GateRef(name="route-policy", advisory=True),
    )
    assert assignment().gates is None  # absent: the template's gates apply
    with pytest.raises(ValidationError):
        assignment(gates=[{"name": "route-policy", "blocking": False}])
    with pytest.raises(ValidationError):
        assignment(gates=["Not A Gate Name"])


def test_on_unavailable_choices() -> None:
    for choice in ("pause", "defer", "replan"):
        assert assignment(on_unavailable=choice).on_unavailable == choice
    with pytest.raises(ValidationError):
        assignment(on_unavailable="retry")


def test_assignment_forbids_unknown_keys_and_is_frozen() -> None:
    with pytest.raises(ValidationError):
        assignment(primray="claude")
    row = assignment(primary="claude")
    with pytest.raises(ValidationError):
        row.primary = "codex"  # type: ignore[misc]


@pytest.mark.parametrize(
    "data",
    [
        {"primary": "{{ agent }}"},
        {"workstations": ["{% if x %}a{% endif %}"]},
        {"fallback": ["{# comment #}host"]},
    ],
)
def test_jinja_is_refused_anywhere(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        assignment(**data)
    assert "Jinja" in messages(info)


# --- requirements --------------------------------------------------------------------------


def test_tools_as_names_or_objects() -> None:
    req = StageRequirements.model_validate(
        {"tools": ["git", {"name": "python3", "min_version": "3.10"}, "g++"]}
    )
    assert req.tools == (
        ToolRequirement(name="git"),
        ToolRequirement(name="python3", min_version="3.10"),
        ToolRequirement(name="g++"),
    )
    assert not req.empty
    assert StageRequirements().empty


@pytest.mark.parametrize(
    "data",
    [
        {"tools": ["{{ lookup('pipe', 'id') }}"]},
        {"tools": ["rm -rf /"]},
        {"tools": [{"name": "git", "version": "2"}]},
        {"licenses": [{"feature": "orcaflex", "seats": 0}]},
        {"licenses": [{"seats": 1}]},
        {"disk": [{"path": "/", "free_gb": 0}]},
        {"disk": [{"path": "/tmp\n/etc", "free_gb": 1}]},
        {"network": [{"host": "license.example", "port": 70000}]},
        {"network": [{"host": "a b", "port": 22}]},
        {"gpu": True},
    ],
)
def test_bad_requirements(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        StageRequirements.model_validate(data)


def test_license_seats_default_to_one() -> None:
    req = StageRequirements.model_validate({"licenses": [{"feature": "orcaflex"}]})
    assert req.licenses[0].seats == 1


# --- WorkItemFields -------------------------------------------------------------------------


def test_stage_keys_with_hyphens_normalise() -> None:
    parsed = WorkItemFields.model_validate(
        {
            "stage_assignments": {"impl-review": {"agents": "any"}, "Plan-Draft": {}},
            "machine_capability_requirements": {"resource-intelligence": {"tools": ["git"]}},
        }
    )
    assert parsed.stage_assignments is not None
    assert set(parsed.stage_assignments) == {"impl_review", "plan_draft"}
    assert parsed.machine_capability_requirements is not None
    assert set(parsed.machine_capability_requirements) == {"resource_intelligence"}


def test_stage_given_twice_after_normalising() -> None:
    with pytest.raises(ValidationError) as info:
        WorkItemFields.model_validate({"stage_assignments": {"impl-review": {}, "impl_review": {}}})
    assert "given twice" in messages(info)


def test_unknown_stage_suggests_the_closest() -> None:
    with pytest.raises(ValidationError) as info:
        WorkItemFields.model_validate({"machine_capability_requirements": {"exeute": {}}})
    text = messages(info)
    assert "unknown stage 'exeute'" in text
    assert "did you mean 'execute'" in text


def test_ref_and_inline_assignments_are_exclusive() -> None:
    with pytest.raises(ValidationError) as info:
        WorkItemFields.model_validate(
            {"stage_assignments": {}, "stage_assignments_ref": "contract.yml"}
        )
    assert "not both" in messages(info)


def test_work_item_fields_keep_unknown_keys_out_of_the_way() -> None:
    parsed = WorkItemFields.model_validate(
        {"id": 635, "title": 1.5, "weird": {"a": 1}, "computer": "a, b"}
    )
    assert parsed.id == 635
    assert parsed.computer == ("a", "b")


def test_assignment_file_needs_schema_version_1() -> None:
    good = {"schema_version": 1, "stage_assignments": {"execute": {"primary": "claude"}}}
    assert AssignmentFile.model_validate(good).schema_version == 1
    with pytest.raises(ValidationError):
        AssignmentFile.model_validate({**good, "schema_version": 2})
    with pytest.raises(ValidationError):
        AssignmentFile.model_validate({"stage_assignments": {}})
    with pytest.raises(ValidationError):
        AssignmentFile.model_validate({**good, "extra": 1})


# --- through validation: messages name the field and line ---------------------------------


def _wrk(tmp_path: Path, body: str) -> str:
    path = tmp_path / "WRK-200.md"
    path.write_text(
        "---\nid: WRK-200\nstatus: pending\ncomputer: dev-primary\n"
        "handoff_evidence_ref: .wrk/evidence/WRK-200\n" + body + "---\n",
        encoding="utf-8",
    )
    return str(path)


def test_unknown_gate_is_an_error_listing_known_gates(tmp_path: Path) -> None:
    path = _wrk(
        tmp_path,
        "stage_assignments:\n  execute:\n    primary: claude\n"
        "    workstations: [dev-primary]\n    gates: [machine-readyness]\n",
    )
    result = check_work_item(path)
    assert not result.valid
    [error] = result.errors
    assert error.field == "stage_assignments.execute.gates"
    assert "unknown gate 'machine-readyness'" in error.message
    for gate in BUILTIN_GATES:
        assert gate in error.message


def test_advisory_gate_object_validates(tmp_path: Path) -> None:
    path = _wrk(
        tmp_path,
        "stage_assignments:\n  execute:\n    primary: claude\n    workstations: [dev-primary]\n"
        "    gates: [machine-readiness, {name: route-policy, advisory: true}]\n",
    )
    result = check_work_item(path)
    assert result.valid, result.errors
    assert result.contract is not None
    gates = result.contract.stage("execute").gates
    assert [(g.name, g.advisory) for g in gates] == [
        ("machine-readiness", False),
        ("route-policy", True),
    ]


def test_explicit_row_without_gates_takes_the_templates(tmp_path: Path) -> None:
    path = _wrk(
        tmp_path,
        "stage_assignments:\n  execute:\n    primary: claude\n    workstations: [dev-primary]\n",
    )
    result = check_work_item(path)
    assert result.contract is not None
    execute = result.contract.stage("execute")
    assert [g.name for g in execute.gates] == ["machine-readiness"]
    assert execute.origin["gates"] == "template"
    assert execute.origin["primary"] == "frontmatter"
    assert execute.explicit is True
    assert result.contract.stage("claim").explicit is False


def test_template_claim_row_checks_the_queue_first(tmp_path: Path) -> None:
    """A claim row taken from the template refuses a parked item (queue-valid); an explicit
    claim row keeps exactly the gates it names."""
    derived = check_work_item(_wrk(tmp_path, "orchestrator: claude\n"))
    assert derived.contract is not None
    claim = derived.contract.stage("claim")
    assert [g.name for g in claim.gates] == ["queue-valid", "quota-snapshot", "routing-evidence"]
    assert claim.origin["gates"] == "template"
    named = check_work_item(
        _wrk(
            tmp_path,
            "stage_assignments:\n  claim:\n    primary: claude\n"
            "    workstations: [dev-primary]\n    gates: [quota-snapshot]\n",
        )
    )
    assert named.valid, named.errors
    assert named.contract is not None
    assert [g.name for g in named.contract.stage("claim").gates] == ["quota-snapshot"]


def test_group_scope_type_error_has_a_readable_message(tmp_path: Path) -> None:
    path = _wrk(
        tmp_path,
        "stage_assignments:\n  execute:\n    primary: claude\n    workstations: 42\n",
    )
    result = check_work_item(path)
    assert not result.valid
    assert all(e.field == "stage_assignments.execute.workstations" for e in result.errors)
    assert all(e.line == 9 for e in result.errors)


def test_hyphenated_stage_key_in_a_file(tmp_path: Path) -> None:
    path = _wrk(
        tmp_path,
        "stage_assignments:\n  impl-review:\n    agents: any\n"
        "    workstations: {group: ai_capable, count: 2}\n",
    )
    result = check_work_item(path)
    assert result.valid, result.errors
    assert result.contract is not None
    row = result.contract.stage("impl_review")
    assert row.explicit
    assert row.scope_text == "any 2 of group ai_capable"


def test_plain_union_errors_are_one_issue_on_the_field(tmp_path: Path) -> None:
    """``id: str | int`` given a list: one error on ``id``, not ``id.str`` and ``id.int``."""
    path = tmp_path / "WRK-201.md"
    path.write_text("---\nid: [1]\nstatus: pending\ncomputer: a\n---\n", encoding="utf-8")
    result = check_work_item(str(path))
    assert [(e.field, e.line) for e in result.errors] == [("id", 2)]
    assert result.errors[0].message == "Input should be a valid string or a valid integer"


def test_unknown_key_named_like_a_type_keeps_its_name(tmp_path: Path) -> None:
    path = _wrk(
        tmp_path,
        "stage_assignments:\n  execute:\n    primary: claude\n    workstations: [a]\n    str: 1\n",
    )
    result = check_work_item(path)
    assert [e.field for e in result.errors] == ["stage_assignments.execute.str"]


def test_an_integer_min_version_is_checked_as_text() -> None:
    """``min_version: 3`` is the version "3"; ``-3`` is no version (refused when read, not on
    the host)."""
    from pydantic import ValidationError

    from wrk_ansible.contract.models import ToolRequirement

    assert ToolRequirement(name="gcc", min_version=3).min_version == "3"  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not a version"):
        ToolRequirement(name="gcc", min_version=-3)  # type: ignore[arg-type]
