"""The one registry of named gate checks: built-ins here, third parties by entry point.

A third-party gate is a callable with the built-ins' signature, ``check(ctx: GateContext) ->
GateResult``, published in the ``wrk_ansible.gates`` entry point group under its gate name.
Listing names reads entry point metadata only; a gate's module is imported when it runs.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from wrk_ansible.contract.gate_names import GROUP, known_gates, third_party

if TYPE_CHECKING:
    from wrk_ansible.decision.verdict import GateInput
    from wrk_ansible.gates.base import GateCheck, GateContext, GateResult

#: Covered by the machine decision (readiness of the chosen hosts), not by a gate function.
MACHINE_READINESS: Final = "machine-readiness"
#: Gate name -> "module:function" of its one implementation.
BUILTIN: Final[dict[str, str]] = {
    "resource-intelligence": "wrk_ansible.gates.documents:resource_intelligence",
    "plan-schema": "wrk_ansible.gates.documents:plan_schema",
    "plan-html": "wrk_ansible.gates.documents:plan_html",
    "review-runs-complete": "wrk_ansible.gates.reviews:review_runs_complete",
    "quota-snapshot": "wrk_ansible.gates.claim:quota_snapshot",
    "routing-evidence": "wrk_ansible.gates.claim:routing_evidence",
    "route-policy": "wrk_ansible.gates.route_policy:route_policy",
    "queue-valid": "wrk_ansible.gates.queue:queue_valid",
    "sync-checks": "wrk_ansible.gates.sync:sync_checks",
    "execute-succeeded": "wrk_ansible.gates.outcome:execute_succeeded",
}
__all__ = [
    "GROUP",
    "MACHINE_READINESS",
    "GateLoadError",
    "known_gates",
    "load_gate",
    "run_row_gates",
]


class GateLoadError(Exception):
    """A gate's implementation cannot be loaded."""


def load_gate(name: str) -> GateCheck:
    """The implementation of gate ``name``; GateLoadError saying why not."""
    if name in BUILTIN:
        module, _, function = BUILTIN[name].partition(":")
        gate: GateCheck = getattr(importlib.import_module(module), function)
        return gate
    ep = third_party().get(name)
    if ep is None:
        raise GateLoadError(f"unknown gate {name!r}; known gates: {', '.join(known_gates())}")
    try:
        loaded = ep.load()
    except Exception as exc:  # a broken plugin must not crash the gate
        raise GateLoadError(
            f"gate {name!r} ({ep.value}) cannot be loaded: {type(exc).__name__}: {exc}"
        ) from None
    if not callable(loaded):
        raise GateLoadError(f"gate {name!r} ({ep.value}) is not callable")
    return loaded  # type: ignore[no-any-return]


def _run_one(name: str, ctx: GateContext) -> GateResult:
    from wrk_ansible.decision.outcomes import Outcome, Verdict
    from wrk_ansible.errors import WrkError
    from wrk_ansible.gates.base import GateResult, check, gap

    def failed(why: str) -> GateResult:
        found = check(name, "the gate runs", "error", Outcome.FAIL, why)
        return GateResult((found,), Verdict.FAIL, (gap(f"{ctx.row.stage}: {why}"),))

    try:
        gate = load_gate(name)
    except GateLoadError as exc:
        return failed(str(exc))
    try:
        outcome = gate(ctx)
    except WrkError as exc:
        return failed(f"gate {name!r}: {exc}")
    except Exception as exc:
        if name in BUILTIN:
            raise  # a bug in wrk itself: main() reports it as one
        return failed(f"gate {name!r} raised {type(exc).__name__}: {exc}")
    if not isinstance(outcome, GateResult):
        return failed(f"gate {name!r} returned {type(outcome).__name__}, not a GateResult")
    return outcome


def run_row_gates(ctx: GateContext) -> tuple[GateInput, ...]:
    """Run every gate the row names (the template's when it names none), in order, except
    ``machine-readiness``; each result is an input of the row's composition
    (:func:`wrk_ansible.decision.verdict.compose`), which alone turns them into a verdict.

    Once a gate blocks, the gates after it still run and report but write no evidence: a
    refused claim (a parked item, no fresh quota) leaves no routing record behind for later
    rows to trust."""
    from wrk_ansible.decision.outcomes import Verdict
    from wrk_ansible.decision.verdict import GateInput, counted

    results = []
    for ref in ctx.row.gates:
        if ref.name == MACHINE_READINESS:
            continue
        gate = GateInput(ref.name, _run_one(ref.name, ctx), advisory=ref.advisory)
        results.append(gate)
        if ctx.record and counted(gate).verdict is not Verdict.PASS:
            ctx = replace(ctx, record=False, unrecorded_why=f"{ref.name} blocks the row")
    return tuple(results)
