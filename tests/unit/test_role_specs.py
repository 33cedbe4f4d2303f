"""Every role's meta/argument_specs.yml matches its defaults/main.yml exactly: its entry points'
options together are the defaults, each with the same default (an input belongs to the entry
point that reads it: wrk_readiness's main reads the probe's, schedule the schedule's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
ROLE_DIRS = sorted(p for p in ROLES.iterdir() if (p / "tasks").is_dir())


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_roles_found() -> None:
    assert "wrk_readiness" in [p.name for p in ROLE_DIRS]


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_argument_specs_match_defaults(role: Path) -> None:
    defaults = load(role / "defaults" / "main.yml") or {}
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    assert "main" in specs
    named = [name for spec in specs.values() for name in spec["options"]]
    assert sorted(named) == sorted(defaults), "each input in exactly one entry point"
    for entry, spec in specs.items():
        assert (role / "tasks" / f"{entry}.yml").is_file(), f"entry point {entry} has no tasks"
        for name, option in spec["options"].items():
            assert "default" in option, f"{name} has no default in argument_specs"
            assert option["default"] == defaults[name], name
            assert option.get("description"), f"{name} is undocumented"


def test_the_schedule_inputs_are_the_schedule_entry_points() -> None:
    """The probe entry points never see the schedule's inputs, and the reverse."""
    role = ROLES / "wrk_readiness"
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    assert sorted(specs) == ["main", "schedule"]
    assert all(n.startswith("wrk_readiness_schedule_") for n in specs["schedule"]["options"])
    assert not [n for n in specs["main"]["options"] if n.startswith("wrk_readiness_schedule_")]


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_inputs_are_prefixed_with_the_role_name(role: Path) -> None:
    assert "-" not in role.name
    defaults = load(role / "defaults" / "main.yml") or {}
    assert defaults, "a role with no inputs has nothing to compare"
    for name in defaults:
        assert name.startswith(role.name + "_"), name
    internal = load(role / "vars" / "main.yml") if (role / "vars" / "main.yml").exists() else {}
    for name in internal or {}:
        assert name.startswith(f"__{role.name}_"), name


@pytest.mark.parametrize(
    ("spec_type", "python_type"),
    [("dict", dict), ("str", str), ("float", (int, float)), ("bool", bool), ("list", list)],
)
def test_default_types_match_the_declared_type(spec_type: str, python_type: Any) -> None:
    for role in ROLE_DIRS:
        defaults = load(role / "defaults" / "main.yml") or {}
        specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
        for spec in specs.values():
            for name, option in spec["options"].items():
                if option["type"] == spec_type:
                    assert isinstance(defaults[name], python_type), name
