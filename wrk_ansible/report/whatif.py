"""What if these hosts were drained? The pure decision, run over a registry view.

Nothing is probed and nothing is written: every stage of every item is decided twice with
:func:`~wrk_ansible.decision.verdict.decide`, once over the registry as it is and once with the
drained hosts drained, from declarations and fresh evidence only (the caller's ``readiness``
function says what is known of a host). Rows whose outcome depends on a drained host are
reported: which lose their machine, which would fall back and where, which would pause.

This answers the capacity question only. The remote-coordination policy (it depends on where
``wrk`` runs), seat reservations and handoff artifacts are the gate's business, not a forecast's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol

from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.contract.resolve import Contract, ResolvedStage
from wrk_ansible.decision.candidates import stage_candidates
from wrk_ansible.decision.outcomes import Verdict
from wrk_ansible.decision.verdict import HostReadiness, decide
from wrk_ansible.registry.workstation import Workstation

SCHEMA_VERSION: Final = 1
#: The outcomes a row can have after the drain, worst first.
OUTCOMES: Final = ("fail", "pause", "fallback", "pass")
DRAIN_REASON: Final = "what-if: drained"

Readiness = Callable[[Workstation, StageRequirements], HostReadiness]


class Hosts(Protocol):
    """What the forecast needs of the registry."""

    @property
    def names(self) -> tuple[str, ...]: ...

    def find(self, name: str) -> Workstation | None: ...

    def hosts_in(self, pattern: str) -> tuple[str, ...]: ...


class DrainedView:
    """The registry as it would be with ``drained`` drained (nothing else changes)."""

    def __init__(self, base: Hosts, drained: Iterable[str]) -> None:
        self.base = base
        self.drained = frozenset(drained)

    @property
    def names(self) -> tuple[str, ...]:
        return self.base.names

    def find(self, name: str) -> Workstation | None:
        ws = self.base.find(name)
        if ws is not None and ws.name in self.drained and ws.state == "active":
            return replace(ws, state="drained", state_reason=DRAIN_REASON)
        return ws

    def hosts_in(self, pattern: str) -> tuple[str, ...]:
        return self.base.hosts_in(pattern)


@dataclass(frozen=True)
class Forecast:
    """One row's outcome over one registry view."""

    verdict: str
    hosts: tuple[str, ...]
    fallback_to: tuple[str, ...]
    reason: str
    proposals: tuple[str, ...]
    #: host -> "observed" (fresh evidence), "assumed" (declarations only) or "none".
    basis: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RowImpact:
    """A row whose machine is drained: what it ran on before, and what would happen now."""

    wrk: str
    path: str
    title: str | None
    stage: str
    lost: tuple[str, ...]
    before: Forecast
    after: Forecast

    def as_dict(self) -> dict[str, Any]:
        return {
            "wrk": self.wrk,
            "path": self.path,
            "stage": self.stage,
            "loses": list(self.lost),
            "before": {"verdict": self.before.verdict, "hosts": list(self.before.hosts)},
            "after": self.after.verdict,
            "hosts": list(self.after.hosts),
            "fallback_to": list(self.after.fallback_to),
            "reason": self.after.reason,
            "proposals": list(self.after.proposals),
            "readiness": dict(self.after.basis),
        }


@dataclass(frozen=True)
class Scenario:
    """The forecast for one set of drained hosts over a queue."""

    drained: tuple[str, ...]
    impacts: tuple[RowImpact, ...]
    items: int
    #: Items with no usable contract (they are listed as contract errors elsewhere).
    skipped: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(i.after.verdict for i in self.impacts)
        return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}

    @property
    def affected_items(self) -> int:
        return len({i.wrk for i in self.impacts})

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "drained": list(self.drained),
            "items": self.items,
            "affected_items": self.affected_items,
            "rows": len(self.impacts),
            "counts": self.counts,
            "impacts": [i.as_dict() for i in self.impacts],
            "skipped": list(self.skipped),
        }


def forecast(wrk: str, row: ResolvedStage, hosts: Hosts, readiness: Readiness) -> Forecast:
    """Decide ``row`` over ``hosts`` with what is known of readiness, policy left out."""
    candidates = stage_candidates(row, hosts)
    seen = {
        c.name: readiness(c.workstation, row.requirements)
        for c in candidates
        if c.workstation is not None and not c.excluded
    }
    decision = decide(
        wrk=wrk,
        row=row,
        candidates=candidates,
        readiness=seen,
        hosts=hosts,
        all_hosts=hosts.names,
        here="",  # no host: the policy's checks are computed but not used here
        local=None,
        handoff_ref=None,
    )
    fallbacks = {c.name for c in candidates if c.role == "fallback"}
    taken = tuple(h for h in decision.hosts if h in fallbacks)
    proposals: tuple[str, ...] = ()
    if decision.verdict is Verdict.PAUSE:
        verdict = "pause"
        proposals = tuple(p for gap in decision.gaps for p in gap.proposals)
        reason = decision.gaps[0].summary if decision.gaps else decision.reason
    elif decision.verdict is Verdict.FAIL and not decision.hosts:
        verdict, reason = "fail", decision.reason
    elif taken:
        verdict, reason = "fallback", f"falls back to {', '.join(taken)}"
    else:
        verdict, reason = "pass", f"runs on {', '.join(decision.hosts)}"
    basis = tuple((h, _basis(seen.get(h))) for h in decision.hosts)
    return Forecast(verdict, decision.hosts, taken, reason, proposals, basis)


def _basis(seen: HostReadiness | None) -> str:
    if seen is None:
        return "none"
    return "observed" if seen.source.startswith(("evidence", "probe")) else "assumed"


def _lost(
    row: ResolvedStage, hosts: Hosts, before: Forecast, drained: frozenset[str]
) -> tuple[str, ...]:
    """Drained hosts the row names or ran on (a group member it did not pick is no loss)."""
    ws = row.assignment.workstations
    named = (*(ws if isinstance(ws, tuple) else ()), *before.hosts)
    return tuple(sorted({w.name for n in named if (w := hosts.find(n)) and w.name in drained}))


def what_if(
    contracts: Sequence[Contract],
    hosts: Hosts,
    drain: Iterable[str],
    readiness: Readiness,
    *,
    skipped: Sequence[str] = (),
    baseline: dict[tuple[str, str], Forecast] | None = None,
) -> Scenario:
    """Rows of ``contracts`` that lose a machine when ``drain`` is drained, and their fate.

    ``drain`` holds canonical host names. ``baseline`` caches the undrained forecasts across
    scenarios (pass the same dict to every call over the same queue).
    """
    drained = frozenset(drain)
    view = DrainedView(hosts, drained)
    cache = baseline if baseline is not None else {}
    impacts: list[RowImpact] = []
    for contract in contracts:
        for row in contract.stages:
            key = (contract.path, row.stage)
            before = cache.get(key)
            if before is None:
                before = cache[key] = forecast(contract.wrk_id, row, hosts, readiness)
            lost = _lost(row, hosts, before, drained)
            if not lost:
                continue
            after = forecast(contract.wrk_id, row, view, readiness)
            impacts.append(
                RowImpact(
                    contract.wrk_id, contract.path, contract.title, row.stage, lost, before, after
                )
            )
    return Scenario(tuple(sorted(drained)), tuple(impacts), len(contracts), tuple(skipped))
