"""The pure mapping of the team's legacy registry.yaml onto inventory hosts, groups and vars."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from wrk_ansible.errors import InputError
from wrk_ansible.registry.hostvars import HostVars
from wrk_ansible.registry.legacy_registry import MappedRegistry, map_registry

FIXTURES = Path(__file__).parents[1] / "fixtures" / "registry"
VERSIONS = sorted(p.name for p in FIXTURES.glob("registry-*.yaml"))


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def mapped(name: str) -> MappedRegistry:
    return map_registry(load(name), name)


def test_all_three_versions_are_fixtures() -> None:
    assert VERSIONS == [
        "registry-2026-03-26.yaml",
        "registry-2026-06-09.yaml",
        "registry-2026-08-01.yaml",
    ]


@pytest.mark.parametrize("name", VERSIONS)
def test_every_machine_maps_to_valid_host_vars(name: str) -> None:
    result = mapped(name)
    assert list(result.hosts) == list(load(name)["machines"])
    for host, host_vars in result.hosts.items():
        wrk = {k: v for k, v in host_vars.items() if k.startswith("wrk_")}
        HostVars.model_validate(wrk)  # raises if the mapping produced a bad shape
        assert set(host_vars) - set(wrk) <= {"ansible_host"}, host


@pytest.mark.parametrize("name", VERSIONS)
def test_groups_follow_os_agents_gpu_and_licenses(name: str) -> None:
    result = mapped(name)
    for host, host_vars in result.hosts.items():
        assert host in result.groups[host_vars["wrk_os"]]
        assert (host in result.groups.get("ai_capable", [])) == bool(host_vars.get("wrk_agents"))
        assert (host in result.groups.get("gpu", [])) == ("wrk_gpu" in host_vars)
    assert set(result.groups) <= {"linux", "windows", "macos", "licensed", "ai_capable", "gpu"}


def test_newest_registry_hosts_and_groups() -> None:
    result = mapped("registry-2026-08-01.yaml")
    assert list(result.hosts) == [
        "dev-primary",
        "dev-secondary",
        "ace-win-1",
        "ace-win-2",
        "gpu-claw",
        "macbook-portable",
        "gali-linux-compute-1",
    ]
    assert result.groups["licensed"] == ["ace-win-1", "ace-win-2"]
    assert result.groups["gpu"] == ["dev-secondary", "gpu-claw", "gali-linux-compute-1"]
    assert result.groups["macos"] == ["macbook-portable"]


def test_hostnames_and_aliases_become_wrk_aliases() -> None:
    hosts = mapped("registry-2026-08-01.yaml").hosts
    assert hosts["dev-primary"]["wrk_aliases"] == ["ace-linux-1", "vamsee-linux1"]
    assert hosts["ace-win-1"]["wrk_aliases"] == ["licensed-win-1"]
    assert hosts["ace-win-2"]["wrk_aliases"] == ["licensed-win-2", "acma-ws014"]
    assert "wrk_aliases" not in hosts["gpu-claw"]  # hostname equals the logical name
    assert hosts["gali-linux-compute-1"]["wrk_aliases"] == ["shoerack"]


def test_case_variants_of_one_alias_collapse() -> None:
    hosts = mapped("registry-2026-06-09.yaml").hosts
    assert hosts["ace-win-1"]["wrk_aliases"] == ["licensed-win-1", "ACMA-ANSYS05"]


def test_ssh_null_means_no_access_and_an_ssh_alias_is_the_connection_name() -> None:
    hosts = mapped("registry-2026-08-01.yaml").hosts
    assert hosts["ace-win-2"]["wrk_access"] == "none"
    assert hosts["macbook-portable"]["wrk_access"] == "none"
    assert hosts["ace-win-1"]["wrk_access"] == "ssh"
    assert hosts["dev-primary"]["ansible_host"] == "ace-linux-1"
    assert "ansible_host" not in hosts["ace-win-1"]  # ssh alias equals the host name
    old = mapped("registry-2026-03-26.yaml").hosts
    assert old["licensed-win-1"]["wrk_access"] == "none"


def test_no_address_ever_reaches_the_inventory() -> None:
    for name in VERSIONS:
        result = mapped(name)
        text = yaml.safe_dump(result.hosts)
        assert "10.1.0." not in text
        assert any(e.key == "tailscale_ip" for e in result.unmapped)


def test_licenses_inferred_from_tools_roles_and_notes() -> None:
    hosts = mapped("registry-2026-08-01.yaml").hosts
    for host in ("ace-win-1", "ace-win-2"):
        assert hosts[host]["wrk_licenses"] == [
            {"feature": "orcaflex", "kind": "flexlm", "inferred": True},
            {"feature": "ansys", "kind": "flexlm", "inferred": True},
        ]
    assert "wrk_licenses" not in hosts["dev-secondary"]


def test_license_role_without_product_is_licensed_and_reported() -> None:
    data = load("registry-2026-03-26.yaml")
    machine = data["machines"]["licensed-win-1"]
    machine["capabilities"]["tools"] = ["git"]
    machine["notes"] = "Windows box."
    result = map_registry(data, "r.yaml")
    assert "licensed-win-1" in result.groups["licensed"]
    assert "wrk_licenses" not in result.hosts["licensed-win-1"]
    assert ("licensed-win-1", "role") in {(e.host, e.key) for e in result.unmapped}


def test_license_from_notes_needs_a_license_word() -> None:
    data = load("registry-2026-03-26.yaml")
    data["machines"]["dev-primary"]["notes"] = "Runs ANSYS AQWA under a network license."
    data["machines"]["dev-secondary"]["notes"] = "Post-processes ansys results."
    hosts = map_registry(data, "r.yaml").hosts
    features = [lic["feature"] for lic in hosts["dev-primary"]["wrk_licenses"]]
    assert features == ["ansys", "aqwa"]
    assert "wrk_licenses" not in hosts["dev-secondary"]


def test_gpu_labels_kept_and_storage_mapped() -> None:
    hosts = mapped("registry-2026-08-01.yaml").hosts
    assert hosts["gpu-claw"]["wrk_gpu"] == "nvidia-rtx3090-x2"
    assert "wrk_gpu" not in hosts["dev-primary"]
    assert {"path": "/mnt/ace", "purpose": "knowledge"} in hosts["dev-primary"]["wrk_storage"]
    assert {"path": "D:\\", "purpose": "repo-root"} in hosts["ace-win-1"]["wrk_storage"]


def test_unmapped_blocks_are_reported_never_dropped() -> None:
    data = load("registry-2026-08-01.yaml")
    data["version"] = 3
    data["machines"]["gpu-claw"]["capabilities"]["fpga"] = True
    data["machines"]["gpu-claw"]["storage"]["scratch"] = "/scratch"
    result = map_registry(data, "r.yaml")
    keys = {(e.host, e.key) for e in result.unmapped}
    assert (None, "version") in keys
    assert ("gpu-claw", "capabilities.fpga") in keys
    assert ("gpu-claw", "storage.scratch") in keys
    for block in ("telegram_hermes", "tier1_baseline", "repos", "harness_profile", "role"):
        assert ("dev-primary", block) in keys
    assert all(entry["reason"] for entry in result.report())


def test_mapping_does_not_touch_its_input() -> None:
    data = load("registry-2026-08-01.yaml")
    before = copy.deepcopy(data)
    map_registry(data, "r.yaml")
    assert data == before


def test_output_is_plain_data_ready_to_dump() -> None:
    result = mapped("registry-2026-08-01.yaml")
    text = yaml.safe_dump({"hosts": result.hosts, "groups": result.groups})
    assert yaml.safe_load(text) == {"hosts": result.hosts, "groups": result.groups}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("machines"), "machines"),
        (lambda d: d["machines"].__setitem__("dev-primary", ["x"]), "machines.dev-primary"),
        (
            lambda d: d["machines"]["dev-primary"]["capabilities"].__setitem__("tools", {"a": 1}),
            "machines.dev-primary.capabilities.tools",
        ),
        (
            lambda d: d["machines"]["dev-primary"].__setitem__("hostname_aliases", ["bad name"]),
            "machines.dev-primary.hostname_aliases",
        ),
        (
            lambda d: d["machines"]["dev-primary"]["capabilities"].__setitem__("gpu", 3),
            "machines.dev-primary.capabilities.gpu",
        ),
        (
            lambda d: d["machines"]["dev-secondary"].__setitem__(
                "hostname_aliases", ["ace-linux-1"]
            ),
            "machines.dev-secondary",
        ),
    ],
)
def test_bad_shapes_name_the_file_and_field(mutate: Any, field: str) -> None:
    data = load("registry-2026-08-01.yaml")
    mutate(data)
    with pytest.raises(InputError) as caught:
        map_registry(data, "legacy.yaml")
    assert caught.value.path == "legacy.yaml"
    assert caught.value.field == field


def test_an_alias_claimed_twice_names_both_hosts() -> None:
    data = load("registry-2026-08-01.yaml")
    data["machines"]["dev-secondary"]["hostname_aliases"] = ["VAMSEE-LINUX1"]
    with pytest.raises(InputError, match=r"'dev-primary' and 'dev-secondary'"):
        map_registry(data, "legacy.yaml")


def test_not_a_mapping() -> None:
    with pytest.raises(InputError, match="expected a mapping"):
        map_registry(["machines"], "legacy.yaml")
