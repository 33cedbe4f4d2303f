"""Issue references (OWNER/REPO#N) and the evidence folder names derived from them."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from _issuekit import everything
from hypothesis import given
from hypothesis import strategies as st

from wrk_ansible.errors import InputError
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.refs import (
    IssueRef,
    looks_like_ref,
    parse_ref,
    parse_slug,
    ref_from_folder,
    ref_from_url,
)


def test_a_reference_parses_and_prints_back() -> None:
    ref = parse_ref("vamseeachanta/digitalmodel#1633")
    assert (ref.owner, ref.repo, ref.number) == ("vamseeachanta", "digitalmodel", 1633)
    assert str(ref) == "vamseeachanta/digitalmodel#1633"
    assert ref.slug == "vamseeachanta/digitalmodel"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "digitalmodel#12",
        "vamseeachanta/digitalmodel",
        "vamseeachanta/digitalmodel#",
        "vamseeachanta/digitalmodel#0",
        "vamseeachanta/digitalmodel#012",
        "vamseeachanta/digitalmodel#-3",
        "vamseeachanta/digital model#3",
        "-owner/repo#3",
        "owner-/repo#3",
        "owner/../repo#3",
        "owner/..#3",
        "owner/repo.git#3",
        "owner/repo#3#4",
        "https://github.com/owner/repo/issues/3",
        "queue/pending/WRK-640.md",
        "owner/{{ lookup('pipe','id') }}#1",
    ],
)
def test_a_bad_reference_is_one_clear_error(text: str) -> None:
    with pytest.raises(InputError, match="is not an issue reference"):
        parse_ref(text)
    assert not looks_like_ref(text)


def test_references_are_equal_whatever_the_case_github_ignores() -> None:
    a, b = parse_ref("VamseeAchanta/DigitalModel#7"), parse_ref("vamseeachanta/digitalmodel#7")
    assert a == b
    assert hash(a) == hash(b)
    assert a.folder == b.folder
    assert str(a) == "VamseeAchanta/DigitalModel#7"  # written as given
    assert a != parse_ref("vamseeachanta/digitalmodel#8")


def test_urls_and_slugs() -> None:
    ref = ref_from_url("https://github.com/vamseeachanta/workspace-hub/issues/3524")
    assert ref == IssueRef("vamseeachanta", "workspace-hub", 3524)
    assert ref_from_url("https://ghe.example.com:8443/org/repo/pull/5/") == IssueRef(
        "org", "repo", 5
    )
    assert ref_from_url("https://github.com/vamseeachanta/workspace-hub") is None
    assert parse_slug("vamseeachanta/workspace-hub") == ("vamseeachanta", "workspace-hub")
    with pytest.raises(InputError, match="expected OWNER/REPO"):
        parse_slug("workspace-hub")


def test_every_real_issue_has_a_folder_the_ledger_takes_and_that_reads_back(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    folders = set()
    for item in everything():
        folder = item.ref.folder
        assert ledger.wrk_dir(folder).name == folder  # the ledger's own name check
        assert ref_from_folder(folder) == item.ref
        folders.add(folder)
    # One folder per issue: three workspace-hub issues are in both exports, as one issue.
    assert len(folders) == len({item.ref for item in everything()}) == 217
    assert folders >= {"gh.vamseeachanta.digitalmodel.1633", "gh.vamseeachanta.workspace-hub.1507"}


def test_folder_names_are_not_wrk_ids_or_store_folders() -> None:
    for name in ("WRK-640", "_readiness", "_quota", "gh.owner", "gh.owner.repo", "ghx.a.b.1"):
        assert ref_from_folder(name) is None


def test_a_repository_with_dots_reads_back_whole() -> None:
    ref = parse_ref("octo/.github.io.v2#42")
    assert ref.folder == "gh.octo..github.io.v2.42"
    assert ref_from_folder(ref.folder) == ref


def test_a_reference_too_long_for_a_folder_is_folded_uniquely(tmp_path: Path) -> None:
    long_a = parse_ref(f"{'o' * 39}/{'r' * 99}a#9999999999")
    long_b = parse_ref(f"{'o' * 39}/{'r' * 99}b#9999999999")
    assert long_a.folder != long_b.folder
    assert long_a.folder.startswith("ghx.")
    assert ref_from_folder(long_a.folder) is None
    assert Ledger(tmp_path).wrk_dir(long_a.folder).name == long_a.folder


_OWNER = st.from_regex(r"\A[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?\Z")
_REPO = st.from_regex(r"\A[A-Za-z0-9._-]{1,100}\Z").filter(
    lambda r: r not in {".", ".."} and not r.lower().endswith(".git")
)


@given(_OWNER, _REPO, st.integers(min_value=1, max_value=9_999_999_999))
def test_any_valid_reference_round_trips(owner: str, repo: str, number: int) -> None:
    ref = parse_ref(f"{owner}/{repo}#{number}")
    assert str(ref) == f"{owner}/{repo}#{number}"
    folder = ref.folder
    back = ref_from_folder(folder)
    assert back == ref or folder.startswith("ghx.")


@given(st.text(max_size=60))
def test_any_text_is_a_reference_or_an_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_ref(text)
