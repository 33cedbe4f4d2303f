"""The one version grammar, as the controller sees it (wrk_ansible.versions).

The grammar lives in the probe (plugins/module_utils/wrk_probe.py, which runs on the hosts);
wrk_ansible.versions re-exports it and adds ``is_below``.  Letter runs other than the
pre-release markers (dev, alpha, beta, pre, preview, rc, and a/b followed by a number) are
post-release suffixes: pre-release < 0 (or missing) < suffix < any number >= 1.
"""

from __future__ import annotations

import functools
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wrk_ansible.versions import compare_versions, is_below

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
