"""Leases read from evidence (wrk_ansible.evidence.leases), on a fixed clock: live until their
TTL, renewed by a heartbeat, released by an outcome of their row, a later gate of the same row
or a passing close; an expired one is stale and frees its slots; seat reservations written
before leases read as leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wrk_ansible import clock
from wrk_ansible.errors import WrkError
from wrk_ansible.evidence import leases
from wrk_ansible.evidence import ledger as ledger_module
from wrk_ansible.evidence.leases import State
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.evidence.records import GateBody, OutcomeBody, Reservation, append

T0 = datetime(2026, 8, 2, 2, 0, tzinfo=UTC)


class Clock:
    """The record clock, moved by hand (the ledger stamps records with it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = T0
        monkeypatch.setattr(ledger_module, "utc_now", lambda: clock.stamp(self.now))

    def at(self, minutes: float) -> datetime:
        self.now = T0 + timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "evidence", clone="c0ffee01")


def claim(
    ledger: Ledger,
    item: str,
    *,
    now: datetime,
    verdict: str = "pass",
    stage: str = "claim",
    host: str = "build1",
    features: tuple[tuple[str, int], ...] = (),
    ttl: float = 90,
) -> str:
    lease = leases.take(
        "execute",
        hosts=(host,),
        provider="agent-a",
        features=features,
        caps=("wip_caps.per_machine.default",),
        ttl_minutes=ttl,
        now=now,
    )
    body = GateBody.model_validate(
        {"stage": stage, "verdict": verdict, **({"lease": lease} if verdict == "pass" else {})}
    )
    return append(ledger, item, "orchestrator", body).id


def outcome(ledger: Ledger, item: str, stage: str = "execute") -> str:
    body = OutcomeBody(stage=stage, host="build1", attempt=1, exit_code=0, ran=True, succeeded=True)
    return append(ledger, item, "build1", body).id


def test_a_lease_is_live_until_its_ttl_then_stale(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    tick = Clock(monkeypatch)
    taken = claim(ledger, "WRK-1", now=tick.at(0))
    (view,) = leases.leases(ledger, now=tick.at(89))
    assert (view.item, view.stage, view.record, view.state) == ("WRK-1", "claim", taken, State.LIVE)
    assert view.expires == "2026-08-02T03:30:00.000000Z"
    assert [h.host for h in view.held()] == ["build1"]
    (late,) = leases.leases(ledger, now=tick.at(91))
    assert late.state is State.STALE
    assert leases.live([late]) == []  # an expired lease frees its slot
    assert late.stale_text(tick.at(180)) == (
        f"WRK-1 claim: claimed 3.0 h ago on build1 by agent-a, no heartbeat, expired "
        f"2026-08-02T03:30:00.000000Z, no outcome ({taken})"
    )


def test_a_heartbeat_keeps_it_and_an_expired_one_is_refused(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    tick = Clock(monkeypatch)
    claim(ledger, "WRK-1", now=tick.at(0))
    now = tick.at(60)
    view = leases.renewable(leases.of_item(ledger, "WRK-1", now=now), "WRK-1", "execute", now)
    beat = leases.heartbeat_body(view, 90, "build1", now)
    append(ledger, "WRK-1", "build1", beat)
    assert beat.expires == "2026-08-02T04:30:00.000000Z"
    kept = leases.of_item(ledger, "WRK-1", now=tick.at(120))
    assert kept is not None
    assert (kept.state, kept.expires, kept.heartbeat_at) == (
        State.LIVE,
        beat.expires,
        "2026-08-02T03:00:00.000000Z",
    )
    now = tick.at(151)
    with pytest.raises(WrkError, match=r"expired at 2026-08-02T04:30:00.000000Z.*claim again"):
        leases.renewable(leases.of_item(ledger, "WRK-1", now=now), "WRK-1", "claim", now)
    with pytest.raises(WrkError, match="holds no lease for review"):
        leases.renewable(leases.of_item(ledger, "WRK-1", now=now), "WRK-1", "review", now)
    with pytest.raises(WrkError, match="WRK-2 holds no lease"):
        leases.renewable(leases.of_item(ledger, "WRK-2", now=now), "WRK-2", "claim", now)


def test_an_outcome_of_its_row_releases_it(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    tick = Clock(monkeypatch)
    claim(ledger, "WRK-1", now=tick.at(0))
    tick.at(5)
    outcome(ledger, "WRK-1", stage="review")  # another row's outcome releases nothing
    assert leases.live(leases.leases(ledger, now=tick.at(6)))
    tick.at(10)
    done = outcome(ledger, "WRK-1")
    (view,) = leases.leases(ledger, now=tick.at(11))
    assert (view.state, view.released_by) == (State.RELEASED, done)
    now = tick.at(12)
    with pytest.raises(WrkError, match=f"released by {done}"):
        leases.renewable(view, "WRK-1", "claim", now)


def test_a_later_gate_of_its_row_or_a_passing_close_releases_it(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    tick = Clock(monkeypatch)
    claim(ledger, "WRK-1", now=tick.at(0))
    tick.at(1)
    paused = claim(ledger, "WRK-1", now=tick.at(1), verdict="pause")
    (view,) = leases.leases(ledger, now=tick.at(2))
    assert (view.state, view.released_by) == (State.RELEASED, paused)
    again = claim(ledger, "WRK-1", now=tick.at(3))  # claimed again: a new lease
    (view,) = leases.leases(ledger, now=tick.at(4))
    assert (view.record, view.state) == (again, State.LIVE)
    tick.at(5)
    closed = append(ledger, "WRK-1", "orchestrator", GateBody(stage="close", verdict="pass")).id
    (view,) = leases.leases(ledger, now=tick.at(6))
    assert (view.state, view.released_by) == (State.RELEASED, closed)


def test_live_leases_count_seats_across_items_never_the_items_own(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    tick = Clock(monkeypatch)
    claim(ledger, "WRK-1", now=tick.at(0), features=(("solver-a", 2),))
    claim(ledger, "WRK-2", now=tick.at(1), host="Build2", features=(("solver-a", 1),))
    views = leases.leases(ledger, now=tick.at(2))
    assert leases.seats_held(views) == {("build1", "solver-a"): 2, ("build2", "solver-a"): 1}
    assert leases.seats_held(views, exclude="WRK-1") == {("build2", "solver-a"): 1}


def test_a_seat_reservation_written_before_leases_reads_as_one(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    tick = Clock(monkeypatch)
    seats = Reservation(host="build1", feature="solver-a", seats=1, expires="2026-08-05T00:00:00Z")
    old = GateBody(stage="execute", verdict="pass", reservations=(seats,))
    taken = append(ledger, "WRK-7", "build1", old).id
    (view,) = leases.leases(ledger, now=tick.at(10))
    assert (view.record, view.stage, view.state, view.provider) == (
        taken,
        "execute",
        State.LIVE,
        None,
    )
    assert leases.seats_held([view]) == {("build1", "solver-a"): 1}
    (gone,) = leases.leases(ledger, now=datetime(2026, 8, 6, tzinfo=UTC))
    assert gone.state is State.STALE


def test_an_issue_lease_names_the_issue_as_its_contract_does(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    tick = Clock(monkeypatch)
    lease = leases.take(
        "execute", item="acme/widgets#5", hosts=("build1",), provider="agent-a",
        features=(), caps=(), ttl_minutes=90, now=tick.at(0),
    )  # fmt: skip
    append(
        ledger,
        "acme/widgets#5",
        "orchestrator",
        GateBody(stage="claim", verdict="pass", lease=lease),
    )
    (view,) = leases.leases(ledger, now=tick.at(1))
    assert view.item == "acme/widgets#5"  # not its folder name: it is compared with the claim's
    assert [h.item for h in view.held()] == ["acme/widgets#5"]
    assert leases.of_item(ledger, "acme/widgets#5", now=tick.at(1)) == view
