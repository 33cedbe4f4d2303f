"""The three representative work items, and the JSON Schema that describes them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from wrk_ansible.contract.export import json_schema
from wrk_ansible.contract.stages import STAGE_IDS
from wrk_ansible.contract.validate import check_work_item

EXAMPLES = Path(__file__).parents[2] / "examples"
NAMES = ("WRK-640", "WRK-1342", "WRK-635")
RunWrk = Callable[..., subprocess.CompletedProcess[str]]


def frontmatter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    _, block, _ = text.split("---\n", 2)
    data = yaml.safe_load(block)
    assert isinstance(data, dict)
    return data


def test_the_three_examples_are_there() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("WRK-*.md")) == sorted(NAMES)


def test_examples_validate_without_errors_or_warnings(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "validate", "--json", str(EXAMPLES))
    assert proc.returncode == 0, proc.stdout
    results = json.loads(proc.stdout)
    assert len(results) == 3
    for result in results:
        assert result["valid"] is True, result
        assert result["derived"] is False, result
        assert result["errors"] == [], result
        assert result["warnings"] == [], result


@pytest.mark.parametrize("name", NAMES)
def test_each_example_is_fully_explicit(name: str) -> None:
    result = check_work_item(str(EXAMPLES / f"{name}.md"))
    assert result.contract is not None
    assert [row.stage for row in result.contract.stages] == list(STAGE_IDS)
    assert all(row.explicit for row in result.contract.stages)


def test_wrk_635_shows_seven_stages_and_parallel_execute(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "show", str(EXAMPLES / "WRK-635.md"), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data["stages"]) == 7
    assert [row["stage"] for row in data["stages"]] == list(STAGE_IDS)
    execute = next(row for row in data["stages"] if row["stage"] == "execute")
    assert execute["parallel"] is True
    assert len(execute["workstations"]) >= 2
    assert execute["phase"] == "execute"
    assert data["multi_machine"] is True
    assert data["handoff_evidence_ref"]


def test_wrk_1342_needs_a_license_seat_on_windows() -> None:
    result = check_work_item(str(EXAMPLES / "WRK-1342.md"))
    assert result.contract is not None
    execute = result.contract.stage("execute")
    assert execute.requirements.licenses
    assert any("orcaflex" in lic.feature.lower() for lic in execute.requirements.licenses)
    assert result.contract.handoff_evidence_ref


def test_wrk_640_stays_on_one_machine() -> None:
    result = check_work_item(str(EXAMPLES / "WRK-640.md"))
    assert result.contract is not None
    assert result.contract.multi_machine is False


# --- schema --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(run_wrk: RunWrk) -> dict[str, Any]:
    proc = run_wrk("contract", "schema")
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_schema_is_valid_json_schema(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == json_schema()
    assert "AssignmentFile" in schema["$defs"]
    for field in ("stage_assignments", "stage_assignments_ref", "handoff_evidence_ref"):
        assert field in schema["properties"]


@pytest.mark.parametrize("name", NAMES)
def test_schema_accepts_the_examples(schema: dict[str, Any], name: str) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(frontmatter(EXAMPLES / f"{name}.md")))
    assert errors == []


def test_schema_rejects_an_unknown_stage(schema: dict[str, Any]) -> None:
    data = frontmatter(EXAMPLES / "WRK-640.md")
    data["stage_assignments"]["exeucte"] = {"primary": "claude"}
    validator = jsonschema.Draft202012Validator(schema)
    assert not validator.is_valid(data)


def test_schema_rejects_unknown_keys_in_a_row(schema: dict[str, Any]) -> None:
    data = frontmatter(EXAMPLES / "WRK-640.md")
    data["stage_assignments"]["execute"]["primray"] = "claude"
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)


def test_schema_keeps_the_teams_other_keys(schema: dict[str, Any]) -> None:
    data = frontmatter(EXAMPLES / "WRK-640.md")
    data["some_team_key"] = {"anything": [1, 2]}
    assert jsonschema.Draft202012Validator(schema).is_valid(data)


def test_schema_describes_assignment_files(schema: dict[str, Any]) -> None:
    sub = {"$ref": "#/$defs/AssignmentFile", "$defs": schema["$defs"]}
    validator = jsonschema.Draft202012Validator(sub)
    good = {"schema_version": 1, "stage_assignments": {"execute": {"primary": "claude"}}}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "schema_version": 2})
    assert not validator.is_valid({"stage_assignments": {}})
