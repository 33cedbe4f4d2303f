"""The registry snapshot: same data as Ansible's reading, no Ansible import when fresh, and a
new reading whenever anything that shapes the inventory changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from wrk_ansible.errors import InputError
from wrk_ansible.registry.inventory import load_registry
from wrk_ansible.registry.snapshot import cached_registry, snapshot_key

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parents[1] / "fixtures" / "inventory-edit"
CHECKED_IN = Path(__file__).parents[2] / "inventory"


def _view(registry: object) -> object:
    return (
        [ws.as_dict() for ws in registry.workstations],  # type: ignore[attr-defined]
        {k: list(v) for k, v in registry.groups.items()},  # type: ignore[attr-defined]
        json.loads(json.dumps(dict(registry.fleet_vars), default=str)),  # type: ignore[attr-defined]
    )


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "inv"))


def test_snapshot_matches_ansibles_reading(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fresh = cached_registry(str(CHECKED_IN), str(cache))
    again = cached_registry(str(CHECKED_IN), str(cache))
    assert len(list(cache.glob("registry-*.json"))) == 1
    assert _view(again) == _view(fresh) == _view(load_registry(str(CHECKED_IN)))
    assert again.find("licensed-win-1").name == "ace-win-1"  # aliases survive the round trip


def test_a_fresh_snapshot_is_read_without_importing_ansible(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cached_registry(str(CHECKED_IN), str(cache))
    code = (
        "import sys; from wrk_ansible.registry.snapshot import cached_registry as c;"
        f"r = c({str(CHECKED_IN)!r}, {str(cache)!r});"
        "print(len(r.workstations), 'ansible' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    count, imported = done.stdout.split()
    assert int(count) == len(load_registry(str(CHECKED_IN)).workstations)
    assert imported == "False"


def test_any_change_to_a_file_reads_through_ansible_again(inventory: Path, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    before = cached_registry(str(inventory), cache)
    key = snapshot_key(str(inventory))
    host = before.workstations[0].name
    vars_file = inventory / "host_vars" / f"{host}.yml"
    vars_file.write_text(
        vars_file.read_text(encoding="utf-8") + "wrk_notes: changed by hand\n", encoding="utf-8"
    )
    assert snapshot_key(str(inventory)) != key
    assert cached_registry(str(inventory), cache).get(host).notes == "changed by hand"


def test_ansible_cfg_and_environment_are_part_of_the_key(
    inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = snapshot_key(str(inventory))
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[defaults]\n", encoding="utf-8")
    monkeypatch.setenv("ANSIBLE_CONFIG", str(cfg))
    with_cfg = snapshot_key(str(inventory))
    assert with_cfg != key
    cfg.write_text("[defaults]\ninventory_ignore_extensions = .bak\n", encoding="utf-8")
    assert snapshot_key(str(inventory)) != with_cfg
    monkeypatch.setenv("ANSIBLE_INVENTORY_ENABLED", "yaml")
    assert snapshot_key(str(inventory)) not in (key, with_cfg)


def test_settings_of_a_run_alone_leave_the_key_as_it_is(
    inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh ssh control folder per command, colours, the output callback: none shapes the
    inventory, so none makes the next read go through Ansible again."""
    cache = str(tmp_path / "cache")
    key = snapshot_key(str(inventory))
    cached_registry(str(inventory), cache)
    monkeypatch.setenv("ANSIBLE_SSH_CONTROL_PATH_DIR", str(tmp_path / "cp-1"))
    monkeypatch.setenv("ANSIBLE_NOCOLOR", "1")
    monkeypatch.setenv("ANSIBLE_STDOUT_CALLBACK", "json")
    assert snapshot_key(str(inventory)) == key
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*.json")) != []
    monkeypatch.setenv("ANSIBLE_VARS_ENABLED", "host_group_vars")
    assert snapshot_key(str(inventory)) != key  # not known to be a run's setting alone


def test_plugin_and_script_inventories_are_never_snapshotted(
    inventory: Path, tmp_path: Path
) -> None:
    plugin = tmp_path / "plugin-inv"
    plugin.mkdir()
    (plugin / "fleet.wrk_registry.yml").write_text(
        "plugin: wrk_registry\nregistry: r.yaml\n", encoding="utf-8"
    )
    assert snapshot_key(str(plugin)) is None
    script = inventory / "extra.py"
    script.write_text("#!/bin/sh\necho '{}'\n", encoding="utf-8")
    os.chmod(script, 0o755)
    assert snapshot_key(str(inventory)) is None
    assert snapshot_key("localhost,") is None


def test_a_corrupt_snapshot_is_replaced(inventory: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cached_registry(str(inventory), str(cache))
    (snapshot,) = cache.glob("registry-*.json")
    snapshot.write_text("{not json", encoding="utf-8")
    registry = cached_registry(str(inventory), str(cache))
    assert registry.workstations
    assert json.loads(snapshot.read_text(encoding="utf-8"))["snapshot_version"] == 1


def test_an_inventory_file_source_covers_the_vars_beside_it(
    inventory: Path, tmp_path: Path
) -> None:
    """``-i inv/hosts.yml``: Ansible also reads inv/host_vars and inv/group_vars, and
    ``wrk inventory drain`` writes there; the snapshot must see those edits."""
    cache = str(tmp_path / "cache")
    source = str(inventory / "hosts.yml")
    host = cached_registry(source, cache).workstations[0].name
    vars_file = inventory / "host_vars" / f"{host}.yml"
    vars_file.write_text(
        vars_file.read_text(encoding="utf-8") + "wrk_notes: edited beside the file\n",
        encoding="utf-8",
    )
    assert cached_registry(source, cache).get(host).notes == "edited beside the file"


def test_role_inputs_in_the_inventory_are_not_host_declarations(
    inventory: Path, tmp_path: Path
) -> None:
    (inventory / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
    (inventory / "group_vars" / "all" / "probe.yml").write_text(
        "---\nwrk_readiness_transport: module\nwrk_readiness_raw_python: /usr/bin/python3\n",
        encoding="utf-8",
    )
    registry = load_registry(str(inventory))  # no "unknown host var" error
    assert registry.workstations


def test_a_failure_is_never_cached(
    inventory: Path, tmp_path: Path, run_wrk: Callable[..., CompletedProcess[str]]
) -> None:
    """A broken host_vars file fails every run, through the real command, saving no snapshot;
    fixed, the next run reads through Ansible and caches the good registry."""
    cache = tmp_path / "cache"
    env_cache = Path(os.environ["WRK_CACHE_DIR"])
    host = load_registry(str(inventory)).workstations[0].name
    vars_file = inventory / "host_vars" / f"{host}.yml"
    good = vars_file.read_text(encoding="utf-8")
    vars_file.write_text(good + "wrk_notes: [unclosed\n", encoding="utf-8")
    before = sorted(env_cache.glob("registry-*.json"))
    for _ in range(2):
        with pytest.raises(InputError):
            cached_registry(str(inventory), str(cache))
        done = run_wrk("inventory", "list", "-i", str(inventory))
        assert done.returncode == 1, done.stderr
        assert f"{vars_file}:" in done.stderr
    assert not list(cache.glob("registry-*.json"))
    assert sorted(env_cache.glob("registry-*.json")) == before
    vars_file.write_text(good, encoding="utf-8")
    assert cached_registry(str(inventory), str(cache)).find(host) is not None
    assert len(list(cache.glob("registry-*.json"))) == 1


def test_a_registry_read_with_warnings_is_not_cached_so_the_warning_repeats(
    inventory: Path, tmp_path: Path, run_wrk: Callable[..., CompletedProcess[str]]
) -> None:
    """A stray unparsable file in the inventory folder: Ansible warns and reads the rest. The
    warning must come again on the next run, not vanish behind a snapshot."""
    stray = inventory / "stray.yml"
    stray.write_text("all: [unclosed-stray\n", encoding="utf-8")
    cache = tmp_path / "cache"
    assert cached_registry(str(inventory), str(cache)).warnings
    assert not list(cache.glob("registry-*.json"))
    for _ in range(2):
        done = run_wrk("inventory", "list", "-i", str(inventory))
        assert done.returncode == 0, done.stderr
        assert str(stray) in done.stderr
