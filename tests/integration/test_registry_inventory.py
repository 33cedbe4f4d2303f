"""load_registry through Ansible's real inventory machinery, and ansible-inventory beside it.

Every inventory here is files on disk (copied into tmp_path) read by the real Ansible classes or
the real ``ansible-inventory`` / ``ansible`` commands; no host is ever contacted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from wrk_ansible.errors import InputError
from wrk_ansible.registry.inventory import load_registry
from wrk_ansible.registry.legacy_registry import map_registry

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
INVENTORIES = FIXTURES / "inventories"
BIN = Path(sys.executable).parent
FLEET = (
    "dev-primary",
    "dev-secondary",
    "gpu-claw",
    "gali-linux-compute-1",
    "ace-win-1",
    "ace-win-2",
    "macbook-portable",
)


def ansible(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a real Ansible command with the project's ansible.cfg."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), NO_COLOR="1")
    env["ANSIBLE_LOCAL_TEMP"] = str(cwd / ".ansible-tmp")
    return subprocess.run(
        [str(BIN / tool), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def unwrap(value: Any) -> Any:
    """JSON from ``ansible-inventory --list`` without its ``__ansible_unsafe`` markers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def copy_inventory(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(INVENTORIES / name, tmp_path / name))


def test_checked_in_inventory_graph_and_list(tmp_path: Path) -> None:
    graph = ansible("ansible-inventory", "-i", str(REPO / "inventory"), "--graph", cwd=tmp_path)
    assert graph.returncode == 0, graph.stderr
    for group in ("linux", "windows", "macos", "licensed", "ai_capable", "gpu"):
        assert f"@{group}:" in graph.stdout
    listed = ansible("ansible-inventory", "-i", str(REPO / "inventory"), "--list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    hostvars = json.loads(listed.stdout)["_meta"]["hostvars"]
    assert set(hostvars) == set(FLEET)
    for host, host_vars in hostvars.items():
        address = str(host_vars.get("ansible_host", ""))
        assert not re.fullmatch(r"[\d.]+|[0-9a-fA-F:]+:[0-9a-fA-F:]*", address), host
    registry = load_registry(str(REPO / "inventory"))
    for ws in registry.workstations:
        assert ws.os == hostvars[ws.name]["wrk_os"]
        assert list(ws.aliases) == hostvars[ws.name].get("wrk_aliases", [])


def test_checked_in_inventory_is_the_fleet() -> None:
    registry = load_registry(str(REPO / "inventory"))
    assert set(registry.names) == set(FLEET)
    assert registry.hosts_in("licensed") == ("ace-win-1", "ace-win-2")
    assert registry.get("ace-win-2").access == "none"
    assert registry.get("macbook-portable").access == "none"
    assert registry.get("gali-linux-compute-1").access == "none"
    for old, new in [
        ("ace-linux-1", "dev-primary"),
        ("vamsee-linux1", "dev-primary"),
        ("licensed-win-1", "ace-win-1"),
        ("licensed-win-2", "ace-win-2"),
        ("ace-linux-2", "dev-secondary"),
    ]:
        assert registry.canonical(old) == new
    for host in ("ace-win-1", "ace-win-2"):
        licenses = {lic.feature: lic for lic in registry.get(host).licenses}
        assert set(licenses) == {"orcaflex", "ansys"}
        assert all(
            lic.kind == "flexlm" and lic.server and not lic.inferred for lic in licenses.values()
        )


def test_split_inventory_combines_group_and_host_vars(tmp_path: Path) -> None:
    registry = load_registry(str(copy_inventory("split", tmp_path)))
    assert registry.names == ("ws-alpha", "ws-beta", "ws-gamma")
    alpha, beta, gamma = registry.workstations
    assert alpha.agents == ("claude", "codex")  # host_vars override group_vars
    assert beta.agents == ("claude",)
    assert [t.name for t in beta.tools] == ["git", "uv"]
    assert beta.tools[1].version == "0.4.1"
    assert alpha.aliases == ("Old-Alpha", "alpha-2019")
    assert registry.canonical("old-alpha") == "ws-alpha"
    assert dict(alpha.connection) == {"ansible_host": "alpha.example.test", "ansible_user": "ops"}
    assert set(alpha.groups) == {"linux", "ai_capable"}  # ai_capable has linux as a child
    assert registry.hosts_in("ai_capable") == ("ws-alpha", "ws-beta")
    assert (gamma.state, gamma.state_reason, gamma.access) == (
        "drained",
        "disk replacement",
        "none",
    )
    assert str(gamma.state_since) == "2026-08-02"
    assert gamma.licenses[0].server == "27000@lic-server"
    assert not gamma.available


def test_ini_inventory(tmp_path: Path) -> None:
    registry = load_registry(str(copy_inventory("ini", tmp_path) / "hosts.ini"))
    one, two = registry.get("legacy-one"), registry.get("ini-two")
    assert (one.name, one.gpu, one.agents) == ("ini-one", "rtx-4090", ("claude", "gemini"))
    assert two.os == "linux"
    assert dict(two.connection) == {"ansible_port": 2222}
    assert registry.hosts_in("gpu") == ("ini-one",)


@pytest.mark.parametrize(
    "pattern",
    [
        "ai_capable:&linux",
        "linux:!ws-beta",
        "ws-*",
        "windows,linux",
        "all:!licensed",
        "~ws-(a|g).*",
    ],
)
def test_patterns_select_what_ansible_selects(tmp_path: Path, pattern: str) -> None:
    inventory = copy_inventory("split", tmp_path)
    proc = ansible("ansible", "-i", str(inventory), "--list-hosts", pattern, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = {line.strip() for line in proc.stdout.splitlines()[1:] if line.strip()}
    assert set(load_registry(str(inventory)).hosts_in(pattern)) == listed


@pytest.mark.parametrize(
    "version", ["registry-2026-03-26.yaml", "registry-2026-06-09.yaml", "registry-2026-08-01.yaml"]
)
def test_plugin_serves_the_importer_mapping(tmp_path: Path, version: str) -> None:
    inventory = copy_inventory("plugin", tmp_path)
    shutil.copy(FIXTURES / "registry" / version, inventory / "registry.yaml")
    config = inventory / "fleet.wrk_registry.yml"
    mapped = map_registry(yaml.safe_load((inventory / "registry.yaml").read_text()), version)

    proc = ansible("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    # Plugin values reach Ansible untrusted (data, never templates); --list marks them so.
    assert unwrap(listed["_meta"]["hostvars"]) == mapped.hosts
    for group, members in mapped.groups.items():
        assert listed[group]["hosts"] == members

    registry = load_registry(str(config))
    assert list(registry.names) == sorted(mapped.hosts, key=list(registry.names).index)
    assert set(registry.names) == set(mapped.hosts)
    assert {g: list(h) for g, h in registry.groups.items()} == mapped.groups


def test_plugin_reports_a_broken_registry(tmp_path: Path) -> None:
    inventory = copy_inventory("plugin", tmp_path)
    (inventory / "registry.yaml").write_text("machines: [not, a, mapping]\n")
    with pytest.raises(InputError, match=r"wrk_registry: .*\[machines\]: expected a mapping"):
        load_registry(str(inventory / "fleet.wrk_registry.yml"))


def test_duplicate_alias_names_both_hosts(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"'shared-name'|'SHARED-NAME'") as caught:
        load_registry(str(copy_inventory("dup_alias", tmp_path)))
    assert "'box-a' and 'box-b'" in str(caught.value)


def test_bad_value_names_file_host_and_field(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_registry(str(copy_inventory("bad_value", tmp_path)))
    error = caught.value
    assert str(error.path).endswith("host_vars/broken-host.yml")
    assert (error.field, error.line) == ("wrk_access", 2)
    assert "'broken-host'" in str(error)


def test_unknown_wrk_var_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown host var 'wrk_tool'.*'wrk_tools'") as caught:
        load_registry(str(copy_inventory("unknown_var", tmp_path)))
    assert str(caught.value.path).endswith("hosts.yml")


def test_missing_and_unparsable_inventories(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such inventory"):
        load_registry(str(tmp_path / "nope"))
    broken = tmp_path / "broken.yml"
    broken.write_text("all: [unclosed\n")
    with pytest.raises(InputError, match="cannot read the inventory"):
        load_registry(str(broken))
