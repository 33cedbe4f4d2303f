"""Whether one more claim fits the declared capacity: pure, no I/O (issue 17, part 2's core).

The caller hands over the claim (:class:`Want`: the item, its stage, the host it would run on
with every name that host goes by, the provider, the license features it needs) and the live
leases every other item holds (:class:`Held`, read from the evidence by the lease mechanism).
:func:`breaches` names each cap the claim would exceed, its limit and the holders of its slots;
:func:`capacity_gap` turns them into the P1 gap a paused claim shows, with what would unblock it
(the earliest expiry; another machine with room). A claim is never moved to a lesser host here:
the gap proposes, a person or a rerun decides.

Counting: a lease is one slot of every cap it falls under (one run of a solver pool, one item
on its machine, one item of its provider and of each budget pool the provider is in, one run of
each feature on its host). Leases of the claiming item itself never count against it (a re-gate
of a claimed item is not a second claim).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wrk_ansible.capacity.model import Capacity
from wrk_ansible.decision.outcomes import Check, Gap, GateResult, Outcome, Verdict


@dataclass(frozen=True)
class Held:
    """One live lease: who holds which slots on one host, until when (the one clock format);
    ``names``: every other name the host goes by, for caps written with another spelling."""

    item: str
    stage: str
    host: str
    provider: str | None
    features: tuple[str, ...]
    expires: str
    record: str
    names: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        by = f" by {self.provider}" if self.provider else ""
        return f"{self.item} {self.stage} on {self.host}{by} until {self.expires} ({self.record})"


@dataclass(frozen=True)
class Want:
    """A claim asking for slots: ``host`` is the inventory host, ``names`` every name it goes
    by (aliases, roster names) for caps written with another spelling."""

    item: str
    stage: str
    host: str
    names: tuple[str, ...]
    provider: str | None
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slot:
    """One slot of one cap: ``cap`` as shown (``wip_caps.per_machine.default``), ``key`` the
    cap's identity (a per-machine cap is one per host), ``limit`` its size."""

    cap: str
    key: tuple[str, ...]
    limit: int


@dataclass(frozen=True)
class Breach:
    """A cap the claim would exceed (or, across merged clones, does exceed): which
    (``solver_pools.flex``), its limit, and who holds its slots."""

    cap: str
    limit: int
    holders: tuple[Held, ...]

    @property
    def summary(self) -> str:
        held = "; ".join(h.text for h in self.holders) or "no one (the cap is 0)"
        return f"{self.cap} is full ({len(self.holders)} of {self.limit}): held by {held}"

    @property
    def double_booking(self) -> str:
        """What an overbooked cap (:func:`overbooked`) is: ``double booking: ...``."""
        held = "; ".join(h.text for h in self.holders)
        return (
            f"double booking: {self.cap} holds {len(self.holders)} live leases over a limit "
            f"of {self.limit}: {held}"
        )


def _folded(values: Iterable[str | None]) -> set[str]:
    return {v.casefold() for v in values if v}


def slots(
    capacity: Capacity,
    host: str,
    names: tuple[str, ...],
    provider: str | None,
    features: Iterable[str],
) -> list[Slot]:
    """The slot of every cap a lease (or claim) on ``host`` by ``provider`` needing
    ``features`` takes: a run of each solver pool its features are in, a run of each feature
    capped on the host, an item on the machine, an item of the provider and of each budget
    pool the provider is in."""
    wanted = _folded(features)
    on = host.casefold()
    out: list[Slot] = []
    for name, pool in capacity.solver_pools.items():
        if wanted & _folded(pool.members):
            out.append(Slot(f"solver_pools.{name}", ("solver", name), pool.max_concurrent))
    for feature, runs in capacity.host_concurrency((host, *names)).items():
        if feature.casefold() in wanted:
            key: tuple[str, ...] = ("concurrency", on, feature.casefold())
            out.append(Slot(f"concurrency.{host}.{feature}", key, runs))
    caps = capacity.wip_caps
    if caps is not None and (machine := caps.machine_cap((host, *names))) is not None:
        out.append(Slot(f"wip_caps.per_machine.{machine[0]}", ("machine", on), machine[1]))
    if provider:
        if caps is not None and (limit := caps.provider_cap(provider)) is not None:
            key = ("provider", provider.casefold())
            out.append(Slot(f"wip_caps.per_provider.{provider}", key, limit))
        for name, budget in capacity.pools_of_provider(provider):
            out.append(Slot(f"budget_pools.{name}", ("budget", name), budget.max_concurrent))
    return out


def _keys(capacity: Capacity, held: Held) -> set[tuple[str, ...]]:
    return {s.key for s in slots(capacity, held.host, held.names, held.provider, held.features)}


def _by_expiry(holders: Iterable[Held]) -> tuple[Held, ...]:
    return tuple(sorted(holders, key=lambda h: (h.expires, h.record)))


#: Caps an item counts once against, however many hosts its lease holds.
_PER_ITEM = frozenset({"provider", "budget"})


def _counted(slot: Slot, holders: Iterable[Held]) -> list[Held]:
    """The holders of ``slot``: one per item for the caps of items (a provider's, a budget
    pool's), one per host for the caps of runs (a solver pool, a feature on a host)."""
    if slot.key[0] not in _PER_ITEM:
        return list(holders)
    seen: dict[str, Held] = {}
    for held in holders:
        seen.setdefault(held.item.casefold(), held)
    return list(seen.values())


def usage(capacity: Capacity, want: Want, held: Sequence[Held]) -> list[tuple[Slot, list[Held]]]:
    """Each slot ``want`` would take, with the live leases of other items under it."""
    others = [(h, _keys(capacity, h)) for h in held if h.item.casefold() != want.item.casefold()]
    return [
        (slot, _counted(slot, (h for h, keys in others if slot.key in keys)))
        for slot in slots(capacity, want.host, want.names, want.provider, want.features)
    ]


def breaches(capacity: Capacity, want: Want, held: Sequence[Held]) -> list[Breach]:
    """Every cap ``want`` would exceed, given the live leases ``held`` (see the module)."""
    return [
        Breach(slot.cap, slot.limit, _by_expiry(holders))
        for slot, holders in usage(capacity, want, held)
        if len(holders) >= slot.limit
    ]


def overbooked(capacity: Capacity, held: Sequence[Held]) -> list[Breach]:
    """Every cap that live leases already hold more of than its limit: a double booking, as
    two clones that each took the last slot show once their evidence is merged."""
    under: dict[tuple[str, ...], tuple[Slot, list[Held]]] = {}
    for lease in held:
        for slot in slots(capacity, lease.host, lease.names, lease.provider, lease.features):
            under.setdefault(slot.key, (slot, []))[1].append(lease)
    found = []
    for slot, holders in under.values():
        counted = _counted(slot, holders)
        if len(counted) > slot.limit:
            found.append(Breach(slot.cap, slot.limit, _by_expiry(counted)))
    return found


def capacity_gap(
    item: str, stage: str, found: Sequence[Breach], elsewhere: Sequence[str] = ()
) -> Gap:
    """The P1 gap of a claim that does not fit: every full cap with its holders, and what would
    unblock it (the earliest expiry among the holders; ``elsewhere``: machines with room that
    meet the requirements, which the caller found)."""
    holders = [h for b in found for h in b.holders]
    proposals = []
    if holders:
        first = min(holders, key=lambda h: h.expires)
        proposals.append(
            f"wait: the earliest slot frees at {first.expires} ({first.item} {first.stage} on "
            f"{first.host}), or when a holder records its outcome"
        )
    proposals += [f"claim on {host}: it has room and meets the requirements" for host in elsewhere]
    summary = f"{item} {stage}: over capacity: " + "; ".join(b.summary for b in found)
    return Gap("P1", summary, tuple(proposals))


def fit(
    capacity: Capacity,
    wants: Sequence[Want],
    held: Sequence[Held],
    alternatives: Sequence[Want] = (),
) -> GateResult | None:
    """The ``capacity`` check of a row taking a lease: PASS naming the caps it takes a slot of,
    or PAUSE with the P1 gap of :func:`capacity_gap` (``alternatives``: the same claim on the
    other machines the row names, proposed when they have room). None when nothing is capped.
    """
    if capacity.empty or not wants:
        return None
    found = [b for want in wants for b in breaches(capacity, want, held)]
    first = wants[0]
    if not found:
        taken = [
            f"{slot.cap} {len(holders) + 1} of {slot.limit}"
            for want in wants
            for slot, holders in usage(capacity, want, held)
        ]
        shown = ", ".join(dict.fromkeys(taken)) or "no cap applies"
        ok = Check(
            name="capacity",
            outcome=Outcome.PASS,
            reason="fits",
            required="room under every cap",
            found=shown,
            kind="capacity",
        )
        return GateResult((ok,), Verdict.PASS)
    room = [a.host for a in alternatives if not breaches(capacity, a, held)]
    gap = capacity_gap(first.item, first.stage, found, room)
    full = Check(
        name="capacity",
        outcome=Outcome.FAIL,
        reason="; ".join(b.summary for b in found),
        required="room under every cap",
        found=", ".join(f"{b.cap} {len(b.holders)} of {b.limit}" for b in found),
        kind="capacity",
        data={
            "breaches": [
                {"cap": b.cap, "limit": b.limit, "holders": [h.record for h in b.holders]}
                for b in found
            ]
        },
    )
    return GateResult((full,), Verdict.PAUSE, (gap,))
