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
from wrk_ansible.decision.outcomes import Gap


@dataclass(frozen=True)
class Held:
    """One live lease: who holds which slots, until when (the one clock format)."""

    item: str
    stage: str
    host: str
    provider: str | None
    features: tuple[str, ...]
    expires: str
    record: str

    @property
    def text(self) -> str:
        by = f" by {self.provider}" if self.provider else ""
        return f"{self.item} {self.stage} on {self.host}{by} until {self.expires}"


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
class Breach:
    """A cap the claim would exceed: which (``solver_pools.flex``), its limit, and who
    holds its slots."""

    cap: str
    limit: int
    holders: tuple[Held, ...]

    @property
    def summary(self) -> str:
        held = "; ".join(h.text for h in self.holders) or "no one (the cap is 0)"
        return f"{self.cap} is full ({len(self.holders)} of {self.limit}): held by {held}"


def _folded(values: Iterable[str | None]) -> set[str]:
    return {v.casefold() for v in values if v}


def breaches(capacity: Capacity, want: Want, held: Sequence[Held]) -> list[Breach]:
    """Every cap ``want`` would exceed, given the live leases ``held`` (see the module)."""
    others = [h for h in held if h.item.casefold() != want.item.casefold()]
    host = want.host.casefold()
    on_host = [h for h in others if h.host.casefold() == host]
    features = _folded(want.features)
    found: list[Breach] = []

    def full(cap: str, limit: int, holders: list[Held]) -> None:
        if len(holders) >= limit:
            found.append(Breach(cap, limit, tuple(sorted(holders, key=lambda h: h.expires))))

    for name, pool in capacity.solver_pools.items():
        members = _folded(pool.members)
        if features & members:
            full(
                f"solver_pools.{name}",
                pool.max_concurrent,
                [h for h in others if _folded(h.features) & members],
            )
    for feature, runs in capacity.host_concurrency((want.host, *want.names)).items():
        if feature.casefold() in features:
            holders = [h for h in on_host if feature.casefold() in _folded(h.features)]
            full(f"concurrency.{want.host}.{feature}", runs, holders)
    caps = capacity.wip_caps
    if caps is not None:
        machine = caps.machine_cap((want.host, *want.names))
        if machine is not None:
            full(f"wip_caps.per_machine.{machine[0]}", machine[1], on_host)
    if want.provider:
        provider = want.provider.casefold()
        if caps is not None and (limit := caps.provider_cap(want.provider)) is not None:
            holders = [h for h in others if (h.provider or "").casefold() == provider]
            full(f"wip_caps.per_provider.{want.provider}", limit, holders)
        for name, budget in capacity.pools_of_provider(want.provider):
            members = _folded(budget.members)
            holders = [h for h in others if (h.provider or "").casefold() in members]
            full(f"budget_pools.{name}", budget.max_concurrent, holders)
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
