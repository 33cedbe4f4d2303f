"""What a WRK's evidence says was chosen for each row: agent, hosts, verdict and when.

Read from the WRK's records (every writer's chain): the newest ``gate`` record of each row gives
its verdict, the hosts chosen and when it was decided; the newest ``routing`` record for a row
(the claim routes ``execute``) gives the agent the claim chose. The agent is the newer of the two
decisions: a gate run after the claim already carries the routed agent, and a claim run after a
gate re-routes the row. A row never gated has no hosts, verdict or time; its agent is the routed
one when the claim routed it, else None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from wrk_ansible.evidence.ledger import Record

GATE: Final = "gate"
ROUTING: Final = "routing"


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


def _newest(records: Iterable[Record]) -> Record | None:
    return max(records, key=lambda r: (r.time, r.id), default=None)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def chosen_rows(records: Iterable[Record], stages: Iterable[str]) -> dict[str, Chosen]:
    """Each of ``stages`` with its latest recorded choice (see the module docstring)."""
    gates: dict[str, list[Record]] = {}
    routes: dict[str, list[Record]] = {}
    for record in records:
        if record.kind == GATE:
            gates.setdefault(str(record.body.get("stage")), []).append(record)
        elif record.kind == ROUTING:
            routes.setdefault(str(record.body.get("for_stage")), []).append(record)
    out: dict[str, Chosen] = {}
    for stage in stages:
        gate = _newest(gates.get(stage, ()))
        route = _newest(routes.get(stage, ()))
        newest = _newest(r for r in (gate, route) if r is not None)
        agent = None
        if newest is not None:
            agent = _text(newest.body.get("primary" if newest is route else "agent"))
        hosts = None
        if gate is not None:
            listed = gate.body.get("for_hosts")
            listed = listed if isinstance(listed, list) else []
            hosts = tuple(h for h in listed if isinstance(h, str))
        out[stage] = Chosen(
            stage,
            agent=agent,
            hosts=hosts,
            verdict=_text(gate.body.get("verdict")) if gate is not None else None,
            decided_at=gate.time if gate is not None else None,
            gate_record=gate.id if gate is not None else None,
            routing_record=route.id if route is not None else None,
        )
    return out
