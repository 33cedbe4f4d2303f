"""Template rows validated once per content (``resolve._template_assignment``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wrk_ansible.contract import resolve


def test_keys_tell_apart_what_validation_tells_apart() -> None:
    frozen = resolve._frozen
    assert frozen({"a": True}) != frozen({"a": 1})
    assert frozen({"a": 1.0}) != frozen({"a": 1})
    assert frozen({"a": ["x"]}) != frozen({"a": {"x": None}})
    assert frozen({"a": ["x", "y"]}) != frozen({"a": ["y", "x"]})
    assert frozen({"b": 1, "a": 2}) == frozen({"a": 2, "b": 1})  # key order never counts
    assert frozen({"a": object()}) is None
    assert frozen({1: "x"}) is None


def test_equal_rows_share_one_model_and_differ_otherwise() -> None:
    row = {"primary": "claude", "workstations": ["dev-primary"]}
    first = resolve._template_assignment(dict(row))
    again = resolve._template_assignment({"workstations": ["dev-primary"], "primary": "claude"})
    assert again is first
    other = resolve._template_assignment({**row, "workstations": ["dev-secondary"]})
    assert other.workstations == ("dev-secondary",)
    assert first.workstations == ("dev-primary",)
    assert first == resolve.StageAssignment.model_validate(row)


def test_an_invalid_row_raises_every_time() -> None:
    bad = {"primary": "claude", "no_such_field": 1}
    for _ in range(2):
        with pytest.raises(ValidationError):
            resolve._template_assignment(bad)
