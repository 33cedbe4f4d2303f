"""Outcome records (kind ``outcome``): written by ``wrk outcome``, read by the
``execute-succeeded`` gate. "Ran" (an exit code is known) is kept apart from "succeeded" (exit 0
and every post-check passed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wrk_ansible.evidence.ledger import Ledger, Signer
from wrk_ansible.evidence.query import latest, records_of
from wrk_ansible.evidence.records import (
    Artifact,
    OutcomeBody,
    PostCheck,
    Skipped,
    TypedRecord,
    append,
)

Outcome = TypedRecord[OutcomeBody]


def outcome_body(
    *,
    stage: str,
    host: str,
    agent: str | None,
    attempt: int,
    max_attempts: int | None,
    exit_code: int | None,
    category: str | None,
    log: dict[str, Any] | None,
    post_checks: Sequence[PostCheck],
) -> OutcomeBody:
    """The record's body; ``succeeded`` only for exit 0 with every post-check passed."""
    ran = exit_code is not None
    return OutcomeBody(
        stage=stage,
        host=host,
        agent=agent,
        attempt=attempt,
        max_attempts=max_attempts,
        exit_code=exit_code,
        ran=ran,
        succeeded=ran and exit_code == 0 and all(c.passed for c in post_checks),
        category=category,
        log=Artifact.model_validate(log) if log is not None else None,
        post_checks=tuple(post_checks),
    )


def record_outcome(
    ledger: Ledger, wrk: str, writer: str, body: OutcomeBody, *, signer: Signer | None = None
) -> Outcome:
    """Append ``body`` to the writer's chain of ``wrk``."""
    return append(ledger, wrk, writer, body, signer=signer)


def outcomes(ledger: Ledger, wrk: str, stage: str) -> list[Outcome]:
    """The outcome records of ``stage``, oldest first."""
    return records_of(ledger, wrk, OutcomeBody, stage=stage)


def next_attempt(ledger: Ledger, wrk: str, stage: str) -> int:
    """The attempt an outcome counts as when none is given: one more than recorded."""
    return len(outcomes(ledger, wrk, stage)) + 1


def latest_outcome(
    ledger: Ledger, wrk: str, stage: str, *, skipped: list[Skipped] | None = None
) -> Outcome | None:
    """The newest outcome of ``stage`` across every writer's chain (by time, then id)."""
    return latest(ledger, wrk, OutcomeBody, stage=stage, skipped=skipped)
