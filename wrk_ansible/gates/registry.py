"""The one registry of named gate checks: built-ins here, third parties by entry point.

A third-party gate is a callable with the built-ins' signature, ``check(ctx: GateContext) ->
GateResult``, published in the ``wrk_ansible.gates`` entry point group under its gate name.
Listing names reads entry point metadata only; a gate's module is imported when it runs.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import replace
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Final

from wrk_ansible.contract.template import BUILTIN_GATES

if TYPE_CHECKING:
    from wrk_ansible.gates.base import GateCheck, GateContext, GateResult

GROUP: Final = "wrk_ansible.gates"
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
}
_GATE_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@functools.cache
def _third_party() -> dict[str, EntryPoint]:
    """Entry points of the group, by name; built-in names and names no contract could use are
    left out (a built-in is never replaced)."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in BUILTIN_GATES or not _GATE_NAME.match(ep.name):
            continue
        found.setdefault(ep.name, ep)
    return found


def known_gates() -> tuple[str, ...]:
    """Every gate a contract may name: the built-ins, then third-party gates (sorted)."""
    return (*BUILTIN_GATES, *sorted(_third_party()))


class GateLoadError(Exception):
    """A gate's implementation cannot be loaded."""


def load_gate(name: str) -> GateCheck:
    """The implementation of gate ``name``; GateLoadError saying why not."""
    if name in BUILTIN:
        module, _, function = BUILTIN[name].partition(":")
        gate: GateCheck = getattr(importlib.import_module(module), function)
        return gate
    ep = _third_party().get(name)
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


def advisory(outcome: GateResult) -> GateResult:
    """Shown and recorded, never blocking: failing checks become WARN, the verdict PASS, and
    gaps drop to P3."""
    from wrk_ansible.decision.outcomes import Outcome, Verdict
    from wrk_ansible.gates.base import GateResult

    checks = tuple(
        replace(c, outcome=Outcome.WARN, reason=f"advisory: {c.reason}") if c.blocking else c
        for c in outcome.checks
    )
    gaps = tuple(replace(g, priority="P3") for g in outcome.gaps)
    return GateResult(checks, Verdict.PASS, gaps, outcome.evidence)


def run_row_gates(ctx: GateContext) -> GateResult:
    """Run every gate the row names (the template's when it names none), in order, except
    ``machine-readiness``; the verdict is the worst of the blocking gates.

    Once a gate blocks, the gates after it still run and report but write no evidence: a
    refused claim (a parked item, no fresh quota) leaves no routing record behind for later
    rows to trust."""
    from wrk_ansible.decision.outcomes import Verdict
    from wrk_ansible.gates.base import combine

    results = []
    for ref in ctx.row.gates:
        if ref.name == MACHINE_READINESS:
            continue
        outcome = _run_one(ref.name, ctx)
        outcome = advisory(outcome) if ref.advisory else outcome
        results.append(outcome)
        if ctx.record and outcome.verdict is not Verdict.PASS:
            ctx = replace(ctx, record=False, unrecorded_why=f"{ref.name} blocks the row")
    return combine(results)
