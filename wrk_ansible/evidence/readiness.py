"""Readiness evidence: every observation is recorded, and the newest fresh one can be found.

Observations live in the ``_readiness`` chains (one per writing host): ``readiness`` records
of probe runs, ``attestation`` records a host made of itself (``wrk readiness --local``). This
module stores and finds records; whether one may stand in for a probe (its kind, its signer,
its shape) is the readiness source's rule (:mod:`wrk_ansible.readiness.source`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from wrk_ansible import clock
from wrk_ansible.evidence.ledger import Ledger, Signer, read_record
from wrk_ansible.evidence.records import (
    AttestationBody,
    ReadinessBody,
    TypedRecord,
    append,
    typed,
)

CHAIN: Final = "_readiness"
KIND_PROBE: Final = ReadinessBody.KIND
KIND_LOCAL: Final = AttestationBody.KIND
DEFAULT_FRESH_HOURS: Final = 25.0
MAX_CLOCK_SKEW: Final = timedelta(minutes=5)


def requirements_hash(requirements: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(requirements, sort_keys=True).encode()).hexdigest()


def record_observation(
    ledger: Ledger,
    writer: str,
    observation: Mapping[str, Any],
    requirements: Mapping[str, Any],
    *,
    local: bool = False,
    signer: Signer | None = None,
) -> TypedRecord[ReadinessBody]:
    """Append one host's observation (its JSON form) to the writer's readiness chain."""
    model = AttestationBody if local else ReadinessBody
    body = model(
        host=observation["host"],
        requirements_sha256=requirements_hash(requirements),
        requirements=dict(requirements),
        observation=dict(observation),
    )
    return append(ledger, CHAIN, writer, body, signer=signer)


def newest_fresh(
    ledger: Ledger,
    host: str,
    requirements: Mapping[str, Any],
    *,
    kind: str,
    writer: str | None = None,
    max_age_hours: float = DEFAULT_FRESH_HOURS,
    now: datetime | None = None,
) -> TypedRecord[ReadinessBody] | None:
    """The newest ``kind`` record of ``host`` for these requirements within the window
    (``writer``: only that writer's chain). A record dated in the future (beyond a few minutes
    of clock skew) never counts, nor one whose body does not validate; newest is by time, then
    record id (:func:`~wrk_ansible.evidence.records.newest_key`).

    Each chain is read backwards from its newest record and stops at the first one older than
    the window (a chain is in time order), so old evidence costs nothing."""
    model = AttestationBody if kind == KIND_LOCAL else ReadinessBody
    wanted = requirements_hash(requirements)
    moment = now or datetime.now(UTC)
    cutoff = moment - timedelta(hours=max_age_hours)
    horizon = moment + MAX_CLOCK_SKEW
    best: TypedRecord[ReadinessBody] | None = None
    for _, chain_writer in ledger.chains(CHAIN):
        if writer is not None and chain_writer.casefold() != writer.casefold():
            continue
        for path in reversed(ledger.files(CHAIN, chain_writer)):
            record = read_record(path)
            when = clock.parse(record.time)
            if when is None or when < cutoff:
                break  # records in a chain are in time order: older ones are staler
            if record.kind != kind or when > horizon:
                continue
            found = typed(record, model)
            if not isinstance(found, TypedRecord):
                continue  # a body that does not validate is no evidence
            body = found.body
            if body.host != host or body.requirements_sha256 != wanted:
                continue
            if best is None or found.order > best.order:
                best = found
            break
    return best
