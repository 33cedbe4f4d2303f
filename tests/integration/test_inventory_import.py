"""``wrk inventory import``: the three real registry versions, in order, into an empty inventory.

Each import reports what it did; a second import of the same file changes no byte; hand edits
survive a re-import unless ``--overwrite``; the result is an inventory Ansible reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

REGISTRY = Path(__file__).resolve().parents[1] / "fixtures" / "registry"
VERSIONS = ["registry-2026-03-26.yaml", "registry-2026-06-09.yaml", "registry-2026-08-01.yaml"]
Run = Callable[..., "subprocess.CompletedProcess[str]"]
Hash = Callable[[Path], dict[str, str]]


def _import(run_wrk: Run, inv: Path, version: str, *extra: str) -> dict[str, object]:
    result = run_wrk(
        "inventory", "import", str(REGISTRY / version), "-i", str(inv), "--json", *extra
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def _vars(inv: Path, host: str) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(
        (inv / "host_vars" / f"{host}.yml").read_text(encoding="utf-8")
    )
    return data


def test_three_versions_import_in_order_and_reimport_is_a_no_op(
    run_wrk: Run, tree_hash: Hash, tmp_path: Path
) -> None:
    inv = tmp_path / "inventory"
    first = _import(run_wrk, inv, VERSIONS[0])
    assert first["added"] == [
        "dev-primary",
        "dev-secondary",
        "licensed-win-1",
        "licensed-win-2",
        "gali-linux-compute-1",
    ]
    assert any(entry["key"] == "tailscale_ip" for entry in first["unmapped"])  # type: ignore[attr-defined,index]

    second = _import(run_wrk, inv, VERSIONS[1])
    assert second["renamed"] == [["licensed-win-1", "ace-win-1"], ["licensed-win-2", "ace-win-2"]]
    assert second["added"] == ["macbook-portable"]
    assert not (inv / "host_vars" / "licensed-win-1.yml").exists()

    third = _import(run_wrk, inv, VERSIONS[2])
    assert third["added"] == ["gpu-claw"]
    assert "wrk_access" in third["updated"]["ace-win-1"]  # type: ignore[index]
    assert _vars(inv, "ace-win-1")["wrk_aliases"] == ["licensed-win-1"]
    assert _vars(inv, "ace-win-1")["wrk_access"] == "ssh"
    assert _vars(inv, "gali-linux-compute-1")["wrk_access"] == "none"
    licenses = _vars(inv, "ace-win-2")["wrk_licenses"]
    assert {"feature": "orcaflex", "kind": "flexlm", "inferred": True} in licenses  # type: ignore[operator]

    before = tree_hash(inv)
    again = _import(run_wrk, inv, VERSIONS[2])
    assert again["files"] == []
    assert again["added"] == []
    assert again["updated"] == {}
    assert tree_hash(inv) == before

    graph = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(inv), "--graph"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    assert graph.returncode == 0, graph.stderr
    for group in ("linux", "windows", "macos", "licensed", "ai_capable", "gpu"):
        assert f"@{group}:" in graph.stdout
    listed = run_wrk("inventory", "list", "-i", str(inv), "--json")
    assert listed.returncode == 0, listed.stderr
    assert "gpu-claw" in listed.stdout


def test_hand_edits_survive_reimport_unless_overwrite(run_wrk: Run, tmp_path: Path) -> None:
    inv = tmp_path / "inventory"
    _import(run_wrk, inv, VERSIONS[0])
    path = inv / "host_vars" / "dev-primary.yml"
    result = run_wrk(
        "inventory", "set", "dev-primary", "wrk_tools=[git, hand-tool]", "-i", str(inv)
    )
    assert result.returncode == 0, result.stderr
    key = "wrk_signing_key=ssh-ed25519 AAAA"
    result = run_wrk("inventory", "set", "dev-primary", key, "-i", str(inv))
    assert result.returncode == 0, result.stderr

    report = _import(run_wrk, inv, VERSIONS[1])
    assert ["dev-primary", "wrk_tools"] in report["kept"]  # type: ignore[operator]
    assert _vars(inv, "dev-primary")["wrk_tools"] == ["git", "hand-tool"]
    assert _vars(inv, "dev-primary")["wrk_signing_key"] == "ssh-ed25519 AAAA"
    assert _vars(inv, "dev-primary")["wrk_storage"]  # imported values still update

    text = run_wrk(
        "inventory", "import", str(REGISTRY / VERSIONS[1]), "-i", str(inv)
    ).stdout  # the human report names the kept value
    assert "kept     dev-primary: wrk_tools" in text
    before = path.read_bytes()
    _import(run_wrk, inv, VERSIONS[1])
    assert path.read_bytes() == before

    overwritten = _import(run_wrk, inv, VERSIONS[1], "--overwrite")
    assert overwritten["kept"] == []
    assert "hand-tool" not in _vars(inv, "dev-primary")["wrk_tools"]  # type: ignore[operator]
    assert _vars(inv, "dev-primary")["wrk_signing_key"] == "ssh-ed25519 AAAA"  # not imported


def test_dry_run_writes_nothing(run_wrk: Run, tree_hash: Hash, tmp_path: Path) -> None:
    inv = tmp_path / "inventory"
    report = _import(run_wrk, inv, VERSIONS[0], "--dry-run")
    assert report["dry_run"] is True
    assert report["files"]
    assert not inv.exists()
    _import(run_wrk, inv, VERSIONS[0])
    before = tree_hash(inv)
    report = _import(run_wrk, inv, VERSIONS[2], "--dry-run")
    assert report["files"]
    assert tree_hash(inv) == before


def test_broken_registry_changes_nothing(run_wrk: Run, tree_hash: Hash, tmp_path: Path) -> None:
    inv = tmp_path / "inventory"
    _import(run_wrk, inv, VERSIONS[0])
    bad = tmp_path / "registry.yaml"
    bad.write_text("machines:\n  box:\n    capabilities:\n      gpu: [1]\n", encoding="utf-8")
    before = tree_hash(inv)
    result = run_wrk("inventory", "import", str(bad), "-i", str(inv))
    assert result.returncode == 1
    assert str(bad) in result.stderr
    assert "machines.box.capabilities.gpu" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_hash(inv) == before
