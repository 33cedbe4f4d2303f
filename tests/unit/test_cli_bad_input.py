"""Every broken kind of WRK file, through the real ``wrk`` in a subprocess.

Each gets exit 1, exactly one message naming the file (and the field where there is one), no
traceback, and nothing on disk changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

BAD = Path(__file__).parents[1] / "fixtures" / "bad"


@dataclass(frozen=True)
class Case:
    name: str
    fragments: tuple[str, ...]
    field: str | None = None
    line: int | None = None


CASES = [
    Case("WRK-empty.md", ("empty file",)),
    Case("WRK-no-frontmatter.md", ("no YAML frontmatter", "first line must be '---'"), line=1),
    Case("WRK-unclosed.md", ("frontmatter is not closed",)),
    Case("WRK-list-frontmatter.md", ("must be a mapping", "found a list")),
    Case("WRK-broken-yaml.md", ("invalid YAML",)),
    Case("WRK-invalid-utf8.md", ("not valid UTF-8",), line=4),
    Case("WRK-nul-byte.md", ("NUL byte",), line=4),
    Case(
        "WRK-repeated-contract-key.md",
        ("'computer' is given twice", "lines 4 and 6"),
        field="computer",
        line=6,
    ),
    Case(
        "WRK-unknown-stage.md",
        ("unknown stage 'exeucte'", "did you mean 'execute'"),
        field="stage_assignments",
    ),
    Case(
        "WRK-wrong-types.md",
        ("valid boolean",),
        field="stage_assignments.execute.parallel",
        line=9,
    ),
    Case(
        "WRK-jinja-tool.md",
        ("Jinja template",),
        field="machine_capability_requirements.execute.tools.0.name",
    ),
    Case("WRK-alias-bomb.md", ("YAML aliases are not allowed",)),
    Case("WRK-deep-nesting.md", ("nested deeper than",)),
    Case(
        "WRK-not-a-version.md",
        ("min_version '2.x' is not a version", "write it like 3.11 or 9.2p1"),
        field="machine_capability_requirements.execute.tools.0.min_version",
    ),
]


def test_every_bad_fixture_has_a_case() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(c.name for c in CASES)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A throwaway repository: a folder with ``.git`` and a queue folder."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "queue").mkdir()
    return root


def _check_one_bad_file(
    run_wrk: Callable[..., subprocess.CompletedProcess[str]],
    tree_hash: Callable[[Path], dict[str, str]],
    top: Path,
    wrk: Path,
    *,
    case: Case,
    timeout: float = 60,
) -> None:
    before = tree_hash(top)
    rel = str(wrk.relative_to(top))

    # validate --json: one object for the file, exactly one error, located.
    proc = run_wrk("contract", "validate", "--json", rel, cwd=top, timeout=timeout)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == 1
    result = results[0]
    assert result["path"] == rel
    assert result["valid"] is False
    assert len(result["errors"]) == 1, result["errors"]
    error = result["errors"][0]
    for fragment in case.fragments:
        assert fragment in error["message"], error
    assert error["field"] == case.field
    if case.line is not None:
        assert error["line"] == case.line

    # validate (text): the file is named on the report, with the message.
    proc = run_wrk("contract", "validate", rel, cwd=top, timeout=timeout)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert rel in proc.stdout
    assert case.fragments[0] in proc.stdout
    assert proc.stdout.count(case.fragments[0]) == 1

    # show: one line on stderr naming file (and field), nothing on stdout.
    proc = run_wrk("contract", "show", rel, cwd=top, timeout=timeout)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("wrk: note:")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("wrk: error: ")
    assert "Traceback" not in proc.stderr
    assert rel in lines[0]
    for fragment in case.fragments:
        assert fragment in lines[0]
    if case.field:
        assert f"[{case.field}]" in lines[0]

    assert tree_hash(top) == before


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_file_is_refused_with_one_message(
    case: Case,
    repo: Path,
    run_wrk: Callable[..., subprocess.CompletedProcess[str]],
    tree_hash: Callable[[Path], dict[str, str]],
) -> None:
    wrk = repo / "queue" / case.name
    shutil.copyfile(BAD / case.name, wrk)
    # The alias bomb must be refused long before this; a hang would fail the test.
    timeout = 10 if "bomb" in case.name else 60
    _check_one_bad_file(run_wrk, tree_hash, repo, wrk, case=case, timeout=timeout)


def test_file_over_the_size_cap_is_refused_before_reading(
    repo: Path,
    run_wrk: Callable[..., subprocess.CompletedProcess[str]],
    tree_hash: Callable[[Path], dict[str, str]],
) -> None:
    wrk = repo / "queue" / "WRK-50.md"
    with wrk.open("wb") as handle:
        handle.write(b"---\nid: WRK-50\nstatus: pending\n---\n")
        chunk = b"lorem ipsum dolor sit amet\n" * 40_000
        for _ in range(48):
            handle.write(chunk)
    assert wrk.stat().st_size > 50_000_000
    case = Case("WRK-50.md", ("larger than", "limit"))
    _check_one_bad_file(run_wrk, tree_hash, repo, wrk, case=case, timeout=30)


def _write_ref_item(path: Path, ref: str) -> None:
    path.write_text(
        "---\n"
        f"id: {path.stem}\n"
        "status: pending\n"
        "computer: dev-primary\n"
        f"stage_assignments_ref: {ref}\n"
        "---\n# body\n",
        encoding="utf-8",
    )


ASSIGNMENTS = (
    "schema_version: 1\n"
    "stage_assignments:\n"
    "  execute:\n"
    "    primary: claude\n"
    "    workstations: [dev-primary]\n"
    "handoff_evidence_ref: .wrk/evidence/shared\n"
)


def test_assignment_ref_inside_the_repository_is_read(
    repo: Path, run_wrk: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """The control for the two refusals below: the same file inside the repo is fine."""
    (repo / "contracts").mkdir()
    (repo / "contracts" / "WRK-40.yml").write_text(ASSIGNMENTS, encoding="utf-8")
    _write_ref_item(repo / "queue" / "WRK-40.md", "../contracts/WRK-40.yml")
    proc = run_wrk("contract", "validate", "--json", "queue/WRK-40.md", cwd=repo)
    assert proc.returncode == 0, proc.stdout
    [result] = json.loads(proc.stdout)
    assert result["valid"] is True
    assert result["derived"] is False


def test_assignment_ref_leaving_the_repository_is_refused(
    repo: Path,
    run_wrk: Callable[..., subprocess.CompletedProcess[str]],
    tree_hash: Callable[[Path], dict[str, str]],
) -> None:
    (repo.parent / "outside.yml").write_text(ASSIGNMENTS, encoding="utf-8")
    wrk = repo / "queue" / "WRK-41.md"
    _write_ref_item(wrk, "../../outside.yml")
    case = Case(
        "WRK-41.md", ("leads outside the repository", "refused"), "stage_assignments_ref", 5
    )
    _check_one_bad_file(run_wrk, tree_hash, repo.parent, wrk, case=case)


def test_assignment_ref_through_a_symlink_leaving_the_repository_is_refused(
    repo: Path,
    run_wrk: Callable[..., subprocess.CompletedProcess[str]],
    tree_hash: Callable[[Path], dict[str, str]],
) -> None:
    (repo.parent / "outside.yml").write_text(ASSIGNMENTS, encoding="utf-8")
    (repo / "queue" / "contract.yml").symlink_to(repo.parent / "outside.yml")
    wrk = repo / "queue" / "WRK-42.md"
    _write_ref_item(wrk, "contract.yml")
    case = Case(
        "WRK-42.md", ("leads outside the repository", "refused"), "stage_assignments_ref", 5
    )
    _check_one_bad_file(run_wrk, tree_hash, repo.parent, wrk, case=case)


def test_absolute_assignment_ref_is_refused(
    repo: Path,
    run_wrk: Callable[..., subprocess.CompletedProcess[str]],
    tree_hash: Callable[[Path], dict[str, str]],
) -> None:
    target = repo / "contract.yml"
    target.write_text(ASSIGNMENTS, encoding="utf-8")
    wrk = repo / "queue" / "WRK-43.md"
    _write_ref_item(wrk, str(target))
    case = Case("WRK-43.md", ("must be relative",), "stage_assignments_ref", 5)
    _check_one_bad_file(run_wrk, tree_hash, repo, wrk, case=case)


def test_missing_file_is_one_message(
    tmp_path: Path, run_wrk: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    proc = run_wrk("contract", "show", "WRK-404.md", cwd=tmp_path)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("wrk: note:")]
    assert lines == ["wrk: error: WRK-404.md: no such work item file"]


def test_folder_without_wrk_files_is_an_error(
    tmp_path: Path, run_wrk: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    (tmp_path / "empty").mkdir()
    proc = run_wrk("contract", "validate", "empty", cwd=tmp_path)
    assert proc.returncode == 1
    assert "no WRK files found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_one_bad_file_among_good_ones_fails_the_run_but_reports_all(
    tmp_path: Path,
    run_wrk: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    queue = Path(
        shutil.copytree(Path(__file__).parents[1] / "fixtures" / "work-queue", tmp_path / "q")
    )
    shutil.copyfile(BAD / "WRK-alias-bomb.md", queue / "pending" / "WRK-alias-bomb.md")
    proc = run_wrk("contract", "validate", "--json", "q", cwd=tmp_path)
    assert proc.returncode == 1
    results = json.loads(proc.stdout)
    assert len(results) == 10
    assert [r["path"] for r in results if not r["valid"]] == ["q/pending/WRK-alias-bomb.md"]
