"""Readiness evidence: every observation is recorded, and the newest fresh one can be found.

Observations live in the ``_readiness`` chains (one per writing host and clone): ``readiness``
records of probe runs, ``attestation`` records a host made of itself (``wrk readiness
--local``). This module stores and finds records; whether one may stand in for a probe (its
kind, its signer, its shape) is the readiness source's rule (:mod:`wrk_ansible.readiness.source`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from wrk_ansible import clock
from wrk_ansible.decision.readiness import DEFAULT_FRESH_HOURS
from wrk_ansible.evidence.ledger import Ledger, Signer, host_of, read_record
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
MAX_CLOCK_SKEW: Final = timedelta(minutes=5)


def requirements_hash(requirements: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(requirements, sort_keys=True).encode()).hexdigest()


def record_observation(
    ledger: Ledger,
    host: str,
    observation: Mapping[str, Any],
    requirements: Mapping[str, Any],
    *,
    local: bool = False,
    signer: Signer | None = None,
    dispatch_path: str | None = None,
) -> TypedRecord[ReadinessBody]:
    """Append one host's observation (its JSON form) to the readiness chain of ``host``, the
    host wrk runs on (the observed host is the observation's own)."""
    fields: dict[str, Any] = {
        "host": observation["host"],
        "requirements_sha256": requirements_hash(requirements),
        "requirements": dict(requirements),
        "observation": dict(observation),
    }
    if dispatch_path is not None:  # the key is absent otherwise
        fields["dispatch_path"] = dispatch_path
    body = AttestationBody(**fields) if local else ReadinessBody(**fields)
    return append(ledger, CHAIN, host, body, signer=signer)


def newest_fresh(
    ledger: Ledger,
    host: str,
    requirements: Mapping[str, Any],
    *,
    kind: str,
    written_by: str | None = None,
    max_age_hours: float = DEFAULT_FRESH_HOURS,
    now: datetime | None = None,
) -> TypedRecord[ReadinessBody] | None:
    """The newest ``kind`` record of ``host`` for these requirements within the window
    (``written_by``: only the chains that host wrote, from any clone, and only records naming it
    as their host). A record dated in the future (beyond a few minutes
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
    by = written_by.casefold() if written_by is not None else None
    for _, chain in ledger.chains(CHAIN):
        if by is not None and host_of(chain).casefold() != by:
            continue
        for path in reversed(ledger.files(CHAIN, chain)):
            record = read_record(path)
            when = clock.parse(record.time)
            if when is None or when < cutoff:
                break  # records in a chain are in time order: older ones are staler
            if record.kind != kind or when > horizon:
                continue
            if by is not None and record.host.casefold() != by:
                continue  # a record in the host's folder that another host wrote
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
