"""The stage matrix: the plan's seven rows, neutral, as the default contract template.

Values starting with ``$`` are filled in later:

- agents: ``$orchestrator``, ``$provider``, ``$provider_alt`` come from the WRK's own legacy
  fields (:mod:`wrk_ansible.contract.legacy`);
- places: ``$orchestrator_host`` is the orchestrator's machine (``orchestrator_host`` in
  ``wrk.yml``, else the host named by ``--here``, else the inventory host this machine is) and
  ``$agent_hosts`` is any host that declares an agent CLI (``wrk_agents``). They are resolved
  against the inventory where the row is gated (:mod:`wrk_ansible.names`), never here.

A team states its own matrix in ``wrk.yml`` (``stages:``, row by row, over these defaults);
nothing here names a team's machines, agents or groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from wrk_ansible.contract.stages import STAGE_IDS

ORCHESTRATOR: Final = "$orchestrator"
PROVIDER: Final = "$provider"
PROVIDER_ALT: Final = "$provider_alt"
#: Agent references a template row may use.
AGENT_REFS: Final = (ORCHESTRATOR, PROVIDER, PROVIDER_ALT)

ORCHESTRATOR_HOST: Final = "$orchestrator_host"
AGENT_HOSTS: Final = "$agent_hosts"
#: Place names any row may use (a WRK's own rows too).
PLACE_NAMES: Final = (ORCHESTRATOR_HOST, AGENT_HOSTS)

Row = Mapping[str, Any]
Matrix = Mapping[str, Row]

_HERE: Final = [ORCHESTRATOR_HOST]

#: Row id -> assignment: the plan's "Stage Assignment Contract" table, with its places by role.
DEFAULT_MATRIX: Final[Matrix] = MappingProxyType(
    {
        "resource_intelligence": {
            "primary": ORCHESTRATOR,
            "workstations": _HERE,
            "gates": ["resource-intelligence"],
        },
        "plan_draft": {
            "primary": ORCHESTRATOR,
            "workstations": _HERE,
            "gates": ["plan-schema", "plan-html"],
        },
        "plan_review": {
            "agents": "any",
            "workstations": [AGENT_HOSTS],
            "gates": ["review-runs-complete"],
        },
        "claim": {
            "primary": ORCHESTRATOR,
            "workstations": _HERE,
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
            "agents": "any",
            "workstations": [AGENT_HOSTS],
            "gates": ["route-policy"],
        },
        "close": {
            "primary": ORCHESTRATOR,
            "workstations": _HERE,
            "gates": ["queue-valid", "sync-checks", "execute-succeeded"],
        },
    }
)


_AGENT_KEYS: Final = frozenset({"primary", "secondary", "agents"})


def merged(overrides: Mapping[str, Row] | None) -> Matrix:
    """The default matrix with ``overrides`` (stage -> keys) laid over it, key by key: a row
    that states only ``workstations`` keeps the default agents and gates."""
    out: dict[str, Row] = {}
    for stage in STAGE_IDS:
        row = dict(DEFAULT_MATRIX[stage])
        given = dict((overrides or {}).get(stage, {}))
        if given.keys() & _AGENT_KEYS:  # who runs it is stated as a whole
            row = {key: value for key, value in row.items() if key not in _AGENT_KEYS}
        row.update(given)
        out[stage] = MappingProxyType(row)
    return MappingProxyType(out)


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
    "execute-succeeded",
)
