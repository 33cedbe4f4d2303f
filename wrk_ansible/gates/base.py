"""What every gate check receives (:class:`GateContext`) and returns (:class:`GateResult`).

A gate is ``check(ctx: GateContext) -> GateResult``. Its checks are the same typed
:class:`~wrk_ansible.decision.outcomes.Check` readiness uses (``kind="gate"``), so decision,
JSON and report treat them alike. Verdicts: PASS when satisfied, PAUSE for "not done yet" (with
a P1 gap naming the command to run), FAIL for a policy violation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from wrk_ansible.agents.catalog import AgentPolicy, policy_of
from wrk_ansible.contract.resolve import Contract, ResolvedStage
from wrk_ansible.contract.validate import item_root
from wrk_ansible.decision.outcomes import Check, Gap, GateResult, Outcome, Verdict, worst
from wrk_ansible.evidence.ledger import Ledger, Signer
from wrk_ansible.gates.routing_policy import RoutingPolicy, load_routing_policy
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation

__all__ = [
    "GateCheck",
    "GateContext",
    "GateResult",
    "check",
    "combine",
    "find_queue_root",
    "gap",
    "gate_context",
    "result",
]

KIND: Final = "gate"
#: Folder names of a work queue's status folders (the folder is the status, except archive).
STATUS_FOLDERS: Final = {
    "pending": ("pending",),
    "working": ("working",),
    "blocked": ("blocked",),
    "done": ("done",),
    "archive": ("archived",),
}


@dataclass(frozen=True)
class GateContext:
    """Everything a gate may read. Built by :func:`gate_context`."""

    wrk_id: str
    wrk_path: Path
    contract: Contract
    row: ResolvedStage
    repo_root: Path
    #: The work-queue folder holding the status folders, when the WRK sits in one.
    queue_root: Path | None
    ledger: Ledger
    registry: Registry
    here: Workstation
    #: Hosts the machine decision chose for this row (may be empty).
    hosts: tuple[str, ...]
    now: datetime
    #: The routing policy when the caller gave one; else :attr:`policy` loads it on first use.
    routing_policy: RoutingPolicy | None = None
    #: False (``wrk gate --no-record``): gates that write evidence (the claim's routing record)
    #: decide as usual but write nothing.
    record: bool = True
    #: Why ``record`` is False, for the check saying so.
    unrecorded_why: str = "--no-record"
    #: The writer evidence is appended as; ``here.name`` when None.
    writer: str | None = None
    #: Signs what gates append (``wrk gate --sign-key``), so ``wrk evidence verify`` holds.
    signer: Signer | None = None
    #: The agents, quota pacing and freshness claims use (``wrk.yml``); None: the
    #: inventory's group vars, the place before ``wrk.yml``.
    agents: AgentPolicy | None = None
    #: The routing policy file (``routing_policy`` in ``wrk.yml``); None: the neutral default.
    routing_policy_file: str | None = None

    @property
    def writer_name(self) -> str:
        return self.writer or self.here.name

    @property
    def agent_policy(self) -> AgentPolicy:
        return self.agents if self.agents is not None else policy_of(self.registry)

    @property
    def policy(self) -> RoutingPolicy:
        """The routing policy, read (once per file) only when a gate asks: a row without the
        route-policy gate never needs a policy file, present or valid."""
        return self.routing_policy or load_routing_policy(self.routing_policy_file)


GateCheck = Callable[[GateContext], GateResult]


def check(
    name: str,
    required: str | None,
    found: str | None,
    outcome: Outcome,
    reason: str,
    *,
    host: str | None = None,
) -> Check:
    """A gate check (``kind="gate"``)."""
    return Check(
        name=name,
        required=required,
        found=found,
        outcome=outcome,
        reason=reason,
        host=host,
        kind=KIND,
    )


def gap(summary: str, *proposals: str, priority: str = "P1") -> Gap:
    return Gap(priority, summary, tuple(proposals))


def combine(results: Iterable[GateResult]) -> GateResult:
    """Every check and gap, and the worst verdict."""
    done = list(results)
    return GateResult(
        checks=tuple(c for r in done for c in r.checks),
        verdict=worst(r.verdict for r in done),
        gaps=tuple(g for r in done for g in r.gaps),
        evidence=tuple(e for r in done for e in r.evidence),
    )


def result(checks: Sequence[Check], gaps: Sequence[Gap] = (), *, fail: bool = False) -> GateResult:
    """PASS when no check blocks; else FAIL when ``fail`` (a policy violation), else PAUSE."""
    blocking = any(c.blocking for c in checks)
    verdict = Verdict.PASS if not blocking else Verdict.FAIL if fail else Verdict.PAUSE
    return GateResult(tuple(checks), verdict, tuple(gaps) if blocking else ())


def not_for_issues(name: str, why: str) -> GateResult:
    """A gate that has no meaning for an issue: one skipped check saying why. It does not block
    the row (there is nothing to wait for) and it is shown, never a silent pass."""
    skipped = check(
        name, "(not for an issue)", "-", Outcome.SKIPPED, f"skipped for an issue: {why}"
    )
    return GateResult((skipped,), Verdict.PASS, ())


def find_queue_root(wrk_path: Path) -> Path | None:
    """The folder holding the status folders above ``wrk_path`` (``queue/done/WRK-1.md`` and
    ``queue/archive/2026-03/WRK-2.md`` both give ``queue``), or None."""
    for folder in Path(os.path.abspath(wrk_path)).parents:
        if folder.name in STATUS_FOLDERS:
            return folder.parent
    return None


def gate_context(
    contract: Contract,
    row: ResolvedStage,
    *,
    registry: Registry,
    here: Workstation,
    ledger: Ledger,
    hosts: Sequence[str] = (),
    now: datetime | None = None,
    policy: RoutingPolicy | None = None,
    record: bool = True,
    unrecorded_why: str = "--no-record",
    writer: str | None = None,
    signer: Signer | None = None,
    agents: AgentPolicy | None = None,
    routing_policy_file: str | None = None,
) -> GateContext:
    """A context for ``row`` of ``contract``: repository and queue found from the WRK's path;
    the routing policy ``policy``, else read when first used (``routing_policy_file``, else
    ``$WRK_ROUTING_POLICY``, else the neutral default wrk ships)."""
    path = Path(contract.path)
    return GateContext(
        wrk_id=contract.wrk_id,
        wrk_path=path,
        contract=contract,
        row=row,
        repo_root=item_root(contract),
        queue_root=None if contract.is_issue else find_queue_root(path),
        ledger=ledger,
        registry=registry,
        here=here,
        hosts=tuple(hosts),
        now=now or datetime.now(UTC),
        routing_policy=policy,
        record=record,
        unrecorded_why=unrecorded_why,
        writer=writer,
        signer=signer,
        agents=agents,
        routing_policy_file=routing_policy_file,
    )
