"""License seats others hold: taken off what a license check saw before a host counts as ready.

Pure. The holds (seats other work items' passing gates reserved, per host and feature) are read
from evidence by the caller; the seat numbers come from the probe's typed ``data``
(``free_seats``, else ``issued_seats`` for a license file that cannot say what is in use),
never from its text. Holds only take seats away: a check that did not pass stays as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.decision.readiness import HostReadiness

#: (host, feature), both casefolded -> seats held by other work items.
Holds = Mapping[tuple[str, str], int]
#: Readiness checks are named ``<probe kind>:<name>``.
LICENSE_PREFIX: Final = "license:"


def _available(check: Check) -> int | None:
    """Seats the check saw available: free when the server said, else issued (a file)."""
    for key in ("free_seats", "issued_seats"):
        value = check.data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _held(check: Check, host: str, holds: Holds, needs: Mapping[str, int]) -> Check:
    feature = str(check.spec.get("feature", "")).casefold()
    reserved = holds.get((host.casefold(), feature), 0)
    available = _available(check)
    if check.outcome is not Outcome.PASS or not reserved or feature not in needs:
        return check
    if available is None:
        return check  # uncounted, or nothing numeric seen: holds cannot be weighed
    left = available - reserved
    need = needs[feature]
    return replace(
        check,
        found=f"{check.found}; {reserved} reserved by other gates",
        outcome=Outcome.PASS if left >= need else Outcome.FAIL,
        reason=f"{max(left, 0)} seat(s) left after {reserved} reserved by other WRKs' gates, "
        f"{need} required",
        data={**check.data, "reserved_seats": reserved, "left_seats": max(left, 0)},
    )


def apply_holds(
    readiness: Mapping[str, HostReadiness], holds: Holds, requirements: StageRequirements
) -> dict[str, HostReadiness]:
    """``readiness`` with the seats others hold taken off each license check."""
    needs = {lic.feature.casefold(): lic.seats for lic in requirements.licenses}
    if not needs or not holds:
        return dict(readiness)
    out: dict[str, HostReadiness] = {}
    for host, seen in readiness.items():
        checks = tuple(
            _held(c, host, holds, needs) if c.name.startswith(LICENSE_PREFIX) else c
            for c in seen.checks
        )
        out[host] = replace(seen, checks=checks)
    return out
