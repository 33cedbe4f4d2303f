"""Leases: the capacity a passing gate takes, renews and gives back, read from the evidence.

One mechanism for license seats and declared caps. A gate that passes (or falls back) on a row
that takes capacity records a :class:`~wrk_ansible.evidence.records.Lease` in its gate record:
the ``claim`` row for the work it claims (the ``execute`` row: its host, provider and license
seats), and any row needing license seats for its own hosts. A lease is **live** until its TTL
ends (``wrk heartbeat`` renews it), and **released** by the item's next step:

- an ``outcome`` record of the lease's row (``for_stage``), written after it;
- a later gate of the same row (it took its own lease, or none because it did not pass);
- a passing ``close`` gate of the item.

An item holds at most one lease, its newest. A lease past its TTL and not released is
**stale**: it frees its slots (the next claim may take them) and shows as a gap until someone
records the outcome. Gate records written before leases list ``reservations`` (seats per host);
they read as leases of those seats, with their own expiry.

Every live lease in the evidence folder counts, whichever clone wrote it: the folder merged
through git is the fleet's shared state. On one machine claims serialise on :func:`lock`, one
lock for the whole folder; across machines nothing can prevent two clones taking the last slot
before they merge, so verify and the report find the double booking afterwards
(:func:`wrk_ansible.decision.capacity.overbooked`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final

from filelock import FileLock, Timeout

from wrk_ansible import clock
from wrk_ansible.capacity.model import Capacity
from wrk_ansible.decision.capacity import Breach, Held, overbooked
from wrk_ansible.decision.outcomes import Verdict
from wrk_ansible.errors import WrkError
from wrk_ansible.evidence.ledger import Ledger, Record, folder_of
from wrk_ansible.evidence.query import select
from wrk_ansible.evidence.records import (
    GateBody,
    HeartbeatBody,
    Lease,
    LeasedSeats,
    OutcomeBody,
    TypedRecord,
)

#: The lease TTL when none is configured, as the team's dispatch records use.
DEFAULT_TTL_MINUTES: Final = 90.0
#: Verdicts whose gate holds its lease.
PASSING: Final = (Verdict.PASS, Verdict.FALLBACK)
LOCK_NAME: Final = ".leases.lock"
LOCK_TIMEOUT: Final = 120.0
#: The record kinds a lease's state is read from (their file names end ``-<kind>.json``).
_KINDS: Final = (GateBody.KIND, HeartbeatBody.KIND, OutcomeBody.KIND)


class State(Enum):
    LIVE = "live"
    STALE = "stale"
    RELEASED = "released"


@dataclass(frozen=True)
class LeaseView:
    """One item's lease as the evidence shows it now."""

    item: str
    stage: str
    lease: Lease
    record: str
    taken_at: str
    #: The lease's end: its own, or the newest heartbeat's.
    expires: str
    heartbeat_at: str | None
    released_by: str | None
    state: State

    @property
    def hosts(self) -> tuple[str, ...]:
        return self.lease.hosts

    @property
    def provider(self) -> str | None:
        return self.lease.provider

    def held(self, names_of: Callable[[str], tuple[str, ...]] = lambda h: ()) -> list[Held]:
        """One :class:`Held` per host (``names_of``: every other name a host goes by)."""
        features = tuple(f.feature for f in self.lease.features)
        return [
            Held(
                self.item,
                self.stage,
                host,
                self.provider,
                features,
                self.expires,
                self.record,
                names_of(host),
            )
            for host in self.hosts
        ]

    def stale_text(self, now: datetime) -> str:
        """``claimed 3.2 h ago on build1 by agent-a, no heartbeat since ..., no outcome``."""
        taken = clock.parse(self.taken_at)
        ago = f"{(now - taken).total_seconds() / 3600:.1f} h ago" if taken else "at an unknown time"
        by = f" by {self.provider}" if self.provider else ""
        beat = f"no heartbeat since {self.heartbeat_at}" if self.heartbeat_at else "no heartbeat"
        return (
            f"{self.item} {self.stage}: claimed {ago} on {', '.join(self.hosts)}{by}, "
            f"{beat}, expired {self.expires}, no outcome ({self.record})"
        )


@contextmanager
def lock(ledger: Ledger, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """The evidence folder's one lease lock: a claim reads the live leases, decides and records
    its own while holding it, so two claims on this machine never take the same last slot."""
    path = ledger.root / LOCK_NAME
    try:
        ledger.root.mkdir(parents=True, exist_ok=True)
        held = FileLock(str(path), timeout=timeout)
        held.acquire()
    except Timeout:
        raise WrkError(
            f"{path}: another claim held the lease lock for {timeout:g} s; this row was not "
            "decided or recorded"
        ) from None
    except OSError as exc:
        raise WrkError(f"{path}: cannot take the lease lock: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        held.release()


def take(
    for_stage: str,
    *,
    item: str | None = None,
    hosts: Sequence[str],
    provider: str | None,
    features: Iterable[tuple[str, int]],
    caps: Iterable[str],
    ttl_minutes: float,
    now: datetime | None = None,
) -> Lease:
    """The lease a passing gate records (expiring ``ttl_minutes`` from ``now``)."""
    return Lease(
        for_stage=for_stage,
        item=item,
        hosts=tuple(hosts),
        provider=provider,
        features=tuple(LeasedSeats(feature=f, seats=n) for f, n in features),
        caps=tuple(dict.fromkeys(caps)),
        ttl_minutes=ttl_minutes,
        expires=clock.later(ttl_minutes / 60, now=now),
    )


def _legacy(gate: TypedRecord[GateBody]) -> Lease | None:
    """A gate record's seat reservations (written before leases) as a lease."""
    seats = gate.body.reservations
    if not seats:
        return None
    features: dict[str, int] = {}
    for held in seats:
        features.setdefault(held.feature, held.seats)
    return Lease(
        for_stage=gate.body.stage,
        hosts=tuple(dict.fromkeys(s.host for s in seats)),
        features=tuple(LeasedSeats(feature=f, seats=n) for f, n in features.items()),
        ttl_minutes=1,
        expires=max(s.expires for s in seats),
    )


def _later(record: TypedRecord[Any], than: TypedRecord[Any]) -> bool:
    return record.order > than.order


def item_lease(records: Sequence[Record], now: datetime) -> LeaseView | None:
    """The item's newest lease and its state, from the item's records; None: it never took
    one (or its newest passing gate holding one was of another shape)."""
    gates = sorted(select(records, GateBody), key=lambda g: g.order)
    holding = [(g, g.body.lease or _legacy(g)) for g in gates if g.body.verdict in PASSING]
    taken = [(g, lease) for g, lease in holding if lease is not None]
    if not taken:
        return None
    gate, lease = taken[-1]
    released_by: str | None = None
    for later in gates:
        if not _later(later, gate):
            continue
        same_row = later.body.stage == gate.body.stage
        closed = later.body.stage == "close" and later.body.verdict in PASSING
        if same_row or closed:
            released_by = later.id
            break
    if released_by is None:
        done = [
            o
            for o in select(records, OutcomeBody)
            if o.body.stage == lease.for_stage and _later(o, gate)
        ]
        if done:
            released_by = min(done, key=lambda o: o.order).id
    beats = sorted(
        (h for h in select(records, HeartbeatBody) if h.body.lease == gate.id),
        key=lambda h: h.order,
    )
    expires = max([lease.expires, *(h.body.expires for h in beats)], key=_when)
    if released_by is not None:
        state = State.RELEASED
    elif _when(expires) > now:
        state = State.LIVE
    else:
        state = State.STALE
    return LeaseView(
        item=lease.item or gate.wrk,
        stage=gate.body.stage,
        lease=lease,
        record=gate.id,
        taken_at=gate.time,
        expires=expires,
        heartbeat_at=beats[-1].time if beats else None,
        released_by=released_by,
        state=state,
    )


def _when(stamp: str) -> datetime:
    found = clock.parse(stamp)
    return found if found is not None else datetime.min.replace(tzinfo=UTC)


def leases(ledger: Ledger, *, now: datetime | None = None) -> list[LeaseView]:
    """Every item's current lease in the evidence folder (live, stale or released)."""
    moment = now or datetime.now(UTC)
    out = []
    for folder in dict.fromkeys(w for w, _ in ledger.chains() if not w.startswith("_")):
        found = item_lease(ledger.records(folder, kinds=_KINDS), moment)
        if found is not None:
            out.append(found)
    return out


def of_item(ledger: Ledger, item: str, *, now: datetime | None = None) -> LeaseView | None:
    """One item's current lease."""
    return item_lease(ledger.records(folder_of(item), kinds=_KINDS), now or datetime.now(UTC))


def live(views: Iterable[LeaseView]) -> list[LeaseView]:
    return [v for v in views if v.state is State.LIVE]


def live_held(
    views: Iterable[LeaseView], names_of: Callable[[str], tuple[str, ...]] = lambda h: ()
) -> list[Held]:
    """The slots the live leases hold, one per lease and host (what the caps count)."""
    return [h for view in live(views) for h in view.held(names_of)]


def seats_held(
    views: Iterable[LeaseView], *, exclude: str | None = None
) -> dict[tuple[str, str], int]:
    """Seats live leases hold per (host, feature), casefolded; ``exclude``: an item whose own
    lease never counts against it."""
    skip = folder_of(exclude) if exclude else None
    totals: dict[tuple[str, str], int] = {}
    for view in live(views):
        if skip is not None and folder_of(view.item) == skip:
            continue
        for host in view.hosts:
            for seats in view.lease.features:
                key = (host.casefold(), seats.feature.casefold())
                totals[key] = totals.get(key, 0) + seats.seats
    return totals


def renewable(view: LeaseView | None, item: str, stage: str, now: datetime) -> LeaseView:
    """The live lease ``wrk heartbeat ITEM --stage STAGE`` renews (the row that took it, or the
    row it is for); refused (exit 1) with why when there is none, it was released or it expired:
    an expired lease may already be another claim's slot, so the item must be claimed again."""
    if view is None or stage not in (view.stage, view.lease.for_stage):
        raise WrkError(f"{item} holds no lease for {stage}: claim it first (wrk gate ITEM claim)")
    if view.state is State.RELEASED:
        raise WrkError(
            f"{item}'s lease {view.record} was released by {view.released_by}: claim again"
        )
    if view.state is State.STALE:
        raise WrkError(
            f"{item}'s lease {view.record} expired at {view.expires}: its slot may be taken; "
            "claim again"
        )
    return view


def heartbeat_body(view: LeaseView, minutes: float, ran_on: str, now: datetime) -> HeartbeatBody:
    """A heartbeat renewing ``view`` for ``minutes`` from ``now`` (never shortening it)."""
    renewed = clock.later(minutes / 60, now=now)
    return HeartbeatBody(
        stage=view.stage,
        lease=view.record,
        expires=max(renewed, view.expires, key=_when),
        ran_on=ran_on,
    )


def double_bookings(
    views: Iterable[LeaseView],
    capacity: Capacity,
    names_of: Callable[[str], tuple[str, ...]] = lambda h: (),
) -> list[Breach]:
    """Caps the live leases hold more of than their limit: two clones that each took the last
    slot before their evidence met (detected after the merge, never prevented)."""
    return overbooked(capacity, live_held(views, names_of)) if not capacity.empty else []
