"""``wrk init``: a new team's repository, scaffolded, run twice, and used as written.

Real parts: the ``wrk`` command line in subprocesses, a real git repository, the real
inventory editor; the example WRK is gated with a real probe (Ansible, local connection) in
test_wheel.py, from the built wheel.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from wrk_ansible.config.load import read
from wrk_ansible.config.model import schema
from wrk_ansible.safeyaml import parse_yaml

pytestmark = pytest.mark.integration
RunWrk = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "team"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, timeout=60)
    return root


def _init(neutral_wrk: RunWrk, repo: Path, *extra: str) -> dict[str, object]:
    done = neutral_wrk("init", "--host", "build1", "--json", *extra, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def test_init_writes_the_four_parts(neutral_wrk: RunWrk, repo: Path) -> None:
    out = _init(neutral_wrk, repo)
    assert out["host"] == "build1"
    assert set(out["created"]) == {  # type: ignore[arg-type]
        "wrk.yml",
        "inventory/hosts.yml",
        "inventory/host_vars/build1.yml",
        "queue/pending/WRK-001.md",
        ".gitignore",
    }
    config = read(repo / "wrk.yml")  # the commented file is valid, and states the two paths
    assert config.model.inventory == "inventory"
    assert config.model.evidence_dir == ".wrk/evidence"
    data = parse_yaml((repo / "wrk.yml").read_text("utf-8"), "wrk.yml").data
    jsonschema.validate(data, schema())
    host = parse_yaml((repo / "inventory/host_vars/build1.yml").read_text("utf-8"), "h").data
    assert host["wrk_access"] == "local"
    assert host["ansible_connection"] == "local"
    assert host["wrk_os"] == "linux"
    assert "python3" in host["wrk_tools"] or "git" in host["wrk_tools"]
    listed = neutral_wrk(
        "inventory", "list", "--json", cwd=repo / "queue"
    )  # found from a subfolder
    assert listed.returncode == 0, listed.stderr
    assert [w["name"] for w in json.loads(listed.stdout)["workstations"]] == ["build1"]


def test_init_twice_changes_nothing_and_never_overwrites(
    neutral_wrk: RunWrk, repo: Path, tree_hash: object
) -> None:
    _init(neutral_wrk, repo)
    (repo / "wrk.yml").write_text("version: 1\n# mine\n", encoding="utf-8")
    before = tree_hash(repo)  # type: ignore[operator]
    out = _init(neutral_wrk, repo)
    assert out["created"] == []
    assert out["appended"] == []
    assert tree_hash(repo) == before  # type: ignore[operator]
    assert (repo / "wrk.yml").read_text("utf-8") == "version: 1\n# mine\n"


def test_init_appends_only_missing_gitignore_lines(neutral_wrk: RunWrk, repo: Path) -> None:
    (repo / ".gitignore").write_text("node_modules/\n.wrk-*.tmp", encoding="utf-8")
    out = _init(neutral_wrk, repo)
    assert out["appended"] == [".gitignore"]
    lines = (repo / ".gitignore").read_text("utf-8").splitlines()
    assert lines[:2] == ["node_modules/", ".wrk-*.tmp"]
    assert lines.count(".wrk-*.tmp") == 1
    assert ".wrk-inventory.lock" in lines


def test_gitignore_ignores_locks_and_never_evidence(neutral_wrk: RunWrk, repo: Path) -> None:
    _init(neutral_wrk, repo)
    evidence = repo / ".wrk" / "evidence" / "WRK-001"
    evidence.mkdir(parents=True)
    record = evidence / "build1" / "000001.json"
    record.parent.mkdir()
    record.write_text("{}", encoding="utf-8")
    (evidence / ".lock").write_text("", encoding="utf-8")
    (repo / "inventory" / ".wrk-inventory.lock").write_text("", encoding="utf-8")

    def ignored(path: Path) -> bool:
        rel = str(path.relative_to(repo))
        done = subprocess.run(
            ["git", "-C", str(repo), "check-ignore", "-q", rel], timeout=60, check=False
        )
        return done.returncode == 0

    assert not ignored(record)
    assert not ignored(repo / "wrk.yml")
    assert ignored(evidence / ".lock")
    assert ignored(repo / "inventory" / ".wrk-inventory.lock")


def test_the_example_validates_and_a_second_host_joins(neutral_wrk: RunWrk, repo: Path) -> None:
    _init(neutral_wrk, repo)
    checked = neutral_wrk("contract", "validate", "--json", "queue/pending/WRK-001.md", cwd=repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (result,) = json.loads(checked.stdout)
    assert result["valid"]
    assert result["warnings"] == []
    added = neutral_wrk(
        "inventory", "add", "build2", "--group", "linux", "wrk_access=local",
        "ansible_connection=local", "wrk_os=linux", cwd=repo,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = neutral_wrk("inventory", "list", "--json", cwd=repo)
    assert [w["name"] for w in json.loads(listed.stdout)["workstations"]] == ["build1", "build2"]


def test_init_refuses_a_file_as_the_folder(neutral_wrk: RunWrk, tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    done = neutral_wrk("init", str(target), cwd=tmp_path)
    assert done.returncode == 1
    assert "is not a folder" in done.stderr
    assert str(target) in done.stderr
    assert target.read_text("utf-8") == "x"


def test_contract_init_writes_the_configured_matrix_and_inventory_machines(
    neutral_wrk: RunWrk, repo: Path
) -> None:
    """``wrk contract init``: rows from this repository's matrix; the orchestrator's machine is
    the inventory host (--here), never a name of another team."""
    _init(neutral_wrk, repo)
    (repo / "wrk.yml").write_text(
        "version: 1\ninventory: inventory\nstages:\n  close:\n    secondary: codex\n"
        "    primary: claude\n",
        encoding="utf-8",
    )
    path = repo / "queue" / "pending" / "WRK-002.md"
    done = neutral_wrk("contract", "init", str(path), "--here", "build1", cwd=repo)
    assert done.returncode == 0, done.stderr
    text = path.read_text("utf-8")
    front = parse_yaml(text.split("---")[1], "f").data
    rows = front["stage_assignments"]
    assert rows["close"]["primary"] == "claude"
    assert rows["close"]["secondary"] == "codex"
    for stage in ("resource_intelligence", "plan_draft", "claim", "close", "execute"):
        assert rows[stage]["workstations"] == ["build1"], stage
    assert rows["plan_review"]["workstations"] == ["$agent_hosts"]
    assert "ace-" not in text
    assert "dev-primary" not in text
    checked = neutral_wrk("contract", "validate", str(path), cwd=repo)
    assert checked.returncode == 0, checked.stderr


def test_a_file_where_a_folder_must_go_is_refused_before_anything_is_written(
    neutral_wrk: RunWrk, repo: Path, tree_hash: object
) -> None:
    (repo / "queue").write_text("not a folder", encoding="utf-8")
    before = tree_hash(repo)  # type: ignore[operator]
    done = neutral_wrk("init", "--host", "build1", cwd=repo)
    assert done.returncode == 1, done.stderr
    assert "queue: is a file where wrk init needs a folder" in done.stderr
    assert "Traceback" not in done.stderr
    assert tree_hash(repo) == before  # type: ignore[operator]
