"""Export files: the JSON gh writes, read with the repository of each issue, errors with lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _issuekit import APRIL, APRIL_REPO, JULY, april, july

from wrk_ansible.errors import InputError
from wrk_ansible.issues.export import MAX_EXPORT_BYTES, load_export, parse_export
from wrk_ansible.refs import IssueRef


def test_the_july_export_loads_with_repositories_from_urls() -> None:
    issues = july()
    assert len(issues) == 150
    repos = {item.ref.slug for item in issues}
    assert repos == {
        "vamseeachanta/assetutilities",
        "vamseeachanta/digitalmodel",
        "vamseeachanta/workspace-hub",
        "vamseeachanta/worldenergydata",
    }
    first = issues[1]
    assert first.ref == IssueRef("vamseeachanta", "assetutilities", 80)
    assert first.state == "OPEN"
    assert first.line == 10
    assert first.labels[:2] == ("status:plan-approved", "lane:claude")
    assert sum(not item.is_open for item in issues) == 66


def test_the_april_export_needs_its_repository_named() -> None:
    with pytest.raises(InputError) as caught:
        load_export(str(APRIL))
    assert str(caught.value) == (
        f"{APRIL}:2 [issues[0]]: issue #12 names no repository (no url or "
        "repository.nameWithOwner): give --repo OWNER/REPO for this export"
    )
    issues = april()
    assert len(issues) == 70
    assert {item.ref.slug for item in issues} == {APRIL_REPO}
    assert all(item.state == "OPEN" for item in issues)  # no state in that export: open
    assert issues[0].labels == (
        "enhancement",
        "priority:medium",
        "cat:harness",
        "domain:agent-ux",
        "agent:codex",
    )


def test_a_repo_argument_is_only_for_entries_that_name_none() -> None:
    # --repo serves exports such as the April one; several exports can be given at once, so
    # an entry naming its repository (the July export's urls) is read as it says
    named = load_export(str(JULY), repo="a/b")
    assert {i.ref.slug for i in named} == {i.ref.slug for i in load_export(str(JULY))}
    assert "a/b" not in {i.ref.slug for i in named}
    with pytest.raises(InputError, match="is not a repository"):
        load_export(str(JULY), repo="nonsense")


def test_gh_search_issues_shape_name_with_owner_and_lowercase_state() -> None:
    text = json.dumps(
        [
            {
                "number": 5,
                "state": "closed",
                "repository": {"nameWithOwner": "org/repo", "name": "repo"},
            },
            {
                "number": 6,
                "state": "open",
                "repository": {"nameWithOwner": "org/repo"},
                "author": {},
            },
        ]
    )
    issues = parse_export(text, "search.json")
    assert [(str(i.ref), i.state) for i in issues] == [
        ("org/repo#5", "CLOSED"),
        ("org/repo#6", "OPEN"),
    ]


def _entry(**keys: object) -> dict[str, object]:
    return {"number": 1, "url": "https://github.com/o/r/issues/1", **keys}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "f.json:1: empty: expected the JSON array gh writes"),
        ('{"number": 1}', "f.json:1: not a JSON array"),
        ("[1]", "f.json:1 [issues[0]]: entry 0 is not an object"),
        ('[\n{"number": 1}', "f.json:2: the JSON array is not closed"),
        ("[\n" + json.dumps(_entry()) + ",\n]", "f.json:3: invalid JSON: Expecting value"),
        ("[NaN]", "f.json:1: invalid JSON: NaN is not a JSON value"),
        ('[\n{"number": 1, "number": 2}]', "f.json:2: key 'number' is given twice in one issue"),
        (
            "[\n"
            + json.dumps(_entry(), indent=1)
            + ",\n"
            + json.dumps(_entry(number="7"), indent=1)
            + "]",
            "f.json:7 [issues[1].number]: entry 1: Input should be a valid integer",
        ),
        (
            "[\n" + json.dumps(_entry(labels=[{"name": ""}]), indent=1) + "]",
            "[issues[0].labels[0].name]: issue #1: String should have at least 1 character",
        ),
        (
            json.dumps([_entry(state="MERGED")]),
            "[issues[0].state]: issue #1: Input should be 'OPEN' or 'CLOSED'",
        ),
        (json.dumps([_entry(url="https://github.com/o/r/issues/2")]), "names issue 2, not 1"),
        (json.dumps([_entry(url="https://github.com/o/r")]), "is not an issue URL"),
        (
            json.dumps([_entry(repository={"nameWithOwner": "o/other"})]),
            "url says o/r but repository.nameWithOwner says o/other",
        ),
        (json.dumps([_entry(), _entry()]), "o/r#1 is given twice (lines 1 and 1)"),
        ("[" + "[" * 100 + "]" * 100 + "]", "entry 0 is not an object"),
        (
            json.dumps(
                [
                    _entry(
                        body={
                            "a" * 3: [
                                [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
                            ]
                        }
                    )
                ]
            ),
            "nested deeper",
        ),
        ("[]  x", "text after the JSON array"),
    ],
)
def test_a_broken_export_is_one_error_naming_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_export(text, "f.json")
    assert message in str(caught.value)
    assert str(caught.value).startswith("f.json")


def test_the_line_of_a_field_comes_from_the_json_even_where_yaml_would_not_read_it() -> None:
    """The April export holds escapes YAML lacks: errors still have the issue's line."""
    data = json.loads(APRIL.read_text(encoding="utf-8"))
    data[3]["number"] = "111"
    text = json.dumps(data, indent=2)
    with pytest.raises(InputError) as caught:
        parse_export(text, "april.json", repo=APRIL_REPO)
    start = text.index('"number": "111"')
    line = text.count("\n", 0, start) + 1
    assert caught.value.field == "issues[3].number"
    # The element's opening line (YAML cannot give the key's own line in this file).
    assert caught.value.line is not None
    assert caught.value.line < line


def test_null_labels_and_body_are_empty_and_extra_fields_are_ignored() -> None:
    text = json.dumps([_entry(labels=None, body=None, title=None, assignees=[{"login": "x"}])])
    (only,) = parse_export(text, "f.json")
    assert only.labels == ()
    assert only.body == ""
    assert only.title is None


def test_the_file_cap_and_binary_content(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_EXPORT_BYTES + 1)
    with pytest.raises(InputError, match="larger than the 32768 KiB limit"):
        load_export(str(big))
    nul = tmp_path / "nul.json"
    nul.write_bytes(b"[\n\x00]")
    with pytest.raises(InputError, match=r"nul.json:2: contains a NUL byte"):
        load_export(str(nul))
    with pytest.raises(InputError, match="no such issue export"):
        load_export(str(tmp_path / "missing.json"))
