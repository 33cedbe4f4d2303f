"""Errors that say what to do: the row an unknown machine is in, "did you mean" for --here,
where an inventory was looked for, and with --json one error object on stdout."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]
HOSTS = {"build1": {"ansible_connection": "local", "wrk_access": "local"}, "gpu1": {}}


def inventory(base: Path) -> Path:
    folder = base / "inventory"
    folder.mkdir()
    data = {"all": {"hosts": HOSTS, "children": {"gpu": {"hosts": {"gpu1": None}}}}}
    (folder / "hosts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def wrk_file(base: Path, **front: Any) -> Path:
    data = {"id": "WRK-1", "title": "t", "status": "pending", **front}
    path = base / "WRK-1.md"
    path.write_text(f"---\n{yaml.safe_dump(data)}---\n# WRK-1\n", encoding="utf-8")
    return path


def test_a_wrk_writing_only_execute_validates_against_its_own_inventory(
    run_wrk: RunWrk, tmp_path: Path
) -> None:
    """The template's rows (the plan's default machine, the review group) are checked only
    when gated, so a new team's inventory without them does not make the WRK invalid."""
    inv = inventory(tmp_path)
    path = wrk_file(
        tmp_path,
        stage_assignments={"execute": {"primary": "claude", "workstations": ["build1"]}},
    )
    done = run_wrk("contract", "validate", str(path), "-i", str(inv), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)[0]["valid"] is True
    gated = run_wrk("gate", str(path), "--stage", "claim", "--here", "build1", "-i", str(inv),
                    "--json", "--no-record", "--evidence-dir", str(tmp_path / "ev"))  # fmt: skip
    out = json.loads(gated.stdout)
    assert out["verdict"] == "fail"
    assert "the template's default for claim" in out["reason"]


def test_an_unknown_machine_names_the_row_and_the_closest_host(
    run_wrk: RunWrk, tmp_path: Path
) -> None:
    inv = inventory(tmp_path)
    path = wrk_file(
        tmp_path,
        stage_assignments={"execute": {"primary": "claude", "workstations": ["bulid1"]}},
    )
    done = run_wrk("contract", "validate", str(path), "-i", str(inv), "--json")
    assert done.returncode == 1
    (error,) = json.loads(done.stdout)[0]["errors"]
    assert error["field"] == "stage_assignments.execute.workstations"
    assert "did you mean 'build1'" in error["message"]
    legacy = wrk_file(tmp_path, computer="bulid1")
    done = run_wrk("contract", "validate", str(legacy), "-i", str(inv), "--json")
    fields = {e["field"]: e["message"] for e in json.loads(done.stdout)[0]["errors"]}
    assert "execute" in fields["computer"].partition("it fills the ")[2]


def test_here_with_a_typo_says_did_you_mean(run_wrk: RunWrk, tmp_path: Path) -> None:
    inv = inventory(tmp_path)
    path = wrk_file(
        tmp_path,
        stage_assignments={"execute": {"primary": "claude", "workstations": ["build1"]}},
    )
    done = run_wrk("gate", str(path), "--stage", "execute", "--here", "bulid1", "-i", str(inv))
    assert done.returncode == 64
    assert "did you mean 'build1'" in done.stderr


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        (["gate", "MISSING.md", "--stage", "execute", "-i", "nowhere"], 1, None),
        (["contract", "show", "WRK-404.md"], 1, None),
        (["gate", "x.md", "--stage", "nope"], 64, None),
    ],
)
def test_with_json_a_user_error_is_one_object_on_stdout(
    run_wrk: RunWrk, tmp_path: Path, args: list[str], code: int, field: str | None
) -> None:
    done = run_wrk(*args, "--json", cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    error = json.loads(done.stdout)["error"]
    assert set(error) == {"file", "line", "field", "message", "exit_code"}
    assert error["exit_code"] == code
    assert error["message"]
    assert done.stderr.startswith("wrk: error: ")


def test_a_missing_inventory_says_where_it_was_looked_for(run_wrk: RunWrk, tmp_path: Path) -> None:
    done = run_wrk("inventory", "list", cwd=tmp_path)
    assert done.returncode == 1
    assert (
        "looks at --inventory DIR, then $WRK_INVENTORY, then inventory: in wrk.yml, then "
        "./inventory" in done.stderr
    )


GPU_SHORT = "group 'gpu' has 1 host (gpu1); count 3 needs 3"


def test_a_group_count_larger_than_the_group_is_refused_naming_its_size(
    run_wrk: RunWrk, tmp_path: Path
) -> None:
    """Issue 15: ``{group: gpu, count: 3}`` with one gpu host validated, then the gate said
    ``no ready machine ()``. Validation (with an inventory) and the gate now say the size."""
    inv = inventory(tmp_path)
    scope = {"group": "gpu", "count": 3}
    path = wrk_file(
        tmp_path, stage_assignments={"execute": {"primary": "claude", "workstations": scope}}
    )
    done = run_wrk("contract", "validate", str(path), "-i", str(inv), "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    (error,) = json.loads(done.stdout)[0]["errors"]
    assert error["field"] == "stage_assignments.execute.workstations"
    assert error["message"] == GPU_SHORT
    lines = path.read_text(encoding="utf-8").splitlines()
    assert error["line"] == lines.index("    workstations:") + 1  # the key, in the file
    gated = run_wrk("gate", str(path), "--stage", "execute", "--here", "build1", "-i", str(inv),
                    "--json", "--no-record", "--evidence-dir", str(tmp_path / "ev"))  # fmt: skip
    assert gated.returncode == 1, gated.stderr
    out = json.loads(gated.stdout)
    assert out["verdict"] == "fail"
    assert [c["reason"] for c in out["checks"]] == [GPU_SHORT]
    # Without an inventory the names are not checked, so neither is the group's size.
    elsewhere = tmp_path / "no-inventory-here"
    elsewhere.mkdir()
    unchecked = run_wrk("contract", "validate", str(path), "--json", cwd=elsewhere)
    assert unchecked.returncode == 0, unchecked.stdout


def test_a_template_row_whose_group_is_too_small_fails_when_gated_in_words(
    run_wrk: RunWrk, tmp_path: Path
) -> None:
    """A row the WRK did not write (the team's matrix in wrk.yml) is checked only when gated,
    and then says the same; no reason or gap is ever an empty list."""
    inv = inventory(tmp_path)
    config = tmp_path / "wrk.yml"
    config.write_text(
        "---\nversion: 1\nstages:\n  plan_review:\n    workstations: {group: gpu, count: 3}\n",
        encoding="utf-8",
    )
    path = wrk_file(
        tmp_path,
        stage_assignments={"execute": {"primary": "claude", "workstations": ["build1"]}},
    )
    done = run_wrk("--config", str(config), "contract", "validate", str(path), "-i", str(inv))
    assert done.returncode == 0, done.stdout + done.stderr
    gated = run_wrk("--config", str(config), "gate", str(path), "--stage", "plan_review",
                    "--here", "build1", "-i", str(inv), "--json", "--no-record",
                    "--evidence-dir", str(tmp_path / "ev"))  # fmt: skip
    out = json.loads(gated.stdout)
    assert (gated.returncode, out["verdict"]) == (1, "fail"), gated.stderr
    assert out["reason"].startswith(f"plan_review: {GPU_SHORT} (the template's default")
    said = json.dumps([out["reason"], out["gaps"], [c["reason"] for c in out["checks"]]])
    assert "()" not in said
    assert "[]" not in said.replace('"proposals": []', "")
