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
from wrk_ansible.evidence.ledger import Ledger, Record, Signer, read_record

CHAIN: Final = "_readiness"
KIND_PROBE: Final = "readiness"
KIND_LOCAL: Final = "attestation"
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
) -> Record:
    """Append one host's observation (its JSON form) to the writer's readiness chain."""
    body = {
        "host": observation["host"],
        "requirements_sha256": requirements_hash(requirements),
        "requirements": dict(requirements),
        "observation": dict(observation),
    }
    return ledger.append(CHAIN, writer, KIND_LOCAL if local else KIND_PROBE, body, signer=signer)


def newest_fresh(
    ledger: Ledger,
    host: str,
    requirements: Mapping[str, Any],
    *,
    kind: str,
    writer: str | None = None,
    max_age_hours: float = DEFAULT_FRESH_HOURS,
    now: datetime | None = None,
) -> Record | None:
    """The newest ``kind`` record of ``host`` for these requirements within the window
    (``writer``: only that writer's chain). A record dated in the future (beyond a few minutes
    of clock skew) never counts; ties go to the higher record id."""
    wanted = requirements_hash(requirements)
    moment = now or datetime.now(UTC)
    cutoff = moment - timedelta(hours=max_age_hours)
    horizon = moment + MAX_CLOCK_SKEW
    best: tuple[datetime, str, Record] | None = None
    for _, chain_writer in ledger.chains(CHAIN):
        if writer is not None and chain_writer.casefold() != writer.casefold():
            continue
        for path in reversed(ledger.files(CHAIN, chain_writer)):
            record = read_record(path)
            when = clock.parse(record.time)
            if when is None or when < cutoff:
                break  # records in a chain are in time order: older ones are staler
            body = record.body
            if body.get("host") != host or body.get("requirements_sha256") != wanted:
                continue
            if record.kind != kind or when > horizon:
                continue
            if best is None or (when, record.id) > best[:2]:
                best = (when, record.id, record)
            break
    return best[2] if best else None
