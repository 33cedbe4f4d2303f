"""The ``execute-succeeded`` gate: the item's newest ``execute`` outcome succeeded.

Reads the outcome records (``wrk outcome``) of the item's chains, a WRK's or an issue's alike.
PAUSE when there is none yet (the work has not reported how it ended), FAIL when the newest did
not succeed (a non-zero exit, a failed post-check, an attempt beyond ``max_attempts``), naming
the record, its exit code and the failed post-checks.
"""

from __future__ import annotations

from typing import Final

from wrk_ansible.decision.outcomes import Outcome
from wrk_ansible.evidence.records import Skipped
from wrk_ansible.gates.base import GateContext, GateResult, check, gap, result
from wrk_ansible.outcome.record import latest_outcome

NAME: Final = "execute-succeeded"
STAGE: Final = "execute"


def execute_succeeded(ctx: GateContext) -> GateResult:
    """PASS when the newest execute outcome succeeded; PAUSE without one; FAIL otherwise."""
    skipped: list[Skipped] = []
    found = latest_outcome(ctx.ledger, ctx.wrk_id, STAGE, skipped=skipped)
    required = "the newest execute outcome succeeded"
    command = f"wrk outcome {ctx.wrk_path} --stage {STAGE} --exit-code N"
    if found is None:
        unread = (
            f" ({len(skipped)} outcome record(s) do not validate: {skipped[0]})" if skipped else ""
        )
        missing = check(
            NAME, required, "none", Outcome.FAIL, f"no execute outcome recorded yet{unread}"
        )
        return result(
            [missing], [gap(f"{ctx.wrk_id}: execute has not reported how it ended", command)]
        )
    body = found.body
    exit_text = "no exit code" if body.exit_code is None else f"exit {body.exit_code}"
    if body.succeeded:
        ok = check(
            NAME,
            required,
            f"succeeded: {exit_text}, attempt {body.attempt} ({found.id})",
            Outcome.PASS,
            "execute succeeded",
        )
        return result([ok])
    failed = [c.name for c in body.failed_checks]
    failed_text = f"; failed post-checks: {', '.join(failed)}" if failed else ""
    why = f"{found.id}: execute did not succeed ({exit_text}{failed_text})"
    bad = check(NAME, required, f"{exit_text}{failed_text} ({found.id})", Outcome.FAIL, why)
    fix = gap(
        f"{ctx.wrk_id}: the newest execute outcome {found.id} did not succeed",
        f"fix the work and run execute again, then {command}",
    )
    return result([bad], [fix], fail=True)
