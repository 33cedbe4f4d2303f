"""License seats: checked now, used later. A passing gate reserves the seats it needs.

A reservation lives in the gate's evidence record until the WRK's ``close`` gate passes or its
TTL ends. This module writes and reads them; a gate for another WRK hands the seats others hold
to the decision (:mod:`wrk_ansible.decision.seats`), which takes them off the seats it saw.
"""

from __future__ import annotations

from datetime import datetime

from wrk_ansible import clock
from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import Verdict
from wrk_ansible.decision.verdict import Decision
from wrk_ansible.evidence.ledger import Ledger, folder_of
from wrk_ansible.evidence.query import newest_per, select
from wrk_ansible.evidence.records import GateBody, Reservation

#: (host, feature), both casefolded -> seats.
Seats = dict[tuple[str, str], int]
#: Verdicts whose gate holds its seats (and whose ``close`` gate releases them).
PASSING = (Verdict.PASS, Verdict.FALLBACK)


def claims(row: ResolvedStage, decision: Decision, ttl_hours: float) -> list[Reservation]:
    """The seats a passing gate reserves: each license the stage needs, on each chosen host."""
    if decision.verdict not in (Verdict.PASS, Verdict.FALLBACK) or not row.requirements.licenses:
        return []
    expires = clock.later(ttl_hours)
    return [
        Reservation(host=host, feature=lic.feature, seats=lic.seats, expires=expires)
        for host in decision.hosts
        for lic in row.requirements.licenses
    ]


def holdings(
    ledger: Ledger, *, now: datetime | None = None
) -> dict[str, dict[tuple[str, str], int]]:
    """Seats each WRK's latest gates hold, per WRK, per (host, feature) casefolded: the
    latest gate record of each (WRK, stage) counts until its reservation expires or the
    WRK's ``close`` gate passes. A gate record whose body does not validate holds nothing."""
    moment = clock.stamp(now) if now else clock.utc_now()
    totals: dict[str, Seats] = {}
    for wrk in dict.fromkeys(w for w, _ in ledger.chains() if not w.startswith("_")):
        gates = select(ledger.records(wrk), GateBody)
        if any(g.body.stage == "close" and g.body.verdict in PASSING for g in gates):
            continue
        for gate in newest_per(gates, lambda g: g.body.stage).values():
            for claim in gate.body.reservations:
                if claim.expires <= moment:
                    continue
                key = (claim.host.casefold(), claim.feature.casefold())
                mine = totals.setdefault(wrk, {})
                mine[key] = mine.get(key, 0) + claim.seats
    return totals


def others(held: dict[str, Seats], wrk: str) -> Seats:
    """The seats every WRK but ``wrk`` holds, summed per (host, feature)."""
    totals: dict[tuple[str, str], int] = {}
    for holder, seats in held.items():
        if holder == wrk:
            continue
        for key, count in seats.items():
            totals[key] = totals.get(key, 0) + count
    return totals


def held(
    ledger: Ledger, *, exclude_wrk: str, now: datetime | None = None
) -> dict[tuple[str, str], int]:
    """Seats reserved by other WRKs' latest gates, per (host, feature), casefolded."""
    return others(holdings(ledger, now=now), folder_of(exclude_wrk))
