"""The registry through ``wrk`` processes: inventory list/show, name checks, and the canary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from wrk_ansible.registry.inventory import load_registry

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
INVENTORY = str(REPO / "inventory")
NAMES = REPO / "tests" / "fixtures" / "machine-names"
QUEUE = REPO / "tests" / "fixtures" / "work-queue"
BIN = Path(sys.executable).parent
WRK = [sys.executable, "-m", "wrk_ansible"]
RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]  # the run_wrk fixture (conftest)


def by_id(stdout: str) -> dict[str, dict[str, object]]:
    return {str(r["id"]): r for r in json.loads(stdout)}


def test_inventory_list_and_show(run_wrk: RunWrk) -> None:
    listed = run_wrk("inventory", "list", "-i", INVENTORY)
    assert listed.returncode == 0, listed.stderr
    for host in ("dev-primary", "ace-win-1", "gali-linux-compute-1", "macbook-portable"):
        assert host in listed.stdout
    as_json = run_wrk("inventory", "list", "-i", INVENTORY, "--json")
    data = json.loads(as_json.stdout)
    assert [w["name"] for w in data["workstations"]][:2] == ["dev-primary", "dev-secondary"]
    assert data["groups"]["licensed"] == ["ace-win-1", "ace-win-2"]

    shown = run_wrk("inventory", "show", "licensed-win-1", "-i", INVENTORY, "--json")
    assert shown.returncode == 0, shown.stderr
    host = json.loads(shown.stdout)
    assert host["name"] == "ace-win-1"
    assert {lic["feature"] for lic in host["licenses"]} == {"orcaflex", "ansys"}
    table = run_wrk("inventory", "show", "ace-linux-1", "-i", INVENTORY)
    assert "dev-primary" in table.stdout
    assert "vamsee-linux1" in table.stdout


def test_inventory_show_unknown_host_is_one_message(run_wrk: RunWrk) -> None:
    proc = run_wrk("inventory", "show", "licenced-win1", "-i", INVENTORY)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "wrk: error: "
        + INVENTORY
        + ": unknown workstation 'licenced-win1'; did you mean 'licensed-win-1'?"
    ]


def test_inventory_list_missing_inventory(run_wrk: RunWrk, tmp_path: Path) -> None:
    proc = run_wrk("inventory", "list", cwd=tmp_path)  # no ./inventory: list needs one
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "wrk: error: inventory: no such inventory (from default); wrk looks at --inventory DIR, "
        "then $WRK_INVENTORY, then inventory: in wrk.yml, then ./inventory in the current folder "
        "(wrk init creates one)"
    )
    proc = run_wrk("inventory", "list", "-i", str(tmp_path / "gone"))
    assert "no such inventory (from --inventory)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_duplicate_alias_through_the_cli(run_wrk: RunWrk) -> None:
    source = REPO / "tests" / "fixtures" / "inventories" / "dup_alias"
    proc = run_wrk("inventory", "list", "-i", str(source))
    assert proc.returncode == 1
    assert "'box-a' and 'box-b'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_unknown_machine_names_are_errors_with_hints(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "validate", str(NAMES), "-i", INVENTORY, "--json")
    assert proc.returncode == 1, proc.stderr
    results = by_id(proc.stdout)
    assert results["WRK-9003"]["valid"] is True  # all three naming schemes resolve
    expected = {
        "WRK-9001": [
            ("execution_workstations", "'orcaflex-license-machine'", "'ace-win-1'"),
            ("computer", "'any'", "'$agent_hosts'"),
        ],
        "WRK-9002": [("computer", "'sowon'", "did you mean")],
        "WRK-9004": [("computer", "'all'", "'$agent_hosts'")],
    }
    for wrk_id, wanted in expected.items():
        errors = results[wrk_id]["errors"]
        assert isinstance(errors, list)
        assert len(errors) == len(wanted), errors
        for (field, name, hint), error in zip(wanted, errors, strict=True):
            assert error["field"] == field
            assert f"unknown machine {name}" in error["message"]
            assert hint in error["message"]
        assert str(results[wrk_id]["path"]).endswith(f"{wrk_id}.md")


def test_real_queue_names_resolve_through_aliases(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "validate", str(QUEUE), "-i", INVENTORY, "--json")
    assert proc.returncode == 0, proc.stdout
    assert all(r["valid"] for r in json.loads(proc.stdout))


def _wrk(args: list[str], cwd: Path, inventory_env: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("WRK_INVENTORY", None)
    if inventory_env is not None:
        env["WRK_INVENTORY"] = inventory_env
    return subprocess.run(
        [*WRK, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_inventory_precedence(tmp_path: Path) -> None:
    item = str(NAMES / "WRK-9002.md")
    empty = tmp_path / "empty"
    (empty / "group_vars").mkdir(parents=True)
    (empty / "hosts.yml").write_text("all:\n  hosts:\n    sowon:\n")
    shutil.copytree(REPO / "inventory", tmp_path / "inventory")

    # ./inventory (the fleet): sowon is unknown.
    assert _wrk(["contract", "validate", item], tmp_path, None).returncode == 1
    # $WRK_INVENTORY wins over ./inventory: there, sowon is a host, dev-primary is not.
    env_run = _wrk(["contract", "validate", item, "--json"], tmp_path, str(empty))
    assert "'dev-primary'" in env_run.stdout
    assert "'sowon'" not in env_run.stdout
    # --inventory wins over $WRK_INVENTORY.
    flag = _wrk(["contract", "validate", item, "-i", INVENTORY, "--json"], tmp_path, str(empty))
    assert "'sowon'" in flag.stdout
    # A named inventory that is missing is an error; a missing default only skips the check.
    gone = _wrk(["contract", "validate", item], tmp_path, str(tmp_path / "gone"))
    assert gone.returncode == 1
    assert "no such inventory (from $WRK_INVENTORY)" in gone.stderr
    bare = tmp_path / "bare"
    bare.mkdir()
    unchecked = _wrk(["contract", "validate", item], bare, None)
    assert unchecked.returncode == 0, unchecked.stderr
    assert "machine names were not checked" in unchecked.stderr


CANARY_VALUE = "{{{{ lookup('pipe', 'touch {canary}') }}}}"


def test_canary_values_are_never_templated(run_wrk: RunWrk, tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    value = CANARY_VALUE.format(canary=canary)
    inventory = tmp_path / "inventory"
    (inventory / "host_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(
        f'all:\n  hosts:\n    trap:\n      wrk_notes: "{value}"\n'
        f'      wrk_state: drained\n      wrk_state_reason: "{value}"\n'
    )
    (inventory / "host_vars" / "trap.yml").write_text(f'wrk_signing_key: "{value}"\n')

    registry = load_registry(str(inventory))
    trap = registry.get("trap")
    assert (trap.notes, trap.state_reason, trap.signing_key) == (value, value, value)
    shown = run_wrk("inventory", "show", "trap", "-i", str(inventory), "--json")
    assert json.loads(shown.stdout)["notes"] == value
    assert run_wrk("inventory", "list", "-i", str(inventory)).returncode == 0
    listed = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(inventory), "--list"],
        cwd=tmp_path,
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert not canary.exists(), "a registry value was templated and ran a command"
    # The canary works: templating the same text would have run it.
    from jinja2 import Environment

    Environment().from_string(value).render(lookup=lambda *a: canary.touch())
    assert canary.exists()


def test_checked_in_inventory_is_the_newest_registry_imported(
    run_wrk: RunWrk, tmp_path: Path
) -> None:
    inventory = Path(shutil.copytree(REPO / "inventory", tmp_path / "inventory"))
    before = {p: p.read_bytes() for p in inventory.rglob("*.yml")}
    registry = REPO / "tests" / "fixtures" / "registry" / "registry-2026-08-01.yaml"
    proc = run_wrk("inventory", "import", str(registry), "-i", str(inventory))
    assert proc.returncode == 0, proc.stderr
    assert {p: p.read_bytes() for p in inventory.rglob("*.yml")} == before
