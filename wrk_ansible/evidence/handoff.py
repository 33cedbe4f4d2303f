"""Handoffs: work moving from one machine to another, with the artifacts it carries.

A handoff record lists each artifact's path (relative to the repository), sha256 and size; the
next gate on the receiving machine checks that every artifact still matches.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.errors import InputError
from wrk_ansible.evidence.ledger import Ledger, Signer
from wrk_ansible.evidence.query import latest
from wrk_ansible.evidence.records import (
    Artifact,
    ChainHead,
    HandoffBody,
    Skipped,
    TypedRecord,
    append,
)
from wrk_ansible.paths import contained

KIND: Final = HandoffBody.KIND
MAX_ARTIFACT_BYTES: Final = 8 * 1024**3


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifact_entry(root: Path, given: str, *, field: str = "--artifact") -> dict[str, Any]:
    """An artifact inside the repository: its relative path, sha256 and size (``field``: the
    option that named it, for errors)."""
    real_root = Path(os.path.realpath(root))
    target = Path(os.path.realpath(given))
    if not contained(real_root, target):
        raise InputError(
            f"artifact leads outside the repository ({real_root}); refused",
            path=given,
            field=field,
        )
    if not target.is_file():
        raise InputError("artifact is not a file", path=given, field=field)
    try:
        size = target.stat().st_size
        digest = _sha256_file(target) if size <= MAX_ARTIFACT_BYTES else ""
    except OSError as exc:
        raise InputError(
            f"artifact cannot be read: {exc.strerror or exc}", path=given, field=field
        ) from None
    if size > MAX_ARTIFACT_BYTES:
        raise InputError("artifact is larger than 8 GiB", path=given, field=field)
    return {"path": target.relative_to(real_root).as_posix(), "sha256": digest, "size": size}


def record_handoff(
    ledger: Ledger,
    *,
    wrk: str,
    writer: str,
    source: str,
    target: str,
    artifacts: Sequence[Mapping[str, Any]],
    note: str | None,
    stage: str | None,
    signer: Signer | None = None,
) -> TypedRecord[HandoffBody]:
    """Append a handoff of ``wrk`` from ``source`` to ``target`` (artifacts as
    :func:`artifact_entry` gives them) to the writer's chain."""
    body = HandoffBody(
        source=source,
        target=target,
        for_stage=stage,
        artifacts=tuple(Artifact.model_validate(a) for a in artifacts),
        note=note,
        sender_chain=tuple(ChainHead.model_validate(h) for h in ledger.heads(wrk, exclude=None)),
    )
    return append(ledger, wrk, writer, body, signer=signer)


def has_handoff(ledger: Ledger, wrk: str) -> bool:
    """Whether ``wrk`` has a handoff record at all (from file names: nothing is read)."""
    return KIND in ledger.kinds(wrk)


def latest_handoff(
    ledger: Ledger, wrk: str, host: str, *, skipped: list[Skipped] | None = None
) -> TypedRecord[HandoffBody] | None:
    """The newest handoff of ``wrk`` to ``host`` (by time, then id) across every writer's
    chain (``skipped``: handoff records whose body does not validate)."""
    wanted = host.casefold()
    return latest(
        ledger, wrk, HandoffBody, where=lambda b: b.target.casefold() == wanted, skipped=skipped
    )


def _artifact_check(root: Path, record_id: str, rel: str, want: str, host: str) -> Check:
    """One handed-over artifact, checked against the sha256 its handoff recorded."""
    check = functools.partial(
        Check, name=f"artifact:{rel}", required=want, host=host, kind="handoff",
        spec={"path": rel, "sha256": want},
    )  # fmt: skip
    path = Path(os.path.realpath(root / rel))
    if not contained(root, path):
        reason = f"artifact {rel} of {record_id} leads outside the repository"
        return check(found="outside the repository", outcome=Outcome.FAIL, reason=reason)
    if not path.is_file():
        reason = f"artifact {rel} handed over in {record_id} is missing"
        return check(found="missing", outcome=Outcome.FAIL, reason=reason)
    try:
        found = _sha256_file(path)
    except OSError as exc:
        reason = f"artifact {rel} of {record_id} cannot be read: {exc.strerror or exc}"
        return check(found="unreadable", outcome=Outcome.FAIL, reason=reason)
    if found != want:
        reason = f"artifact {rel} changed since the handoff {record_id}"
        return check(found=found, outcome=Outcome.FAIL, reason=reason, data={"sha256": found})
    reason = f"artifact {rel} matches {record_id}"
    return check(found=found, outcome=Outcome.PASS, reason=reason, data={"sha256": found})


def artifact_checks(
    ledger: Ledger, wrk: str, hosts: Sequence[str], root: Path, stage: str | None = None
) -> list[Check]:
    """For each receiving host, every artifact of its latest handoff must still match.

    A handoff record whose body does not validate cannot say where it went or what it carried:
    it is named in a warning (records are never rewritten, so it must not block for ever)."""
    checks: list[Check] = []
    real_root = Path(os.path.realpath(root))
    unreadable: dict[str, Skipped] = {}
    for host in hosts:
        skipped: list[Skipped] = []
        record = latest_handoff(ledger, wrk, host, skipped=skipped)
        unreadable.update((s.record, s) for s in skipped)
        if record is None:
            continue
        for_stage = record.body.for_stage
        if stage and for_stage and for_stage != stage:
            continue
        for item in record.body.artifacts:
            checks.append(_artifact_check(real_root, record.id, item.path, item.sha256, host))
    for skip in unreadable.values():
        checks.append(
            Check(
                name=f"handoff:{skip.record}",
                required="a readable handoff record",
                found="unreadable",
                outcome=Outcome.WARN,
                reason=f"{skip}; its artifacts are not checked",
                kind="handoff",
            )
        )
    return checks
