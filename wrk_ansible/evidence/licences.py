"""What is known of hosts' licences besides a probe: attestations and dispatch paths.

Read for the decision core's licence state (:mod:`wrk_ansible.decision.licence`):

- a local attestation (``wrk readiness --local --dispatch-path PATH``, kind ``attestation``)
  the host wrote itself, signed by the key its inventory entry names: every ``license:`` check
  that passed in it is an attestation of that feature on that path, at the record's time;
- the routing rules file's ``licence_verified`` entries for the roster machine that is the host
  (``{at, by, how}`` per solver), made on the path the machine's ``dispatch_path`` names for
  that solver;
- the dispatch path each feature needs on the host: the roster's ``dispatch_path``.

Attestations older than the longest TTL anyone uses are still read: the core ages them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, time
from typing import Any

from wrk_ansible import clock
from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.decision.licence import Attested, LicenceFacts
from wrk_ansible.evidence.ledger import Ledger, Record, host_of
from wrk_ansible.evidence.readiness import CHAIN, KIND_LOCAL
from wrk_ansible.evidence.records import AttestationBody, TypedRecord, typed
from wrk_ansible.registry.workstation import Workstation

#: Why a host's own record does not prove itself (None: it does), as the readiness source says.
Problem = Callable[[Workstation, Record], str | None]


def _from_records(ledger: Ledger, ws: Workstation, problem: Problem) -> list[Attested]:
    out: list[Attested] = []
    me = ws.name.casefold()
    for _, chain in ledger.chains(CHAIN):
        if host_of(chain).casefold() != me:
            continue
        for record in ledger.records(CHAIN, chain, kinds=(KIND_LOCAL,)):
            found = typed(record, AttestationBody)
            if not isinstance(found, TypedRecord) or not found.body.dispatch_path:
                continue
            if record.host.casefold() != me or found.body.host != ws.name:
                continue
            if problem(ws, record) is not None:
                continue  # unsigned, or not by the key in force: it vouches for nothing
            at = clock.parse(record.time)
            if at is None:
                continue
            for check in found.body.observation.get("checks") or ():
                if not isinstance(check, dict) or check.get("kind") != "license":
                    continue
                if check.get("ok") is not True:
                    continue
                out.append(
                    Attested(
                        feature=str(check.get("name")),
                        at=at,
                        by=ws.name,
                        how=f"wrk readiness --local: {check.get('found') or 'passed'}",
                        dispatch_path=found.body.dispatch_path,
                        source=f"attestation {record.id}",
                    )
                )
    return out


def _from_roster(ws: Workstation) -> tuple[list[Attested], dict[str, str]]:
    roster = ws.roster
    if roster is None:
        return [], {}
    paths = {solver.casefold(): path for solver, path in roster.dispatch_path}
    out = [
        Attested(
            feature=a.solver,
            at=datetime.combine(a.at, time(), tzinfo=UTC),
            by=a.by,
            how=a.how,
            dispatch_path=paths.get(a.solver.casefold()),
            source=f"{roster.source} {roster.entry}.licence_verified.{a.solver}",
        )
        for a in roster.licence_verified
    ]
    return out, paths


def licence_facts(
    ledger: Ledger, hosts: Iterable[Workstation], problem: Problem
) -> dict[str, LicenceFacts]:
    """host -> its attestations and dispatch paths."""
    out: dict[str, LicenceFacts] = {}
    for ws in hosts:
        roster, paths = _from_roster(ws)
        attested = tuple(roster + _from_records(ledger, ws, problem))
        if attested or paths:
            out[ws.name] = LicenceFacts(attested, paths)
    return out


def row_licences(
    ledger: Ledger,
    requirements: StageRequirements,
    hosts: Sequence[Workstation],
    problem: Problem,
    ttl_days: float,
) -> dict[str, Any]:
    """The licence fields of a row's decision inputs (``licences``, ``now``,
    ``licence_ttl_days`` of :class:`~wrk_ansible.decision.verdict.RowInputs`): none for a row
    needing no license. The one reader a gate and a forecast share."""
    if not requirements.licenses:
        return {}
    return {
        "licences": licence_facts(ledger, hosts, problem),
        "now": datetime.now(UTC),
        "licence_ttl_days": ttl_days,
    }
