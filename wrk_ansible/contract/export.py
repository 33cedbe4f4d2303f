"""Plain-data views of a contract: a JSON-ready dict, and the JSON Schema of its fields."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from wrk_ansible.contract.models import SCHEMA_VERSION, AssignmentFile, WorkItemFields
from wrk_ansible.contract.resolve import Contract, ResolvedStage


def stage_as_dict(row: ResolvedStage) -> dict[str, Any]:
    data = row.assignment.model_dump(mode="json")
    return {
        "stage": row.stage,
        "phase": row.phase,
        "explicit": row.explicit,
        **data,
        "gates": [g.model_dump(mode="json") for g in row.gates],
        "requirements": row.requirements.model_dump(mode="json"),
        "origin": dict(row.origin),
    }


def contract_as_dict(contract: Contract) -> dict[str, Any]:
    """The contract as JSON-ready data (``wrk contract show --json``)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "path": contract.path,
        "id": contract.wrk_id,
        "title": contract.title,
        "status": contract.status,
        "derived": contract.derived,
        "source": contract.source,
        "multi_machine": contract.multi_machine,
        "handoff_evidence_ref": contract.handoff_evidence_ref,
        "stages": [stage_as_dict(row) for row in contract.stages],
        **({"kind": contract.kind, "url": contract.url} if contract.is_issue else {}),
    }


def json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of the frontmatter fields and of an assignment file.

    The document validates frontmatter; ``$defs/AssignmentFile`` validates assignment files.
    """
    _, top = models_json_schema(
        [(WorkItemFields, "validation"), (AssignmentFile, "validation")],
        ref_template="#/$defs/{model}",
    )
    defs = top["$defs"]
    frontmatter = dict(defs["WorkItemFields"])
    frontmatter["additionalProperties"] = True  # the team's other frontmatter keys are kept
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://wrk-ansible.invalid/schema/contract-v1.json",
        "title": "wrk execution contract (WRK frontmatter)",
        "description": "Fields a WRK's frontmatter may carry; $defs.AssignmentFile is the "
        "shape of a file named by stage_assignments_ref.",
        **{k: v for k, v in frontmatter.items() if k != "title"},
        "$defs": defs,
    }
