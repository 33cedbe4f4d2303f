"""Builders for gate tests: an in-memory registry, WRK files in tmp folders, a GateContext."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wrk_ansible.config.load import read
from wrk_ansible.config.settings import Settings
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.gates.base import GateContext, gate_context
from wrk_ansible.gates.routing_policy import load_routing_policy
from wrk_ansible.names import check_against
from wrk_ansible.registry.hostvars import HostVars
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
#: The team's stage matrix (this repository's wrk.yml), which these gate tests were written for.
TEAM_MATRIX = Settings(read(REPO / "wrk.yml")).matrix
TEAM_POLICY = str(REPO / "config" / "routing-policy.yml")
CATALOG = [
    {"name": "claude", "cli": "claude", "kinds": ["plan", "execute", "review"]},
    {"name": "codex", "cli": "codex", "kinds": ["plan", "execute", "review"]},
    {"name": "gemini", "cli": "gemini", "kinds": ["review"], "quota_window": "daily"},
]
LEGACY = "computer: dev-primary\nprovider: codex\nprovider_alt: claude\norchestrator: claude\n"


def ws(name: str, *groups: str, **wrk: Any) -> Workstation:
    return Workstation.from_host_vars(name, HostVars.model_validate(wrk), groups=groups)


def registry(**fleet: Any) -> Registry:
    """dev-primary (alias ace-linux-1; claude, codex), dev-secondary (claude, gemini) and the
    licensed ace-win-1 (alias licensed-win-1; orcaflex; every agent)."""
    return Registry(
        source="inv",
        workstations=(
            ws(
                "dev-primary",
                "linux",
                "ai_capable",
                wrk_aliases=["ace-linux-1"],
                wrk_agents=["claude", "codex"],
            ),
            ws("dev-secondary", "linux", "ai_capable", wrk_agents=["claude", "gemini"]),
            ws(
                "ace-win-1",
                "windows",
                "licensed",
                "ai_capable",
                wrk_aliases=["licensed-win-1"],
                wrk_agents=["claude", "codex", "gemini"],
                wrk_licenses=[{"feature": "orcaflex", "kind": "flexlm"}],
            ),
        ),
        groups={
            "linux": ("dev-primary", "dev-secondary"),
            "windows": ("ace-win-1",),
            "licensed": ("ace-win-1",),
            "ai_capable": ("dev-primary", "dev-secondary", "ace-win-1"),
        },
        fleet_vars={"wrk_agent_catalog": CATALOG, **fleet},
    )


def write_wrk(
    folder: Path, front: str = LEGACY, body: str = "", *, name: str = "WRK-900.md", **keys: str
) -> Path:
    """A WRK file: id WRK-900, status pending (override with keys), ``front`` and ``body``."""
    folder.mkdir(parents=True, exist_ok=True)
    fields = {"id": "WRK-900", "status": "pending", **keys}
    head = "".join(f"{k}: {v}\n" for k, v in fields.items())
    path = folder / name
    path.write_text(f"---\n{head}{front}---\n{body}", encoding="utf-8")
    return path


def context(
    path: Path,
    stage: str,
    ledger: Ledger,
    *,
    reg: Registry | None = None,
    hosts: tuple[str, ...] = (),
    here: str = "dev-primary",
    now: datetime = NOW,
    record: bool = True,
) -> GateContext:
    reg = reg or registry()
    checked = check_against(str(path), reg, matrix=TEAM_MATRIX)
    assert checked.valid, checked.errors
    contract = checked.contract
    assert contract is not None
    return gate_context(
        contract,
        contract.stage(stage),
        registry=reg,
        here=reg.get(here),
        ledger=ledger,
        hosts=hosts,
        now=now,
        policy=load_routing_policy(TEAM_POLICY),
        record=record,
    )


def outcomes(result: Any) -> dict[str, str]:
    return {c.name: c.outcome.value for c in result.checks}
