"""The review page's Leases section and the gaps leases make: pure, no I/O.

From the folder's current leases (:mod:`wrk_ansible.evidence.leases`), the caps in effect and
a moment: each declared or used cap with the live leases under it against its limit, every
lease listed stale first, and two kinds of gap: a **stale** lease (past its TTL with no
heartbeat or outcome: work that may have stopped silently) and a **double booking** (more live
leases under a cap than its limit, as two clones that each took the last slot show once merged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from wrk_ansible.capacity.model import Capacity
from wrk_ansible.decision.capacity import slots
from wrk_ansible.evidence.leases import LeaseView, State, double_bookings, live_held
from wrk_ansible.report.gaps import GapView, short_time

#: Where a lease of an item the page does not list links to.
SECTION = "leases"


@dataclass(frozen=True)
class LeaseRow:
    """One item's current lease as the page lists it."""

    item: str
    anchor: str
    stage: str
    hosts: str
    provider: str
    state: str
    taken: str | None
    expires: str | None
    text: str
    record: str


@dataclass(frozen=True)
class CapUse:
    """One cap: its live leases against its limit (``over``: more than it allows)."""

    cap: str
    limit: int
    used: int
    items: tuple[str, ...]

    @property
    def over(self) -> bool:
        return self.used > self.limit

    @property
    def full(self) -> bool:
        return self.used >= self.limit


@dataclass(frozen=True)
class LeasesView:
    rows: tuple[LeaseRow, ...] = ()
    caps: tuple[CapUse, ...] = ()
    capped: bool = False

    @property
    def stale(self) -> int:
        return sum(r.state == State.STALE.value for r in self.rows)

    @property
    def live(self) -> int:
        return sum(r.state == State.LIVE.value for r in self.rows)


_ORDER = {State.STALE: 0, State.LIVE: 1, State.RELEASED: 2}


def _declared(capacity: Capacity) -> dict[str, int]:
    """The fleet-wide caps shown even with nothing under them: pools and provider caps."""
    shown = {f"solver_pools.{n}": p.max_concurrent for n, p in capacity.solver_pools.items()}
    shown |= {f"budget_pools.{n}": p.max_concurrent for n, p in capacity.budget_pools.items()}
    if capacity.wip_caps is not None:
        per = capacity.wip_caps.per_provider
        shown |= {f"wip_caps.per_provider.{p}": cap for p, cap in per.items()}
    return shown


def cap_uses(
    views: Iterable[LeaseView], capacity: Capacity, names_of: Callable[[str], tuple[str, ...]]
) -> tuple[CapUse, ...]:
    """Every declared fleet-wide cap, and every cap a live lease is under, with its use."""
    used: dict[tuple[str, ...], tuple[str, int, list[str]]] = {}
    for held in live_held(views, names_of):
        for slot in slots(capacity, held.host, held.names, held.provider, held.features):
            label = slot.cap
            if slot.key[0] == "machine":  # one per host: name the host under a shared key
                label = f"{slot.cap} ({held.host})" if slot.cap.endswith(".default") else label
            used.setdefault(slot.key, (label, slot.limit, []))[2].append(held.item)
    rows = {
        label: CapUse(label, limit, len(items), tuple(items))
        for label, limit, items in used.values()
    }
    for label, limit in _declared(capacity).items():
        rows.setdefault(label, CapUse(label, limit, 0, ()))
    return tuple(sorted(rows.values(), key=lambda c: (not c.over, not c.full, c.cap)))


@dataclass(frozen=True)
class LeaseFacts:
    """What the section is built from: the folder's current leases, the caps in effect, every
    name a host goes by, and the moment the page is made."""

    views: Sequence[LeaseView]
    capacity: Capacity
    names_of: Callable[[str], tuple[str, ...]]
    now: datetime


def leases_view(facts: LeaseFacts, anchors: Mapping[str, str]) -> tuple[LeasesView, list[GapView]]:
    """The section's data and the gaps (stale leases, double bookings) for the top list
    (``anchors``: item id -> its section on the page)."""
    views, capacity, names_of, now = facts.views, facts.capacity, facts.names_of, facts.now
    shown = [v for v in views if v.state is not State.RELEASED]
    rows = []
    gaps: list[GapView] = []
    for view in sorted(shown, key=lambda v: (_ORDER[v.state], v.expires, v.item)):
        anchor = anchors.get(view.item, SECTION)
        if view.state is State.STALE:
            text = view.stale_text(now)
            gaps.append(
                GapView(
                    "stale",
                    view.item,
                    anchor,
                    text.removeprefix(f"{view.item} {view.stage}: "),
                    view.stage,
                    (
                        f"record how it ended: wrk outcome {view.item} --stage "
                        f"{view.lease.for_stage} --exit-code N",
                        f"or claim it again: wrk gate ITEM --stage {view.stage}",
                    ),
                    short_time(view.expires),
                )
            )
        else:
            text = f"until {view.expires}" + (
                f", heartbeat {view.heartbeat_at}" if view.heartbeat_at else ""
            )
        rows.append(
            LeaseRow(
                item=view.item,
                anchor=anchor,
                stage=view.stage,
                hosts=", ".join(view.hosts),
                provider=view.provider or "-",
                state=view.state.value,
                taken=short_time(view.taken_at),
                expires=short_time(view.expires),
                text=text,
                record=view.record,
            )
        )
    for booking in double_bookings(views, capacity, names_of):
        first = booking.holders[0]
        gaps.append(
            GapView(
                "p1",
                first.item,
                anchors.get(first.item, SECTION),
                booking.double_booking,
                first.stage,
                (
                    "cross-machine claims are detected after the merge, not prevented: "
                    "release one (wrk outcome ITEM --stage S --exit-code N) and claim it "
                    "again when a slot frees",
                ),
            )
        )
    section = LeasesView(tuple(rows), cap_uses(views, capacity, names_of), not capacity.empty)
    return section, gaps
