"""The post-checks a contract row names, run after the stage: its ``outputs`` (files that must
exist, optionally with a sha256 or a minimum size), its ``validators`` (names defined in
``wrk.yml``) and its ``max_attempts``. Each gives one :class:`PostCheck`; none raises."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from wrk_ansible.contract.models import OutputCheck, StageAssignment
from wrk_ansible.evidence.records import PostCheck
from wrk_ansible.outcome.validators import ValidatorSpec, run_validator
from wrk_ansible.paths import contained


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_output(root: Path, want: OutputCheck) -> PostCheck:
    """``want.path`` (relative to ``root``) is a file inside ``root``, of the size and sha256
    asked for."""
    name = f"output:{want.path}"

    def failed(why: str, sha256: str | None = None, size: int | None = None) -> PostCheck:
        return PostCheck(
            name=name,
            kind="output",
            passed=False,
            reason=why,
            path=want.path,
            sha256=sha256,
            size=size,
        )

    target = root / want.path
    if os.path.isabs(want.path) or not contained(root, target):
        return failed(f"output {want.path} leads outside the repository")
    if not target.is_file():
        return failed(f"output {want.path} is missing")
    try:
        size = target.stat().st_size
        digest = _sha256(target)
    except OSError as exc:
        return failed(f"output {want.path} cannot be read: {exc.strerror or exc}")
    if want.min_bytes is not None and size < want.min_bytes:
        why = f"output {want.path} has {size} bytes, fewer than min_bytes {want.min_bytes}"
        return failed(why, digest, size)
    if want.sha256 is not None and digest != want.sha256:
        why = f"output {want.path} has sha256 {digest}, not {want.sha256}"
        return failed(why, digest, size)
    return PostCheck(
        name=name,
        kind="output",
        passed=True,
        reason=f"output {want.path} found",
        path=want.path,
        sha256=digest,
        size=size,
    )


def check_validator(
    name: str, spec: ValidatorSpec, root: Path, *, item: str, stage: str
) -> PostCheck:
    run = run_validator(name, spec, root, item=item, stage=stage)
    return PostCheck(
        name=f"validator:{name}",
        kind="validator",
        passed=run.passed,
        reason=run.reason,
        command=run.command,
        exit_code=run.exit_code,
        seconds=run.seconds,
        stdout=run.stdout,
        stderr=run.stderr,
        truncated=run.truncated,
    )


def check_attempts(attempt: int, max_attempts: int | None) -> PostCheck | None:
    """A check only when the row caps attempts: attempt K of at most N."""
    if max_attempts is None:
        return None
    ok = attempt <= max_attempts
    why = (
        f"attempt {attempt} of at most {max_attempts}"
        if ok
        else f"attempt {attempt} is beyond max_attempts {max_attempts}: recorded, not succeeded"
    )
    return PostCheck(name="max-attempts", kind="attempts", passed=ok, reason=why)


def run_post_checks(
    row: StageAssignment,
    root: Path,
    validators: Mapping[str, ValidatorSpec],
    *,
    item: str,
    stage: str,
    attempt: int,
) -> tuple[PostCheck, ...]:
    """Every post-check of ``row``, in order: attempts, outputs, validators. A validator name
    ``validators`` lacks is refused before this runs
    (:func:`~wrk_ansible.outcome.validators.undefined`)."""
    checks: list[PostCheck] = []
    capped = check_attempts(attempt, row.max_attempts)
    if capped is not None:
        checks.append(capped)
    checks.extend(check_output(root, want) for want in row.outputs)
    for name in row.validators:
        checks.append(check_validator(name, validators[name], root, item=item, stage=stage))
    return tuple(checks)
