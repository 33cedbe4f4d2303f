"""Validators: commands a team defines in ``wrk.yml`` (``validators: {NAME: {command, timeout}}``)
that decide whether a stage's outcome passed.

Only ``wrk.yml`` says what a validator runs. A work item (or an issue's ``wrk`` block) names a
validator; nothing from it becomes a command line. The command runs without a shell, as an
argument list, in the repository root, with a timeout; the item and stage are passed as the
environment variables ``WRK_ITEM`` and ``WRK_STAGE``, never as arguments. Its exit code decides;
a command that cannot start or runs out of time is a failed check with the reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

if TYPE_CHECKING:
    from wrk_ansible.contract.resolve import Contract, Issue

#: Characters of each of stdout and stderr a record keeps (the end: where errors are).
MAX_OUTPUT_CHARS: Final = 4000
DEFAULT_TIMEOUT: Final = 300.0
ITEM_ENV: Final = "WRK_ITEM"
STAGE_ENV: Final = "WRK_STAGE"

Argument = Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^[^\x00]+$")]


class ValidatorSpec(BaseModel):
    """One validator of ``wrk.yml``: the argument list it runs and its timeout in seconds."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    command: tuple[Argument, ...] = Field(min_length=1, max_length=256)
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, le=86_400)


@dataclass(frozen=True)
class ValidatorRun:
    """What one validator did: passed only when it ran and exited 0."""

    name: str
    command: tuple[str, ...]
    passed: bool
    reason: str
    exit_code: int | None = None
    seconds: float | None = None
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False


def _tail(data: bytes) -> tuple[str, bool]:
    text = data.decode("utf-8", errors="replace")
    if len(text) <= MAX_OUTPUT_CHARS:
        return text, False
    return "..." + text[-MAX_OUTPUT_CHARS:], True


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop the validator and whatever it started (its own process group on POSIX)."""
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except OSError:
        pass  # it ended on its own


def run_validator(
    name: str,
    spec: ValidatorSpec,
    root: Path,
    *,
    item: str,
    stage: str,
    environ: Mapping[str, str] | None = None,
) -> ValidatorRun:
    """Run ``spec.command`` in ``root`` (no shell) within ``spec.timeout`` seconds."""
    env = dict(os.environ if environ is None else environ)
    env[ITEM_ENV], env[STAGE_ENV] = item, stage
    command = tuple(spec.command)
    started = time.monotonic()
    try:
        process = subprocess.Popen(  # an argument list from wrk.yml, no shell
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=os.name == "posix",
        )
    except FileNotFoundError:
        why = f"validator {name!r}: command not found: {command[0]}"
        return ValidatorRun(name, command, False, why)
    except PermissionError:
        why = f"validator {name!r}: command not executable: {command[0]}"
        return ValidatorRun(name, command, False, why)
    except OSError as exc:
        why = f"validator {name!r}: cannot start {command[0]}: {exc.strerror or exc}"
        return ValidatorRun(name, command, False, why)
    timed_out = False
    try:
        out, err = process.communicate(timeout=spec.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(process)
        try:
            out, err = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # something it started still holds its output
            out, err = b"", b""
    stdout, cut_out = _tail(out or b"")
    stderr, cut_err = _tail(err or b"")
    code = None if timed_out else process.returncode
    if timed_out:
        why = f"validator {name!r} timed out after {spec.timeout:g} s (stopped)"
    elif code == 0:
        why = f"validator {name!r} passed (exit 0)"
    else:
        why = f"validator {name!r} failed (exit {code})"
    return ValidatorRun(
        name,
        command,
        code == 0,
        why,
        exit_code=code,
        seconds=round(time.monotonic() - started, 3),
        stdout=stdout,
        stderr=stderr,
        truncated=cut_out or cut_err,
    )


# -- the names a contract may use (checked with the contract, before anything runs) --------


def undefined(names: Sequence[str], defined: Mapping[str, ValidatorSpec]) -> list[str]:
    """The validator names a row gives that ``wrk.yml`` does not define."""
    return [name for name in names if name not in defined]


def undefined_message(name: str, defined: Mapping[str, ValidatorSpec]) -> str:
    known = ", ".join(sorted(defined)) or "none (wrk.yml has no validators:)"
    return f"unknown validator {name!r}; wrk.yml defines: {known}"


def validator_issues(contract: Contract, defined: Mapping[str, ValidatorSpec]) -> list[Issue]:
    """A contract error for every validator a row names that ``wrk.yml`` does not define: on
    the item's field, or on the matrix's row (``stages.ROW.validators`` in wrk.yml)."""
    from wrk_ansible.contract.resolve import Issue

    found = []
    for row in contract.stages:
        origin = row.origin.get("validators", "")
        field = (
            f"stages.{row.stage}.validators (wrk.yml)"
            if origin == "template"
            else f"stage_assignments.{row.stage}.validators"
        )
        for name in undefined(row.assignment.validators, defined):
            found.append(Issue(field=field, message=undefined_message(name, defined)))
    return found
