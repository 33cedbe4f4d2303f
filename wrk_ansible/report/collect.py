"""Read what a report needs: WRK files, the registry, the evidence store. All the I/O is here.

Bad WRK files never stop a report: each becomes an item with its contract errors.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wrk_ansible.contract.models import GroupScope
from wrk_ansible.contract.resolve import Contract, Issue, ResolvedStage
from wrk_ansible.contract.template import DEFAULT_MATRIX, Matrix
from wrk_ansible.contract.validate import ValidationResult
from wrk_ansible.errors import InputError
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.evidence.query import select
from wrk_ansible.evidence.records import GateBody, HandoffBody, TypedRecord
from wrk_ansible.issues.contract import IssueCheck
from wrk_ansible.names import Directory, check_against
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.report.facts import (
    ChainFact,
    GapFact,
    GateFact,
    HandoffFact,
    HostFact,
    IssueFact,
    ItemFacts,
    RoutingFact,
    RowFacts,
)


@dataclass
class Collected:
    """Facts for the page, and the contracts the what-if runs over."""

    items: list[ItemFacts] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: Issues that are not routable (closed, a skip label): shown, never load or forecast.
    not_routable: list[str] = field(default_factory=list)


def _issue(issue: Issue) -> IssueFact:
    return IssueFact(issue.field, issue.message, issue.line, issue.file, issue.machine, issue.kind)


def _canonical(name: str, registry: Directory | None) -> str:
    known = registry.canonical(name) if registry is not None else None
    return known or name


def row_facts(row: ResolvedStage, registry: Directory | None) -> RowFacts:
    a = row.assignment
    ws = a.workstations
    if a.agents is not None:
        primary: tuple[str, ...] = () if a.agents == "any" else tuple(a.agents)
        secondary: tuple[str, ...] = ()
    else:
        primary = (a.primary,) if a.primary else ()
        secondary = (a.secondary,) if a.secondary else ()
    return RowFacts(
        stage=row.stage,
        primary=primary,
        secondary=secondary,
        advisory=tuple(a.advisory),
        any_agent=a.agents == "any",
        assigned=tuple(_canonical(n, registry) for n in ws) if isinstance(ws, tuple) else (),
        group=ws.group if isinstance(ws, GroupScope) else None,
        group_count=ws.count if isinstance(ws, GroupScope) else 1,
        parallel=a.parallel,
        fallback=tuple(_canonical(n, registry) for n in a.fallback),
        on_unavailable=a.on_unavailable,
        gates=tuple(g.name + (" (advisory)" if g.advisory else "") for g in row.gates),
        explicit=row.explicit,
    )


def rows_once(registry: Directory | None) -> Callable[[ResolvedStage], RowFacts]:
    """:func:`row_facts` made once per distinct row: a queue's rows come from a few templates
    (1,200 generated items hold 8,400 rows and 43 distinct assignments), and equal rows have
    equal facts (a row's facts rest on it and the names of ``registry`` alone)."""
    known: dict[Hashable, RowFacts] = {}

    def facts(row: ResolvedStage) -> RowFacts:
        key = (row.stage, row.assignment, row.gates, row.explicit)
        try:
            found = known.get(key)
        except TypeError:  # a part that is not hashable: made for this row alone
            return row_facts(row, registry)
        if found is None:
            found = known[key] = row_facts(row, registry)
        return found

    return facts


def _gate(record: TypedRecord[GateBody]) -> GateFact:
    body = record.body
    return GateFact(
        stage=body.stage,
        verdict=body.verdict.value if body.verdict is not None else "",
        time=record.time,
        record=record.id,
        reason=body.reason,
        hosts=body.for_hosts,
        agent=body.agent,
        gaps=tuple(GapFact(g.priority, g.summary, g.proposals) for g in body.gaps),
    )


def _handoff(record: TypedRecord[HandoffBody]) -> HandoffFact:
    body = record.body
    return HandoffFact(
        record=record.id,
        time=record.time,
        source=body.source,
        target=body.target,
        stage=body.for_stage,
        artifacts=len(body.artifacts),
        note=body.note,
    )


def evidence_facts(
    ledger: Ledger, wrk: str, signing_keys: Mapping[str, str]
) -> tuple[tuple[GateFact, ...], tuple[HandoffFact, ...], ChainFact]:
    """The WRK's gate records, handoffs and chain status (nothing for an unsafe WRK id).

    Records are read typed: one whose body does not validate is left out (``wrk evidence
    list`` names it and why)."""
    from wrk_ansible.evidence.verify import verify

    try:
        ledger.wrk_dir(wrk)
    except InputError:
        return (), (), ChainFact()
    records = ledger.records(wrk)
    gates = tuple(_gate(r) for r in select(records, GateBody))
    handoffs = tuple(_handoff(r) for r in select(records, HandoffBody))
    reports = verify(ledger, wrk, signing_keys) if records else []
    chain = ChainFact(
        chains=sum(1 for r in reports if r.chain != "links"),
        records=sum(r.records for r in reports),
        signed=sum(r.signed for r in reports),
        problems=tuple(str(p) for r in reports for p in r.problems),
    )
    return gates, handoffs, chain


def routing_fact(check: IssueCheck) -> RoutingFact:
    """What the page shows of an issue's routing (:meth:`IssueCheck.routed`)."""
    return RoutingFact(**check.routed())


def item_facts(
    result: ValidationResult,
    registry: Directory | None,
    ledger: Ledger,
    signing_keys: Mapping[str, str],
    *,
    issue: IssueCheck | None = None,
    titles: bool = True,
    rows: Callable[[ResolvedStage], RowFacts] | None = None,
) -> ItemFacts:
    """What the page shows of one checked item (``rows``: how a row's facts are made, by
    default :func:`row_facts` through ``registry``)."""
    contract = result.contract
    facts_of = rows or (lambda row: row_facts(row, registry))
    wrk = result.wrk_id or Path(result.path).stem
    gates, handoffs, chain = evidence_facts(ledger, wrk, signing_keys)
    if issue is not None:
        title: str | None = issue.issue.title
    else:
        title = contract.title if contract else _title(result)
    return ItemFacts(
        path=result.path,
        wrk_id=wrk,
        title=title if titles else None,
        status=contract.status if contract else _status(result),
        derived=result.derived,
        errors=tuple(_issue(i) for i in result.errors),
        warnings=tuple(_issue(i) for i in result.warnings),
        rows=tuple(facts_of(r) for r in contract.stages) if contract else (),
        gates=gates,
        chain=chain,
        handoffs=handoffs,
        url=issue.issue.url if issue is not None else None,
        routing=routing_fact(issue) if issue is not None else None,
    )


def _title(result: ValidationResult) -> str | None:
    value = result.item.data.get("title") if result.item else None
    return None if value is None else str(value)


def _status(result: ValidationResult) -> str | None:
    value = result.item.data.get("status") if result.item else None
    return None if value is None else str(value)


#: A work item as checked: its result and, for an issue, its routing.
Checked = tuple[ValidationResult, "IssueCheck | None"]


def check_paths(
    paths: Iterable[str], registry: Directory | None, matrix: Matrix = DEFAULT_MATRIX
) -> list[Checked]:
    """Every WRK file at ``paths`` checked (names through ``registry``, rows left out from
    ``matrix``)."""
    return [(check_against(path, registry, matrix=matrix), None) for path in paths]


def collect(
    checked: Iterable[Checked],
    registry: Directory | None,
    ledger: Ledger,
    signing_keys: Mapping[str, str] | None = None,
    *,
    titles: bool = True,
) -> Collected:
    """Read the evidence of every checked work item (``titles``: False leaves titles out,
    ``privacy: omit_titles``)."""
    out = Collected()
    rows = rows_once(registry)
    keys = signing_keys or {}
    for result, issue in checked:
        facts = item_facts(result, registry, ledger, keys, issue=issue, titles=titles, rows=rows)
        out.items.append(facts)
        if issue is not None and not issue.routing.routable and result.valid:
            out.not_routable.append(result.path)  # closed, a skip label: no load, no forecast
        elif result.contract is not None and result.valid:
            out.contracts.append(result.contract)
        else:
            out.skipped.append(result.path)
    return out


def host_facts(registry: Registry) -> list[HostFact]:
    # a host only another source holds (the rules file) is "unavailable", with that source
    return [
        HostFact(
            ws.name,
            ws.state if ws.state != "active" or ws.available else "unavailable",
            "; ".join(filter(None, [ws.state_reason, *(u.found for u in ws.unavailable_per)]))
            or None,
            ws.groups,
            bool(ws.licenses) or "licensed" in ws.groups,
        )
        for ws in registry.workstations
    ]


def used_hosts(registry: Registry, candidates: Collection[str]) -> list[str]:
    """The active hosts among ``candidates`` (hosts some row of the queue could run on,
    :attr:`~wrk_ansible.report.whatif.Baseline.candidates`), in inventory order."""
    return [ws.name for ws in registry.workstations if ws.name in candidates and ws.available]
