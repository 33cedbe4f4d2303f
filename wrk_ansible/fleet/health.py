"""Health-based drain and resume: pure, no I/O (``wrk health`` applies what it decides).

Each observation of a host (an imported snapshot, a probe's record) is graded against the
host's baseline at its own time; ``ok`` is a pass, ``below-baseline`` and ``unreachable`` are
failures, and an observation that says nothing of what the baseline asks (``stale``) is
neither. After ``fail_after`` consecutive failures (newest first) an active host is drained
with a reason beginning ``health:`` and the failing checks; after ``pass_after`` consecutive
passes a host that health drained is resumed. A host drained by a person (a reason not
beginning ``health:``) is never resumed here, and a retired host is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from wrk_ansible.fleet.grade import Grade, HostGrade

#: What every reason health writes begins with: how a health drain is told from a person's.
PREFIX: Final = "health:"


@dataclass(frozen=True)
class Policy:
    fail_after: int = 3
    pass_after: int = 2


@dataclass(frozen=True)
class Decision:
    """What health does to one host: ``drain``, ``resume`` or nothing, and why."""

    host: str
    action: Literal["drain", "resume"] | None
    reason: str
    why: str
    #: The observations the decision rests on (newest first).
    observations: tuple[str, ...] = ()
    failing: int = 0
    passing: int = 0


def _run(history: Sequence[HostGrade], passed: bool) -> list[HostGrade]:
    """The newest observations in a row that passed (or failed), stale ones skipped."""
    out = []
    for graded in reversed(history):
        if graded.grade is Grade.STALE:
            continue
        if (graded.grade is Grade.OK) != passed:
            break
        out.append(graded)
    return out


def decide(
    host: str,
    state: str,
    state_reason: str | None,
    history: Sequence[HostGrade],
    policy: Policy,
) -> Decision:
    """``history``: the host's graded observations, oldest first."""
    failing, passing = _run(history, passed=False), _run(history, passed=True)

    def said(
        action: Literal["drain", "resume"] | None, reason: str, why: str, ids: tuple[str, ...] = ()
    ) -> Decision:
        return Decision(host, action, reason, why, ids, len(failing), len(passing))

    if state == "retired":
        return said(None, "", "retired: left alone")
    by_health = (state_reason or "").startswith(PREFIX)
    if state == "active" and len(failing) >= policy.fail_after:
        newest = failing[0]
        reason = f"{PREFIX} {newest.summary} ({len(failing)} failing observations in a row)"
        ids = tuple(g.source or "" for g in failing[: policy.fail_after])
        return said("drain", reason, f"failed {len(failing)} times in a row", ids)
    if state == "drained" and by_health and len(passing) >= policy.pass_after:
        ids = tuple(g.source or "" for g in passing[: policy.pass_after])
        return said("resume", "", f"passed {len(passing)} times in a row", ids)
    if state == "drained" and not by_health:
        return said(None, "", "drained by a person: only a person resumes it")
    return said(None, "", f"{len(failing)} failing, {len(passing)} passing in a row")
