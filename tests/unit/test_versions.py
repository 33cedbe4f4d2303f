"""The one version grammar, as the controller sees it (wrk_ansible.versions).

The grammar lives in the probe (plugins/module_utils/wrk_probe.py, which runs on the hosts);
wrk_ansible.versions re-exports it and adds ``is_below``.  Letter runs other than the
pre-release markers (dev, alpha, beta, pre, preview, rc, and a/b followed by a number) are
post-release suffixes: pre-release < 0 (or missing) < suffix < any number >= 1.

What a person may write as a version (``is_version``) is stricter than what compares: the
contract (``VersionText``) and the probe's request check both use it, so ``2.x``, ``1e3`` and
``banana`` are refused when read, never turned into an unknown check or a wrong order later.
"""

from __future__ import annotations

import functools
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from wrk_ansible.contract.models import ToolRequirement
from wrk_ansible.probe import DEFAULT_VERSION_RE, ProbeInputError, extract_version, tool_spec
from wrk_ansible.versions import compare_versions, is_below, is_version, version_key

# Each chain is strictly increasing, left to right: every earlier item is older than every
# later one.
CHAINS = [
    ["1.0rc1", "1.0", "1.0p1", "1.0.1"],
    ["9.2", "9.2p1", "9.2.1"],
    ["11.6", "11.6a", "11.6b", "11.6c"],
    ["2024", "2024R1", "2024R2", "2025"],
    ["2023R2", "2024R1"],
    ["1.0a1", "1.0b1", "1.0rc1", "1.0"],
    ["1.0.dev1", "1.0alpha1", "1.0beta1", "1.0pre1", "1.0rc1", "1.0"],
    ["3.11.0rc2", "3.11.0"],
    ["9.1", "20.10"],
    ["0.10", "9.1", "20.10"],
    ["1.9", "1.10"],
    ["9.2p1", "9.2p2"],
    ["1.0", "1.0a", "1.0b", "1.0patch"],  # a/b with no number after are suffixes
]

EQUAL = [
    ("1.0", "1.0.0"),
    ("1.2", "1.2.0"),
    ("v3.11.7", "3.11.7"),
    ("v3.11", "3.11.0"),
    ("2024R1", "2024r1"),
    ("1.0a1", "1.0alpha1"),
    ("1.0b2", "1.0beta2"),
    ("1.0pre1", "1.0preview1"),
    ("1.0RC1", "1.0rc1"),
]

ORDERED = [pair for chain in CHAINS for pair in itertools.combinations(chain, 2)]


@pytest.mark.parametrize(("older", "newer"), ORDERED)
def test_older_is_below_newer(older: str, newer: str) -> None:
    assert compare_versions(older, newer) == -1
    assert compare_versions(newer, older) == 1
    assert is_below(older, newer) is True
    assert is_below(newer, older) is False


@pytest.mark.parametrize(("left", "right"), EQUAL)
def test_equal_versions(left: str, right: str) -> None:
    assert compare_versions(left, right) == 0
    assert compare_versions(right, left) == 0
    assert is_below(left, right) is False
    assert is_below(right, left) is False


@pytest.mark.parametrize(
    ("version", "minimum", "below"),
    [
        ("9.2p1", "9.2", False),  # OpenSSH_9.2p1 meets ">= 9.2"
        ("11.6c", "11.6", False),  # OrcaFlex patch letters are later releases
        ("2024R1", "2024", False),  # ANSYS releases
        ("3.11.0rc2", "3.11", True),  # a release candidate does not meet the release
    ],
)
def test_is_below_on_real_world_versions(version: str, minimum: str, below: bool) -> None:
    assert is_below(version, minimum) is below


@pytest.mark.parametrize(
    ("version", "minimum"),
    [("", "1.0"), ("1.0", ""), ("unknown", "1.0"), ("1.0", "latest"), ("---", "..."), (" ", "2")],
)
def test_is_below_is_none_without_a_version(version: str, minimum: str) -> None:
    assert is_below(version, minimum) is None


def test_compare_versions_refuses_text_without_a_version() -> None:
    with pytest.raises(ValueError, match="not a version"):
        compare_versions("rc", "1.0")


# Version-like strings from a small alphabet; a few have no number at all.
_PIECES = ["0", "1", "2", "9", "10", ".", "p", "c", "R", "a", "b", "rc", "dev"]
versions = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8).map("".join)


def _has_number(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


with_number = versions.filter(_has_number)


@settings(max_examples=500, deadline=None)
@given(versions, versions)
def test_is_below_matches_compare_versions(left: str, right: str) -> None:
    """A version is any text with a number in it; without one on either side, None."""
    below = is_below(left, right)
    if _has_number(left) and _has_number(right):
        assert below is (compare_versions(left, right) < 0)
    else:
        assert below is None


@settings(max_examples=500, deadline=None)
@given(with_number, with_number)
def test_antisymmetry(left: str, right: str) -> None:
    order = compare_versions(left, right)
    assert order in (-1, 0, 1)
    assert compare_versions(right, left) == -order
    assert compare_versions(left, left) == 0


@settings(max_examples=500, deadline=None)
@given(with_number, with_number, with_number)
def test_transitivity(a: str, b: str, c: str) -> None:
    ab, bc, ac = compare_versions(a, b), compare_versions(b, c), compare_versions(a, c)
    if ab <= 0 and bc <= 0:
        assert ac <= 0
    if ab == 0 and bc == 0:
        assert ac == 0
    if (ab < 0 and bc <= 0) or (ab <= 0 and bc < 0):
        assert ac < 0


@settings(max_examples=200, deadline=None)
@given(st.lists(with_number, min_size=2, max_size=8))
def test_sorting_gives_a_non_decreasing_order(items: list[str]) -> None:
    ordered = sorted(items, key=functools.cmp_to_key(compare_versions))
    for older, newer in itertools.combinations(ordered, 2):
        assert compare_versions(older, newer) <= 0


# -- what a person may write: is_version, the contract and the probe's request check ----------

VERSIONS = ["3.10", "9.2p1", "11.6c", "2024R1", "1.2.3-rc1", "3", "v3.11", "3.11.0rc2", "1.0.dev1"]
VERSIONS += ["1.0a1", "2023r2", "1.0patch", "20.10", "1.2.3.4", "3.11.7", "1.0-RC1"]
NOT_VERSIONS = ["banana", "2.x", "1e3", "", " ", "latest", "v", "3.", ".3", "1..2", "2.x.1"]
NOT_VERSIONS += ["1.2-3", "1.2.3+build", "3,11", "1" * 65, "rc1", "1.0-p1", "3 11"]


@pytest.mark.parametrize("text", VERSIONS)
def test_a_version_is_a_version_everywhere(text: str) -> None:
    assert is_version(text)
    assert version_key(text)
    assert compare_versions(text, text) == 0
    assert ToolRequirement.model_validate({"name": "git", "min_version": text}).min_version == text
    assert tool_spec({"name": "git", "min_version": text})["min_version"] == text


@pytest.mark.parametrize("text", NOT_VERSIONS)
def test_a_non_version_is_refused_when_read_naming_the_field_and_an_example(text: str) -> None:
    assert not is_version(text)
    with pytest.raises(ValidationError) as caught:
        ToolRequirement.model_validate({"name": "git", "min_version": text})
    [error] = caught.value.errors()
    assert error["loc"] == ("min_version",)
    if text.strip():  # the model strips the text before it reads it
        message = f"min_version {text.strip()!r} is not a version; write it like 3.11 or 9.2p1"
        assert error["msg"] == f"Value error, {message}"
    else:
        assert "is not a version; write it like 3.11 or 9.2p1" in error["msg"]


@pytest.mark.parametrize("text", [t for t in NOT_VERSIONS if t.strip()])
def test_the_probe_refuses_a_request_whose_min_version_is_not_a_version(text: str) -> None:
    with pytest.raises(ProbeInputError, match=r"min_version of tool git: .* is not a version"):
        tool_spec({"name": "git", "min_version": text})


def test_the_contract_strips_the_text_it_reads() -> None:
    for text in ("3.11 ", " 3.11", "3.11\n"):
        assert not is_version(text)
        assert ToolRequirement.model_validate({"name": "g", "min_version": text}).min_version == (
            "3.11"
        )


def test_the_issue_examples() -> None:
    """Issue 15: "banana" validated (then unknown at the gate), "2.x" was read as 2, "1e3" was
    met by 3.11.7, an empty value said "String should match pattern"."""
    for text in ("banana", "2.x", "1e3", ""):
        with pytest.raises(ValidationError, match=r"is not a version; write it like 3\.11"):
            ToolRequirement.model_validate({"name": "python3", "min_version": text})
    assert compare_versions("1e3", "3.11.7") == -1  # why 1e3 must never reach a comparison


def test_yaml_numbers_as_versions() -> None:
    """``min_version: 3`` is the version 3; ``min_version: 3.10`` is the float 3.1 to YAML:
    refused, saying to quote it; a bool is no version."""
    assert ToolRequirement.model_validate({"name": "g", "min_version": 3}).min_version == "3"
    assert tool_spec({"name": "g", "min_version": 3})["min_version"] == "3"
    with pytest.raises(ValidationError, match=r"min_version 3\.1 is a number.*quote it"):
        ToolRequirement.model_validate({"name": "g", "min_version": 3.1})
    with pytest.raises(ValidationError, match="min_version True is not a version"):
        ToolRequirement.model_validate({"name": "g", "min_version": True})
    for absent in (None, ""):
        assert tool_spec({"name": "g", "min_version": absent})["min_version"] is None


_TEXT = st.text(alphabet="0123456789.-_+vVRrpcabdelhtx ", max_size=12)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(versions, _TEXT))
def test_every_version_the_contract_accepts_is_ordered_by_the_probe_grammar(text: str) -> None:
    if not is_version(text.strip()):
        with pytest.raises(ValidationError, match="is not a version"):
            ToolRequirement.model_validate({"name": "git", "min_version": text})
        return
    version = ToolRequirement.model_validate({"name": "git", "min_version": text}).min_version
    assert version is not None
    assert is_version(version)
    assert compare_versions(version, "3.11.7") in (-1, 0, 1)
    assert compare_versions(version, version) == 0
    assert is_below(version, "3.11.7") is (compare_versions(version, "3.11.7") < 0)
    assert tool_spec({"name": "git", "min_version": version})["min_version"] == version


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_every_version_the_probe_reads_from_output_is_a_version(output: str) -> None:
    """The default pattern finds only what is_version accepts: found and required versions are
    the same language."""
    found = extract_version(output, DEFAULT_VERSION_RE)
    assert found is None or is_version(found)
