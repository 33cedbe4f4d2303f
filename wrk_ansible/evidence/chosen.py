"""What a WRK's evidence says was chosen for each row: agent, hosts, verdict and when.

Read from the WRK's records (every writer's chain): the newest ``gate`` record of each row gives
its verdict, the hosts chosen and when it was decided; the newest ``routing`` record for a row
(the claim routes ``execute``) gives the agent the claim chose. The agent is the newer of the two
decisions: a gate run after the claim already carries the routed agent, and a claim run after a
gate re-routes the row. A row never gated has no hosts, verdict or time; its agent is the routed
one when the claim routed it, else None. Newest is by record time, then id
(:func:`~wrk_ansible.evidence.records.newest_key`); a record whose body does not validate is
left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from wrk_ansible.evidence.ledger import Record
from wrk_ansible.evidence.query import newest_per, select
from wrk_ansible.evidence.records import GateBody, RoutingBody

GATE: Final = GateBody.KIND
ROUTING: Final = RoutingBody.KIND


@dataclass(frozen=True)
class Chosen:
    """One row's latest choice, as recorded."""

    stage: str
    agent: str | None = None
    hosts: tuple[str, ...] | None = None
    verdict: str | None = None
    decided_at: str | None = None
    gate_record: str | None = None
    routing_record: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "chosen_agent": self.agent,
            "chosen_hosts": list(self.hosts) if self.hosts is not None else None,
            "verdict": self.verdict,
            "decided_at": self.decided_at,
            "gate_record": self.gate_record,
            "routing_record": self.routing_record,
        }


def chosen_rows(records: Iterable[Record], stages: Iterable[str]) -> dict[str, Chosen]:
    """Each of ``stages`` with its latest recorded choice (see the module docstring)."""
    records = list(records)
    gates = newest_per(select(records, GateBody), lambda r: r.body.stage)
    routes = newest_per(select(records, RoutingBody), lambda r: r.body.for_stage)
    out: dict[str, Chosen] = {}
    for stage in stages:
        gate, route = gates.get(stage), routes.get(stage)
        agent = None
        if route is not None and (gate is None or route.order > gate.order):
            agent = route.body.primary or None
        elif gate is not None:
            agent = gate.body.agent or None
        out[stage] = Chosen(
            stage,
            agent=agent,
            hosts=gate.body.for_hosts if gate is not None else None,
            verdict=gate.body.verdict.value if gate is not None and gate.body.verdict else None,
            decided_at=gate.time if gate is not None else None,
            gate_record=gate.id if gate is not None else None,
            routing_record=route.id if route is not None else None,
        )
    return out
