"""Outcomes: the row's post-check fields, validators from wrk.yml, the post-check runner with real
small commands, the outcome body (ran is not succeeded) and the ``execute-succeeded`` gate."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from _gatekit import context, write_wrk
from pydantic import ValidationError

from wrk_ansible.config.model import WrkConfig
from wrk_ansible.contract.models import OutputCheck, StageAssignment
from wrk_ansible.decision.outcomes import Verdict
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.evidence.records import KINDS, OutcomeBody, PostCheck
from wrk_ansible.gates.outcome import execute_succeeded
from wrk_ansible.issues.block import parse_block
from wrk_ansible.outcome.postchecks import check_attempts, check_output, run_post_checks
from wrk_ansible.outcome.record import next_attempt, outcome_body, record_outcome
from wrk_ansible.outcome.validators import (
    MAX_OUTPUT_CHARS,
    ValidatorSpec,
    run_validator,
    undefined,
    undefined_message,
)

PY = sys.executable


def _spec(code: str, timeout: float = 20) -> ValidatorSpec:
    return ValidatorSpec(command=(PY, "-c", code), timeout=timeout)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "evidence")


# --- models ----------------------------------------------------------------------------------


def test_a_row_names_outputs_validators_and_max_attempts() -> None:
    row = StageAssignment.model_validate(
        {
            "outputs": ["a.txt", {"path": "b.bin", "min_bytes": 3, "sha256": "0" * 64}],
            "validators": ["pytest", "lint.v2"],
            "max_attempts": 3,
        }
    )
    assert row.outputs == (
        OutputCheck(path="a.txt"),
        OutputCheck(path="b.bin", min_bytes=3, sha256="0" * 64),
    )
    assert row.validators == ("pytest", "lint.v2")
    assert row.max_attempts == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"validators": ["rm -rf /"]},  # a command line is no name
        {"validators": [["python3", "-c", "1"]]},
        {"validators": ["{{ evil }}"]},
        {"outputs": [{"path": "a", "command": "x"}]},
        {"outputs": [{"path": "a", "sha256": "xyz"}]},
        {"outputs": [{"path": "a", "min_bytes": -1}]},
        {"max_attempts": 0},
    ],
)
def test_a_row_refuses_command_lines_and_bad_post_checks(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        StageAssignment.model_validate(bad)


def test_wrk_yml_defines_validators_as_argument_lists() -> None:
    config = WrkConfig.model_validate(
        {"validators": {"pytest": {"command": ["python3", "-m", "pytest"], "timeout": 60}}}
    )
    assert config.validators["pytest"].command == ("python3", "-m", "pytest")
    for bad in (
        {"command": "pytest -q"},
        {"command": []},
        {"command": ["x"], "timeout": 0},
        {"command": ["x"], "shell": True},
    ):
        with pytest.raises(ValidationError):
            WrkConfig.model_validate({"validators": {"v": bad}})


def test_an_issue_block_names_a_validator_but_never_a_command() -> None:
    named = "```wrk\nstage_assignments:\n  execute: {validators: [pytest]}\n```\n"
    block = parse_block(named)
    assert block is not None
    assert block.contract is not None
    assert not block.errors
    assert block.contract.stage_assignments is not None
    assert block.contract.stage_assignments["execute"].validators == ("pytest",)
    smuggled = "```wrk\nvalidators:\n  pytest: {command: [sh, -c, boom]}\n```\n"
    broken = parse_block(smuggled)
    assert broken is not None
    assert broken.errors
    assert "never a command line" in broken.errors[0].message


def test_an_unknown_validator_names_the_defined_ones() -> None:
    defined = {"lint": _spec("0"), "pytest": _spec("0")}
    assert undefined(("pytest", "nope"), defined) == ["nope"]
    assert undefined_message("nope", defined) == (
        "unknown validator 'nope'; wrk.yml defines: lint, pytest"
    )
    assert "none" in undefined_message("nope", {})


def test_outcome_is_a_registered_kind() -> None:
    assert KINDS["outcome"] is OutcomeBody


# --- the runner ------------------------------------------------------------------------------


def test_a_validator_passes_on_exit_0_and_sees_item_and_stage_in_its_environment(
    repo: Path,
) -> None:
    code = "import os; print(os.environ['WRK_ITEM'], os.environ['WRK_STAGE'], os.getcwd())"
    run = run_validator("env", _spec(code), repo, item="WRK-1", stage="execute")
    assert run.passed
    assert run.exit_code == 0
    assert run.stdout.split() == ["WRK-1", "execute", str(repo)]


def test_a_validator_fails_on_a_non_zero_exit_and_keeps_its_output(repo: Path) -> None:
    code = "import sys; print('validator FAIL'); print('why', file=sys.stderr); sys.exit(3)"
    run = run_validator("bad", _spec(code), repo, item="WRK-1", stage="execute")
    assert not run.passed
    assert run.exit_code == 3
    assert run.reason == "validator 'bad' failed (exit 3)"
    assert run.stdout == "validator FAIL\n"
    assert run.stderr == "why\n"


def test_item_data_never_reaches_the_command_line(repo: Path) -> None:
    code = "import sys; print(repr(sys.argv[1:]))"
    run = run_validator("argv", _spec(code), repo, item="$(touch x); rm -rf /", stage="execute")
    assert run.passed
    assert run.stdout.strip() == "[]"
    assert not (repo / "x").exists()


def test_a_validator_that_outlives_its_timeout_fails_saying_so(repo: Path) -> None:
    run = run_validator(
        "slow",
        _spec("import time; time.sleep(30)", timeout=0.5),
        repo,
        item="WRK-1",
        stage="execute",
    )
    assert not run.passed
    assert run.exit_code is None
    assert run.reason == "validator 'slow' timed out after 0.5 s (stopped)"
    assert run.seconds is not None
    assert run.seconds < 20


def test_a_missing_command_is_a_failed_check_not_a_traceback(repo: Path) -> None:
    spec = ValidatorSpec(command=("no-such-validator-binary-xyz", "--check"))
    run = run_validator("gone", spec, repo, item="WRK-1", stage="execute")
    assert not run.passed
    assert run.exit_code is None
    assert run.reason == "validator 'gone': command not found: no-such-validator-binary-xyz"


def test_a_command_that_is_not_executable_fails_with_the_reason(repo: Path) -> None:
    script = repo / "check.sh"
    script.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    script.chmod(0o644)
    run = run_validator(
        "noexec", ValidatorSpec(command=(str(script),)), repo, item="W", stage="execute"
    )
    assert not run.passed
    assert "not executable" in run.reason


def test_long_output_is_truncated_to_its_end(repo: Path) -> None:
    code = f"print('x' * {MAX_OUTPUT_CHARS * 3} + 'END')"
    run = run_validator("loud", _spec(code), repo, item="W", stage="execute")
    assert run.passed
    assert run.truncated
    assert len(run.stdout) <= MAX_OUTPUT_CHARS + 3
    assert run.stdout.rstrip().endswith("END")


def test_outputs_exist_with_their_size_and_sha256(repo: Path, tmp_path: Path) -> None:
    (repo / "out").mkdir()
    (repo / "out" / "a.txt").write_bytes(b"hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    assert check_output(repo, OutputCheck(path="out/a.txt", sha256=digest, min_bytes=5)).passed
    small = check_output(repo, OutputCheck(path="out/a.txt", min_bytes=6))
    assert not small.passed
    assert "fewer than min_bytes 6" in small.reason
    assert small.size == 5
    other = check_output(repo, OutputCheck(path="out/a.txt", sha256="0" * 64))
    assert not other.passed
    assert digest in other.reason
    missing = check_output(repo, OutputCheck(path="out/b.txt"))
    assert not missing.passed
    assert missing.reason == "output out/b.txt is missing"
    (tmp_path / "secret").write_text("s", encoding="utf-8")
    (repo / "link").symlink_to(tmp_path / "secret")
    for escape in ("../secret", "link", str(tmp_path / "secret")):
        found = check_output(repo, OutputCheck(path=escape))
        assert not found.passed
        assert "outside the repository" in found.reason


def test_attempts_beyond_max_are_flagged_not_refused() -> None:
    assert check_attempts(1, None) is None
    within = check_attempts(2, 2)
    assert within is not None
    assert within.passed
    beyond = check_attempts(3, 2)
    assert beyond is not None
    assert not beyond.passed
    assert "beyond max_attempts 2" in beyond.reason


def test_run_post_checks_in_order(repo: Path) -> None:
    (repo / "a.txt").write_text("a", encoding="utf-8")
    row = StageAssignment.model_validate(
        {"outputs": ["a.txt"], "validators": ["ok", "bad"], "max_attempts": 1}
    )
    defined = {"ok": _spec("pass"), "bad": _spec("raise SystemExit(1)")}
    checks = run_post_checks(row, repo, defined, item="W", stage="execute", attempt=1)
    assert [(c.name, c.passed) for c in checks] == [
        ("max-attempts", True),
        ("output:a.txt", True),
        ("validator:ok", True),
        ("validator:bad", False),
    ]


# --- ran is not succeeded --------------------------------------------------------------------


def _body(exit_code: int | None, *passed: bool) -> OutcomeBody:
    checks = [PostCheck(name=f"c{i}", kind="validator", passed=p) for i, p in enumerate(passed)]
    return outcome_body(
        stage="execute",
        host="h",
        agent=None,
        attempt=1,
        max_attempts=None,
        exit_code=exit_code,
        category=None,
        log=None,
        post_checks=checks,
    )


def test_ran_and_succeeded_are_kept_apart() -> None:
    assert (_body(0).ran, _body(0).succeeded) == (True, True)
    assert (_body(0, True, False).ran, _body(0, True, False).succeeded) == (True, False)
    assert (_body(2, True).ran, _body(2, True).succeeded) == (True, False)
    assert (_body(None).ran, _body(None).succeeded) == (False, False)
    assert [c.name for c in _body(0, True, False).failed_checks] == ["c1"]


def test_an_outcome_record_reads_back_and_counts_attempts(ledger: Ledger) -> None:
    assert next_attempt(ledger, "WRK-900", "execute") == 1
    record = record_outcome(ledger, "WRK-900", "dev-primary", _body(0, False))
    assert record.id.startswith("WRK-900/dev-primary@")
    stored = OutcomeBody.model_validate(record.record.data["body"])
    assert stored == record.body
    assert stored.dump() == record.body.dump()
    assert next_attempt(ledger, "WRK-900", "execute") == 2
    assert next_attempt(ledger, "WRK-900", "close") == 1


# --- the gate --------------------------------------------------------------------------------


def test_execute_succeeded_pauses_fails_and_passes(repo: Path, ledger: Ledger) -> None:
    ctx = context(write_wrk(repo / "queue"), "close", ledger)
    waiting = execute_succeeded(ctx)
    assert waiting.verdict is Verdict.PAUSE
    assert waiting.gaps[0].priority == "P1"
    assert any("wrk outcome" in p and "--stage execute" in p for p in waiting.gaps[0].proposals)
    failed_check = PostCheck(name="validator:pytest", kind="validator", passed=False)
    body = outcome_body(
        stage="execute",
        host="dev-primary",
        agent="codex",
        attempt=1,
        max_attempts=None,
        exit_code=0,
        category=None,
        log=None,
        post_checks=[failed_check],
    )
    bad = record_outcome(ledger, "WRK-900", "dev-primary", body)
    refused = execute_succeeded(ctx)
    assert refused.verdict is Verdict.FAIL
    reason = refused.checks[0].reason
    assert bad.id in reason
    assert "exit 0" in reason
    assert "validator:pytest" in reason
    record_outcome(ledger, "WRK-900", "dev-primary", _body(7))  # a later attempt
    assert "exit 7" in execute_succeeded(ctx).checks[0].reason
    good = record_outcome(ledger, "WRK-900", "dev-secondary", _body(0, True))
    passed = execute_succeeded(ctx)
    assert passed.verdict is Verdict.PASS
    assert good.id in str(passed.checks[0].found)


def test_an_undefined_validator_is_a_contract_error_on_the_field_that_names_it(
    repo: Path,
) -> None:
    from wrk_ansible.contract.template import merged
    from wrk_ansible.names import check_against
    from wrk_ansible.outcome.validators import validator_issues

    front = "stage_assignments:\n  execute: {workstations: [box], validators: [lint, pytest]}\n"
    path = write_wrk(repo / "queue", front)
    matrix = merged({"close": {"validators": ["docs"]}})
    contract = check_against(str(path), None, matrix=matrix).contract
    assert contract is not None
    found = validator_issues(contract, {"pytest": _spec("0")})
    assert [(i.field, i.message) for i in found] == [
        (
            "stage_assignments.execute.validators",
            "unknown validator 'lint'; wrk.yml defines: pytest",
        ),
        ("stages.close.validators (wrk.yml)", "unknown validator 'docs'; wrk.yml defines: pytest"),
    ]
