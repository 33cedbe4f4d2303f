"""Queue-wide views: items per status, the load each machine carries, the capacity risk.

Pure: plain facts and what-if scenarios in, frozen rows out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from wrk_ansible.contract.stages import STAGE_IDS
from wrk_ansible.report.facts import HostFact, ItemFacts
from wrk_ansible.report.whatif import OUTCOMES, RowImpact, Scenario

#: The queue's folders in lifecycle order; other statuses follow alphabetically.
STATUS_ORDER: Final = ("pending", "working", "blocked", "done", "archived", "archive")
#: Rows listed per capacity scenario; the rest are counted (``wrk whatif`` lists them all).
IMPACTS_SHOWN: Final = 25
_OUTCOME_RANK: Final = {outcome: rank for rank, outcome in enumerate(OUTCOMES)}
_STAGE_RANK: Final = {stage: rank for rank, stage in enumerate(STAGE_IDS)}


def status_counts(statuses: Iterable[str]) -> tuple[tuple[str, int], ...]:
    found = Counter(statuses)
    known = [s for s in STATUS_ORDER if s in found]
    rest = sorted(s for s in found if s not in STATUS_ORDER)
    return tuple((s, found[s]) for s in (*known, *rest))


@dataclass(frozen=True)
class MachineLoad:
    """One line of the machines x rows table: how many items assign it per row."""

    name: str
    kind: str  # "host", "unknown" (not in the inventory) or "group" (any N of a group)
    state: str
    per_stage: tuple[int, ...]
    fallback: int
    items: int
    note: str = ""

    @property
    def rows(self) -> int:
        return sum(self.per_stage)


def machine_loads(
    items: Sequence[ItemFacts], hosts: Sequence[HostFact] | None
) -> tuple[MachineLoad, ...]:
    """Every inventory host (inventory order), then unknown names, then group scopes.

    Without an inventory (``hosts`` None) names are listed as first met, state "unchecked".
    """
    known = {h.name: h for h in hosts or ()}
    per: dict[str, list[int]] = {}
    fallback: Counter[str] = Counter()
    users: dict[str, set[str]] = {}
    groups: set[str] = set()
    for item in items:
        for row in item.rows:
            column = _STAGE_RANK.get(row.stage)
            if column is None:
                continue
            assigned = [f"any of {row.group}"] if row.group else list(row.assigned)
            if row.group:
                groups.add(assigned[0])
            for name in dict.fromkeys(assigned):
                per.setdefault(name, [0] * len(STAGE_IDS))[column] += 1
                users.setdefault(name, set()).add(item.path)
            for name in dict.fromkeys(row.fallback):
                fallback[name] += 1
                users.setdefault(name, set()).add(item.path)
    unknown = [n for n in users if n not in known and n not in groups]
    if hosts is not None:
        unknown.sort()
    out = []
    for name in [*known, *unknown, *sorted(groups)]:
        host = known.get(name)
        kind = "host" if host else ("group" if name in groups else "unknown")
        if kind == "unknown" and hosts is None:
            kind = "unchecked"
        state = host.state if host else {"group": "-"}.get(kind, kind)
        note = host.state_reason or "" if host else ""
        if host and host.licensed:
            note = f"licensed{'; ' + note if note else ''}"
        out.append(
            MachineLoad(
                name,
                kind,
                state,
                tuple(per.get(name, [0] * len(STAGE_IDS))),
                fallback[name],
                len(users.get(name, ())),
                note,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class ImpactView:
    """One row a drain would hit, as drawn."""

    wrk_id: str
    anchor: str
    stage: str
    before: str
    after: str
    where: str
    reason: str
    proposals: tuple[str, ...]


@dataclass(frozen=True)
class CapacityView:
    """What draining one host (or a set) would do to the queue."""

    drained: str
    anchor: str
    counts: tuple[tuple[str, int], ...]
    rows: int
    affected_items: int
    impacts: tuple[ImpactView, ...]
    more: int

    @property
    def stops(self) -> int:
        counts = dict(self.counts)
        return counts.get("pause", 0) + counts.get("fail", 0)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """``WRK-39`` before ``WRK-1342``: digit runs compare as numbers."""
    return tuple(
        (0, int(p)) if p.isdigit() else (1, p.casefold()) for p in re.split(r"(\d+)", text) if p
    )


def _impact_key(impact: RowImpact) -> tuple[object, ...]:
    return (
        _OUTCOME_RANK[impact.after.verdict],
        natural_key(impact.wrk),
        _STAGE_RANK.get(impact.stage, 99),
    )


def capacity_views(
    scenarios: Sequence[Scenario], anchors: Mapping[str, str]
) -> tuple[CapacityView, ...]:
    """Scenarios worst first (most rows stopped, then most fallbacks), rows worst first."""
    views = []
    for scenario in scenarios:
        ordered = sorted(scenario.impacts, key=_impact_key)
        shown = tuple(
            ImpactView(
                i.wrk,
                anchors.get(i.path, ""),
                i.stage,
                f"{i.before.verdict} on {', '.join(i.before.hosts) or '-'}",
                i.after.verdict,
                ", ".join(i.after.hosts),
                i.after.reason,
                i.after.proposals,
            )
            for i in ordered[:IMPACTS_SHOWN]
        )
        drained = ", ".join(scenario.drained)
        views.append(
            CapacityView(
                drained=drained,
                anchor="drain-" + re.sub(r"[^A-Za-z0-9_-]+", "-", drained),
                counts=tuple(scenario.counts.items()),
                rows=len(scenario.impacts),
                affected_items=scenario.affected_items,
                impacts=shown,
                more=max(0, len(ordered) - IMPACTS_SHOWN),
            )
        )
    counts = [dict(v.counts) for v in views]
    order = sorted(
        range(len(views)),
        key=lambda n: (-views[n].stops, -counts[n].get("fallback", 0), -views[n].rows, n),
    )
    return tuple(views[n] for n in order)
