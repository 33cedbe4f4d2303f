"""The typed outcomes every check and decision shares, and the order that ranks them.

Pure data: no I/O, no Ansible. An unknown or skipped check is an outcome of its own with a
reason, never a silent pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final


class Outcome(StrEnum):
    """The outcome of one check."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"  # could not be observed (no usage data, timed out, ...)
    SKIPPED = "skipped"  # not run, with a reason (host screened out, unreachable)
    WARN = "warn"  # passes, but says something worth fixing; never blocks


#: Outcomes that keep a host (or a row) from being ready: an unknown or skipped check never
#: passes silently.
BLOCKING: Final = frozenset({Outcome.FAIL, Outcome.UNKNOWN, Outcome.SKIPPED})


class Verdict(StrEnum):
    """The answer for a stage: may it run, and where."""

    PASS = "pass"
    FALLBACK = "fallback"
    PAUSE = "pause"
    FAIL = "fail"


#: Worst first: the overall verdict is the first of these any part has.
VERDICT_PRIORITY: Final = (Verdict.FAIL, Verdict.PAUSE, Verdict.FALLBACK, Verdict.PASS)

#: Exit code per verdict (``wrk gate``): 0 pass, 3 fallback, 2 pause, 1 fail.
VERDICT_EXIT: Final = {Verdict.PASS: 0, Verdict.FALLBACK: 3, Verdict.PAUSE: 2, Verdict.FAIL: 1}


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The worst verdict by :data:`VERDICT_PRIORITY`; ``pass`` when there are none."""
    found = set(verdicts)
    return next((v for v in VERDICT_PRIORITY if v in found), Verdict.PASS)


@dataclass(frozen=True, kw_only=True)
class Check:
    """One check on one host (or on the stage itself, host ``None``).

    ``required``/``found``/``reason`` are for people; ``spec`` (what was asked) and ``data``
    (typed numbers observed: ``free_seats``, ``version``, ``free_bytes``, ...) are for code,
    which never parses the text.
    """

    name: str
    outcome: Outcome
    reason: str
    required: str | None = None
    found: str | None = None
    host: str | None = None
    kind: str = "readiness"
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def blocking(self) -> bool:
        """True when this check keeps its host from being ready."""
        return self.outcome in BLOCKING

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "name": self.name,
            "kind": self.kind,
            "required": self.required,
            "found": self.found,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "spec": dict(self.spec),
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class Gap:
    """Something that stops work, with what could unblock it. P1 stops a stage now."""

    priority: str
    summary: str
    proposals: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "priority": self.priority,
            "summary": self.summary,
            "proposals": list(self.proposals),
        }


@dataclass(frozen=True)
class GateResult:
    """A named gate's checks, its verdict and its gaps: one typed input of the composition."""

    checks: tuple[Check, ...]
    verdict: Verdict
    gaps: tuple[Gap, ...] = ()
    #: Evidence record ids the gate wrote (the claim's routing record).
    evidence: tuple[str, ...] = field(default=(), compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "checks": [c.as_dict() for c in self.checks],
            "gaps": [g.as_dict() for g in self.gaps],
            "evidence": list(self.evidence),
        }
