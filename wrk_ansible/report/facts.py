"""The plain facts a report is built from: what was read, with no logic and no I/O.

:mod:`wrk_ansible.report.collect` fills these from WRK files, the registry and the evidence
store; :mod:`wrk_ansible.report.data` turns them into what the page shows. Tests build them by
hand.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IssueFact:
    """A contract error or warning; ``unknown_machine`` names the machine when that is the issue."""

    field: str | None
    message: str
    line: int | None = None
    file: str | None = None
    unknown_machine: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class GapFact:
    """A gap a gate recorded (P1: the stage paused), with what could unblock it."""

    priority: str
    summary: str
    proposals: tuple[str, ...] = ()


@dataclass(frozen=True)
class GateFact:
    """One gate record of one stage (``kind: gate`` in the WRK's evidence chains)."""

    stage: str
    verdict: str
    time: str
    record: str
    reason: str = ""
    hosts: tuple[str, ...] = ()
    agent: str | None = None
    gaps: tuple[GapFact, ...] = ()


@dataclass(frozen=True)
class RowFacts:
    """One row of a contract's matrix, as declared (or derived)."""

    stage: str
    #: Primary agent(s): one name, or the whole pool of an ``agents:`` list.
    primary: tuple[str, ...] = ()
    secondary: tuple[str, ...] = ()
    advisory: tuple[str, ...] = ()
    any_agent: bool = False
    #: Named workstations (canonical names when the registry knows them), in order.
    assigned: tuple[str, ...] = ()
    #: ``{group: G, count: N}`` scopes: the group and how many of its hosts.
    group: str | None = None
    group_count: int = 1
    parallel: bool = False
    fallback: tuple[str, ...] = ()
    on_unavailable: str | None = None
    gates: tuple[str, ...] = ()
    #: False when the row comes from the template filled with legacy fields.
    explicit: bool = True


@dataclass(frozen=True)
class ChainFact:
    """The evidence chains of one WRK, as ``wrk evidence verify`` sees them."""

    chains: int = 0
    records: int = 0
    signed: int = 0
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandoffFact:
    """Work moving from one machine to another (``kind: handoff``)."""

    record: str
    time: str
    source: str
    target: str
    stage: str | None = None
    artifacts: int = 0
    note: str | None = None


@dataclass(frozen=True)
class RoutingFact:
    """How an issue was routed: the machine and provider and who chose each (``label``,
    ``rule N``, ``lane``, ``default``), the host the machine is, and why it is not routable."""

    machine: str | None = None
    machine_by: str | None = None
    host: str | None = None
    provider: str | None = None
    provider_by: str | None = None
    routable: bool = True
    reason: str | None = None


@dataclass(frozen=True)
class ItemFacts:
    """Everything read about one work item (a WRK file or an issue)."""

    path: str
    wrk_id: str
    title: str | None = None
    status: str | None = None
    derived: bool = False
    errors: tuple[IssueFact, ...] = ()
    warnings: tuple[IssueFact, ...] = ()
    #: The seven rows; empty when the contract could not be built at all.
    rows: tuple[RowFacts, ...] = ()
    gates: tuple[GateFact, ...] = ()
    chain: ChainFact = ChainFact()
    handoffs: tuple[HandoffFact, ...] = ()
    #: An issue's web page; its routing (None for a WRK file).
    url: str | None = None
    routing: RoutingFact | None = None

    @property
    def is_issue(self) -> bool:
        return self.routing is not None


@dataclass(frozen=True)
class HostFact:
    """One inventory host as the queue view needs it."""

    name: str
    state: str = "active"
    state_reason: str | None = None
    groups: tuple[str, ...] = ()
    licensed: bool = False
