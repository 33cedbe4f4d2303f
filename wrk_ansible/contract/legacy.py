"""Derive a contract row from a WRK's legacy fields and the default template.

Legacy items say ``computer: build1`` and little else. Each derived value records where it
came from, so ``wrk contract show`` can say "execute on win1 (execution_workstations)".
"""

from __future__ import annotations

from typing import Any

from wrk_ansible.contract.models import WorkItemFields
from wrk_ansible.contract.template import (
    DEFAULT_MATRIX,
    ORCHESTRATOR,
    PROVIDER,
    PROVIDER_ALT,
    Matrix,
)

Origin = dict[str, str]

_PLAN_ROWS = ("resource_intelligence", "plan_draft")
_ORCHESTRATOR_ROWS = ("claim", "close")


def _agent_refs(fields: WorkItemFields) -> dict[str, tuple[str | None, str]]:
    """``$ref`` -> (agent, the field it came from)."""
    providers = list(fields.provider)
    alternates = list(fields.provider_alt) or providers[1:]
    orchestrator = fields.orchestrator
    refs: dict[str, tuple[str | None, str]] = {
        ORCHESTRATOR: (orchestrator, "orchestrator"),
        PROVIDER: (providers[0], "provider") if providers else (orchestrator, "orchestrator"),
        PROVIDER_ALT: (
            (alternates[0], "provider_alt" if fields.provider_alt else "provider")
            if alternates
            else (None, "provider_alt")
        ),
    }
    return refs


def _orchestrator_machine(fields: WorkItemFields) -> tuple[list[str], str] | None:
    """Claim and close run on the orchestrator's machine: where the item is planned."""
    if fields.plan_workstations:
        return [fields.plan_workstations[0]], "plan_workstations"
    if len(fields.computer) == 1:
        return [fields.computer[0]], "computer"
    return None


def derive_row(
    stage: str, fields: WorkItemFields, matrix: Matrix = DEFAULT_MATRIX
) -> tuple[dict[str, Any], Origin]:
    """The template's (``matrix``'s) row for ``stage``, filled from the WRK's legacy fields."""
    row = {key: value for key, value in matrix[stage].items()}
    origin: Origin = {key: "template" for key in row}
    refs = _agent_refs(fields)
    for key in ("primary", "secondary"):
        value = row.get(key)
        if isinstance(value, str) and value in refs:
            agent, source = refs[value]
            origin[key] = source if agent else f"template ({value[1:]} not set)"
            if agent:
                row[key] = agent
            else:
                row.pop(key)
    if row.get("secondary") and row.get("secondary") == row.get("primary"):
        row.pop("secondary")  # e.g. close: orchestrator codex > codex
        origin["secondary"] = "dropped (same as primary)"
    if stage in _PLAN_ROWS and fields.plan_workstations:
        row["workstations"] = list(fields.plan_workstations)
        origin["workstations"] = "plan_workstations"
    elif stage in _ORCHESTRATOR_ROWS:
        found = _orchestrator_machine(fields)
        if found:
            row["workstations"], origin["workstations"] = found
    elif stage == "execute":
        if fields.execution_workstations:
            row["workstations"] = list(fields.execution_workstations)
            origin["workstations"] = "execution_workstations"
        elif fields.computer:
            row["workstations"] = list(fields.computer)
            origin["workstations"] = "computer"
        else:
            row.pop("workstations")
            origin["workstations"] = "none (no execution_workstations or computer)"
    return row, origin


def contradictions(fields: WorkItemFields) -> list[tuple[str, str]]:
    """(field, message) for legacy fields that disagree with each other."""
    found: list[tuple[str, str]] = []
    if fields.computer and fields.execution_workstations:
        execution = {name.lower() for name in fields.execution_workstations}
        outside = [name for name in fields.computer if name.lower() not in execution]
        if outside:
            found.append(
                (
                    "computer",
                    f"computer {', '.join(outside)} is not in execution_workstations "
                    f"({', '.join(fields.execution_workstations)}); execute uses "
                    "execution_workstations",
                )
            )
    return found
