"""``stage_assignments_ref``: the contract kept in a file beside the WRK."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from wrk_ansible.contract.validate import check_work_item, repository_root

RunWrk = Callable[..., subprocess.CompletedProcess[str]]

GOOD = """\
schema_version: 1
stage_assignments:
  execute:
    primary: claude
    secondary: codex
    workstations: [licensed-win-1]
    fallback: [ace-win-2]
    on_unavailable: defer
machine_capability_requirements:
  execute:
    licenses: [{feature: orcaflex, seats: 1}]
handoff_evidence_ref: .wrk/evidence/WRK-500
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "queue").mkdir()
    (tmp_path / "contracts").mkdir()
    return tmp_path


def item(repo: Path, extra: str = "") -> Path:
    path = repo / "queue" / "WRK-500.md"
    path.write_text(
        "---\nid: WRK-500\nstatus: pending\ncomputer: dev-primary\n"
        "stage_assignments_ref: ../contracts/WRK-500.yml\n" + extra + "---\n# body\n",
        encoding="utf-8",
    )
    return path


def contract_file(repo: Path, text: str) -> Path:
    path = repo / "contracts" / "WRK-500.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_assignment_file_is_the_contract(repo: Path) -> None:
    target = contract_file(repo, GOOD)
    result = check_work_item(str(item(repo)))
    assert result.valid, result.errors
    assert result.contract is not None
    assert result.contract.derived is False
    assert Path(result.contract.source).resolve() == target.resolve()
    execute = result.contract.stage("execute")
    assert execute.explicit
    assert execute.origin["primary"] == "assignment file"
    assert execute.assignment.fallback == ("ace-win-2",)
    assert execute.requirements.licenses[0].feature == "orcaflex"
    assert result.contract.handoff_evidence_ref == ".wrk/evidence/WRK-500"
    assert result.contract.stage("claim").explicit is False


def test_repeated_key_in_the_assignment_file_is_an_error(repo: Path) -> None:
    target = contract_file(
        repo,
        "schema_version: 1\nstage_assignments:\n  execute:\n    primary: claude\n"
        "    primary: codex\n    workstations: [dev-primary]\n",
    )
    result = check_work_item(str(item(repo)))
    assert not result.valid
    [error] = result.errors
    assert error.field == "stage_assignments.execute.primary"
    assert "lines 4 and 5" in error.message
    assert error.line == 5
    assert error.file is not None
    assert Path(error.file).resolve() == target.resolve()


def test_assignment_file_errors_name_the_file(repo: Path) -> None:
    contract_file(repo, "stage_assignments:\n  execute:\n    parallel: yes-please\n")
    result = check_work_item(str(item(repo)))
    assert not result.valid
    fields = {e.field for e in result.errors}
    assert fields == {"schema_version", "stage_assignments.execute.parallel"}
    assert all(e.file and e.file.endswith("WRK-500.yml") for e in result.errors)
    parallel = next(e for e in result.errors if e.field.endswith("parallel"))  # type: ignore[union-attr]
    assert parallel.line == 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- a list\n", "must be a mapping"),
        ("a: [\n", "invalid YAML"),
        ("a: &x 1\nb: *x\n", "aliases are not allowed"),
    ],
)
def test_broken_assignment_file(repo: Path, text: str, fragment: str) -> None:
    contract_file(repo, text)
    result = check_work_item(str(item(repo)))
    [error] = result.errors
    assert fragment in error.message
    assert error.file is not None


def test_missing_assignment_file(repo: Path) -> None:
    result = check_work_item(str(item(repo)))
    [error] = result.errors
    assert error.field == "stage_assignments_ref"
    assert "no such assignment file" in error.message


def test_requirements_in_both_places_is_an_error(repo: Path) -> None:
    contract_file(repo, GOOD)
    path = item(repo, "machine_capability_requirements:\n  execute: {tools: [git]}\n")
    result = check_work_item(str(path))
    [error] = result.errors
    assert error.field == "machine_capability_requirements"
    assert error.line == 6


def test_inline_and_ref_together_is_an_error(repo: Path) -> None:
    contract_file(repo, GOOD)
    path = item(repo, "stage_assignments: {}\n")
    result = check_work_item(str(path))
    assert not result.valid
    assert "not both" in result.errors[0].message


def test_show_names_the_assignment_file(repo: Path, run_wrk: RunWrk) -> None:
    contract_file(repo, "schema_version: 2\nstage_assignments: {}\n")
    item(repo)
    proc = run_wrk("contract", "show", "queue/WRK-500.md", cwd=repo)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("wrk: error:")]
    assert len(errors) == 1
    assert "WRK-500.yml" in errors[0]
    assert "[schema_version]" in errors[0]
    assert "Traceback" not in proc.stderr


def test_repository_root_is_the_nearest_git_folder(repo: Path, tmp_path: Path) -> None:
    path = item(repo)
    assert repository_root(str(path)) == repo.resolve()
    loose = tmp_path.parent / f"{tmp_path.name}-loose"
    loose.mkdir()
    wrk = loose / "WRK-1.md"
    wrk.write_text("---\nid: WRK-1\n---\n", encoding="utf-8")
    root = repository_root(str(wrk))
    # Outside any repository the WRK's own folder is the boundary (unless a parent has .git).
    assert root == loose.resolve() or (root / ".git").exists()
