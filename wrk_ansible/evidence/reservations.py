"""License seats: checked now, used later. A passing gate reserves the seats it needs.

A reservation lives in the gate's evidence record until the WRK's ``close`` gate passes or its
TTL ends. This module writes and reads them; a gate for another WRK hands the seats others hold
to the decision (:mod:`wrk_ansible.decision.seats`), which takes them off the seats it saw.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wrk_ansible import clock
from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import Verdict
from wrk_ansible.decision.verdict import Decision
from wrk_ansible.evidence.ledger import Ledger

#: (host, feature), both casefolded -> seats.
Seats = dict[tuple[str, str], int]


def claims(row: ResolvedStage, decision: Decision, ttl_hours: float) -> list[dict[str, Any]]:
    """The seats a passing gate reserves: each license the stage needs, on each chosen host."""
    if decision.verdict not in (Verdict.PASS, Verdict.FALLBACK) or not row.requirements.licenses:
        return []
    expires = clock.later(ttl_hours)
    return [
        {"host": host, "feature": lic.feature, "seats": lic.seats, "expires": expires}
        for host in decision.hosts
        for lic in row.requirements.licenses
    ]


def holdings(
    ledger: Ledger, *, now: datetime | None = None
) -> dict[str, dict[tuple[str, str], int]]:
    """Seats each WRK's latest gates hold, per WRK, per (host, feature) casefolded: the
    latest gate record of each (WRK, stage) counts until its reservation expires or the
    WRK's ``close`` gate passes."""
    moment = clock.stamp(now) if now else clock.utc_now()
    latest: dict[tuple[str, str], Any] = {}
    closed: set[str] = set()
    for wrk, _ in ledger.chains():
        if wrk.startswith("_"):
            continue
        for record in ledger.records(wrk):
            if record.kind != "gate":
                continue
            stage = str(record.body.get("stage"))
            if stage == "close" and record.body.get("verdict") in ("pass", "fallback"):
                closed.add(wrk)
            key = (wrk, stage)
            if key not in latest or (record.time, record.id) > (latest[key].time, latest[key].id):
                latest[key] = record
    totals: dict[str, Seats] = {}
    for (wrk, _), record in latest.items():
        if wrk in closed:
            continue
        for claim in record.body.get("reservations") or []:
            if not isinstance(claim, dict) or str(claim.get("expires", "")) <= moment:
                continue
            key = (str(claim.get("host", "")).casefold(), str(claim.get("feature", "")).casefold())
            seats = claim.get("seats")
            mine = totals.setdefault(wrk, {})
            mine[key] = mine.get(key, 0) + (seats if isinstance(seats, int) else 0)
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
    return others(holdings(ledger, now=now), exclude_wrk)
