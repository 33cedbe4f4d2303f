"""What is known of one host's readiness for one row, and where that knowledge came from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from wrk_ansible.decision.outcomes import Check

#: Hours an observation stays fresh: newer evidence stands in for a probe (``--fresh-hours``,
#: ``readiness.fresh_hours`` in wrk.yml). Here, light to import, for the settings to read.
DEFAULT_FRESH_HOURS: Final = 25.0


class Basis(StrEnum):
    """How much a readiness answer rests on: seen on the host, assumed, or nothing."""

    OBSERVED = "observed"  # a probe, fresh evidence, a verified attestation, artifacts
    ASSUMED = "assumed"  # declarations only (report and what-if never probe)
    NONE = "none"  # nothing usable (no remote access and no valid attestation)


@dataclass(frozen=True, kw_only=True)
class HostReadiness:
    """One host's readiness for one row: its checks, and where they came from."""

    host: str
    reachable: bool
    checks: tuple[Check, ...]
    #: "probe", "evidence <id>", "attestation <id>", "artifacts <dir>", "declarations", "none".
    source: str
    basis: Basis = Basis.OBSERVED
    observed_at: str | None = None
    #: A setup problem that kept the host from being observed ("host-key"), apart from a host
    #: that is down; None otherwise.
    problem: str | None = None

    @property
    def ready(self) -> bool:
        return self.reachable and not any(check.blocking for check in self.checks)

    @property
    def reason(self) -> str:
        if not self.reachable:
            return next((c.reason for c in self.checks), "unreachable")
        failing = [f"{c.name}: {c.reason}" for c in self.checks if c.blocking]
        return "; ".join(failing) or "ready"

    def as_dict(self) -> dict[str, Any]:
        """The per-host readiness every command reports the same way."""
        return {
            "ready": self.ready,
            "reachable": self.reachable,
            "source": self.source,
            "basis": self.basis.value,
            "observed_at": self.observed_at,
            "reason": self.reason,
            "problem": self.problem,
        }
