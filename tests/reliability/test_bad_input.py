"""Hostile and broken input through every command that reads a WRK: one message, no change.

Each case is a WRK file (a fixture from ``tests/fixtures/bad`` or ``tests/fixtures/hostile``, or
built here when git cannot hold it: a 50 MB file, a symlink leaving the repository) with the
message it must produce. It goes through ``contract validate`` (text and ``--json``),
``contract show``, ``gate`` (local-connection hosts: no ssh) and ``report``:

- validate, show and gate exit 1 with one message naming the file (and the field), no traceback;
- report writes its page (exit 0) listing the item as a contract error;
- no file anywhere in the tree changes: the repository, its inventory, its evidence store (with
  records of an earlier real gate) and the registry snapshot; the report's page is the only new
  file.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

TESTS = Path(__file__).resolve().parents[1]
BAD = TESTS / "fixtures" / "bad"
HOSTILE = TESTS / "fixtures" / "hostile"
EXAMPLES = TESTS.parent / "examples"
HERE = "dev-primary"
#: A hang catcher, never a timing assertion: refusals take well under a second.
TIMEOUT = 60

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]
TreeHash = Callable[[Path], dict[str, str]]


@dataclass(frozen=True)
class World:
    """``top`` holds everything hashed; ``repo`` is the queue's git repository inside it."""

    top: Path
    repo: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, run_wrk: RunWrk) -> World:
    """A repository with a local-connection inventory, a warm registry snapshot and evidence.

    One real gate of the example WRK runs first, so the evidence store holds records (a bad
    input must not add, change or lock any of them) and the snapshot exists (a cache of the
    inventory, written on its first read whatever the input).
    """
    top = tmp_path_factory.mktemp("hostile")
    repo = top / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(EXAMPLES / "inventory", repo / "inventory")
    shutil.copyfile(EXAMPLES / "WRK-640.md", repo / "WRK-640.md")
    proc = run_wrk(
        "gate", "WRK-640.md", "--stage", "execute", "--here", HERE, "-i", "inventory", cwd=repo
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list((repo / ".wrk" / "evidence").rglob("0*.json"))
    assert list(Path(os.environ["WRK_CACHE_DIR"]).glob("registry-*.json"))  # outside the tree
    (top / "pages").mkdir()
    return World(top, repo)


def _ref_item(path: Path, ref: str) -> Path:
    path.write_text(
        f"---\nid: {path.stem}\nstatus: pending\ncomputer: dev-primary\n"
        f"stage_assignments_ref: {ref}\n---\n# body\n",
        encoding="utf-8",
    )
    return path


ASSIGNMENTS = (
    "schema_version: 1\n"
    "stage_assignments:\n"
    "  execute:\n"
    "    primary: claude\n"
    "    workstations: [dev-primary]\n"
)


def _ref_outside(folder: Path, world: World) -> Path:
    outside = world.top / "outside.yml"
    outside.write_text(ASSIGNMENTS, encoding="utf-8")
    return _ref_item(folder / "WRK-41.md", "../../../outside.yml")


def _ref_symlink(folder: Path, world: World) -> Path:
    outside = world.top / "outside.yml"
    outside.write_text(ASSIGNMENTS, encoding="utf-8")
    (folder / "contract.yml").symlink_to(outside)
    return _ref_item(folder / "WRK-42.md", "contract.yml")


def _ref_absolute(folder: Path, world: World) -> Path:
    inside = folder / "contract.yml"
    inside.write_text(ASSIGNMENTS, encoding="utf-8")
    return _ref_item(folder / "WRK-43.md", str(inside))


def _fifty_megabytes(folder: Path, world: World) -> Path:
    path = folder / "WRK-50.md"
    with path.open("wb") as handle:
        handle.write(b"---\nid: WRK-50\nstatus: pending\ncomputer: dev-primary\n---\n")
        chunk = b"lorem ipsum dolor sit amet\n" * 40_000
        for _ in range(48):
            handle.write(chunk)
    assert path.stat().st_size > 50_000_000
    return path


@dataclass(frozen=True)
class Case:
    id: str
    #: a fixture file to copy, or a function that builds the WRK (and what it points at)
    source: Path | Callable[[Path, World], Path]
    fragments: tuple[str, ...]
    field: str | None = None


CASES = [
    Case("broken-yaml", (BAD / "WRK-broken-yaml.md"), ("invalid YAML",)),
    Case(
        "list-frontmatter",
        (BAD / "WRK-list-frontmatter.md"),
        ("must be a mapping", "found a list"),
    ),
    Case(
        "unknown-stage",
        (BAD / "WRK-unknown-stage.md"),
        ("unknown stage 'exeucte'", "did you mean 'execute'"),
        "stage_assignments",
    ),
    Case(
        "unknown-machine",
        (HOSTILE / "WRK-unknown-machine.md"),
        ("unknown machine 'nosuch-box'", "not in the inventory"),
        "stage_assignments.execute.workstations",
    ),
    Case(
        "wrong-type-bool",
        (BAD / "WRK-wrong-types.md"),
        ("valid boolean",),
        "stage_assignments.execute.parallel",
    ),
    Case(
        "wrong-type-int",
        (HOSTILE / "WRK-wrong-seats.md"),
        ("valid integer",),
        "machine_capability_requirements.execute.licenses.0.seats",
    ),
    Case("50-megabytes", _fifty_megabytes, ("larger than", "limit")),
    Case("alias-bomb", (BAD / "WRK-alias-bomb.md"), ("YAML aliases are not allowed",)),
    Case("deep-nesting", (BAD / "WRK-deep-nesting.md"), ("nested deeper than",)),
    Case(
        "ref-outside-repo",
        _ref_outside,
        ("leads outside the repository", "refused"),
        "stage_assignments_ref",
    ),
    Case(
        "ref-symlink-leaving-repo",
        _ref_symlink,
        ("leads outside the repository", "refused"),
        "stage_assignments_ref",
    ),
    Case("ref-absolute", _ref_absolute, ("must be relative",), "stage_assignments_ref"),
    Case("nul-byte", (BAD / "WRK-nul-byte.md"), ("NUL byte",)),
    Case("invalid-utf8", (BAD / "WRK-invalid-utf8.md"), ("not valid UTF-8",)),
    Case(
        "jinja-in-tool",
        (BAD / "WRK-jinja-tool.md"),
        ("Jinja template",),
        "machine_capability_requirements.execute.tools.0.name",
    ),
    Case(
        "not-a-version",
        (BAD / "WRK-not-a-version.md"),
        ("min_version '2.x' is not a version; write it like 3.11 or 9.2p1",),
        "machine_capability_requirements.execute.tools.0.min_version",
    ),
    Case("empty", (BAD / "WRK-empty.md"), ("empty file",)),
    Case("no-frontmatter", (BAD / "WRK-no-frontmatter.md"), ("no YAML frontmatter",)),
    Case("unclosed", (BAD / "WRK-unclosed.md"), ("frontmatter is not closed",)),
    Case(
        "repeated-key",
        (BAD / "WRK-repeated-contract-key.md"),
        ("'computer' is given twice",),
        "computer",
    ),
]


def test_every_fixture_has_a_case() -> None:
    """A new hostile fixture without an expected message is a test that never ran."""
    used = {c.source.name for c in CASES if isinstance(c.source, Path)}
    on_disk = {p.name for p in [*BAD.glob("WRK-*.md"), *HOSTILE.glob("WRK-*.md")]}
    assert used == on_disk


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("wrk: error: ")]


def _assert_named(line: str, rel: str, case: Case) -> None:
    assert rel in line, line
    for fragment in case.fragments:
        assert fragment in line, line
    if case.field:
        assert f"[{case.field}]" in line, line


def _run(run_wrk: RunWrk, world: World, *args: str) -> subprocess.CompletedProcess[str]:
    proc = run_wrk(*args, cwd=world.repo, timeout=TIMEOUT)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "internal error" not in proc.stderr
    return proc


def _validate(run_wrk: RunWrk, world: World, rel: str, case: Case) -> None:
    """``contract validate``: one result with one located error (JSON); the file once (text)."""
    proc = _run(run_wrk, world, "contract", "validate", "--json", rel)
    assert proc.returncode == 1, proc.stderr
    [result] = json.loads(proc.stdout)
    assert result["path"] == rel
    assert result["valid"] is False
    [error] = result["errors"]
    for fragment in case.fragments:
        assert fragment in error["message"], error
    assert error["field"] == case.field
    proc = _run(run_wrk, world, "contract", "validate", rel)
    assert proc.returncode == 1
    assert rel in proc.stdout
    assert proc.stdout.count(case.fragments[0]) == 1, proc.stdout


def _show(run_wrk: RunWrk, world: World, rel: str, case: Case) -> None:
    """``contract show``: one error line on stderr, nothing on stdout."""
    proc = _run(run_wrk, world, "contract", "show", rel)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("wrk: note")]
    assert len(lines) == 1, proc.stderr
    _assert_named(lines[0], rel, case)


def _gate(run_wrk: RunWrk, world: World, rel: str, case: Case) -> None:
    """``gate``: verdict fail (exit 1), the contract error its only check, named on stderr."""
    proc = _run(
        run_wrk, world, "gate", rel, "--stage", "execute", "--here", HERE, "-i", "inventory",
        "--json",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["verdict"] == "fail"
    assert out["evidence"] == []
    [check] = out["checks"]
    assert check["kind"] == "contract"
    assert check["name"] == (case.field or "contract")
    [line] = _error_lines(proc.stderr)
    _assert_named(line, rel, case)


def _report(run_wrk: RunWrk, world: World, rel: str, case: Case) -> str:
    """``report``: the page is written (exit 0) and lists the item as a contract error."""
    page = world.top / "pages" / f"{case.id}.html"
    proc = _run(run_wrk, world, "report", rel, "-i", "inventory", "-o", str(page))
    assert proc.returncode == 0, proc.stderr
    assert "1 item(s), 1 with contract errors" in proc.stderr
    text = html.unescape(page.read_text(encoding="utf-8"))
    assert "contract invalid" in text
    assert rel in text
    assert case.fragments[0] in text
    if case.field:
        assert case.field in text
    return f"pages/{page.name}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_message_and_changes_nothing(
    case: Case, world: World, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    folder = world.repo / "cases" / case.id
    folder.mkdir(parents=True)
    if isinstance(case.source, Path):
        wrk = folder / case.source.name
        shutil.copyfile(case.source, wrk)
    else:
        wrk = case.source(folder, world)
    rel = str(wrk.relative_to(world.repo))
    before = tree_hash(world.top)

    _validate(run_wrk, world, rel, case)
    _show(run_wrk, world, rel, case)
    _gate(run_wrk, world, rel, case)
    assert tree_hash(world.top) == before
    page = _report(run_wrk, world, rel, case)
    after = tree_hash(world.top)
    assert after.pop(page)  # the page is the only change
    assert after == before
    if case.id == "50-megabytes":
        wrk.unlink()  # keep the later cases' tree hashing cheap


# -- usage errors: 64, nothing written ------------------------------------------------------

USAGE = [
    ["gate", "WRK-640.md", "--stage", "exeucte", "--here", HERE, "-i", "inventory"],
    ["gate", "WRK-640.md", "--here", HERE, "-i", "inventory"],
    ["gate", "WRK-640.md", "--stage", "execute", "--timeout", "soon"],
    ["gate", "WRK-640.md", "--stage", "execute", "--timeout", "-5"],
    ["gate", "WRK-640.md", "--stage", "execute", "--timeout", "nan"],
    ["gate", "WRK-640.md", "--stage", "execute", "--fresh-hours", "inf"],
    ["readiness", "--local", "--timeout", "0"],
    ["report", "WRK-640.md"],
    ["report", "WRK-640.md", "-o", "x.html", "--fresh-hours", "soon"],
    ["contract", "validate", "--no-such-option", "WRK-640.md"],
    ["contract", "show"],
    ["handoff", "WRK-640.md", "--from", HERE],
]


@pytest.mark.parametrize("args", USAGE, ids=[" ".join(a[:4]) for a in USAGE])
def test_usage_errors_exit_64_and_change_nothing(
    args: list[str], world: World, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    before = tree_hash(world.top)
    proc = run_wrk(*args, cwd=world.repo, timeout=TIMEOUT)
    assert proc.returncode == 64, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(_error_lines(proc.stderr)) == 1, proc.stderr
    assert proc.stdout == ""
    assert tree_hash(world.top) == before


def test_a_junit_path_that_cannot_be_written_fails_before_gating(
    world: World, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    before = tree_hash(world.top)
    proc = run_wrk(
        "gate",
        "WRK-640.md",
        "--stage",
        "execute",
        "--here",
        HERE,
        "-i",
        "inventory",
        "--junit",
        str(world.top / "no-such-folder" / "gate.xml"),
        cwd=world.repo,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "cannot write JUnit XML" in proc.stderr
    assert tree_hash(world.top) == before  # no evidence either: refused before gating


# -- wrk handoff: artifacts that escape the repository ------------------------------------


def _escape_dotdot(world: World) -> str:
    return "../outside.txt"


def _escape_absolute(world: World) -> str:
    return str(world.top / "outside.txt")


def _escape_symlink(world: World) -> str:
    link = world.repo / "cases" / "artifact-link"
    if not link.is_symlink():
        link.symlink_to(world.top / "outside.txt")
    return "cases/artifact-link"


ESCAPES = [_escape_dotdot, _escape_absolute, _escape_symlink]


@pytest.mark.parametrize("escape", ESCAPES, ids=["dotdot", "absolute", "symlink"])
def test_handoff_artifact_that_escapes_is_refused(
    escape: Callable[[World], str], world: World, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    (world.top / "outside.txt").write_text("not the repository's\n", encoding="utf-8")
    (world.repo / "cases").mkdir(exist_ok=True)
    artifact = escape(world)
    before = tree_hash(world.top)
    proc = run_wrk(
        "handoff", "WRK-640.md", "--from", HERE, "--to", "dev-secondary", "--here", HERE,
        "--artifact", "WRK-640.md", "--artifact", artifact, "-i", "inventory",
        cwd=world.repo, timeout=TIMEOUT,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = _error_lines(proc.stderr)
    assert "[--artifact]" in line
    assert "outside.txt" in line or "artifact-link" in line
    assert "leads outside the repository" in line
    assert proc.stdout == ""
    assert tree_hash(world.top) == before


def test_handoff_inside_the_repository_is_recorded(
    world: World, run_wrk: RunWrk, tree_hash: TreeHash
) -> None:
    """The control for the refusals above: the same command with an inside artifact works."""
    before = tree_hash(world.top)
    proc = run_wrk(
        "handoff", "WRK-640.md", "--from", HERE, "--to", "dev-secondary", "--here", HERE,
        "--artifact", "WRK-640.md", "-i", "inventory", "--evidence-dir", str(world.top / "ev"),
        cwd=world.repo, timeout=TIMEOUT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "handoff dev-primary -> dev-secondary, 1 artifact(s)" in proc.stdout
    assert tree_hash(world.top) != before
    shutil.rmtree(world.top / "ev")  # the shared tree stays as the other cases expect it
    assert tree_hash(world.top) == before
