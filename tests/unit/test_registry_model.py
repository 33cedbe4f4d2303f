"""Registry and Workstation as pure data: names, aliases, groups, hints and host patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from wrk_ansible.errors import InputError
from wrk_ansible.registry.hostvars import WRK_VARS, HostVars
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation

DOC = Path(__file__).parents[2] / "docs" / "inventory.md"


def ws(name: str, *groups: str, **wrk: object) -> Workstation:
    return Workstation.from_host_vars(name, HostVars.model_validate(wrk), groups=groups)


@pytest.fixture
def registry() -> Registry:
    return Registry(
        source="inv",
        workstations=(
            ws("dev-primary", "linux", "ai_capable", wrk_aliases=["ace-linux-1", "vamsee-linux1"]),
            ws("dev-secondary", "linux", "gpu", wrk_aliases=["ace-linux-2"], wrk_gpu="t400"),
            ws(
                "ace-win-1",
                "windows",
                "licensed",
                "ai_capable",
                wrk_aliases=["licensed-win-1"],
                wrk_licenses=[{"feature": "orcaflex", "kind": "flexlm"}],
                wrk_tools=["ansys"],
            ),
        ),
        groups={
            "linux": ("dev-primary", "dev-secondary"),
            "windows": ("ace-win-1",),
            "licensed": ("ace-win-1",),
            "ai_capable": ("dev-primary", "ace-win-1"),
            "gpu": ("dev-secondary",),
        },
    )


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("dev-primary", "dev-primary"),
        ("ACE-LINUX-1", "dev-primary"),
        ("vamsee-linux1", "dev-primary"),
        ("Licensed-Win-1", "ace-win-1"),
        ("licensed", "licensed"),
        ("GPU", "gpu"),
        ("any", None),
        ("all", None),
        ("sowon", None),
        ("orcaflex-license-machine", None),
    ],
)
def test_canonical_resolves_hosts_aliases_and_groups(
    registry: Registry, name: str, canonical: str | None
) -> None:
    assert registry.canonical(name) == canonical


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("dev-primry", "dev-primary"),
        ("licenced-win-1", "licensed-win-1"),
        ("orcaflex-license-machine", "ace-win-1"),  # a declared license feature
        ("ansys-box", "ace-win-1"),  # a declared tool
    ],
)
def test_suggest_names_the_closest_known_thing(registry: Registry, name: str, hint: str) -> None:
    assert registry.suggest(name) == hint


@pytest.mark.parametrize("name", ["any", "all", " Anywhere ", "*"])
def test_a_contract_row_saying_any_machine_is_pointed_at_agent_hosts(
    registry: Registry, name: str
) -> None:
    from wrk_ansible.placement import placed

    assert placed(registry, None, None).suggest(name) == "$agent_hosts"
    assert registry.suggest(name) != "$agent_hosts"  # --here any: no place names a host


def test_get_by_alias_and_unknown_name_hint(registry: Registry) -> None:
    assert registry.get("ace-linux-2").name == "dev-secondary"
    with pytest.raises(InputError, match=r"unknown workstation 'dev-primry'.*'dev-primary'"):
        registry.get("dev-primry")


def test_an_alias_claimed_twice_names_both_hosts() -> None:
    with pytest.raises(InputError, match=r"'box-a' and 'box-b'"):
        Registry(
            source="inv",
            workstations=(
                ws("box-a", wrk_aliases=["shared"]),
                ws("box-b", wrk_aliases=["SHARED"]),
            ),
            groups={},
        )


def test_registry_is_frozen(registry: Registry) -> None:
    with pytest.raises(AttributeError):
        registry.source = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        registry.groups["linux"] = ()  # type: ignore[index]


@pytest.mark.parametrize(
    ("pattern", "hosts"),
    [
        ("linux", ("dev-primary", "dev-secondary")),
        ("linux:windows", ("dev-primary", "dev-secondary", "ace-win-1")),
        ("linux,windows", ("dev-primary", "dev-secondary", "ace-win-1")),
        ("ai_capable:&linux", ("dev-primary",)),
        ("all:!licensed", ("dev-primary", "dev-secondary")),
        ("dev-*", ("dev-primary", "dev-secondary")),
        ("~ace-.*", ("ace-win-1",)),
        ("licensed-win-1", ("ace-win-1",)),
        ("&gpu", ("dev-secondary",)),
    ],
)
def test_hosts_in_follows_ansible_patterns(
    registry: Registry, pattern: str, hosts: tuple[str, ...]
) -> None:
    assert registry.hosts_in(pattern) == hosts


def test_unknown_pattern_term_is_an_error_with_a_hint(registry: Registry) -> None:
    with pytest.raises(InputError, match=r"'linx'.*did you mean 'linux'"):
        registry.hosts_in("linx:windows")
    with pytest.raises(InputError, match="empty host pattern"):
        registry.hosts_in(" : ")


def test_workstation_views(registry: Registry) -> None:
    win = registry.get("ace-win-1")
    assert win.answers_to("LICENSED-WIN-1")
    assert not win.answers_to("dev-primary")
    assert win.license_features == ("orcaflex",)
    assert win.available
    data = win.as_dict()
    assert data["licenses"] == [{"feature": "orcaflex", "kind": "flexlm", "inferred": False}]
    assert data["groups"] == ["windows", "licensed", "ai_capable"]


def test_only_safe_connection_vars_are_kept() -> None:
    shown = Workstation.from_host_vars(
        "h",
        HostVars(),
        connection={
            "ansible_host": "h.example.test",
            "ansible_port": 2222,
            "ansible_ssh_private_key_file": "/secret/key",
            "ansible_password": "hunter2",
        },
    )
    assert dict(shown.connection) == {"ansible_host": "h.example.test", "ansible_port": 2222}


@pytest.mark.parametrize("field", sorted(WRK_VARS))
def test_every_host_var_is_documented(field: str) -> None:
    assert f"| `{field}` |" in DOC.read_text(encoding="utf-8"), f"{field} missing from {DOC}"
