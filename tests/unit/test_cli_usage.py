"""The command line's own contract: usage errors exit 64, --help is lazy, --json is pure JSON."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from wrk_ansible.cli import WrkArgumentParser, build_parser, main
from wrk_ansible.contract.stages import PHASES, STAGE_IDS, resolve_stage
from wrk_ansible.errors import ExitCode, UsageError

REPO_ROOT = Path(__file__).parents[2]
WORK_QUEUE = REPO_ROOT / "tests" / "fixtures" / "work-queue"
RunWrk = Callable[..., subprocess.CompletedProcess[str]]


# --- usage errors: 64, never argparse's 2 --------------------------------------------------

USAGE_ERRORS = {
    "unknown option": ["contract", "validate", "--bogus", "x.md"],
    "unknown top-level option": ["--bogus"],
    "missing argument": ["contract", "validate"],
    "missing show path": ["contract", "show"],
    "extra argument": ["contract", "show", "a.md", "b.md"],
    "unknown subcommand": ["nope"],
    "unknown verb": ["contract", "nope"],
    "missing verb": ["contract"],
}


@pytest.mark.parametrize("argv", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_usage_error_exits_64_in_process(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 64
    err = capsys.readouterr().err
    assert err.startswith("wrk: error: wrk")
    assert "--help" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [USAGE_ERRORS["unknown option"], USAGE_ERRORS["unknown subcommand"], ["contract"]],
)
def test_usage_error_exits_64_as_a_process(argv: list[str], run_wrk: RunWrk) -> None:
    proc = run_wrk(*argv)
    assert proc.returncode == ExitCode.USAGE == 64
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("wrk: error:")


def test_no_command_prints_help_and_exits_64(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 64
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: wrk" in captured.err


def test_argument_parser_error_raises_usage_error() -> None:
    parser = WrkArgumentParser(prog="wrk-test")
    with pytest.raises(UsageError) as info:
        parser.error("broken")
    assert info.value.exit_code == 64
    assert "wrk-test: broken" in str(info.value)


def test_usage_error_from_a_handler_exits_64(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ``--stage``-style error raised while a command runs is still a usage error."""
    from wrk_ansible.cli import contract

    def handler(args: argparse.Namespace) -> int:
        resolve_stage("exeucte")
        return 0

    monkeypatch.setattr(contract, "run_schema", handler)
    assert main(["contract", "schema"]) == 64
    err = capsys.readouterr().err
    assert "unknown stage 'exeucte'" in err
    assert "did you mean 'execute'" in err


def test_version_exits_0(run_wrk: RunWrk) -> None:
    proc = run_wrk("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("wrk ")


# --- resolve_stage ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("execute", ("execute",)),
        ("impl-review", ("impl_review",)),
        ("Impl_Review", ("impl_review",)),
        (" resource-intelligence ", ("resource_intelligence",)),
        ("plan", ("resource_intelligence", "plan_draft", "plan_review")),
        ("review", ("impl_review",)),
        ("claim", ("claim",)),
        ("close", ("close",)),
    ],
)
def test_resolve_stage(name: str, expected: tuple[str, ...]) -> None:
    assert resolve_stage(name) == expected


def test_every_phase_resolves_to_its_rows_in_order() -> None:
    rows = [row for phase in PHASES for row in resolve_stage(phase)]
    assert tuple(rows) == STAGE_IDS


@pytest.mark.parametrize(
    ("name", "hint"), [("exeucte", "execute"), ("plan-drfat", "plan_draft"), ("revew", "review")]
)
def test_resolve_stage_unknown_suggests(name: str, hint: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve_stage(name)
    assert info.value.exit_code == 64
    assert f"did you mean {hint!r}" in str(info.value)
    assert "rows: resource_intelligence" in str(info.value)


def test_resolve_stage_nothing_close_gives_no_hint() -> None:
    with pytest.raises(UsageError) as info:
        resolve_stage("zzzzzzzz")
    assert "did you mean" not in str(info.value)


# --- --help everywhere, without Ansible or pydantic --------------------------------------


def _command_paths(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths += _command_paths(sub, (*prefix, name))
    return paths


COMMAND_PATHS = _command_paths(build_parser())
HEAVY = ("ansible", "ansible_runner", "pydantic")

_HELP_PROBE = """
import json, sys
from wrk_ansible.cli import main
try:
    code = main(json.loads(sys.argv[1]) + ["--help"])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
sys.stderr.write(json.dumps({{"code": code, "heavy": heavy}}) + "\\n")
"""


def test_the_tree_has_the_contract_verbs() -> None:
    assert {
        ("contract", verb) for verb in ("validate", "show", "schema", "init", "migrate")
    } <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=[" ".join(p) or "wrk" for p in COMMAND_PATHS])
def test_help_exits_0_without_heavy_imports(path: tuple[str, ...]) -> None:
    probe = _HELP_PROBE.format(heavy=set(HEAVY))
    proc = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(list(path))],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: wrk" in proc.stdout
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0
    assert report["heavy"] == []


def test_help_probe_does_see_heavy_imports() -> None:
    """The probe above can fail: running a real command does import pydantic."""
    probe = _HELP_PROBE.format(heavy=set(HEAVY)).replace('+ ["--help"]', "")
    proc = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(["contract", "schema"])],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0
    assert "pydantic" in report["heavy"]


# --- --json: stdout holds only JSON -------------------------------------------------------

ISSUE_KEYS = {"field", "line", "message"}


def test_validate_json_is_one_array_one_object_per_file(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "validate", "--json", str(WORK_QUEUE))
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)  # the whole of stdout, nothing else
    assert isinstance(results, list)
    files = sorted(str(p) for p in WORK_QUEUE.rglob("WRK-*.md"))
    assert sorted(r["path"] for r in results) == files
    for result in results:
        assert set(result) == {"path", "id", "valid", "derived", "errors", "warnings"}
        assert isinstance(result["valid"], bool)
        assert isinstance(result["derived"], bool)
        for issue in [*result["errors"], *result["warnings"]]:
            assert set(issue) == ISSUE_KEYS
    assert "9 file(s)" in proc.stderr  # the summary goes to stderr


def test_validate_json_errors_are_field_line_message(run_wrk: RunWrk, tmp_path: Path) -> None:
    wrk = tmp_path / "WRK-70.md"
    wrk.write_text(
        "---\nid: WRK-70\nstatus: pending\ncomputer: [dev-primary, 42]\n---\n", encoding="utf-8"
    )
    proc = run_wrk("contract", "validate", "--json", str(wrk))
    assert proc.returncode == 1
    [result] = json.loads(proc.stdout)
    assert result["valid"] is False
    assert result["errors"] == [
        {"field": "computer.1", "line": 4, "message": "Input should be a valid string"}
    ]


def test_show_json_is_only_json_and_warnings_go_to_stderr(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "show", "--json", str(WORK_QUEUE / "pending" / "WRK-1342.md"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["id"] == "WRK-1342"
    assert data["derived"] is True
    assert "wrk: warning:" in proc.stderr
    assert "handoff_evidence_ref" in proc.stderr


def test_schema_is_only_json(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "schema")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["$schema"].endswith("2020-12/schema")


def test_show_text_prints_seven_rows(run_wrk: RunWrk) -> None:
    proc = run_wrk("contract", "show", str(REPO_ROOT / "examples" / "WRK-635.md"))
    assert proc.returncode == 0, proc.stderr
    for stage in STAGE_IDS:
        assert stage in proc.stdout
    assert "(parallel)" in proc.stdout


@pytest.mark.parametrize("verb", ["init", "migrate"])
def test_init_and_migrate_refuse_an_issue_and_write_nothing(
    verb: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["contract", verb, "octo-org/widgets#12"]) == 64
    assert "octo-org/widgets#12 is an issue, not a WRK file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


ONE_WRK = str(WORK_QUEUE / "archive/2026-03/WRK-1003.md")


@pytest.mark.parametrize(
    "verb",
    [
        ["review", "record", ONE_WRK, "--agent", "a", "--verdict", "approve"],
        ["outcome", ONE_WRK, "--exit-code", "0"],
    ],
)
def test_a_one_row_command_refuses_a_phase(
    verb: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*verb, "--stage", "plan"]) == 64
    err = capsys.readouterr().err
    rows = "resource_intelligence, plan_draft, plan_review"
    assert f"--stage 'plan' is a phase of 3 rows; name one of: {rows}" in err
