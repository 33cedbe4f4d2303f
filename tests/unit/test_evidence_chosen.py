"""Each row's latest recorded choice (``wrk contract show``), read from real ledger records."""

from __future__ import annotations

from pathlib import Path

from wrk_ansible.evidence.chosen import chosen_rows
from wrk_ansible.evidence.ledger import Ledger

ROWS = ("claim", "execute", "close")


def _gate(ledger: Ledger, stage: str, verdict: str, agent: str, *hosts: str) -> str:
    body = {"stage": stage, "verdict": verdict, "agent": agent, "for_hosts": list(hosts)}
    return ledger.append("WRK-1", "box", "gate", body).id


def _route(ledger: Ledger, primary: str) -> str:
    body = {"stage": "claim", "for_stage": "execute", "primary": primary, "secondary": None}
    return ledger.append("WRK-1", "box", "routing", body).id


def test_a_row_never_gated_is_all_null(tmp_path: Path) -> None:
    chosen = chosen_rows(Ledger(tmp_path / "ev").records("WRK-1"), ROWS)
    assert set(chosen) == set(ROWS)
    assert chosen["close"].as_dict() == {
        "chosen_agent": None,
        "chosen_hosts": None,
        "verdict": None,
        "decided_at": None,
        "gate_record": None,
        "routing_record": None,
    }


def test_newest_gate_per_row_and_the_routed_agent(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ev")
    _gate(ledger, "claim", "pause", "claude", "box")
    claim = _gate(ledger, "claim", "pass", "claude", "box")
    early = _gate(ledger, "execute", "pass", "codex", "box")  # before the claim routed it
    routed = _route(ledger, "claude")
    chosen = chosen_rows(ledger.records("WRK-1"), ROWS)
    assert (chosen["claim"].verdict, chosen["claim"].gate_record) == ("pass", claim)
    assert chosen["claim"].decided_at == ledger.get(claim).time
    execute = chosen["execute"]
    assert execute.agent == "claude"  # the routing is newer than the execute gate
    assert (execute.gate_record, execute.routing_record) == (early, routed)
    assert execute.hosts == ("box",)
    later = _gate(ledger, "execute", "fallback", "gemini", "other")
    execute = chosen_rows(ledger.records("WRK-1"), ROWS)["execute"]
    assert (execute.agent, execute.hosts, execute.gate_record) == ("gemini", ("other",), later)


def test_routed_but_never_gated_shows_only_the_agent(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ev")
    routed = _route(ledger, "codex")
    data = chosen_rows(ledger.records("WRK-1"), ROWS)["execute"].as_dict()
    assert data["chosen_agent"] == "codex"
    assert data["routing_record"] == routed
    assert data["chosen_hosts"] is None
    assert data["verdict"] is None
