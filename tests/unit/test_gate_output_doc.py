"""docs/gate-output.md documents every key the gate's ``--json`` output has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from wrk_ansible.decision.outcomes import Check, Gap, Outcome, Verdict
from wrk_ansible.decision.verdict import Decision
from wrk_ansible.gate_outcome import OUTPUT_SCHEMA_VERSION, GateOutcome

DOC = Path(__file__).resolve().parents[2] / "docs" / "gate-output.md"


def sample() -> dict[str, Any]:
    check = Check(
        name="tool:solver",
        required=">= 2.0",
        found="1.2.0",
        outcome=Outcome.FAIL,
        reason="too old",
        host="ws_a",
        kind="readiness",
    )
    gap = Gap("P1", "WRK-1 execute: no ready machine", ("assign ws_b: ...", "pause WRK-1 ..."))
    decision = Decision(
        "WRK-1", "execute", Verdict.PAUSE, (), "claude", (check,), (gap,), "nothing ready"
    )
    return GateOutcome("WRK-1", "execute", (decision,), ("WRK-1/ws_c/000001",)).as_dict()


def documented(text: str) -> set[str]:
    """Keys named in a table's first column: | `key` |."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_top_level_key_is_documented(doc: str) -> None:
    out = sample()
    assert set(out) <= documented(doc), set(out) - documented(doc)


def test_every_check_gap_and_stage_key_is_documented(doc: str) -> None:
    out = sample()
    keys = set(out["checks"][0]) | set(out["gaps"][0]) | set(out["stages"][0])
    assert (
        Check(name="n", required=None, found=None, outcome=Outcome.PASS, reason="r")
        .as_dict()
        .keys()
        == out["checks"][0].keys()
    )
    assert keys <= documented(doc), keys - documented(doc)
    for key in out["stages"][0]:  # the stages row lists its keys in the text
        assert f"`{key}`" in doc


def test_no_documented_key_is_unknown(doc: str) -> None:
    out = sample()
    known = set(out) | set(out["checks"][0]) | set(out["gaps"][0]) | set(out["stages"][0])
    assert documented(doc) <= known, documented(doc) - known


def test_documented_version_and_values(doc: str) -> None:
    assert f'"schema_version": {OUTPUT_SCHEMA_VERSION}' in doc
    for value in [*(v.value for v in Verdict), *(o.value for o in Outcome)]:
        assert f"`{value}`" in doc
