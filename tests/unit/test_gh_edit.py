"""``gh issue edit`` through the one seam (wrk_ansible/issues/gh.py ``edit_labels``), against a
stand-in gh script that records its arguments: the argument list, labels only ever as option
values, labels gh would misread refused before gh runs, and gh's failures as results."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from wrk_ansible.errors import InputError
from wrk_ansible.issues.gh import check_label, edit_labels, view_issue

FAKE = """#!{python}
import json, sys
with open({log!r}, "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
sys.stdout.write({stdout!r})
sys.stderr.write({stderr!r})
sys.exit({code})
"""


def _fake(tmp_path: Path, *, stdout: str = "", stderr: str = "", code: int = 0) -> Path:
    script = tmp_path / "gh"
    log = tmp_path / "calls.jsonl"
    script.write_text(
        FAKE.format(python=sys.executable, log=str(log), stdout=stdout, stderr=stderr, code=code),
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def _calls(tmp_path: Path) -> list[list[str]]:
    log = tmp_path / "calls.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_the_argument_list_holds_each_label_as_its_options_value(tmp_path: Path) -> None:
    gh = _fake(tmp_path, stdout="https://github.com/o/r/issues/5\n")
    done = edit_labels("o/r", 5, add=["machine:box-1", "ai:codex"], remove=["lane:old"], gh=str(gh))
    assert done.ok
    assert done.returncode == 0
    assert done.message == "https://github.com/o/r/issues/5"
    expected = [
        "issue",
        "edit",
        "5",
        "-R",
        "o/r",
        "--add-label=machine:box-1",
        "--add-label=ai:codex",
        "--remove-label=lane:old",
    ]
    assert _calls(tmp_path) == [expected]
    assert list(done.command) == expected


@pytest.mark.parametrize(
    "label",
    ["--repo=evil/repo", "-R", "a,b", 'say "x"', "", " lead", "tab\there", "x" * 51, "new\nline"],
)
def test_a_label_gh_would_misread_is_refused_before_gh_runs(tmp_path: Path, label: str) -> None:
    gh = _fake(tmp_path)
    with pytest.raises(InputError, match="cannot be written as one label"):
        edit_labels("o/r", 5, add=["machine:ok", label], gh=str(gh))
    assert _calls(tmp_path) == []


def test_ordinary_labels_pass() -> None:
    for label in ["machine:dev-1", "ai:codex", "status:plan-approved", "x" * 50, "good first"]:
        assert check_label(label) == label


def test_a_repository_or_number_that_is_not_one_is_refused(tmp_path: Path) -> None:
    gh = _fake(tmp_path)
    with pytest.raises(InputError):
        edit_labels("-R/x", 5, add=["a"], gh=str(gh))
    with pytest.raises(ValueError, match="not an issue number"):
        edit_labels("o/r", 0, add=["a"], gh=str(gh))
    with pytest.raises(ValueError, match="no label"):
        edit_labels("o/r", 5, gh=str(gh))
    assert _calls(tmp_path) == []


@pytest.mark.parametrize(
    ("stderr", "code", "meaning"),
    [
        ("'machine:nowhere' not found\n", 1, "does not exist in the repository"),
        ("To get started with GitHub CLI, please run:  gh auth login\n", 4, "not logged in"),
        ("HTTP 403: Resource not accessible by integration\n", 1, "gh failed (exit 1): HTTP 403"),
    ],
)
def test_a_failure_is_a_result_saying_what_gh_meant(
    tmp_path: Path, stderr: str, code: int, meaning: str
) -> None:
    done = edit_labels(
        "o/r", 5, add=["machine:nowhere"], gh=str(_fake(tmp_path, stderr=stderr, code=code))
    )
    assert not done.ok
    assert done.returncode == code
    assert meaning in done.message


def test_gh_missing_is_a_result_too(tmp_path: Path) -> None:
    done = edit_labels("o/r", 5, add=["a"], gh=str(tmp_path / "no-gh"))
    assert not done.ok
    assert done.returncode is None
    assert "not installed" in done.message


def test_view_still_reads_json(tmp_path: Path) -> None:
    issue = {"number": 5, "title": "t", "state": "OPEN", "labels": [], "url": None, "body": ""}
    gh = _fake(tmp_path, stdout=json.dumps(issue))
    assert view_issue("o/r", 5, gh=str(gh)) == issue
    assert _calls(tmp_path)[0][:5] == ["issue", "view", "5", "-R", "o/r"]
