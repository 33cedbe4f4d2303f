"""Whether a claim fits the declared capacity (wrk_ansible.decision.capacity): the team's real
pools and caps (its routing rules file), worked cases, and a property: granting only claims
that fit never puts more holders under any cap than its limit."""

from __future__ import annotations

from _issuekit import rules
from hypothesis import given, settings
from hypothesis import strategies as st

from wrk_ansible.capacity.model import Capacity, SolverPool, WipCaps
from wrk_ansible.decision.capacity import Held, Want, breaches, capacity_gap, overbooked

TEAM = rules().capacity()
#: The inventory hosts and the roster names the team's file writes caps with.
NAMES = {
    "dev-primary": ("ace-linux-1",),
    "ace-win-1": ("licensed-win-1",),
    "ace-win-2": ("licensed-win-2",),
    "gpu-claw": ("cfd-dedicated",),
}


def held(item: str, host: str, provider: str | None, *features: str, until: str = "T1") -> Held:
    return Held(
        item, "execute", host, provider, features, until, f"{item}/w/000001", NAMES.get(host, ())
    )


def want(item: str, host: str, provider: str | None, *features: str) -> Want:
    return Want(item, "execute", host, NAMES.get(host, ()), provider, features)


def test_the_last_orcina_seat_is_fleet_wide() -> None:
    taken = [held("o/r#1", "ace-win-2", "codex", "orcawave", until="2026-08-01T12:00:00Z")]
    (full,) = breaches(TEAM, want("o/r#2", "ace-win-1", "claude", "orcaflex"), taken)
    assert full.cap == "solver_pools.orcina_flex"
    assert full.limit == 1
    assert full.holders == tuple(taken)
    assert full.summary == (
        "solver_pools.orcina_flex is full (1 of 1): held by o/r#1 execute on ace-win-2 by codex "
        "until 2026-08-01T12:00:00Z (o/r#1/w/000001)"
    )
    assert breaches(TEAM, want("o/r#1", "ace-win-1", "claude", "orcaflex"), taken) == []  # own


def test_machine_caps_use_the_roster_name_and_the_default() -> None:
    two = [held("a#1", "ace-win-1", "claude"), held("a#2", "ace-win-1", "claude")]
    (full,) = breaches(TEAM, want("a#3", "ace-win-1", "claude"), two)
    assert (full.cap, full.limit) == ("wip_caps.per_machine.licensed-win-1", 2)
    one = [held("a#1", "macbook-portable", "claude")]
    (fail_closed,) = breaches(TEAM, want("a#2", "macbook-portable", "claude"), one)
    assert (fail_closed.cap, fail_closed.limit) == ("wip_caps.per_machine.default", 1)
    assert breaches(TEAM, want("a#3", "dev-primary", "claude"), two + one) == []


def test_budget_pools_count_their_providers_combined() -> None:
    three = [
        held("a#1", "dev-primary", "codex"),
        held("a#2", "dev-secondary", "hermes"),
        held("a#3", "gpu-claw", "codex"),
    ]
    (full,) = breaches(TEAM, want("a#4", "dev-secondary", "hermes"), three)
    assert (full.cap, full.limit, len(full.holders)) == ("budget_pools.codex_pool", 3, 3)
    assert breaches(TEAM, want("a#4", "dev-secondary", "claude"), three) == []


def test_per_host_concurrency_of_a_feature() -> None:
    two = [held("a#1", "ace-win-1", "claude", "aqwa"), held("a#2", "ace-win-1", "codex", "aqwa")]
    found = {b.cap for b in breaches(TEAM, want("a#3", "ace-win-1", "gemini", "aqwa"), two)}
    # the machine's WIP cap of 2 is full too: both are named, never only the first
    assert found == {"concurrency.ace-win-1.aqwa", "wip_caps.per_machine.licensed-win-1"}


def test_the_gap_names_caps_holders_and_what_unblocks_it() -> None:
    taken = [
        held("o/r#1", "ace-win-2", "codex", "orcawave", until="2026-08-01T15:00:00Z"),
    ]
    found = breaches(TEAM, want("o/r#2", "ace-win-1", "claude", "orcaflex"), taken)
    gap = capacity_gap("o/r#2", "claim", found, ("ace-win-2",))
    assert gap.priority == "P1"
    assert gap.summary.startswith("o/r#2 claim: over capacity: solver_pools.orcina_flex is full")
    assert gap.proposals[0].startswith("wait: the earliest slot frees at 2026-08-01T15:00:00Z")
    assert gap.proposals[1] == "claim on ace-win-2: it has room and meets the requirements"


def test_nothing_declared_caps_nothing() -> None:
    many = [held(f"a#{n}", "dev-primary", "claude", "aqwa") for n in range(50)]
    assert breaches(Capacity(), want("b#1", "dev-primary", "claude", "aqwa"), many) == []


HOSTS = ("h1", "h2", "h3")
PROVIDERS = ("p1", "p2", None)
FEATURES = ("f1", "f2", "f3")
CAPS = Capacity(
    solver_pools={"pool": SolverPool(members=("f1", "f2"), max_concurrent=2)},
    wip_caps=WipCaps(per_machine={"default": 2, "h1": 3}, per_provider={"p1": 2}),
    concurrency={"h2": {"f3": 1}},
)


def _under(leases: list[Held]) -> bool:
    """Every cap of CAPS holds at most its limit."""
    pool = sum(1 for h in leases if {"f1", "f2"} & set(h.features))
    per_host = {host: sum(1 for h in leases if h.host == host) for host in HOSTS}
    p1 = sum(1 for h in leases if h.provider == "p1")
    f3_h2 = sum(1 for h in leases if h.host == "h2" and "f3" in h.features)
    return (pool <= 2 and per_host["h1"] <= 3 and per_host["h2"] <= 2 and per_host["h3"] <= 2) and (
        p1 <= 2 and f3_h2 <= 1
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(HOSTS),
            st.sampled_from(PROVIDERS),
            st.lists(st.sampled_from(FEATURES), max_size=2, unique=True),
        ),
        max_size=25,
    )
)
def test_granting_only_what_fits_never_exceeds_a_cap(
    claims: list[tuple[str, str | None, list[str]]],
) -> None:
    leases: list[Held] = []
    for n, (host, provider, features) in enumerate(claims):
        asked = Want(f"i#{n}", "execute", host, (), provider, tuple(features))
        lease = Held(f"i#{n}", "execute", host, provider, tuple(features), "T", "r")
        if breaches(CAPS, asked, leases):
            # a refusal is never for nothing: granting it would have exceeded a cap
            assert not _under([*leases, lease])
            continue
        leases.append(lease)
        assert _under(leases)


def test_two_leases_over_a_pool_of_one_are_a_double_booking() -> None:
    one = held("o/r#1", "ace-win-1", "claude", "orcaflex", until="2026-08-01T12:00:00Z")
    two = held("o/r#2", "ace-win-2", "codex", "orcawave", until="2026-08-01T11:00:00Z")
    (double,) = [b for b in overbooked(TEAM, [one, two]) if b.cap.startswith("solver_pools")]
    assert (double.cap, double.limit, double.holders) == ("solver_pools.orcina_flex", 1, (two, one))
    assert [b for b in overbooked(TEAM, [one]) if b.cap.startswith("solver_pools")] == []
    # per-machine caps are one per host: the default of 1 on two machines is not one cap
    laptop = held("a#1", "macbook-portable", "claude")
    other = held("a#2", "dev-secondary", "hermes")
    assert overbooked(Capacity(wip_caps=WipCaps(per_machine={"default": 1})), [laptop, other]) == []


def test_an_item_on_two_hosts_is_one_item_of_its_provider() -> None:
    caps = Capacity(wip_caps=WipCaps(per_provider={"claude": 1}))
    both = [held("WRK-1", "build1", "claude"), held("WRK-1", "build2", "claude")]
    assert overbooked(caps, both) == []  # one item, not a double booking
    (full,) = breaches(caps, want("WRK-2", "build3", "claude"), both)
    assert (full.cap, len(full.holders)) == ("wip_caps.per_provider.claude", 1)
    assert breaches(caps, want("WRK-1", "build3", "claude"), both) == []  # its own lease


def test_an_issue_never_competes_with_its_own_lease() -> None:
    caps = Capacity(wip_caps=WipCaps(per_machine={"default": 1}))
    mine = [held("acme/widgets#5", "build1", "claude")]
    assert breaches(caps, want("acme/widgets#5", "build1", "claude"), mine) == []
