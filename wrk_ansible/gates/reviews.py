"""Review records (``wrk review record``) and the gate that needs them: ``review-runs-complete``.

A review record (kind ``review``) sits in the WRK's evidence chain of the host that wrote it:
the stage reviewed, the reviewing agent, its verdict (``approve`` or ``changes``) and a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, get_args

from wrk_ansible.decision.outcomes import Outcome
from wrk_ansible.evidence.ledger import Ledger, Signer
from wrk_ansible.evidence.query import newest_per, records_of
from wrk_ansible.evidence.records import ReviewBody, ReviewVerdict, TypedRecord, append
from wrk_ansible.gates.base import GateContext, GateResult, check, gap, result

KIND: Final = ReviewBody.KIND
VERDICTS: Final[tuple[str, ...]] = get_args(ReviewVerdict)
Review = TypedRecord[ReviewBody]


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
) -> Review:
    """Append one review record to the WRK's chain of ``writer``."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}")
    body = ReviewBody(stage=stage, agent=agent, verdict=verdict, note=note, ran_on=writer)
    return append(ledger, wrk, writer, body, signer=signer)


def reviews(ledger: Ledger, wrk: str, stage: str) -> list[Review]:
    """Review records of ``stage``, oldest first (by record time, then id)."""
    return records_of(ledger, wrk, ReviewBody, stage=stage)


def latest_by_agent(records: Iterable[Review]) -> dict[str, Review]:
    """Each agent's newest review among ``records`` (by record time, then id)."""
    return newest_per(records, lambda r: r.body.agent)


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
                    f"{record.body.verdict} ({record.id})",
                    Outcome.PASS,
                    "review recorded",
                )
            )
    fix = gap(
        f"{ctx.wrk_id}: {ctx.row.stage} reviews missing from {', '.join(missing)}",
        *(command(ctx, agent) for agent in missing),
    )
    return result(checks, [fix])
