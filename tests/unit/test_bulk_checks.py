"""bulk_checks: the outermost freezes what was made before it and raises the young threshold;
nested ones change nothing; leaving the outermost (even by an error) undoes both, so a
long-lived caller (this test process) keeps a collectable heap after any wrk command."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from wrk_ansible.cli import main
from wrk_ansible.contract.validate import _BULK_GC_FULL_EVERY, _BULK_GC_THRESHOLD, bulk_checks

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_the_outermost_freezes_and_leaving_it_undoes_everything() -> None:
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with bulk_checks():
        frozen = gc.get_freeze_count()
        assert frozen > 0  # the heap made before it: out of the collector's reach
        assert gc.get_threshold()[0] == max(before[0], _BULK_GC_THRESHOLD)
        assert gc.get_threshold()[2] == max(before[2], _BULK_GC_FULL_EVERY)
        with bulk_checks():
            assert gc.get_freeze_count() == frozen  # nested: nothing changes
        assert gc.get_freeze_count() == frozen  # leaving the nested one undid nothing
        assert gc.get_threshold()[0] == max(before[0], _BULK_GC_THRESHOLD)
        assert gc.get_threshold()[2] == max(before[2], _BULK_GC_FULL_EVERY)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_an_error_inside_still_undoes_it() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_checks(), bulk_checks():
        raise RuntimeError("inside")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
    with bulk_checks():  # and the depth is back to zero: this one is the outermost again
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["contract", "validate", "--json", str(EXAMPLES)],
        ["contract", "validate", str(EXAMPLES / "WRK-640.md")],
        ["report", "--json", str(EXAMPLES)],
    ],
)
def test_commands_leave_the_collector_as_they_found_it(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = gc.get_threshold()
    code = main([*argv, "--evidence-dir", str(tmp_path)] if argv[0] == "report" else argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
