"""The one seam where wrk reads inventories through Ansible's classes, pinned.

``wrk_ansible/registry/inventory.py`` may reach into ansible-core where no public API serves
(see its ``_origin``); everything else of wrk keeps off Ansible's private names. These tests pin
the ansible-core range pyproject.toml declares and exercise every path through that seam, so an
ansible-core upgrade that breaks one fails here, loudly, rather than quietly losing a line number
or a warning. The tests that start Ansible's inventory machinery are marked ``integration``.
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from wrk_ansible.errors import InputError
from wrk_ansible.registry.inventory import _origin, load_registry

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "wrk_ansible"
#: The one module allowed to touch Ansible's private API.
SEAM = PACKAGE / "registry" / "inventory.py"
#: Ansible's private modules, and the private attributes of its inventory classes wrk once used.
PRIVATE = re.compile(
    r"ansible\.(?:module_utils\.)?_internal|\._inventory\b|\._loader\b|\._sources\b"
)


def _declared_ansible_core() -> Requirement:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(dep) for dep in project["dependencies"]]
    (core,) = [req for req in found if req.name == "ansible-core"]
    return core


def test_installed_ansible_core_lies_in_the_declared_range() -> None:
    core = _declared_ansible_core()
    installed = Version(version("ansible-core"))
    assert core.specifier, "pyproject.toml must bound ansible-core: the seam was checked per range"
    assert core.specifier.contains(installed, prereleases=True), (
        f"ansible-core {installed} is outside {core.specifier} (pyproject.toml); check the "
        "private-API helpers in wrk_ansible/registry/inventory.py against it, then widen the range"
    )
    # An upper bound, so an untested ansible-core is never installed under wrk by accident.
    assert any(spec.operator in {"<", "<=", "==", "~="} for spec in core.specifier)


def test_no_other_module_touches_ansible_private_api() -> None:
    offenders = []
    modules = sorted(PACKAGE.rglob("*.py"))  # the probe symlink into plugins/ included
    assert SEAM in modules
    for module in modules:
        if module == SEAM:
            continue
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1):
            if PRIVATE.search(line):
                offenders.append(f"{module.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, "Ansible's private API outside registry/inventory.py:\n" + "\n".join(
        offenders
    )


def test_the_private_pattern_catches_what_it_must() -> None:
    caught = [
        "from ansible._internal._datatag._tags import Origin",
        "from ansible.module_utils._internal import _datatag",
        "inventory._inventory.processed_sources",
        "variables._loader",
        "inventory._sources",
    ]
    assert all(PRIVATE.search(text) for text in caught)
    assert not any(PRIVATE.search(text) for text in ["self._sourcesets", "load_registry(source)"])


def test_origin_gives_file_and_line_of_a_loaded_value(tmp_path: Path) -> None:
    from ansible.parsing.dataloader import DataLoader  # type: ignore[import-untyped]

    path = tmp_path / "box.yml"
    path.write_text("wrk_agents: [claude]\nwrk_tools:\n  - name: python\n    version: '3'\n")
    data = DataLoader().load_from_file(str(path))
    assert _origin(data["wrk_agents"]) == (str(path), 1)
    assert _origin(data["wrk_tools"][0]["version"]) == (str(path), 4)
    assert _origin("never loaded") == (None, None)


def test_origin_reads_an_origin_itself(tmp_path: Path) -> None:
    """A parse error's ``obj`` is the Origin itself (AnsibleYAMLParserError), not a tagged
    value: ``_origin`` reads both."""
    from ansible.errors import AnsibleError  # type: ignore[import-untyped]
    from ansible.parsing.dataloader import DataLoader  # type: ignore[import-untyped]

    path = tmp_path / "broken.yml"
    path.write_text("a: 1\nb: [unclosed\n", encoding="utf-8")
    with pytest.raises(AnsibleError) as caught:
        DataLoader().load_from_file(str(path))
    assert _origin(caught.value.obj) == (str(path), 3)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.integration
def test_a_bad_host_var_names_its_file_and_line(tmp_path: Path) -> None:
    inventory = _write(
        tmp_path / "inv",
        {
            "hosts.yml": "all:\n  hosts:\n    box-a:\n",
            "host_vars/box-a.yml": "wrk_agents: [claude]\n# a comment\nwrk_access: telnet\n",
        },
    )
    with pytest.raises(InputError) as caught:
        load_registry(str(inventory))
    error = caught.value
    assert (error.path, error.field, error.line) == (
        str(inventory / "host_vars" / "box-a.yml"),
        "wrk_access",
        3,
    )


@pytest.mark.integration
def test_an_unknown_inline_host_var_names_its_file_and_line(tmp_path: Path) -> None:
    hosts = _write(tmp_path, {"hosts.yml": "all:\n  hosts:\n    box-a:\n      wrk_tool: x\n"})
    with pytest.raises(InputError, match="unknown host var 'wrk_tool'") as caught:
        load_registry(str(hosts / "hosts.yml"))
    assert (caught.value.path, caught.value.line) == (str(hosts / "hosts.yml"), 4)


@pytest.mark.integration
def test_an_unparsable_source_is_an_input_error_naming_it(tmp_path: Path) -> None:
    broken = _write(tmp_path, {"broken.yml": "all: [unclosed-for-the-seam-test\n"}) / "broken.yml"
    with pytest.raises(InputError, match=r"^.*cannot read the inventory: ") as caught:
        load_registry(str(broken))
    assert (caught.value.path, caught.value.line) == (str(broken), 2)
    # Ansible's own reason, condensed by _why_unparsed, not the fallback.
    assert "YAML parsing failed" in str(caught.value)
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    with pytest.raises(InputError, match="cannot read the inventory: no inventory plugin"):
        load_registry(str(empty))


@pytest.mark.integration
def test_a_parsed_but_empty_source_is_not_unparsed(tmp_path: Path) -> None:
    empty = _write(tmp_path, {"hosts.ini": "# no hosts yet\n"}) / "hosts.ini"
    assert load_registry(str(empty)).workstations == ()


@pytest.mark.integration
def test_a_directory_with_one_stray_file_loads_and_passes_the_warning_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = _write(
        tmp_path / "inv",
        {"hosts.yml": "all:\n  hosts:\n    box-a:\n", "stray.yml": "all: [stray-for-the-seam\n"},
    )
    assert load_registry(str(inventory)).names == ("box-a",)
    said = capsys.readouterr().err
    assert "Unable to parse" in said
    assert str(inventory / "stray.yml") in said


@pytest.mark.integration
def test_a_host_list_source_parses() -> None:
    assert load_registry("box-a,box-b,").names == ("box-a", "box-b")


@pytest.mark.integration
def test_fleet_vars_come_from_group_vars_all(tmp_path: Path) -> None:
    inventory = _write(
        tmp_path / "inv",
        {
            "hosts.yml": "all:\n  hosts:\n    box-a:\n      wrk_agents: [claude]\n",
            "group_vars/all/fleet.yml": "wrk_quota_fresh_hours: 12\n",
        },
    )
    registry = load_registry(str(inventory))
    assert dict(registry.fleet_vars) == {"wrk_quota_fresh_hours": 12}
    assert registry.names == ("box-a",)


#: Each broken file of an inventory folder, and the line its error must name (issue 15: a
#: host_vars YAML error was "internal error: AnsibleParserError", a broken hosts.yml named only
#: the folder). The error comes from a different place in Ansible for each: parsing the sources
#: (hosts.yml), the host_group_vars vars plugin (host_vars/, group_vars/), combining vars.
BROKEN_FILES = [
    ("hosts.yml", "all:\n  hosts:\n    box-a: [unclosed\n", 4, "YAML parsing failed"),
    ("host_vars/box-a.yml", "wrk_agents: [claude]\nwrk_os: [linux\n", 3, "YAML parsing failed"),
    ("group_vars/linux.yml", "wrk_os: linux\n\nwrk_gpu: {x\n", 4, "YAML parsing failed"),
    ("group_vars/all/fleet.yml", "wrk_quota_fresh_hours: [1\n", 2, "YAML parsing failed"),
    ("host_vars/box-a.yml", "- wrk_access: local\n", 1, "failed to combine variables"),
    ("host_vars/box-a.yml", "wrk_access: local\nwrk_os: li\x00nux\n", 2, "NUL byte"),
    ("host_vars/box-a.yml", "wrk_access: local\nwrk_os: \udcff\n", 2, "not valid UTF-8"),
]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("name", "text", "line", "said"), BROKEN_FILES, ids=[f"{b[0]}-{b[3]}" for b in BROKEN_FILES]
)
def test_a_broken_inventory_file_is_named_with_its_line(
    tmp_path: Path, name: str, text: str, line: int, said: str
) -> None:
    inventory = _write(
        tmp_path / "inv",
        {"hosts.yml": "all:\n  children:\n    linux:\n      hosts:\n        box-a:\n"},
    )
    (inventory / name).parent.mkdir(parents=True, exist_ok=True)
    (inventory / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(InputError, match="cannot read the inventory: ") as caught:
        load_registry(str(inventory))
    assert (caught.value.path, caught.value.line) == (str(inventory / name), line)
    assert said in caught.value.detail


@pytest.mark.integration
def test_an_unclosed_bracket_also_names_the_line_it_opened_on(tmp_path: Path) -> None:
    """PyYAML finds an unclosed ``[`` only at the end of the file; the message adds where the
    sequence began (PyYAML's public context mark)."""
    inventory = _write(
        tmp_path / "inv",
        {
            "hosts.yml": "all:\n  hosts:\n    box-a:\n",
            "host_vars/box-a.yml": "wrk_os: [linux\n# a comment\n# another\n",
        },
    )
    with pytest.raises(InputError) as caught:
        load_registry(str(inventory))
    assert "(a flow sequence starting at line 1, column 9)" in caught.value.detail


@pytest.mark.integration
def test_a_legacy_registry_error_names_the_registry_and_line(tmp_path: Path) -> None:
    config = _write(
        tmp_path,
        {
            "fleet.wrk_registry.yml": "plugin: wrk_registry\nregistry: registry.yaml\n",
            "registry.yaml": "machines:\n  old-box:\n    os: [linux]\n",
        },
    )
    with pytest.raises(InputError, match=r"\[machines\.old-box\.os\]: expected text") as caught:
        load_registry(str(config / "fleet.wrk_registry.yml"))
    assert (caught.value.path, caught.value.line) == (str(tmp_path / "registry.yaml"), 3)


@pytest.mark.integration
def test_warnings_are_kept_with_the_registry(tmp_path: Path) -> None:
    """A registry Ansible read with warnings says so (the snapshot never caches it)."""
    inventory = _write(
        tmp_path / "inv",
        {
            "hosts.yml": "all:\n  hosts:\n    box-a:\n",
            "host_vars/box-a.yml": "wrk_os: windows\nwrk_os: linux\n",
        },
    )
    registry = load_registry(str(inventory))
    assert registry.names == ("box-a",)
    assert any("duplicate mapping key 'wrk_os'" in w for w in registry.warnings)
    assert (
        load_registry(str(_write(tmp_path / "ok", {"h.yml": "all:\n  hosts:\n    b:\n"}))).warnings
        == ()
    )
