"""License seats: checked now, used later. A passing gate reserves the seats it needs.

A reservation lives in the gate's evidence record until the WRK's ``close`` gate passes or its
TTL ends; a gate for another WRK subtracts the seats others hold from the free seats it saw.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import Outcome, Verdict
from wrk_ansible.decision.verdict import Decision, HostReadiness
from wrk_ansible.evidence.ledger import Ledger

_FREE: Final = re.compile(r"^(\d+) free of (\d+)")
_TIME: Final = "%Y-%m-%dT%H:%M:%S.%fZ"


def claims(row: ResolvedStage, decision: Decision, ttl_hours: float) -> list[dict[str, Any]]:
    """The seats a passing gate reserves: each license the stage needs, on each chosen host."""
    if decision.verdict not in (Verdict.PASS, Verdict.FALLBACK) or not row.requirements.licenses:
        return []
    expires = (datetime.now(UTC) + timedelta(hours=ttl_hours)).strftime(_TIME)
    return [
        {"host": host, "feature": lic.feature, "seats": lic.seats, "expires": expires}
        for host in decision.hosts
        for lic in row.requirements.licenses
    ]


def held(
    ledger: Ledger, *, exclude_wrk: str, now: datetime | None = None
) -> dict[tuple[str, str], int]:
    """Seats reserved by other WRKs' latest gates, per (host, feature), casefolded."""
    moment = (now or datetime.now(UTC)).strftime(_TIME)
    latest: dict[tuple[str, str], Any] = {}
    closed: set[str] = set()
    for wrk, _ in ledger.chains():
        if wrk.startswith("_") or wrk == exclude_wrk:
            continue
        for record in ledger.records(wrk):
            if record.kind != "gate":
                continue
            stage = str(record.body.get("stage"))
            if stage == "close" and record.body.get("verdict") in ("pass", "fallback"):
                closed.add(wrk)
            key = (wrk, stage)
            if key not in latest or record.time > latest[key].time:
                latest[key] = record
    totals: dict[tuple[str, str], int] = {}
    for (wrk, _), record in latest.items():
        if wrk in closed:
            continue
        for claim in record.body.get("reservations") or []:
            if not isinstance(claim, dict) or str(claim.get("expires", "")) <= moment:
                continue
            key = (str(claim.get("host", "")).casefold(), str(claim.get("feature", "")).casefold())
            seats = claim.get("seats")
            totals[key] = totals.get(key, 0) + (seats if isinstance(seats, int) else 0)
    return totals


def apply(
    ledger: Ledger,
    row: ResolvedStage,
    readiness: Mapping[str, HostReadiness],
    *,
    exclude_wrk: str,
) -> dict[str, HostReadiness]:
    """Readiness with seats other WRKs hold taken off the free seats each license check saw."""
    if not row.requirements.licenses:
        return dict(readiness)
    taken = held(ledger, exclude_wrk=exclude_wrk)
    needs = {lic.feature.casefold(): lic.seats for lic in row.requirements.licenses}
    out: dict[str, HostReadiness] = {}
    for host, seen in readiness.items():
        checks = []
        for original in seen.checks:
            check = original
            feature = check.name.partition(":")[2].casefold()
            match = _FREE.match(check.found or "")
            reserved = taken.get((host.casefold(), feature), 0)
            if check.name.startswith("license:") and match and reserved and feature in needs:
                free = int(match.group(1)) - reserved
                ok = free >= needs[feature]
                check = replace(
                    check,
                    found=f"{check.found}; {reserved} reserved by other gates",
                    outcome=Outcome.PASS if ok else Outcome.FAIL,
                    reason=f"{max(free, 0)} seat(s) left after {reserved} reserved by other "
                    f"WRKs' gates, {needs[feature]} required",
                )
            checks.append(check)
        out[host] = replace(seen, checks=tuple(checks))
    return out
