"""The safe parser's remembered scalar tags give the data PyYAML's own safe loader gives.

Plain scalars are resolved once per distinct text (``safeyaml._PLAIN_TAGS``): documents of
tricky plain scalars (booleans of YAML 1.1, numbers in every base, timestamps, nulls, and the
same texts quoted) parse to exactly what ``yaml.safe_load`` returns, the first time and again.
"""

from __future__ import annotations

import datetime
import math

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wrk_ansible.errors import InputError
from wrk_ansible.safeyaml import parse_yaml

TRICKY = [
    "yes", "No", "ON", "off", "y", "n", "true", "False", "~", "null", "Null", "",
    "0", "-0", "010", "0o17", "0x1f", "0b101", "1_000", "+12", "1.5", "-.5", "1e3", "1.0e+3",
    ".inf", "-.Inf", ".NaN", "190:20:30", "2026-12-03", "2026-12-03 10:00:00",
    "2026-12-03T10:00:00Z", "claude", "dev-primary", "9.2p1", "11.6c", "=", "<<x", "!x",
]  # fmt: skip
WORDS = st.text(alphabet="abcxyzAZ019.-_:+ ", min_size=1, max_size=12).map(str.strip)
PLAIN = st.one_of(st.sampled_from(TRICKY), WORDS)


def _document(values: list[str], quoted: list[bool]) -> str:
    lines = []
    for n, (value, quote) in enumerate(zip(values, quoted, strict=True)):
        shown = f"'{value}'" if quote else value
        lines.append(f"k{n}: {shown}")
        lines.append(f"l{n}: [{shown}, {shown}]")
    return "\n".join(lines) + "\n"


def _same(text: str) -> None:
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        expected = InputError
    for _ in range(2):  # the second time, every tag is a remembered one
        try:
            found = parse_yaml(text, "doc.yml").data
        except InputError:
            found = InputError
        if isinstance(expected, dict) and isinstance(found, dict):
            assert _comparable(found) == _comparable(expected)
        else:
            assert found == expected


def _comparable(data: object) -> object:
    """NaN is never equal to itself: compare its text; keep types (True is not 1)."""
    if isinstance(data, dict):
        return {k: _comparable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_comparable(v) for v in data]
    if isinstance(data, float) and math.isnan(data):
        return ("float", "nan")
    if isinstance(data, datetime.date):
        return (type(data).__name__, data.isoformat())
    return (type(data).__name__, data)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(PLAIN, st.booleans()), min_size=1, max_size=12))
def test_remembered_tags_give_pyyaml_data(pairs: list[tuple[str, bool]]) -> None:
    values = [v for v, _ in pairs]
    _same(_document(values, [q and "'" not in v for v, q in pairs]))


def test_every_tricky_scalar_plain_and_quoted() -> None:
    _same(_document(TRICKY, [False] * len(TRICKY)))
    _same(_document(TRICKY, [True] * len(TRICKY)))
    data = parse_yaml("a: yes\nb: 'yes'\nc: 0x1f\nd: 2026-12-03\ne: ~\n", "d.yml").data
    assert data == {"a": True, "b": "yes", "c": 31, "d": datetime.date(2026, 12, 3), "e": None}
