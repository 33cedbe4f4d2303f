"""Readiness evidence: every observation is recorded, and a fresh one can stand in for a probe.

Observations live in the ``_readiness`` chains (one per writing host). A gate looking for a
host's readiness takes the newest record for that host and the same requirements, if it is
younger than the freshness window (the real registry uses 25 hours).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from wrk_ansible.evidence.ledger import Ledger, Record, Signer, read_record
from wrk_ansible.readiness.results import HostObservation, ProbeOutputError, parse_probe_result

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
    obs: HostObservation,
    requirements: Mapping[str, Any],
    *,
    local: bool = False,
    signer: Signer | None = None,
) -> Record:
    """Append one host's observation to the writer's readiness chain."""
    body = {
        "host": obs.host,
        "requirements_sha256": requirements_hash(requirements),
        "requirements": dict(requirements),
        "observation": obs.as_dict(),
    }
    return ledger.append(CHAIN, writer, KIND_LOCAL if local else KIND_PROBE, body, signer=signer)


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def fresh_observation(
    ledger: Ledger,
    host: str,
    requirements: Mapping[str, Any],
    *,
    max_age_hours: float = DEFAULT_FRESH_HOURS,
    own_only: bool = False,
    now: datetime | None = None,
) -> tuple[HostObservation, Record] | None:
    """The newest recorded observation of ``host`` for these requirements, if still fresh.

    ``own_only``: only attestations the host made itself (hosts without remote access; the
    gate also checks their signature). Otherwise only probe runs count: a local attestation
    names its host with ``--here``, which any machine can claim. A record dated in the future
    (beyond a few minutes of clock skew) never counts.
    """
    wanted = requirements_hash(requirements)
    moment = now or datetime.now(UTC)
    cutoff = moment - timedelta(hours=max_age_hours)
    horizon = moment + MAX_CLOCK_SKEW
    best: tuple[datetime, Record] | None = None
    for _, writer in ledger.chains(CHAIN):
        if own_only and writer.casefold() != host.casefold():
            continue
        for path in reversed(ledger.files(CHAIN, writer)):
            record = read_record(path)
            when = _parse_time(record.time)
            if when is None or when < cutoff:
                break  # records in a chain are in time order: older ones are staler
            body = record.body
            if body.get("host") != host or body.get("requirements_sha256") != wanted:
                continue
            if record.kind != (KIND_LOCAL if own_only else KIND_PROBE) or when > horizon:
                continue
            if best is None or when > best[0]:
                best = (when, record)
            break
    if best is None:
        return None
    record = best[1]
    observation = record.body.get("observation")
    if not isinstance(observation, Mapping):
        return None
    try:
        parsed = parse_probe_result(
            host, observation, source=f"evidence {record.id}", observed_at=record.time
        )
    except ProbeOutputError:
        return None
    if not observation.get("reachable", True):
        return None  # an unreachable host is probed again, never reused as "down"
    return parsed, record
