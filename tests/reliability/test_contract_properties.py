"""Properties of the contract models at every edge where data enters (hypothesis).

tests/unit/test_properties.py feeds the frontmatter *loader* arbitrary text and bytes. Here the
input is well-formed YAML shaped like the contract (stage rows, requirements, scopes, gates,
fallbacks, an assignment file, a requirements file, host vars), valid and invalid alike, so the
*models* are exercised. At each edge the answer is a result or the domain error, never another
exception:

- ``check_work_item`` returns a ValidationResult: valid with a contract of all seven rows, or
  errors that each say something; a valid contract holds no template marker anywhere;
- an assignment file behind ``stage_assignments_ref``: the same, its errors naming it;
- ``StageRequirements`` (``wrk readiness --requirements``): the model or InputError naming the
  file; a host var (``wrk inventory set``): the value or InputError naming host and key;
- any pydantic ValidationError of any contract model becomes located Issues, never a crash.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from wrk_ansible.cli.readiness import load_requirements
from wrk_ansible.contract import models
from wrk_ansible.contract.resolve import pydantic_issues
from wrk_ansible.contract.stages import STAGE_IDS
from wrk_ansible.contract.validate import ValidationResult, check_work_item
from wrk_ansible.errors import InputError
from wrk_ansible.names import check_against
from wrk_ansible.registry.hostvars import WRK_VARS
from wrk_ansible.registry.inventory import Registry, load_registry
from wrk_ansible.registry.values import check_value

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
TEMPLATE = re.compile(r"\{\{|\{%|\{#")

# -- strategies: the contract's vocabulary, good and bad values mixed ------------------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_HOSTILE = st.sampled_from(
    [
        "{{ lookup('pipe', 'touch /tmp/x') }}",
        "{% for x in y %}",
        "{# c #}",
        "$(touch x)",
        "`id`",
        "a; rm -rf /",
        "../../etc/passwd",
        "/abs/path",
        "",
        " ",
        "a" * 300,
        "dev\x00primary",
        "dev\nprimary",
    ]
)
_NAME = st.one_of(
    st.sampled_from(
        ["dev-primary", "dev-secondary", "ace-win-1", "linux", "ai_capable", "nosuch-box", "any"]
    ),
    _HOSTILE,
    _TEXT,
)
_AGENT = st.one_of(st.sampled_from(["claude", "codex", "gemini", "any"]), _HOSTILE, _TEXT)
_NUMBER = st.one_of(
    st.integers(-5, 70_000), st.floats(allow_nan=True), st.sampled_from(["3", "many", True, None])
)
_SCALAR = st.one_of(st.none(), st.booleans(), _NUMBER, _NAME)
_NAMES = st.one_of(_NAME, st.lists(_NAME, max_size=4), _SCALAR)
_SCOPE = st.one_of(
    _NAMES,
    st.fixed_dictionaries({"group": _NAME}, optional={"count": _NUMBER}),
    st.dictionaries(st.sampled_from(["group", "count", "hosts"]), _SCALAR, max_size=3),
)
_GATE = st.one_of(
    st.sampled_from(["machine-readiness", "quota-snapshot", "route-policy", "no-such-gate"]),
    st.fixed_dictionaries({"name": _NAME}, optional={"advisory": _SCALAR}),
    _HOSTILE,
)
_ROW = st.fixed_dictionaries(
    {},
    optional={
        "primary": _AGENT,
        "secondary": _AGENT,
        "agents": st.one_of(st.just("any"), st.lists(_AGENT, max_size=3), _SCALAR),
        "advisory": st.lists(_AGENT, max_size=2),
        "workstations": _SCOPE,
        "parallel": st.one_of(st.booleans(), _SCALAR),
        "fallback": _NAMES,
        "on_unavailable": st.sampled_from(["pause", "defer", "replan", "panic", None]),
        "gates": st.one_of(st.lists(_GATE, max_size=3), _SCALAR),
        "unknown_key": _SCALAR,
    },
)
_STAGE_KEY = st.one_of(
    st.sampled_from([*STAGE_IDS, "impl-review", "plan-draft", "exeucte", "deploy", "EXECUTE"]),
    _TEXT,
)
_REQUIREMENTS = st.fixed_dictionaries(
    {},
    optional={
        "tools": st.lists(
            st.one_of(
                _NAME,
                st.fixed_dictionaries({"name": _NAME}, optional={"min_version": _SCALAR}),
                _SCALAR,
            ),
            max_size=3,
        ),
        "licenses": st.lists(
            st.fixed_dictionaries({"feature": _NAME}, optional={"seats": _NUMBER}), max_size=2
        ),
        "disk": st.lists(
            st.fixed_dictionaries({"path": st.one_of(_HOSTILE, _TEXT), "free_gb": _NUMBER}),
            max_size=2,
        ),
        "network": st.lists(st.fixed_dictionaries({"host": _NAME, "port": _NUMBER}), max_size=2),
        "gpu": _SCALAR,
    },
)
FRONTMATTER = st.fixed_dictionaries(
    {"id": st.one_of(st.just("WRK-1"), _SCALAR)},
    optional={
        "status": st.one_of(st.just("pending"), _SCALAR),
        "title": st.one_of(_HOSTILE, _TEXT, _SCALAR),
        "computer": _NAMES,
        "provider": st.one_of(_AGENT, st.lists(_AGENT, max_size=3)),
        "orchestrator": _AGENT,
        "plan_workstations": _NAMES,
        "execution_workstations": _NAMES,
        "stage_assignments": st.one_of(
            st.dictionaries(_STAGE_KEY, st.one_of(_ROW, _SCALAR), max_size=4), _SCALAR
        ),
        "machine_capability_requirements": st.one_of(
            st.dictionaries(_STAGE_KEY, st.one_of(_REQUIREMENTS, _SCALAR), max_size=3), _SCALAR
        ),
        "handoff_evidence_ref": st.one_of(st.just(".wrk/evidence/WRK-1"), _HOSTILE, _SCALAR),
        "kept_unknown_key": _SCALAR,
    },
)


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The examples' real inventory, read through Ansible once: machine names get checked."""
    return load_registry(str(EXAMPLES / "inventory"))


def _strings(value: Any) -> list[str]:
    if isinstance(value, BaseModel):
        return _strings(value.model_dump())
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _assert_answer(result: ValidationResult) -> None:
    """Valid with a full contract free of templates, or errors that each say something."""
    assert isinstance(result, ValidationResult)
    json.dumps(result.as_dict())
    if result.valid:
        contract = result.contract
        assert contract is not None
        assert [row.stage for row in contract.stages] == list(STAGE_IDS)
        for row in contract.stages:
            for text in _strings(row.assignment) + _strings(row.requirements):
                assert not TEMPLATE.search(text), (row.stage, text)
    else:
        assert result.contract is None or result.errors
        assert result.errors
        for issue in result.errors:
            assert issue.message.strip()


def _write(path: Path, data: Any) -> None:
    path.write_text("---\n" + yaml.safe_dump(data, allow_unicode=True) + "---\n", "utf-8")


@SETTINGS
@given(data=FRONTMATTER)
def test_any_contract_shape_validates_or_says_why(
    tmp_path: Path, registry: Registry, data: dict[str, Any]
) -> None:
    path = tmp_path / "WRK-1.md"
    _write(path, data)
    _assert_answer(check_work_item(str(path)))
    result = check_against(str(path), registry)
    _assert_answer(result)
    event("valid" if result.valid else "invalid")


@SETTINGS
@given(
    rows=st.one_of(st.dictionaries(_STAGE_KEY, st.one_of(_ROW, _SCALAR), max_size=4), _SCALAR),
    requirements=st.one_of(
        st.none(), st.dictionaries(_STAGE_KEY, _REQUIREMENTS, max_size=2), _SCALAR
    ),
    version=st.sampled_from([1, 1, 2, "1", None]),
)
def test_any_assignment_file_validates_or_is_named(
    tmp_path: Path, registry: Registry, rows: Any, requirements: Any, version: Any
) -> None:
    (tmp_path / ".git").mkdir(exist_ok=True)
    contract = tmp_path / "contract.yml"
    body: dict[str, Any] = {"schema_version": version, "stage_assignments": rows}
    if requirements is not None:
        body["machine_capability_requirements"] = requirements
    contract.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    path = tmp_path / "WRK-2.md"
    _write(path, {"id": "WRK-2", "status": "pending", "stage_assignments_ref": "contract.yml"})
    result = check_against(str(path), registry)
    _assert_answer(result)
    for issue in result.errors:  # an error is in the assignment file, or about the reference
        assert issue.file == str(contract) or (issue.field or "").startswith(
            ("stage_assignments", "handoff_evidence_ref", "execution_workstations")
        ), issue


@SETTINGS
@given(data=st.one_of(_REQUIREMENTS, _SCALAR, st.lists(_SCALAR, max_size=2)))
def test_any_requirements_file_loads_or_is_refused_naming_it(tmp_path: Path, data: Any) -> None:
    path = tmp_path / "req.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        loaded = load_requirements(str(path))
    except InputError as exc:
        refused: InputError | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.path == str(path)
        assert refused.detail.strip()
        return
    assert isinstance(loaded, models.StageRequirements)
    assert not [s for s in _strings(loaded) if TEMPLATE.search(s)]


_HOST_VALUES = st.recursive(
    _SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_NAME, inner))
)


@SETTINGS
@given(
    key=st.one_of(st.sampled_from(sorted(WRK_VARS)), st.sampled_from(["ansible_host", "color"])),
    value=_HOST_VALUES,
    raw=st.one_of(st.none(), _TEXT, _HOSTILE),
)
def test_any_host_var_is_stored_or_refused_naming_host_and_key(
    key: str, value: Any, raw: str | None
) -> None:
    try:
        stored = check_value(
            "dev-primary", key, value, path="inventory/hosts.yml",
            allow_connection_vars=False, raw=raw,
        )  # fmt: skip
    except InputError as exc:
        refused: InputError | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.path == "inventory/hosts.yml"
        assert "dev-primary" in str(refused) or refused.field == key
        return
    json.dumps(stored, default=str)


_MODELS = [
    models.StageAssignment,
    models.StageRequirements,
    models.ToolRequirement,
    models.LicenseRequirement,
    models.DiskRequirement,
    models.NetworkRequirement,
    models.GroupScope,
    models.GateRef,
    models.WorkItemFields,
    models.AssignmentFile,
]


@SETTINGS
@given(
    model=st.sampled_from(_MODELS),
    data=st.one_of(_ROW, _REQUIREMENTS, FRONTMATTER, _HOST_VALUES),
)
def test_every_model_raises_only_validation_errors_that_become_issues(
    model: type[BaseModel], data: Any
) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        issues = pydantic_issues(exc, None)
        assert issues
        assert all(issue.message.strip() for issue in issues)
