"""Review records (``wrk review record``) and the gate that needs them: ``review-runs-complete``.

A review record (kind ``review``) sits in the WRK's evidence chain of the host that wrote it:
the stage reviewed, the reviewing agent, its verdict (``approve`` or ``changes``) and a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from wrk_ansible.decision.outcomes import Outcome
from wrk_ansible.evidence.ledger import Ledger, Record, Signer
from wrk_ansible.gates.base import GateContext, GateResult, check, gap, result

KIND: Final = "review"
VERDICTS: Final = ("approve", "changes")


def record_review(
    ledger: Ledger,
    wrk: str,
    writer: str,
    *,
    stage: str,
    agent: str,
    verdict: str,
    note: str | None = None,
    signer: Signer | None = None,
) -> Record:
    """Append one review record to the WRK's chain of ``writer``."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}")
    body: dict[str, Any] = {
        "stage": stage,
        "agent": agent,
        "verdict": verdict,
        "note": note,
        "ran_on": writer,
    }
    return ledger.append(wrk, writer, KIND, body, signer=signer)


def reviews(ledger: Ledger, wrk: str, stage: str) -> list[Record]:
    """Review records of ``stage``, oldest first (by record time, then id)."""
    found = [
        r
        for r in ledger.records(wrk)
        if r.kind == KIND and r.body.get("stage") == stage and isinstance(r.body.get("agent"), str)
    ]
    return sorted(found, key=lambda r: (r.time, r.id))


def latest_by_agent(records: Sequence[Record]) -> dict[str, Record]:
    """Each agent's newest review among ``records`` (which are oldest first)."""
    return {str(r.body["agent"]): r for r in records}


def command(ctx: GateContext, agent: str, stage: str | None = None) -> str:
    return (
        f"wrk review record {ctx.wrk_path} --stage {stage or ctx.row.stage} --agent {agent} "
        "--verdict approve|changes"
    )


def review_runs_complete(ctx: GateContext) -> GateResult:
    """A review record of this row exists for each reviewer it names (for ``agents: any``, at
    least one)."""
    latest = latest_by_agent(reviews(ctx.ledger, ctx.wrk_id, ctx.row.stage))
    reviewers = ctx.row.agents
    if not reviewers:
        found = ", ".join(sorted(latest)) or "none"
        ok = bool(latest)
        checks = [
            check(
                "review-run",
                f"at least one {ctx.row.stage} review",
                found,
                Outcome.PASS if ok else Outcome.FAIL,
                "reviewed" if ok else "no review recorded yet",
            )
        ]
        fix = gap(f"{ctx.wrk_id}: no {ctx.row.stage} review yet", command(ctx, "AGENT"))
        return result(checks, [fix])
    checks = []
    missing = []
    for agent in reviewers:
        record = latest.get(agent)
        if record is None:
            missing.append(agent)
            checks.append(
                check(
                    f"review-run:{agent}",
                    f"a {ctx.row.stage} review by {agent}",
                    "none",
                    Outcome.FAIL,
                    f"{agent} has not recorded a review",
                )
            )
        else:
            checks.append(
                check(
                    f"review-run:{agent}",
                    f"a {ctx.row.stage} review by {agent}",
                    f"{record.body.get('verdict')} ({record.id})",
                    Outcome.PASS,
                    "review recorded",
                )
            )
    fix = gap(
        f"{ctx.wrk_id}: {ctx.row.stage} reviews missing from {', '.join(missing)}",
        *(command(ctx, agent) for agent in missing),
    )
    return result(checks, [fix])
