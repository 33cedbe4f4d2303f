"""Loading WRK files: frontmatter, real-world quirks, and the safe YAML parser beneath it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from wrk_ansible.contract.loader import (
    MAX_FRONTMATTER_BYTES,
    iter_work_item_paths,
    load_work_item,
)
from wrk_ansible.contract.validate import check_work_item
from wrk_ansible.errors import InputError
from wrk_ansible.safeyaml import MAX_DEPTH, parse_yaml, read_text

WORK_QUEUE = Path(__file__).parents[1] / "fixtures" / "work-queue"


def write(tmp_path: Path, text: str, name: str = "WRK-100.md") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


LEGACY = (
    "---\n"
    "id: WRK-100\n"
    "title: a legacy item\n"
    "status: pending\n"
    "created_at: 2026-02-27T00:00:00Z\n"
    "claimed_at: 2026-03-19\n"
    "completed_at: '2026-03-20'\n"
    "commit: {commit}\n"
    "computer: dev-primary\n"
    "execution_workstations: [dev-primary]\n"
    "plan_workstations: [dev-primary]\n"
    "team_specific_key: {{nested: [1, 2]}}\n"
    "---\n"
    "# body\n"
)


def test_dates_load_as_datetime_date_and_string(tmp_path: Path) -> None:
    item = load_work_item(write(tmp_path, LEGACY.format(commit="06d4c15")))
    assert item.data["created_at"] == dt.datetime(2026, 2, 27, tzinfo=dt.UTC)
    assert type(item.data["claimed_at"]) is dt.date
    assert item.data["completed_at"] == "2026-03-20"
    assert check_work_item(str(tmp_path / "WRK-100.md")).valid


@pytest.mark.parametrize(
    ("commit", "loaded"),
    [("0612345", 0o612345), ("1234567", 1234567), ("0812345", "0812345"), ("06d4c15", "06d4c15")],
)
def test_digit_only_commit_hashes_load(tmp_path: Path, commit: str, loaded: object) -> None:
    path = write(tmp_path, LEGACY.format(commit=commit))
    item = load_work_item(path)
    assert item.data["commit"] == loaded
    result = check_work_item(str(path))
    assert result.valid, result.errors
    assert result.contract is not None


def test_unknown_frontmatter_keys_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path, LEGACY.format(commit="abc"))
    item = load_work_item(path)
    assert item.data["team_specific_key"] == {"nested": [1, 2]}
    result = check_work_item(str(path))
    assert result.valid
    assert not any("team_specific_key" in (w.field or "") for w in result.warnings)


def test_crlf_files_load_with_the_right_lines(tmp_path: Path) -> None:
    text = LEGACY.format(commit="abc").replace("\n", "\r\n")
    text = text.replace("title: a legacy item\r\n", "title: a legacy item\r\ntitle: again\r\n")
    path = write(tmp_path, text)
    item = load_work_item(path)
    assert item.newline == "\r\n"
    assert item.data["computer"] == "dev-primary"
    assert item.body == "# body\r\n"
    result = check_work_item(str(path))
    [error] = result.errors  # title is a field the contract reads: repeating it is an error
    assert error.field == "title"
    assert "lines 3 and 4" in error.message
    assert error.line == 4


def test_crlf_real_items_validate(tmp_path: Path) -> None:
    for source in sorted(WORK_QUEUE.rglob("WRK-*.md")):
        target = tmp_path / source.name
        target.write_bytes(source.read_bytes().replace(b"\n", b"\r\n"))
        result = check_work_item(str(target))
        assert result.valid, (source.name, result.errors)
        assert result.derived


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "WRK-101.md"
    path.write_bytes(b"\xef\xbb\xbf---\nid: WRK-101\nstatus: pending\n---\n")
    assert load_work_item(path).data["id"] == "WRK-101"


def test_dot_dot_dot_closes_frontmatter(tmp_path: Path) -> None:
    item = load_work_item(write(tmp_path, "---\nid: WRK-102\n...\nbody\n"))
    assert item.data == {"id": "WRK-102"}
    assert item.body == "body\n"


def test_closing_offset_points_at_the_closing_line(tmp_path: Path) -> None:
    text = "---\nid: WRK-103\nstatus: done\n---\nbody\n"
    item = load_work_item(write(tmp_path, text))
    assert text[item.closing_offset :].startswith("---\nbody")


def test_text_argument_stands_in_for_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "---\nid: WRK-104\n---\n")
    item = load_work_item(path, text="---\nid: WRK-999\n---\n")
    assert item.data["id"] == "WRK-999"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty file"),
        ("\n  \n", "empty file"),
        ("# title\n", "no YAML frontmatter"),
        ("---\nid: x\n", "not closed"),
        ("---\n---\nbody\n", "frontmatter is empty"),
        ("---\n- a\n---\n", "found a list"),
        ("---\njust a string\n---\n", "found a string"),
        ("---\n42\n---\n", "found a number"),
        ("---\n1: one\n---\n", "keys must be strings"),
        ("---\na: [\n---\n", "invalid YAML"),
        ("---\na: !!python/object:os.system x\n---\n", "invalid YAML"),
        ("---\na: &x 1\nb: *x\n---\n", "aliases are not allowed"),
    ],
)
def test_broken_frontmatter_is_one_input_error(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_work_item(path)
    assert fragment in str(info.value)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)


def test_frontmatter_cap(tmp_path: Path) -> None:
    filler = "".join(f"k{i}: {'x' * 60}\n" for i in range(MAX_FRONTMATTER_BYTES // 60 + 10))
    path = write(tmp_path, "---\n" + filler + "---\n")
    with pytest.raises(InputError, match="frontmatter is larger than"):
        load_work_item(path)


def test_read_text_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such work item file"):
        read_text(str(tmp_path / "missing.md"), max_bytes=10, what="work item file")
    with pytest.raises(InputError, match="is a directory"):
        read_text(str(tmp_path), max_bytes=10)
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 2049)
    with pytest.raises(InputError, match="larger than the 2 KiB limit"):
        read_text(str(big), max_bytes=2048)
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"---\nline two\x00\n")
    with pytest.raises(InputError, match="NUL byte") as info:
        read_text(str(binary), max_bytes=2048)
    assert info.value.line == 2
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"a\nb\ncaf\xe9\n")
    with pytest.raises(InputError, match="not valid UTF-8") as info:
        read_text(str(latin), max_bytes=2048)
    assert info.value.line == 3


def test_iter_work_item_paths_recurses_and_sorts(tmp_path: Path) -> None:
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "a").mkdir()
    for rel in ("b/deep/WRK-2.md", "a/WRK-1.md", "a/README.md", "b/wrk-3.md", "a/WRK-4.txt"):
        (tmp_path / rel).write_text("x", encoding="utf-8")
    found = list(iter_work_item_paths([str(tmp_path), "named-directly.md"]))
    assert found == [
        str(tmp_path / "a" / "WRK-1.md"),
        str(tmp_path / "b" / "deep" / "WRK-2.md"),
        str(tmp_path / "b" / "wrk-3.md"),
        "named-directly.md",
    ]


# --- safeyaml ------------------------------------------------------------------------------


def test_parse_yaml_records_key_lines_with_offset() -> None:
    parsed = parse_yaml("a: 1\nb:\n  c: 2\n  d: [x]\n", "f.yml", line_offset=10)
    assert parsed.data == {"a": 1, "b": {"c": 2, "d": ["x"]}}
    assert parsed.line_of(("a",)) == 11
    assert parsed.line_of(("b", "c")) == 13
    assert parsed.line_of(("b", "d", 0)) == 14  # list items use their key's line
    assert parsed.line_of(("zzz",)) is None


def test_parse_yaml_reports_nested_duplicates() -> None:
    parsed = parse_yaml("a:\n  b: 1\n  b: 2\nc: 1\nc: 2\n", "f.yml")
    found = {(d.path, d.first_line, d.second_line) for d in parsed.duplicates}
    assert found == {(("a", "b"), 2, 3), (("c",), 4, 5)}


def test_parse_yaml_refuses_alias_bomb_without_expanding_it() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    previous = "a"
    for name in "bcdefghijklmnop":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    with pytest.raises(InputError, match="aliases are not allowed"):
        parse_yaml("\n".join(lines), "bomb.yml")


def test_parse_yaml_refuses_alias_used_as_a_key() -> None:
    with pytest.raises(InputError, match="aliases are not allowed"):
        parse_yaml("a: &k key\n? *k\n: value\n", "f.yml")


def test_parse_yaml_depth_cap() -> None:
    ok = "x: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    assert parse_yaml(ok, "f.yml").data is not None
    deep = "x: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    with pytest.raises(InputError, match="nested deeper than"):
        parse_yaml(deep, "f.yml")
    very_deep = "x: " + "[" * 50_000
    with pytest.raises(InputError):
        parse_yaml(very_deep, "f.yml")


def test_parse_yaml_empty_document() -> None:
    assert parse_yaml("", "f.yml").data is None
    assert parse_yaml("# only a comment\n", "f.yml").data is None


def test_parse_yaml_refuses_several_documents() -> None:
    with pytest.raises(InputError, match="invalid YAML"):
        parse_yaml("a: 1\n---\nb: 2\n", "f.yml")


def test_parse_yaml_bad_timestamp_is_an_input_error() -> None:
    with pytest.raises(InputError, match="invalid YAML"):
        parse_yaml("when: !!timestamp 2026-99-99\n", "f.yml")


def test_fast_walk_gives_the_full_walks_data_and_lines() -> None:
    from wrk_ansible.safeyaml import _full_parse

    text = "a: 1\nb:\n  c: [x, 2.5, null, true]\n  d: 2026-01-02\ne: 'q'\n"
    fast = parse_yaml(text, "f.yml", line_offset=3)
    full = _full_parse(text, "f.yml", 3)
    assert fast.found_lines is None
    assert fast.lines_from is not None
    assert fast.data == full.data
    assert fast.key_lines == full.key_lines
    assert fast.line_of(("b", "c", "0")) == 6


def test_fast_walk_leaves_repeats_aliases_and_odd_tags_to_the_full_walk() -> None:
    repeated = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yml")
    assert [(d.path, d.first_line, d.second_line) for d in repeated.duplicates] == [(("a",), 1, 3)]
    assert repeated.found_lines is not None
    assert parse_yaml("1: a\n'1': b\n", "f.yml").duplicates  # equal as text, as before
    assert parse_yaml("s: !!set {x}\n", "f.yml").data == {"s": {"x"}}
    with pytest.raises(InputError, match="aliases"):
        parse_yaml("a: &k [1]\nb: *k\n", "f.yml")
    with pytest.raises(InputError) as bad:
        parse_yaml("a: 1\nb: [\n", "f.yml", line_offset=1)
    assert bad.value.line is not None


def test_error_found_after_the_fast_walk_names_its_line(tmp_path: Path) -> None:
    from wrk_ansible.contract.validate import check_work_item

    path = tmp_path / "WRK-7.md"
    path.write_text(
        "---\nid: WRK-7\nstatus: pending\nstage_assignments:\n  execute:\n"
        "    primary: claude\n    workstations: ['bad name!']\n---\nbody\n",
        "utf-8",
    )
    result = check_work_item(str(path))
    assert result.item is not None
    assert result.item.parsed.found_lines is None
    [error] = [e for e in result.errors if e.field and "workstations" in e.field]
    assert error.line == 7
