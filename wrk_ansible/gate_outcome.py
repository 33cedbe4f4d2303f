"""What a gate answers: every row's decision, the evidence written, the overall verdict, and
the versioned ``--json`` shape (``docs/gate-output.md``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from wrk_ansible.contract.validate import ValidationResult
from wrk_ansible.decision.outcomes import VERDICT_EXIT, Check, Outcome, Verdict
from wrk_ansible.decision.verdict import Decision, overall

OUTPUT_SCHEMA_VERSION: Final = 1


@dataclass(frozen=True)
class GateOutcome:
    """Every row's decision, the evidence written, and the overall verdict."""

    wrk: str
    stage: str
    decisions: tuple[Decision, ...]
    evidence: tuple[str, ...] = ()
    errors: tuple[Check, ...] = field(default=())
    #: Evidence that could not be written (a full disk, a locked chain): the verdict stands,
    #: but the gate exits 1 (recorded evidence is a condition of the answer).
    evidence_errors: tuple[str, ...] = ()
    #: Why nothing was meant to be recorded (``--no-record``, an invalid contract); None when
    #: the gate records.
    skipped_record: str | None = None

    @property
    def recorded(self) -> bool:
        """True when everything the gate meant to write was written."""
        return self.skipped_record is None and not self.evidence_errors

    @property
    def unrecorded_why(self) -> str | None:
        if self.skipped_record is not None:
            return self.skipped_record
        if self.evidence_errors:
            return "evidence could not be written"
        return None

    @property
    def exit_code(self) -> int:
        """The verdict's exit code, or 1 whatever the verdict when evidence it meant to write
        could not be written (``--no-record`` keeps the verdict's)."""
        return 1 if self.evidence_errors else VERDICT_EXIT[self.verdict]

    @property
    def readiness(self) -> dict[str, dict[str, Any]]:
        """host -> its readiness, for every host a row considered (the last row's when two
        rows considered the same host)."""
        return {h: r.as_dict() for d in self.decisions for h, r in d.readiness.items()}

    @property
    def verdict(self) -> Verdict:
        return overall(self.decisions, invalid=bool(self.errors))

    def as_dict(self) -> dict[str, Any]:
        first = self.decisions[0] if len(self.decisions) == 1 else None
        checks = [c.as_dict() for c in self.errors] + [
            c.as_dict() for d in self.decisions for c in d.checks
        ]
        return {
            "schema_version": OUTPUT_SCHEMA_VERSION,
            "wrk": self.wrk,
            "stage": self.stage,
            "verdict": self.verdict.value,
            "host": first.hosts[0] if first and first.hosts else None,
            "hosts": list(first.hosts) if first else [],
            "agent": first.agent if first else None,
            "reason": first.reason if first else _summary(self),
            "checks": checks,
            "gaps": [g.as_dict() for d in self.decisions for g in d.gaps],
            "evidence": list(self.evidence),
            "recorded": self.recorded,
            "unrecorded_why": self.unrecorded_why,
            "evidence_errors": list(self.evidence_errors),
            "stages": [d.as_dict() for d in self.decisions],
            "readiness": self.readiness,
        }


def _summary(outcome: GateOutcome) -> str:
    if outcome.errors:
        return "the contract is invalid: " + "; ".join(c.reason for c in outcome.errors[:3])
    return "; ".join(f"{d.stage}: {d.verdict.value}" for d in outcome.decisions)


def invalid_contract(result: ValidationResult, stage: str) -> GateOutcome:
    """A gate on an invalid contract fails before anything else, writing nothing."""
    errors = tuple(
        Check(
            name=issue.field or "contract",
            required="a valid contract",
            found=f"line {issue.line}" if issue.line else None,
            outcome=Outcome.FAIL,
            reason=issue.message,
            host=None,
            kind="contract",
        )
        for issue in result.errors
    )
    return GateOutcome(
        result.wrk_id or Path(result.path).stem,
        stage,
        (),
        (),
        errors,
        skipped_record="the contract is invalid",
    )
