"""docs/contract.md must name every field the models accept, so the two cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from wrk_ansible.contract import models
from wrk_ansible.contract.stages import PHASES, STAGE_IDS
from wrk_ansible.contract.template import BUILTIN_GATES

DOC = Path(__file__).parents[2] / "docs" / "contract.md"

MODELS: list[type[BaseModel]] = [
    models.WorkItemFields,
    models.StageAssignment,
    models.StageRequirements,
    models.ToolRequirement,
    models.LicenseRequirement,
    models.DiskRequirement,
    models.NetworkRequirement,
    models.GroupScope,
    models.GateRef,
    models.AssignmentFile,
]


@pytest.fixture(scope="module")
def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("model", "field"),
    [(m, f) for m in MODELS for f in m.model_fields],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_every_model_field_is_documented(doc_text: str, model: type[BaseModel], field: str) -> None:
    assert f"`{field}`" in doc_text, f"{model.__name__}.{field} is missing from {DOC.name}"


@pytest.mark.parametrize("name", [*STAGE_IDS, *BUILTIN_GATES])
def test_every_stage_and_gate_is_documented(doc_text: str, name: str) -> None:
    assert f"`{name}`" in doc_text


def test_every_phase_is_documented(doc_text: str) -> None:
    for phase in PHASES:
        assert f"| {phase} |" in doc_text


def test_no_documented_field_is_unknown(doc_text: str) -> None:
    """Field rows in the doc's tables name real fields (catches a renamed field left behind)."""
    known = {f for m in MODELS for f in m.model_fields}
    rows = [line for line in doc_text.splitlines() if line.startswith("| `")]
    named = {line.split("`")[1] for line in rows}
    stale = {n for n in named if n not in known and n not in STAGE_IDS}
    assert not stale, f"documented but not in the models: {sorted(stale)}"
