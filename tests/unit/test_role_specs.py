"""Every role's meta/argument_specs.yml matches its defaults/main.yml exactly."""

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
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(options) == sorted(defaults)
    for name, spec in options.items():
        assert "default" in spec, f"{name} has no default in argument_specs"
        assert spec["default"] == defaults[name], name
        assert spec.get("description"), f"{name} is undocumented"


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
    [("dict", dict), ("str", str), ("float", (int, float)), ("bool", bool)],
)
def test_default_types_match_the_declared_type(spec_type: str, python_type: Any) -> None:
    for role in ROLE_DIRS:
        defaults = load(role / "defaults" / "main.yml") or {}
        spec = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
        for name, option in spec.items():
            if option["type"] == spec_type:
                assert isinstance(defaults[name], python_type), name
