"""Licence state, three values per feature on a host: pure, no I/O (docs/capacity.md#licences).

- **declared**: the inventory says the host holds it (screening checks this);
- **present**: installed: the probe found the tool or the license file (its check passed);
- **licensed**: a license server counted free seats, or a dated attestation ``{at, by, how}``
  younger than its TTL says someone saw it work.

A requirement asks for ``present`` unless it says ``state: licensed``. Some features work only
from one dispatch path on a host (``dispatch_path: {solver-a: scheduled-task}``, or the
requirement's own ``dispatch_path``): there a probe over SSH proves nothing, and only an
attestation made on that path (``wrk readiness --local --dispatch-path PATH``, or the team's
``licence_verified`` entry for that solver) makes it licensed. The caller reads the attestations
and paths; this module rewrites each ``license:`` check with the state found and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from wrk_ansible.contract.models import LicenseRequirement, StageRequirements
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.decision.readiness import HostReadiness
from wrk_ansible.decision.seats import LICENSE_PREFIX

#: How long an attestation says a feature is licensed, unless configured.
DEFAULT_TTL_DAYS: Final = 14.0
#: A dispatch path that is no constraint.
ANY_PATH: Final = "any"


class LicenceState(StrEnum):
    DECLARED = "declared"
    PRESENT = "present"
    LICENSED = "licensed"


@dataclass(frozen=True)
class Attested:
    """Someone saw ``feature`` work on the host at ``at``: ``by`` whom, ``how``, on which
    dispatch path (None: not said), and where that is written (a record id or a file entry)."""

    feature: str
    at: datetime
    by: str
    how: str
    dispatch_path: str | None
    source: str

    def age_days(self, now: datetime) -> float:
        return (now - self.at).total_seconds() / 86400


@dataclass(frozen=True)
class LicenceFacts:
    """What is known of one host's licences besides its probe: attestations, and the dispatch
    path each feature needs there (feature casefolded -> path)."""

    attested: tuple[Attested, ...] = ()
    paths: Mapping[str, str] = field(default_factory=dict)

    def path_of(self, feature: str) -> str | None:
        found = self.paths.get(feature.casefold())
        return None if found in (None, ANY_PATH) else found


def _required_path(req: LicenseRequirement, facts: LicenceFacts) -> str | None:
    if req.dispatch_path and req.dispatch_path != ANY_PATH:
        return req.dispatch_path
    return facts.path_of(req.feature)


def _attestation(
    req: LicenseRequirement, facts: LicenceFacts, path: str | None, now: datetime, ttl: float
) -> tuple[Attested | None, str]:
    """The newest attestation that counts, or None and why none does."""
    mine = [a for a in facts.attested if a.feature.casefold() == req.feature.casefold()]
    if not mine:
        return None, "no attestation"
    on_path = [a for a in mine if path is None or a.dispatch_path == path]
    if not on_path:
        seen = ", ".join(sorted({a.dispatch_path or "no path" for a in mine}))
        return None, f"attestations were made on {seen}, not on {path}"
    newest = max(on_path, key=lambda a: a.at)
    if newest.age_days(now) > ttl:
        return None, (
            f"the newest attestation ({newest.source}, {newest.at:%Y-%m-%d}) is "
            f"{newest.age_days(now):.0f} d old, over its {ttl:g} d TTL"
        )
    return newest, ""


def _state(check: Check, attested: Attested | None, path: str | None) -> LicenceState:
    if attested is not None:
        return LicenceState.LICENSED
    counted = isinstance(check.data.get("free_seats"), int)
    if check.outcome is Outcome.PASS and counted and path is None:
        return LicenceState.LICENSED
    if check.outcome is Outcome.PASS:
        return LicenceState.PRESENT
    return LicenceState.DECLARED


def _judged(
    check: Check,
    req: LicenseRequirement,
    facts: LicenceFacts,
    now: datetime,
    ttl: float,
) -> Check:
    path = _required_path(req, facts)
    attested, none_why = _attestation(req, facts, path, now, ttl)
    state = _state(check, attested, path)
    wanted = LicenceState.LICENSED if (req.state == "licensed" or path) else LicenceState.PRESENT
    data = {**check.data, "licence_state": state.value, "dispatch_path": path}
    if attested is not None:
        data["attestation"] = {
            "at": attested.at.date().isoformat(),
            "by": attested.by,
            "how": attested.how,
            "dispatch_path": attested.dispatch_path,
            "source": attested.source,
        }
    if wanted is LicenceState.PRESENT and attested is None:
        return replace(check, data=data)
    found = f"{check.found or 'not seen'}; {state.value}"
    if attested is not None:
        on = f" on {attested.dispatch_path}" if attested.dispatch_path else ""
        found += f" (attested {attested.at:%Y-%m-%d} by {attested.by}{on}, {attested.source})"
    if state is LicenceState.LICENSED:
        return replace(check, found=found, data=data)
    if path is not None:
        reason = (
            f"{req.feature} works here only from the {path} dispatch path: a probe over SSH "
            f"cannot show it is licensed there ({none_why}); attest it on that path: "
            f"wrk readiness --local --dispatch-path {path}"
        )
    else:
        reason = (
            f"{req.feature} is {state.value}, not licensed: no license server count of free "
            f"seats and {none_why}"
        )
    return replace(check, found=found, outcome=Outcome.FAIL, reason=reason, data=data)


def apply_licence_state(
    readiness: Mapping[str, HostReadiness],
    requirements: StageRequirements,
    facts: Mapping[str, LicenceFacts],
    now: datetime,
    ttl_days: float = DEFAULT_TTL_DAYS,
) -> dict[str, HostReadiness]:
    """``readiness`` with each ``license:`` check judged for the state its requirement needs
    (the state found is in its ``data``: ``licence_state``, ``dispatch_path``,
    ``attestation``)."""
    wanted: Sequence[LicenseRequirement] = requirements.licenses
    if not wanted:
        return dict(readiness)
    by_feature = {req.feature.casefold(): req for req in wanted}
    out: dict[str, HostReadiness] = {}
    for host, seen in readiness.items():
        known = facts.get(host, LicenceFacts())
        checks = []
        for check in seen.checks:
            feature = str(check.spec.get("feature", "")).casefold()
            req = by_feature.get(feature)
            if check.name.startswith(LICENSE_PREFIX) and req is not None:
                checks.append(_judged(check, req, known, now, ttl_days))
            else:
                checks.append(check)
        out[host] = replace(seen, checks=tuple(checks))
    return out
