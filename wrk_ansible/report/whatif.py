"""What if these hosts were drained? The pure decision, run over a registry view.

Nothing is probed and nothing is written: every stage of every item is decided twice with
:func:`~wrk_ansible.decision.verdict.decide`, once over the registry as it is and once with the
drained hosts drained, from declarations and fresh evidence only (the caller's ``readiness``
function says what is known of a host). Rows whose outcome depends on a drained host are
reported: which lose their machine, which would fall back and where, which would pause.

A forecast is the gate's own decision over the same inputs a gate would read without probing:
readiness from the one readiness source (:mod:`wrk_ansible.readiness.source`, forecast mode:
evidence and verified attestations, else declarations), the seats other items hold and the
handoff artifacts. Two things only a gate knows are left out: the remote-coordination policy
(it depends on where ``wrk`` runs) and the named gates (quota, routing, reviews, ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Protocol

from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.contract.resolve import Contract, ResolvedStage
from wrk_ansible.decision.outcomes import Check, Verdict
from wrk_ansible.decision.readiness import Basis, HostReadiness
from wrk_ansible.decision.seats import Holds
from wrk_ansible.decision.verdict import Decision, RowInputs, compose, decide, for_item, to_observe
from wrk_ansible.names import RowScope, row_scope
from wrk_ansible.registry.workstation import Workstation

SCHEMA_VERSION: Final = 1
#: The outcomes a row can have after the drain, worst first.
OUTCOMES: Final = ("fail", "pause", "fallback", "pass")
DRAIN_REASON: Final = "what-if: drained"

#: The readiness of hosts for a row's requirements (the readiness source, forecast mode).
Readiness = Callable[[StageRequirements, Sequence[Workstation]], Mapping[str, HostReadiness]]
#: The handoff artifact checks of a row for the hosts it would run on.
Artifacts = Callable[[Contract, ResolvedStage, Sequence[str]], Sequence[Check]]


class Hosts(Protocol):
    """What the forecast needs of the registry (names resolve through it too)."""

    @property
    def names(self) -> tuple[str, ...]: ...

    @property
    def groups(self) -> Mapping[str, tuple[str, ...]]: ...

    def canonical(self, name: str) -> str | None: ...

    def suggest(self, name: str) -> str | None: ...

    def find(self, name: str) -> Workstation | None: ...


@dataclass(frozen=True)
class Known:
    """A row's decision kept by the :class:`Memo`, as made for the item ``machine.wrk``."""

    #: host -> readiness, for the hosts the row considered.
    seen: Mapping[str, HostReadiness]
    #: The machine decision.
    machine: Decision
    #: It composed with no handoff artifact checks (what most rows are).
    alone: Decision


@dataclass
class Entry:
    """A row's scope over a registry view and, once made, its decision (never for a row that
    needs a licence)."""

    scope: RowScope
    known: Known | None = None
    #: The forecast every item without handoff artifacts shares, when no text names the item.
    shared: Forecast | None = None


class Memo:
    """Equal rows decided once per registry view, over one queue's forecasts.

    A queue repeats rows: every item a template fills in has the same plan, review and close
    rows, and copies of an item differ only in their id. The machine decision of a row rests
    on the row, the registry view, the readiness of its hosts, the seats other items hold and
    licence facts, and the last two count only for a row that needs a licence
    (:func:`~wrk_ansible.decision.seats.apply_holds`). So every other row is decided once per
    view and equal rows get that decision, worded for each item
    (:func:`~wrk_ansible.decision.verdict.for_item`); a row needing a licence is decided every
    time (the seats are the item's, its facts judged at the time of the call), and handoff
    artifacts, which are the item's own, are checked per item. Rows and views are held while
    the memo lives, so no ``id`` is reused for another.
    """

    def __init__(self) -> None:
        self._rows: dict[int, tuple[ResolvedStage, int]] = {}
        self._contents: dict[Hashable, int] = {}
        self._views: dict[int, Hosts] = {}
        self._entries: dict[tuple[int, int], Entry] = {}
        self._seen: dict[tuple[int, int], Entry] = {}

    def _row(self, row: ResolvedStage) -> int:
        """A number for the row's content, equal for equal rows (compared once per row)."""
        known = self._rows.get(id(row))
        if known is None:
            key: Hashable = (
                row.stage,
                row.assignment,
                row.requirements,
                tuple(sorted(row.origin.items())),
                row.explicit,
                row.awaiting,
            )
            try:
                number = self._contents.setdefault(key, len(self._contents))
            except TypeError:  # a part that is not hashable: the row is its own
                number = self._contents.setdefault(("row", id(row)), len(self._contents))
            known = self._rows[id(row)] = (row, number)
        return known[1]

    def _view(self, hosts: Hosts) -> int:
        self._views.setdefault(id(hosts), hosts)
        return id(hosts)

    def entry(self, row: ResolvedStage, hosts: Hosts) -> Entry:
        """What is kept of ``row`` (and every row equal to it) over ``hosts``."""
        pair = (id(row), id(hosts))  # the same objects again: no content compared
        found = self._seen.get(pair)
        if found is None:
            key = (self._row(row), self._view(hosts))
            found = self._entries.get(key)
            if found is None:
                found = self._entries[key] = Entry(row_scope(row, hosts))
            self._seen[pair] = found
        return found

    @property
    def decided(self) -> int:
        """How many decisions are kept."""
        return sum(1 for e in self._entries.values() if e.known is not None)


@dataclass(frozen=True)
class Inputs:
    """What a forecast reads besides the registry: readiness, holds, artifacts."""

    readiness: Readiness
    #: WRK id -> the seats other items hold (per (host, feature), casefolded).
    holds: Callable[[str], Holds] = lambda _wrk: {}
    artifacts: Artifacts = lambda _contract, _row, _hosts: ()
    #: The licence facts of a row's hosts (:class:`~wrk_ansible.decision.verdict.RowInputs`
    #: fields ``licences``, ``now``, ``licence_ttl_days``), as a gate reads them.
    licences: Callable[[ResolvedStage, Sequence[Any]], Mapping[str, Any]] = lambda _r, _h: {}
    #: Equal rows decided once (None: every row decided afresh, as the memo is checked by).
    memo: Memo | None = field(default_factory=Memo)


class DrainedView:
    """The registry as it would be with ``drained`` drained (nothing else changes)."""

    def __init__(self, base: Hosts, drained: Iterable[str]) -> None:
        self.base = base
        self.drained = frozenset(drained)
        self._found: dict[str, Workstation | None] = {}

    @property
    def names(self) -> tuple[str, ...]:
        return self.base.names

    @property
    def groups(self) -> Mapping[str, tuple[str, ...]]:
        return self.base.groups

    def canonical(self, name: str) -> str | None:
        return self.base.canonical(name)

    def suggest(self, name: str) -> str | None:
        return self.base.suggest(name)

    def find(self, name: str) -> Workstation | None:
        if name in self._found:
            return self._found[name]
        ws = self.base.find(name)
        if ws is not None and ws.name in self.drained and ws.state == "active":
            ws = replace(ws, state="drained", state_reason=DRAIN_REASON)
        self._found[name] = ws
        return ws


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
    #: host -> its readiness, for every host the row considered (as ``wrk gate --json``).
    readiness: Mapping[str, HostReadiness] = field(default_factory=dict)


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
            "before": {
                "verdict": self.before.verdict,
                "hosts": list(self.before.hosts),
                "readiness": {h: r.as_dict() for h, r in self.before.readiness.items()},
            },
            "after": self.after.verdict,
            "hosts": list(self.after.hosts),
            "fallback_to": list(self.after.fallback_to),
            "reason": self.after.reason,
            "proposals": list(self.after.proposals),
            "readiness": dict(self.after.basis),
            "after_readiness": {h: r.as_dict() for h, r in self.after.readiness.items()},
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


def forecast(contract: Contract, row: ResolvedStage, hosts: Hosts, inputs: Inputs) -> Forecast:
    """Decide ``row`` over ``hosts`` as a gate would without probing (policy and named gates
    left out)."""
    memo = inputs.memo
    entry = memo.entry(row, hosts) if memo is not None else Entry(row_scope(row, hosts))
    scope, known = entry.scope, entry.known
    if known is None:
        names = to_observe(scope, hosts, row)
        observe = [ws for n in names if (ws := hosts.find(n)) is not None]
        seen = inputs.readiness(row.requirements, observe)
        machine = decide(
            RowInputs(
                wrk=contract.wrk_id,
                row=row,
                scope=scope,
                hosts=hosts,
                readiness=seen,
                holds=inputs.holds(contract.wrk_id),
                **inputs.licences(row, observe),
            )
        )
        known = Known(seen, machine, compose(machine))
        if not row.requirements.licenses:  # seats held and licence facts count only there
            entry.known = known
    artifacts = inputs.artifacts(contract, row, known.machine.hosts)
    if artifacts:
        decision = compose(for_item(known.machine, row, contract.wrk_id), artifacts=artifacts)
        return _outcome(decision, scope, known.seen)
    if known.alone.verdict is Verdict.PAUSE:  # its gap names the item
        return _outcome(for_item(known.alone, row, contract.wrk_id), scope, known.seen)
    if entry.known is not known:  # decided for this item alone
        return _outcome(known.alone, scope, known.seen)
    if entry.shared is None:  # no text of it names the item: one forecast for every item
        entry.shared = _outcome(known.alone, scope, known.seen)
    return entry.shared


def _outcome(decision: Decision, scope: RowScope, seen: Mapping[str, HostReadiness]) -> Forecast:
    taken = tuple(h for h in decision.hosts if h in scope.fallback and h not in scope.assigned)
    proposals: tuple[str, ...] = ()
    reason = decision.reason  # the decision's own words; on pause, its P1 gap's summary
    if decision.verdict is Verdict.PAUSE:
        proposals = tuple(p for gap in decision.gaps for p in gap.proposals)
        reason = decision.gaps[0].summary if decision.gaps else decision.reason
    basis = tuple((h, _basis(seen.get(h))) for h in decision.hosts)
    return Forecast(
        decision.verdict.value, decision.hosts, taken, reason, proposals, basis, decision.readiness
    )


def _basis(seen: HostReadiness | None) -> str:
    return Basis.NONE.value if seen is None else seen.basis.value


def _scope(row: ResolvedStage, hosts: Hosts, memo: Memo | None) -> RowScope:
    return memo.entry(row, hosts).scope if memo is not None else row_scope(row, hosts)


def _lost(scope: RowScope, before: Forecast, drained: frozenset[str]) -> tuple[str, ...]:
    """Drained hosts the row names directly or ran on (a group member it did not pick is no
    loss)."""
    if drained.isdisjoint(scope.named) and drained.isdisjoint(before.hosts):
        return ()
    named = (*(h for h in scope.assigned if h in scope.named), *before.hosts)
    return tuple(sorted({n for n in named if n in drained}))


class Baseline:
    """Every row of a queue forecast over the registry as it is, once for every scenario.

    It also knows, per host, the rows that host could take something from (a row that names
    it directly or ran on it: :func:`_lost`), so a scenario visits only those rows, and the
    hosts some row could run on (:attr:`candidates`, the hosts worth draining alone).
    """

    def __init__(self, contracts: Sequence[Contract], hosts: Hosts, inputs: Inputs) -> None:
        self.contracts = contracts
        self.hosts = hosts
        #: (item path, stage) -> the row's forecast.
        self.forecasts: dict[tuple[str, str], Forecast] = {}
        #: Hosts some row may run on (assigned or a fallback), unordered.
        self.candidates: set[str] = set()
        self._rows: list[tuple[Contract, ResolvedStage, RowScope, Forecast]] = []
        self._touching: dict[str, list[int]] = {}
        for contract in contracts:
            for row in contract.stages:
                key = (contract.path, row.stage)
                before = self.forecasts.get(key)
                if before is None:
                    before = self.forecasts[key] = forecast(contract, row, hosts, inputs)
                scope = _scope(row, hosts, inputs.memo)
                for host in {*scope.named, *before.hosts}:
                    self._touching.setdefault(host, []).append(len(self._rows))
                self._rows.append((contract, row, scope, before))
                self.candidates.update(scope.assigned, scope.fallback)

    def touching(
        self, drained: Iterable[str]
    ) -> list[tuple[Contract, ResolvedStage, RowScope, Forecast]]:
        """The rows a drained host could take something from, in queue order."""
        found = sorted({n for host in drained for n in self._touching.get(host, ())})
        return [self._rows[n] for n in found]


def what_if(
    contracts: Sequence[Contract],
    hosts: Hosts,
    drain: Iterable[str],
    inputs: Inputs,
    *,
    skipped: Sequence[str] = (),
    baseline: Baseline | None = None,
) -> Scenario:
    """Rows of ``contracts`` that lose a machine when ``drain`` is drained, and their fate.

    ``drain`` holds canonical host names. ``baseline``: the undrained forecasts of the same
    ``contracts`` over the same ``hosts``, shared across scenarios (made here when not given).
    """
    if baseline is None:
        baseline = Baseline(contracts, hosts, inputs)
    elif baseline.contracts is not contracts or baseline.hosts is not hosts:
        raise ValueError("what_if: the baseline is of another queue or registry view")
    drained = frozenset(drain)
    view = DrainedView(hosts, drained)
    impacts: list[RowImpact] = []
    for contract, row, scope, before in baseline.touching(drained):
        lost = _lost(scope, before, drained)
        if not lost:
            continue
        after = forecast(contract, row, view, inputs)
        impacts.append(
            RowImpact(
                contract.wrk_id, contract.path, contract.title, row.stage, lost, before, after
            )
        )
    return Scenario(tuple(sorted(drained)), tuple(impacts), len(contracts), tuple(skipped))
