"""The plan's stage matrix, shipped as the default contract template.

Values starting with ``$`` refer to the WRK's own legacy fields and are filled in by
:mod:`wrk_ansible.contract.legacy` (``$orchestrator``, ``$provider``, ``$provider_alt``).
"""

from __future__ import annotations

from typing import Any, Final

ORCHESTRATOR: Final = "$orchestrator"
PROVIDER: Final = "$provider"
PROVIDER_ALT: Final = "$provider_alt"

#: The plan names ``ace-linux-1`` (dev-primary's real hostname); aliases resolve in the registry.
DEFAULT_HOST: Final = "ace-linux-1"
REVIEW_AGENTS: Final = ("claude", "codex", "gemini")
AI_CAPABLE: Final = {"group": "ai_capable", "count": 1}

#: Row id -> assignment, exactly as the plan's "Stage Assignment Contract" table.
DEFAULT_MATRIX: Final[dict[str, dict[str, Any]]] = {
    "resource_intelligence": {
        "primary": "claude",
        "secondary": "gemini",
        "workstations": [DEFAULT_HOST],
        "gates": ["resource-intelligence"],
    },
    "plan_draft": {
        "primary": "codex",
        "secondary": "claude",
        "workstations": [DEFAULT_HOST],
        "gates": ["plan-schema", "plan-html"],
    },
    "plan_review": {
        "agents": list(REVIEW_AGENTS),
        "workstations": dict(AI_CAPABLE),
        "gates": ["review-runs-complete"],
    },
    "claim": {
        "primary": ORCHESTRATOR,
        "advisory": ["agent-router", "agent-usage-optimizer"],
        "workstations": [DEFAULT_HOST],
        # queue-valid here refuses a parked (blocked) item before it is claimed
        "gates": ["queue-valid", "quota-snapshot", "routing-evidence"],
    },
    "execute": {
        "primary": PROVIDER,
        "secondary": PROVIDER_ALT,
        "workstations": None,  # "assigned execution machines": the WRK's own
        "gates": ["machine-readiness"],
    },
    "impl_review": {
        "agents": list(REVIEW_AGENTS),
        "workstations": dict(AI_CAPABLE),
        "gates": ["route-policy"],
    },
    "close": {
        "primary": ORCHESTRATOR,
        "secondary": "codex",
        "workstations": [DEFAULT_HOST],
        "gates": ["queue-valid", "sync-checks"],
    },
}

#: Gate names the contract may use (issue: named gate checks). Kept here, with no imports,
#: so validation can name the known ones.
BUILTIN_GATES: Final = (
    "resource-intelligence",
    "plan-schema",
    "plan-html",
    "review-runs-complete",
    "quota-snapshot",
    "routing-evidence",
    "machine-readiness",
    "route-policy",
    "queue-valid",
    "sync-checks",
)
