"""The plan's remote coordination policy, as checks.

Running a stage on a host other than the one ``wrk`` runs on is allowed only when
(1) the assignment names that host explicitly, (2) the stage needs a capability the local host
lacks, and (3) the contract records handoff evidence (``handoff_evidence_ref``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.decision.readiness import HostReadiness
from wrk_ansible.names import RowScope

RULE_EXPLICIT = "remote-explicit"
RULE_CAPABILITY = "remote-capability"
RULE_HANDOFF = "remote-handoff-evidence"


@dataclass(frozen=True, kw_only=True)
class Here:
    """Where wrk runs, and what the policy needs to know of it."""

    name: str
    #: The local host's readiness for the row (None: not observed, or not in the inventory).
    local: HostReadiness | None = None
    #: The contract's ``handoff_evidence_ref``.
    handoff_ref: str | None = None


def _local_lacks(row: ResolvedStage, local: HostReadiness | None) -> tuple[bool, str]:
    """Does the local host lack something the stage needs? (and what was found)"""
    if row.assignment.parallel:
        return True, "a parallel stage needs its machines at once; one host cannot be all of them"
    if row.requirements.empty:
        return False, "the stage declares no requirements"
    if local is None:
        return True, "the local host is not in the inventory's view of this stage"
    if local.ready:
        return False, "the local host meets every requirement"
    return True, f"the local host lacks: {local.reason}"


def remote_checks(
    row: ResolvedStage, scope: RowScope, chosen: Sequence[str], where: Here
) -> list[Check]:
    """One check per rule for each chosen host that is not ``here``; none when all are local.

    Rule 1 counts a host as explicit when the row names it (its name or an alias), not when
    it was picked from a group."""
    here, handoff_ref = where.name, where.handoff_ref
    remote = [h for h in chosen if h.casefold() != here.casefold()]
    checks: list[Check] = []
    if not remote:
        return checks
    lacks, found = _local_lacks(row, where.local)
    named = {h.casefold() for h in scope.named}
    for host in remote:
        explicit = host.casefold() in named
        checks.append(
            Check(
                name=RULE_EXPLICIT,
                required=f"{host} named in the {row.stage} assignment",
                found="named" if explicit else "chosen from a group",
                outcome=Outcome.PASS if explicit else Outcome.FAIL,
                reason=f"rule 1 (explicit assignment): {host} "
                + ("is named" if explicit else "is not named explicitly; name it to run there"),
                host=host,
                kind="policy",
            )
        )
        checks.append(
            Check(
                name=RULE_CAPABILITY,
                required=f"a capability {here} lacks",
                found=found,
                outcome=Outcome.PASS if lacks else Outcome.FAIL,
                reason=f"rule 2 (capability not present locally): {found}"
                + ("" if lacks else f"; run {row.stage} on {here} instead"),
                host=host,
                kind="policy",
            )
        )
        checks.append(
            Check(
                name=RULE_HANDOFF,
                required="handoff_evidence_ref in the contract",
                found=handoff_ref or "missing",
                outcome=Outcome.PASS if handoff_ref else Outcome.FAIL,
                reason="rule 3 (handoff evidence recorded): "
                + (
                    f"at {handoff_ref}"
                    if handoff_ref
                    else "the contract has no handoff_evidence_ref"
                ),
                host=host,
                kind="policy",
            )
        )
    return checks
