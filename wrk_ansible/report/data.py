"""What the review page shows, built from plain facts: pure, no I/O, no HTML.

The rules live here (which verdict is the latest, which gaps come first, what load a machine
carries); :mod:`wrk_ansible.report.render` only draws the result.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from wrk_ansible.contract.stages import STAGE_IDS, STAGE_TITLES, STAGES
from wrk_ansible.issues.contract import NOT_ROUTABLE
from wrk_ansible.report.facts import GateFact, HostFact, ItemFacts, RowFacts
from wrk_ansible.report.fleet import FleetFacts, FleetView, fleet_view
from wrk_ansible.report.gaps import (
    GapView,
    issue_text,
    item_gaps,
    latest_gates,
    short_time,
    sort_gaps,
)
from wrk_ansible.report.leases import LeaseFacts, LeasesView, leases_view
from wrk_ansible.report.queue import (
    CapacityView,
    MachineLoad,
    capacity_views,
    machine_loads,
    natural_key,
    status_counts,
)
from wrk_ansible.report.whatif import Scenario

#: Row states, worst first; each has a colour and a text label on the page.
STATES: Final = ("fail", "pause", "fallback", "not-run", "pass")
LABELS: Final = {
    "pass": "pass",
    "fallback": "fallback",
    "pause": "pause",
    "fail": "fail",
    "not-run": "not run",
    "derived": "derived",
}


@dataclass(frozen=True)
class RowView:
    """One row of the matrix as drawn."""

    stage: str
    title: str
    phase: str
    primary: str
    secondary: str
    scope: str
    fallback: str
    gates: tuple[str, ...]
    state: str
    when: str | None = None
    record: str | None = None
    hosts: str = ""
    reason: str = ""
    derived: bool = False

    @property
    def label(self) -> str:
        return LABELS[self.state]


@dataclass(frozen=True)
class ItemView:
    """One WRK's section."""

    anchor: str
    wrk_id: str
    title: str
    path: str
    status: str
    derived: bool
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    rows: tuple[RowView, ...]
    machines: tuple[str, ...]
    worst: str
    chain_state: str
    chain_text: str
    handoffs: tuple[str, ...]
    gaps: int = 0
    #: Position in WRK id order (the page's default order, restored by sorting).
    order: int = 0
    #: An issue's web page, and how it was routed (machine and provider, and who chose each).
    url: str | None = None
    routing: str = ""
    #: A large page draws the rows of items never gated once per distinct set: the number of
    #: the item's set (:class:`ShapeView`), or None when its rows are drawn in its section.
    shape: int | None = None
    #: False when no contract could be built (its rows would be empty placeholders).
    has_rows: bool = True

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(s for s in STATES if any(r.state == s for r in self.rows))


@dataclass(frozen=True)
class ShapeView:
    """Rows shared by items never gated: drawn once, each item links to them."""

    number: int
    rows: tuple[RowView, ...]
    items: int


@dataclass(frozen=True)
class RoutingView:
    """How many issues went to one machine and provider, and who chose them."""

    machine: str
    host: str
    provider: str
    items: int


#: Above this many items, the rows of items never gated are drawn once per distinct set.
COMPACT_AT: Final = 500


@dataclass(frozen=True)
class Report:
    """The whole page."""

    title: str
    generated: str
    inventory: str | None
    evidence: str
    items: tuple[ItemView, ...]
    gaps: tuple[GapView, ...]
    statuses: tuple[tuple[str, int], ...]
    verdicts: tuple[tuple[str, int], ...]
    machines: tuple[MachineLoad, ...]
    stages: tuple[tuple[str, str], ...]
    capacity: tuple[CapacityView, ...]
    notes: tuple[str, ...] = ()
    shapes: tuple[ShapeView, ...] = ()
    routing: tuple[RoutingView, ...] = ()
    leases: LeasesView = field(default_factory=LeasesView)
    #: The fleet section (None: no inventory); ``fleet_only``: the page is that section alone.
    fleet: FleetView | None = None
    fleet_only: bool = False

    @property
    def error_items(self) -> int:
        return sum(not item.valid for item in self.items)


def _agents(names: tuple[str, ...], any_agent: bool, extra: tuple[str, ...] = ()) -> str:
    text = "any AI agent" if any_agent else " / ".join(names)
    if extra:
        text = f"{text} (advisory: {', '.join(extra)})" if text else f"advisory: {', '.join(extra)}"
    return text or "-"


def _scope(row: RowFacts) -> str:
    if row.group:
        return f"any {row.group_count} of {row.group}"
    if not row.assigned:
        return "-"
    return ", ".join(row.assigned) + (" (parallel)" if row.parallel else "")


def row_view(row: RowFacts, gate: GateFact | None) -> RowView:
    """A row drawn with its latest verdict (``not-run`` when no gate ran)."""
    fallback = ", ".join(row.fallback)
    if row.on_unavailable:
        fallback = f"{fallback}, then {row.on_unavailable}" if fallback else row.on_unavailable
    state = gate.verdict if gate and gate.verdict in LABELS else "not-run"
    return RowView(
        stage=row.stage,
        title=STAGE_TITLES.get(row.stage, row.stage),
        phase=STAGES.get(row.stage, ""),
        primary=_agents(row.primary, row.any_agent),
        secondary=_agents(row.secondary, False, row.advisory),
        scope=_scope(row),
        fallback=fallback or "-",
        gates=row.gates,
        state=state,
        when=short_time(gate.time) if gate else None,
        record=gate.record if gate else None,
        hosts=", ".join(gate.hosts) if gate else "",
        reason=gate.reason if gate else "",
        derived=not row.explicit,
    )


def _row_view(
    row: RowFacts, gate: GateFact | None, ungated: dict[RowFacts, RowView] | None
) -> RowView:
    if gate is not None or ungated is None:
        return row_view(row, gate)
    found = ungated.get(row)
    if found is None:
        found = ungated[row] = row_view(row, None)
    return found


def _missing_row(stage: str) -> RowView:
    return RowView(stage, STAGE_TITLES[stage], STAGES[stage], "-", "-", "-", "-", (), "not-run")


def anchor_for(wrk_id: str, taken: set[str]) -> str:
    """A unique, safe id attribute for a WRK's section."""
    base = "wrk-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", wrk_id).strip("-") or "item")
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    taken.add(anchor)
    return anchor


def _routing_text(item: ItemFacts) -> str:
    routing = item.routing
    if routing is None:
        return ""
    machine = f"{routing.machine} ({routing.machine_by})" if routing.machine else "no machine"
    if routing.host and routing.machine and routing.host != routing.machine:
        machine += f" = {routing.host}"
    provider = f"{routing.provider} ({routing.provider_by})" if routing.provider else "none"
    text = f"machine {machine} · provider {provider}"
    if not routing.routable:
        text += f" · not routable: {routing.reason}"
    return text


def _by(value: str | None, by: str | None) -> str:
    return f"{value} ({by})" if value else "-"


def routing_views(items: Sequence[ItemFacts]) -> tuple[RoutingView, ...]:
    """Routable issues counted per (machine, host, provider), most first."""
    counts = Counter(
        (_by(r.machine, r.machine_by), r.host or "-", _by(r.provider, r.provider_by))
        for r in (item.routing for item in items)
        if r is not None and r.routable
    )
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(RoutingView(m, h, p, n) for (m, h, p), n in ordered)


def compact(views: Sequence[ItemView]) -> tuple[list[ItemView], tuple[ShapeView, ...]]:
    """Items never gated (no verdict, no handoff) share their rows: one :class:`ShapeView`
    per distinct set, most used first, each item naming its set."""
    counts = Counter(
        v.rows
        for v in views
        if v.valid and not v.handoffs and all(r.state == "not-run" for r in v.rows)
    )
    numbers = {rows: n for n, (rows, _) in enumerate(counts.most_common(), start=1)}
    shapes = tuple(ShapeView(numbers[rows], rows, count) for rows, count in counts.most_common())
    out = [replace(v, shape=numbers[v.rows]) if v.valid and v.rows in numbers else v for v in views]
    return out, shapes


def item_view(
    item: ItemFacts, anchor: str, ungated: dict[RowFacts, RowView] | None = None
) -> ItemView:
    """One item drawn (``ungated``: the views of rows no gate ran for, shared across items:
    equal facts give equal views)."""
    latest = latest_gates(item.gates)
    by_stage = {row.stage: row for row in item.rows}
    rows = tuple(
        _row_view(by_stage[s], latest.get(s), ungated) if s in by_stage else _missing_row(s)
        for s in STAGE_IDS
    )
    machines = dict.fromkeys(name for row in item.rows for name in (*row.assigned, *row.fallback))
    worst = next((s for s in STATES if any(r.state == s for r in rows)), "not-run")
    chain = item.chain
    if chain.problems:
        chain_state, chain_text = "broken", "; ".join(chain.problems)
    elif chain.records:
        chain_state = "ok"
        chain_text = (
            f"{chain.records} record(s) in {chain.chains} chain(s), {chain.signed} signed: "
            "every hash and link verifies"
        )
    else:
        chain_state, chain_text = "none", "no evidence recorded yet"
    handoffs = tuple(
        f"{short_time(h.time)} {h.source} -> {h.target}"
        + (f" for {h.stage}" if h.stage else "")
        + f", {h.artifacts} artifact(s)"
        + (f": {h.note}" if h.note else "")
        + f" ({h.record})"
        for h in sorted(item.handoffs, key=lambda h: (h.time, h.record))
    )
    return ItemView(
        anchor=anchor,
        wrk_id=item.wrk_id,
        title=item.title or "(untitled)",
        path=item.path,
        status=item.status or "(none)",
        derived=item.derived,
        errors=tuple(issue_text(i.field, i.message, i.line, i.file) for i in item.errors),
        warnings=tuple(
            issue_text(i.field, i.message, i.line, i.file)
            for i in item.warnings
            if i.kind != NOT_ROUTABLE  # the item's routing line says it
        ),
        rows=rows,
        machines=tuple(machines),
        worst=worst,
        chain_state=chain_state,
        chain_text=chain_text,
        handoffs=handoffs,
        url=item.url,
        routing=_routing_text(item),
        has_rows=bool(item.rows),
    )


def build_report(
    items: Sequence[ItemFacts],
    hosts: Sequence[HostFact] | None,
    scenarios: Sequence[Scenario] = (),
    *,
    title: str = "wrk review",
    generated: str = "",
    inventory: str | None = None,
    evidence: str = "",
    leases: LeaseFacts | None = None,
    fleet: FleetFacts | None = None,
    fleet_only: bool = False,
) -> Report:
    """The page's data, from the facts read (``hosts`` is None without an inventory)."""
    ordered = sorted(items, key=lambda i: (natural_key(i.wrk_id), i.path))
    taken: set[str] = set()
    anchors = {item.path: anchor_for(item.wrk_id, taken) for item in ordered}
    gaps: list[GapView] = []
    views: list[ItemView] = []
    ungated: dict[RowFacts, RowView] = {}
    for item in ordered:
        found = item_gaps(item, anchors[item.path])
        gaps += found
        view = item_view(item, anchors[item.path], ungated)
        views.append(replace(view, gaps=len(found), order=len(views)))
    leased = LeasesView()
    if leases is not None:
        first: dict[str, str] = {}
        for view in views:
            first.setdefault(view.wrk_id, view.anchor)
        leased, found = leases_view(leases, first)
        gaps += found
    row_states = Counter(r.state for v in views for r in v.rows)
    shapes: tuple[ShapeView, ...] = ()
    notes = []
    if len(views) > COMPACT_AT:
        views, shapes = compact(views)
        notes.append(
            f"{len(views)} items: the rows of the {sum(s.items for s in shapes)} never gated are "
            f"drawn once per distinct set ({len(shapes)} contract shape(s), under Contract shapes)"
        )
    if hosts is None:
        notes.append("no inventory: machine names were not checked and capacity risk is not shown")
    return Report(
        title=title,
        generated=generated,
        inventory=inventory,
        evidence=evidence,
        items=tuple(views),
        gaps=sort_gaps(gaps),
        statuses=status_counts(v.status for v in views),
        verdicts=tuple((s, row_states[s]) for s in STATES),
        # closed and skip-labelled issues carry no load (the routing view leaves them out too)
        machines=machine_loads(
            [i for i in ordered if i.routing is None or i.routing.routable], hosts
        ),
        stages=tuple((s, STAGE_TITLES[s]) for s in STAGE_IDS),
        capacity=capacity_views(scenarios, anchors),
        notes=tuple(notes),
        shapes=shapes,
        routing=routing_views(ordered),
        leases=leased,
        fleet=fleet_view(fleet) if fleet is not None else None,
        fleet_only=fleet_only,
    )
