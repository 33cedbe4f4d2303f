"""The plan's remote coordination policy, as checks.

Running a stage on a host other than the one ``wrk`` runs on is allowed only when
(1) the assignment names that host explicitly, (2) the stage needs a capability the local host
lacks, and (3) the contract records handoff evidence (``handoff_evidence_ref``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import Check, Outcome

if TYPE_CHECKING:
    from wrk_ansible.decision.verdict import HostReadiness

RULE_EXPLICIT = "remote-explicit"
RULE_CAPABILITY = "remote-capability"
RULE_HANDOFF = "remote-handoff-evidence"


def _explicit(row: ResolvedStage, host: str) -> bool:
    folded = host.casefold()
    return any(name.casefold() == folded for name in row.machines)


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
    row: ResolvedStage,
    chosen: Sequence[str],
    here: str,
    local: HostReadiness | None,
    handoff_ref: str | None,
) -> list[Check]:
    """One check per rule for each chosen host that is not ``here``; none when all are local."""
    remote = [h for h in chosen if h.casefold() != here.casefold()]
    checks: list[Check] = []
    if not remote:
        return checks
    lacks, found = _local_lacks(row, local)
    for host in remote:
        explicit = _explicit(row, host)
        checks.append(
            Check(
                RULE_EXPLICIT,
                f"{host} named in the {row.stage} assignment",
                "named" if explicit else "chosen from a group",
                Outcome.PASS if explicit else Outcome.FAIL,
                f"rule 1 (explicit assignment): {host} "
                + ("is named" if explicit else "is not named explicitly; name it to run there"),
                host,
                "policy",
            )
        )
        checks.append(
            Check(
                RULE_CAPABILITY,
                f"a capability {here} lacks",
                found,
                Outcome.PASS if lacks else Outcome.FAIL,
                f"rule 2 (capability not present locally): {found}"
                + ("" if lacks else f"; run {row.stage} on {here} instead"),
                host,
                "policy",
            )
        )
        checks.append(
            Check(
                RULE_HANDOFF,
                "handoff_evidence_ref in the contract",
                handoff_ref or "missing",
                Outcome.PASS if handoff_ref else Outcome.FAIL,
                "rule 3 (handoff evidence recorded): "
                + (
                    f"at {handoff_ref}"
                    if handoff_ref
                    else "the contract has no handoff_evidence_ref"
                ),
                host,
                "policy",
            )
        )
    return checks
