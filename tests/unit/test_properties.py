"""Property: any text or bytes written as a WRK file loads, or is refused as bad input.

Never another exception: a traceback is not an answer to bad input.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wrk_ansible.contract.loader import load_work_item
from wrk_ansible.contract.validate import check_work_item
from wrk_ansible.errors import InputError

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Pieces that make the generated text look like the real thing, so it gets past the first line.
_KEYS = st.sampled_from(
    [
        "id",
        "status",
        "computer",
        "provider",
        "provider_alt",
        "orchestrator",
        "plan_workstations",
        "execution_workstations",
        "stage_assignments",
        "stage_assignments_ref",
        "machine_capability_requirements",
        "handoff_evidence_ref",
        "execute",
        "impl-review",
        "workstations",
        "parallel",
        "gates",
        "tools",
        "commit",
        "created_at",
        "group",
        "count",
        "agents",
        "primary",
    ]
)
# Printable text: control characters are refused by the YAML reader before anything else runs.
_PRINTABLE = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20)
_SCALARS = st.one_of(
    st.sampled_from(
        [
            "",
            "null",
            "~",
            "true",
            "any",
            "0612345",
            "2026-03-19",
            "2026-02-27T00:00:00Z",
            "[dev-primary, licensed-win-1]",
            "{group: ai_capable, count: 2}",
            "claude,gemini",
            "'{{ x }}'",
            "&a [1]",
            "*a",
            "!!binary aGk=",
            "!!python/name:os.system",
            "|",
            "[",
            "{",
            "-",
            "...",
            ".wrk/evidence/x",
            "../../etc/passwd",
        ]
    ),
    _PRINTABLE,
)
_LINE = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", _KEYS, _SCALARS),
    st.builds(lambda n, k, v: " " * n + f"{k}: {v}", st.integers(1, 6), _KEYS, _SCALARS),
    st.builds(lambda n, v: " " * n + f"- {v}", st.integers(0, 6), _SCALARS),
    _PRINTABLE,
)
WRK_LIKE = st.builds(
    lambda lines, close, body: "---\n" + "\n".join(lines) + ("\n---\n" if close else "") + body,
    st.lists(_LINE, max_size=15),
    st.sampled_from([True, True, True, False]),
    st.text(max_size=30),
)


_NAMES = st.sampled_from(
    ["dev-primary", "licensed-win-1", "claude", "codex", "any", "machine-readiness", "pause"]
)
_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 70000), st.floats(), _NAMES, _PRINTABLE),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)),
    max_leaves=25,
)
#: Well-formed YAML with the contract's keys: exercises validation rather than the parser.
STRUCTURED = st.dictionaries(_KEYS, _VALUES, max_size=8)


def _check(path: Path) -> None:
    """Load (may raise InputError only) and validate (must never raise)."""
    refused: InputError | None = None
    try:
        load_work_item(path)
    except InputError as exc:
        refused = exc
    if refused is not None:
        assert refused.path == str(path)
        assert str(refused)
    result = check_work_item(str(path))
    if result.contract is None:
        assert not result.valid
        assert result.errors
        for issue in result.errors:
            assert issue.message
    result.as_dict()  # JSON-ready whatever the input


@SETTINGS
@given(text=st.text(max_size=400))
def test_arbitrary_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "WRK-text.md"
    path.write_text(text, encoding="utf-8", newline="")
    _check(path)


@SETTINGS
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "WRK-bytes.md"
    path.write_bytes(data)
    _check(path)


@SETTINGS
@given(text=WRK_LIKE, crlf=st.booleans())
def test_frontmatter_like_text(tmp_path: Path, text: str, crlf: bool) -> None:
    path = tmp_path / "WRK-like.md"
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_text(text, encoding="utf-8", newline="")
    _check(path)


@SETTINGS
@given(data=STRUCTURED)
def test_structured_frontmatter(tmp_path: Path, data: dict[str, object]) -> None:
    path = tmp_path / "WRK-data.md"
    path.write_text("---\n" + yaml.safe_dump(data) + "---\nbody\n", encoding="utf-8")
    _check(path)


def test_the_generator_reaches_valid_items(tmp_path: Path) -> None:
    """Guard for the strategy above: well-formed items of its shape do validate."""
    path = tmp_path / "WRK-ok.md"
    path.write_text("---\nid: WRK-1\nstatus: pending\ncomputer: dev-primary\n---\nbody", "utf-8")
    result = check_work_item(str(path))
    assert result.valid
    assert result.contract is not None
