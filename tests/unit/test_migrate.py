"""``wrk contract migrate`` and ``init``: only add lines, validate afterwards, idempotent."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from wrk_ansible.contract.migrate import plan_migration
from wrk_ansible.contract.models import NEW_FIELDS
from wrk_ansible.contract.stages import STAGE_IDS
from wrk_ansible.contract.validate import check_work_item

FIXTURES = Path(__file__).parents[1] / "fixtures"
WORK_QUEUE = FIXTURES / "work-queue"
ITEMS = sorted(p.relative_to(WORK_QUEUE) for p in WORK_QUEUE.rglob("WRK-*.md"))
RunWrk = Callable[..., subprocess.CompletedProcess[str]]
TreeHash = Callable[[Path], dict[str, str]]


def removed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), "a", "b"
    )
    return [line for line in diff if line.startswith("-") and not line.startswith("---")]


def added_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), "a", "b"
    )
    return [line for line in diff if line.startswith("+") and not line.startswith("+++")]


def assert_no_new_field_warnings(path: Path) -> None:
    result = check_work_item(str(path))
    assert result.valid, result.errors
    assert result.derived is False
    for warning in result.warnings:
        assert warning.field not in NEW_FIELDS, warning
        assert "derived from legacy fields" not in warning.message, warning


@pytest.mark.parametrize("rel", ITEMS, ids=[p.stem for p in ITEMS])
def test_migrate_only_adds_lines_and_validates(
    rel: Path, work_queue: Path, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    path = work_queue / rel
    before = path.read_text(encoding="utf-8")

    proc = run_wrk("contract", "migrate", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "wrote stage_assignments" in proc.stderr
    after = path.read_text(encoding="utf-8")
    assert after != before
    assert removed_lines(before, after) == []
    added = "".join(added_lines(before, after))
    assert "+stage_assignments:" in added
    # Every other byte is where it was: removing the inserted block gives the original back.
    closing = before.index("\n---\n", 3) + 1
    assert after.startswith(before[:closing])
    assert after.endswith(before[closing:])

    assert_no_new_field_warnings(path)
    contract = check_work_item(str(path)).contract
    assert contract is not None
    assert all(row.explicit for row in contract.stages)

    # Idempotent: a second migrate changes nothing.
    snapshot = tree_hash(work_queue)
    proc = run_wrk("contract", "migrate", str(path))
    assert proc.returncode == 0
    assert "nothing to do" in proc.stderr
    assert tree_hash(work_queue) == snapshot


def test_migrated_contract_keeps_the_derived_values(work_queue: Path) -> None:
    path = work_queue / "pending" / "WRK-1342.md"
    derived = check_work_item(str(path)).contract
    assert derived is not None
    plan = plan_migration(str(path))
    path.write_text(plan.after, encoding="utf-8")
    explicit = check_work_item(str(path)).contract
    assert explicit is not None
    assert explicit.derived is False
    for old, new in zip(derived.stages, explicit.stages, strict=True):
        assert old.assignment == new.assignment, old.stage
    assert explicit.handoff_evidence_ref == ".wrk/evidence/WRK-1342"
    assert plan.added_keys == (
        "stage_assignments",
        "machine_capability_requirements",
        "handoff_evidence_ref",
    )


def test_single_machine_item_gets_no_handoff_ref(work_queue: Path) -> None:
    plan = plan_migration(str(work_queue / "done" / "WRK-640.md"))
    assert "handoff_evidence_ref" not in plan.added_keys
    assert "handoff_evidence_ref" not in plan.after


def test_dry_run_prints_a_diff_and_writes_nothing(
    work_queue: Path, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    before = tree_hash(work_queue)
    proc = run_wrk("contract", "migrate", "--dry-run", str(work_queue))
    assert proc.returncode == 0, proc.stderr
    assert tree_hash(work_queue) == before
    assert proc.stdout.count("--- a/") == len(ITEMS)
    assert proc.stdout.count("+++ b/") == len(ITEMS)
    assert "@@ " in proc.stdout
    body = [line for line in proc.stdout.splitlines() if line.startswith("-")]
    assert all(line.startswith("--- a/") for line in body)
    assert "+stage_assignments:" in proc.stdout


def test_migrate_keeps_crlf(tmp_path: Path, run_wrk: RunWrk) -> None:
    path = tmp_path / "WRK-640.md"
    path.write_bytes((WORK_QUEUE / "done" / "WRK-640.md").read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    proc = run_wrk("contract", "migrate", str(path))
    assert proc.returncode == 0, proc.stderr
    after = path.read_bytes()
    assert after.count(b"\n") == after.count(b"\r\n")
    assert len(after) > len(before)
    assert_no_new_field_warnings(path)


def test_migrate_keeps_the_file_mode(tmp_path: Path, run_wrk: RunWrk) -> None:
    path = tmp_path / "WRK-640.md"
    shutil.copyfile(WORK_QUEUE / "done" / "WRK-640.md", path)
    path.chmod(0o640)
    assert run_wrk("contract", "migrate", str(path)).returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["WRK-640.md"]  # no temporary file left


def test_one_bad_file_means_nothing_is_written(
    work_queue: Path, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    shutil.copyfile(FIXTURES / "bad" / "WRK-broken-yaml.md", work_queue / "WRK-zzz.md")
    before = tree_hash(work_queue)
    proc = run_wrk("contract", "migrate", str(work_queue))
    assert proc.returncode == 1
    assert "WRK-zzz.md" in proc.stderr
    assert "invalid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert tree_hash(work_queue) == before


def test_migrate_with_an_empty_new_field_already_present(tmp_path: Path, run_wrk: RunWrk) -> None:
    """``machine_capability_requirements:`` (null) is there already: do not repeat the key."""
    path = tmp_path / "WRK-300.md"
    path.write_text(
        "---\nid: WRK-300\nstatus: pending\ncomputer: ace-linux-1\n"
        "machine_capability_requirements:\n---\n",
        encoding="utf-8",
    )
    proc = run_wrk("contract", "migrate", str(path))
    assert proc.returncode == 0, proc.stderr
    text = path.read_text(encoding="utf-8")
    assert text.count("machine_capability_requirements") == 1
    assert_no_new_field_warnings(path)


def test_migrate_refuses_to_repeat_an_empty_key_it_must_write(
    tmp_path: Path, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    path = tmp_path / "WRK-301.md"
    path.write_text(
        "---\nid: WRK-301\nstatus: pending\nplan_workstations: [dev-primary]\n"
        "execution_workstations: [licensed-win-1]\nhandoff_evidence_ref:\n---\n",
        encoding="utf-8",
    )
    before = tree_hash(tmp_path)
    proc = run_wrk("contract", "migrate", str(path))
    assert proc.returncode == 1
    [line] = [x for x in proc.stderr.splitlines() if x.strip()]
    assert line.startswith(f"wrk: error: {path}:6 [handoff_evidence_ref]:")
    assert "empty" in line
    assert tree_hash(tmp_path) == before


# --- init --------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_init_creates_a_valid_file_with_seven_rows(tmp_path: Path, run_wrk: RunWrk) -> None:
    path = tmp_path / "WRK-900.md"
    proc = run_wrk("contract", "init", str(path))
    assert proc.returncode == 0, proc.stderr
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()
    result = check_work_item(str(path))
    assert result.valid, result.errors
    assert result.wrk_id == "WRK-900"
    assert result.derived is False
    assert result.warnings == ()
    proc = run_wrk("contract", "show", "--json", str(path))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [row["stage"] for row in data["stages"]] == list(STAGE_IDS)
    assert all(row["explicit"] for row in data["stages"])
    assert data["stages"][4]["workstations"] == ["ace-linux-1"]


def test_init_dry_run_on_a_missing_path_creates_nothing(tmp_path: Path, run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "init", "--dry-run", str(tmp_path / "WRK-901.md"))
    assert proc.returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_init_in_a_missing_folder_is_one_clear_error(tmp_path: Path, run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "init", str(tmp_path / "nowhere" / "WRK-902.md"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "internal error" not in proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if x.strip()]
    assert "WRK-902.md" in line
    assert "No such file or directory" in line
    assert list(tmp_path.iterdir()) == []


def test_init_on_an_existing_legacy_file_inserts_the_matrix(
    work_queue: Path, run_wrk: RunWrk
) -> None:
    path = work_queue / "pending" / "WRK-039.md"
    before = path.read_text(encoding="utf-8")
    proc = run_wrk("contract", "init", str(path))
    assert proc.returncode == 0, proc.stderr
    after = path.read_text(encoding="utf-8")
    assert removed_lines(before, after) == []
    added = "".join(added_lines(before, after))
    for stage in STAGE_IDS:
        assert f"+  {stage}:" in added
    assert "the configured matrix" in added
    assert_no_new_field_warnings(path)


def test_init_on_an_explicit_file_changes_nothing(
    tmp_path: Path, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    path = tmp_path / "WRK-635.md"
    shutil.copyfile(Path(__file__).parents[2] / "examples" / "WRK-635.md", path)
    before = tree_hash(tmp_path)
    proc = run_wrk("contract", "init", str(path))
    assert proc.returncode == 0
    assert "nothing to do" in proc.stderr
    assert tree_hash(tmp_path) == before


def test_migrate_writes_through_a_symlink(tmp_path: Path, run_wrk: RunWrk) -> None:
    target = tmp_path / "real" / "WRK-640.md"
    target.parent.mkdir()
    shutil.copyfile(WORK_QUEUE / "done" / "WRK-640.md", target)
    link = tmp_path / "WRK-640.md"
    link.symlink_to(target)
    proc = run_wrk("contract", "migrate", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink()
    assert "stage_assignments:" in target.read_text(encoding="utf-8")
    assert_no_new_field_warnings(target)


def test_an_item_that_would_not_validate_after_migration_stops_all_writes(
    work_queue: Path, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    """No machine anywhere: the migrated row would be invalid. Sorted after the real items
    (``zz``), so earlier files must not be written before it is found."""
    (work_queue / "zz").mkdir()
    (work_queue / "zz" / "WRK-999.md").write_text(
        "---\nid: WRK-999\nstatus: pending\nprovider: claude\n---\n", encoding="utf-8"
    )
    before = tree_hash(work_queue)
    proc = run_wrk("contract", "migrate", str(work_queue))
    assert proc.returncode == 1
    [line] = [x for x in proc.stderr.splitlines() if x.startswith("wrk: error:")]
    assert "WRK-999.md" in line
    assert "[execution_workstations]" in line
    assert "would not validate" in line
    assert tree_hash(work_queue) == before


def test_init_adds_the_handoff_ref_its_default_execute_machine_makes_necessary(
    tmp_path: Path, run_wrk: RunWrk
) -> None:
    """Planned on dev-primary, no execute machine: init puts execute on the template's host,
    which makes the item multi-machine, so the handoff ref must be written too."""
    path = tmp_path / "WRK-903.md"
    path.write_text(
        "---\nid: WRK-903\nstatus: pending\nplan_workstations: [dev-primary]\n---\n",
        encoding="utf-8",
    )
    proc = run_wrk("contract", "init", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "handoff_evidence_ref: .wrk/evidence/WRK-903" in path.read_text(encoding="utf-8")
    assert_no_new_field_warnings(path)
