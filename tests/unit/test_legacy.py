"""Deriving a contract from legacy fields, with plain data (no files)."""

from __future__ import annotations

from typing import Any

import pytest

from wrk_ansible.contract.legacy import contradictions, derive_row
from wrk_ansible.contract.models import WorkItemFields
from wrk_ansible.contract.resolve import ResolvedStage, build_stages
from wrk_ansible.contract.stages import STAGE_IDS
from wrk_ansible.contract.template import AGENT_HOSTS, DEFAULT_MATRIX, ORCHESTRATOR_HOST


def fields(**data: Any) -> WorkItemFields:
    return WorkItemFields.model_validate({"id": "WRK-1", "status": "pending", **data})


def rows(**data: Any) -> dict[str, ResolvedStage]:
    return {row.stage: row for row in build_stages(fields(**data), {}, {}, "frontmatter")}


def test_execute_from_execution_workstations_over_computer() -> None:
    row, origin = derive_row(
        "execute", fields(computer="dev-primary", execution_workstations=["licensed-win-1"])
    )
    assert row["workstations"] == ["licensed-win-1"]
    assert origin["workstations"] == "execution_workstations"


def test_execute_from_computer_when_no_execution_workstations() -> None:
    row, origin = derive_row("execute", fields(computer=["dev-primary", "dev-secondary"]))
    assert row["workstations"] == ["dev-primary", "dev-secondary"]
    assert origin["workstations"] == "computer"


def test_execute_without_any_machine_has_no_workstations() -> None:
    row, origin = derive_row("execute", fields())
    assert "workstations" not in row
    assert origin["workstations"].startswith("none")


def test_plan_rows_from_plan_workstations() -> None:
    derived = rows(plan_workstations=["dev-secondary"], computer="licensed-win-1")
    for stage in ("resource_intelligence", "plan_draft"):
        assert derived[stage].assignment.workstations == ("dev-secondary",)
        assert derived[stage].origin["workstations"] == "plan_workstations"
    # The cross-review row keeps the template's "any host that runs an agent".
    assert derived["plan_review"].assignment.workstations == (AGENT_HOSTS,)
    assert derived["plan_review"].origin["workstations"] == "template"


def test_plan_rows_without_plan_workstations_use_the_template() -> None:
    derived = rows(computer="dev-primary")
    assert derived["plan_draft"].assignment.workstations == (ORCHESTRATOR_HOST,)
    assert derived["plan_draft"].origin["workstations"] == "template"


@pytest.mark.parametrize("stage", ["claim", "close"])
def test_claim_and_close_run_on_the_orchestrators_machine(stage: str) -> None:
    derived = rows(
        orchestrator="codex",
        plan_workstations=["dev-secondary"],
        execution_workstations=["licensed-win-1"],
    )
    row = derived[stage]
    assert row.assignment.workstations == ("dev-secondary",)
    assert row.origin["workstations"] == "plan_workstations"
    assert row.assignment.primary == "codex"
    assert row.origin["primary"] == "orchestrator"


def test_claim_on_the_single_computer_without_plan_workstations() -> None:
    row = rows(orchestrator="claude", computer="dev-secondary")["claim"]
    assert row.assignment.workstations == ("dev-secondary",)
    assert row.origin["workstations"] == "computer"


def test_claim_with_several_computers_keeps_the_template_machine() -> None:
    row = rows(orchestrator="claude", computer=["dev-primary", "dev-secondary"])["claim"]
    assert row.assignment.workstations == (ORCHESTRATOR_HOST,)
    assert row.origin["workstations"] == "template"


def test_provider_and_provider_alt_are_executes_primary_and_secondary() -> None:
    execute = rows(provider="codex", provider_alt="claude", computer="dev-primary")["execute"]
    assert execute.assignment.primary == "codex"
    assert execute.assignment.secondary == "claude"
    assert execute.origin["primary"] == "provider"
    assert execute.origin["secondary"] == "provider_alt"


def test_comma_joined_provider_alt_is_a_list() -> None:
    parsed = fields(provider="codex", provider_alt="claude,gemini")
    assert parsed.provider == ("codex",)
    assert parsed.provider_alt == ("claude", "gemini")
    row, origin = derive_row("execute", parsed)
    assert row["primary"] == "codex"
    assert row["secondary"] == "claude"
    assert origin["secondary"] == "provider_alt"


@pytest.mark.parametrize(
    "value", ["claude, gemini", ["claude", "gemini"], " claude ,gemini,", ("claude", "gemini")]
)
def test_provider_alt_shapes_normalise(value: Any) -> None:
    assert fields(provider_alt=value).provider_alt == ("claude", "gemini")


def test_provider_list_second_entry_is_the_secondary() -> None:
    row, origin = derive_row("execute", fields(provider=["codex", "gemini"]))
    assert (row["primary"], row["secondary"]) == ("codex", "gemini")
    assert origin["secondary"] == "provider"


def test_no_provider_falls_back_to_the_orchestrator() -> None:
    row, origin = derive_row("execute", fields(orchestrator="claude"))
    assert row["primary"] == "claude"
    assert origin["primary"] == "orchestrator"
    assert "secondary" not in row
    assert origin["secondary"].startswith("template (provider_alt not set")


def test_no_orchestrator_leaves_claim_without_primary() -> None:
    row, origin = derive_row("claim", fields())
    assert "primary" not in row
    assert origin["primary"] == "template (orchestrator not set)"


def test_derive_row_does_not_mutate_the_template() -> None:
    before = repr(DEFAULT_MATRIX)
    derive_row("execute", fields(provider="codex", computer="dev-primary"))
    derive_row("claim", fields(orchestrator="codex", plan_workstations=["x"]))
    assert repr(DEFAULT_MATRIX) == before


def test_every_row_records_the_origin_of_every_value() -> None:
    derived = rows(provider="codex", orchestrator="claude", computer="dev-primary")
    assert tuple(derived) == STAGE_IDS
    for row in derived.values():
        set_fields = row.assignment.model_fields_set
        assert set_fields <= set(row.origin), row.stage
        assert row.explicit is False


def test_template_gates_on_derived_rows() -> None:
    derived = rows(computer="dev-primary")
    assert [g.name for g in derived["plan_draft"].gates] == ["plan-schema", "plan-html"]
    assert [g.name for g in derived["execute"].gates] == ["machine-readiness"]


def test_contradiction_names_both_fields() -> None:
    found = contradictions(
        fields(computer=["dev-primary", "ace-win-2"], execution_workstations=["DEV-PRIMARY"])
    )
    assert len(found) == 1
    field, message = found[0]
    assert field == "computer"
    assert "ace-win-2" in message
    assert "dev-primary" not in message.split(" is not in")[0]  # case-insensitive match
    assert "execution_workstations" in message


def test_no_contradiction_when_computer_is_inside() -> None:
    assert contradictions(fields(computer="a", execution_workstations=["a", "b"])) == []
    assert contradictions(fields(computer="a")) == []
