"""Where a command's issues come from (wrk_ansible.issues.source): several exports, a missing
issue, and an older kind of export that gives no state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wrk_ansible.errors import InputError
from wrk_ansible.issues.source import IssueSource


def _export(path: Path, *entries: dict[str, object]) -> str:
    path.write_text(json.dumps(list(entries)), encoding="utf-8")
    return str(path)


def test_a_state_the_later_export_omits_never_reopens_an_issue(tmp_path: Path) -> None:
    said: list[str] = []
    new = _export(tmp_path / "new.json", {"number": 5, "state": "CLOSED", "labels": []})
    old = _export(tmp_path / "old.json", {"number": 5, "labels": [{"name": "wip"}]})
    source = IssueSource(exports=(new, old), repo="o/r", note=said.append)
    issue = source.get("o/r#5")
    assert issue.state == "CLOSED"  # the later file's entry, with the state it did not give
    assert issue.labels == ("wip",)
    assert issue.source == old
    assert said == [
        f"wrk: note: 1 issue(s) differ between exports; the file given last is used: "
        f"o/r#5 ({new} and {old})"
    ]
    # an explicit state in the later export is the newer word
    reopened = _export(tmp_path / "reopened.json", {"number": 5, "state": "OPEN"})
    assert IssueSource(exports=(new, reopened), repo="o/r").get("o/r#5").state == "OPEN"


def test_an_issue_the_exports_lack_is_an_error_naming_them(tmp_path: Path) -> None:
    one = _export(tmp_path / "one.json", {"number": 1})
    source = IssueSource(exports=(one,), repo="o/r", live=lambda *_: pytest.fail("no gh"))
    with pytest.raises(InputError, match=r"O/R#2 is not in the issue export\(s\) given"):
        source.get("O/R#2")
    assert source.get("O/R#1").ref.number == 1  # references compare without case


def test_without_exports_an_issue_is_read_live(tmp_path: Path) -> None:
    asked: list[tuple[str, int]] = []

    def live(repo: str, number: int) -> dict[str, object]:
        asked.append((repo, number))
        return {"number": number, "title": "t", "state": "OPEN", "labels": [], "body": ""}

    source = IssueSource(live=live)
    assert source.get("o/r#9").title == "t"
    assert source.get("o/r#9").title == "t"
    assert asked == [("o/r", 9)]  # once per command
