"""Every row with more than one candidate agent chooses one (shared/DESIGN.md: "chosen per
row"), not only execute at claim: a claim row with ``agents: [claude, codex]`` is not performed
by claude at 95% of its weekly quota on day 3; budget-pool room counts too. The gate's agent is
the chosen one and its ``agent`` check says why each other candidate was not chosen.

Quota readings are dated relative to the moment the gate runs (the gate reads the clock);
the choice itself is pure (wrk_ansible.agents.routing), tested on a fixed clock elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _gatekit import registry, write_wrk

from wrk_ansible.agents.quota import Reading, snapshot_body
from wrk_ansible.capacity.model import BudgetPool, Capacity
from wrk_ansible.decision.outcomes import Outcome, Verdict
from wrk_ansible.evidence import leases
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.evidence.records import GateBody, append
from wrk_ansible.gate import Gate, GateOptions
from wrk_ansible.readiness.results import Observation, parse_probe_result

CLAIM = (
    "stage_assignments:\n"
    "  claim:\n"
    "    agents: [claude, codex]\n"
    "    workstations: [dev-primary]\n"
    "    gates: []\n"
    "  execute:\n"
    "    primary: codex\n"
    "    workstations: [dev-primary]\n"
)


def _ready(hosts: Any, _requirements: Any) -> dict[str, Observation]:
    probed = {"schema_version": 2, "mode": "requirements", "facts": {}, "checks": []}
    return {h: parse_probe_result(h, probed, source="probe", observed_at=None) for h in hosts}


def _quota(ledger: Ledger, **used: float) -> None:
    now = datetime.now(UTC)
    resets = now + timedelta(days=4)  # day 3 of the weekly window
    readings = [
        Reading(agent, "weekly", pct, resets, now - timedelta(hours=1), "test")
        for agent, pct in used.items()
    ]
    ledger.append("_quota", "dev-primary", "quota", snapshot_body(readings, {}))


def _claim(tmp_path: Path, ledger: Ledger, capacity: Capacity | None = None) -> Any:
    path = write_wrk(tmp_path / "repo" / "queue", CLAIM)
    options = GateOptions(here="dev-primary", record=False, capacity=capacity or Capacity())
    gate = Gate(registry(), str(tmp_path / "inv"), ledger, options, print)
    gate.source.prober = _ready
    (decision,) = gate.run(str(path), "claim").decisions
    return decision


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    return Ledger(tmp_path / "evidence")


def test_a_claim_row_past_its_pacing_line_is_performed_by_the_other(
    tmp_path: Path, ledger: Ledger
) -> None:
    _quota(ledger, claude=95, codex=20)
    decision = _claim(tmp_path, ledger)
    assert decision.verdict is Verdict.PASS
    assert decision.agent == "codex"
    (check,) = [c for c in decision.checks if c.name == "agent"]
    assert check.outcome is Outcome.WARN  # never blocking: the declared first was passed over
    assert check.found == "codex"
    assert check.reason.startswith("claude passed over: claude: past its weekly pacing line")
    assert "codex: chosen as primary: within its weekly pacing line" in check.reason


def test_within_its_line_the_declared_first_stays(tmp_path: Path, ledger: Ledger) -> None:
    _quota(ledger, claude=10, codex=20)
    decision = _claim(tmp_path, ledger)
    assert decision.agent == "claude"
    (check,) = [c for c in decision.checks if c.name == "agent"]
    assert (check.outcome, check.found) == (Outcome.PASS, "claude")
    assert "codex: chosen as secondary" in check.reason


def test_a_full_budget_pool_passes_an_agent_over(tmp_path: Path, ledger: Ledger) -> None:
    _quota(ledger, claude=10, codex=20)
    lease = leases.take(
        "execute",
        hosts=("dev-secondary",),
        provider="claude",
        features=(),
        caps=(),
        ttl_minutes=90,
    )
    append(ledger, "WRK-1", "dev-primary", GateBody(stage="claim", verdict="pass", lease=lease))
    pool = Capacity(budget_pools={"shared": BudgetPool(members=("claude",), max_concurrent=1)})
    decision = _claim(tmp_path, ledger, pool)
    assert decision.agent == "codex"
    (check,) = [c for c in decision.checks if c.name == "agent"]
    assert "claude: no room: budget_pools.shared is full (1 of 1): held by WRK-1" in check.reason
