"""The seven rows of the plan's stage matrix and the five lifecycle phases they belong to.

Plain data with no third-party imports, so the command line can use it for ``--help`` and for
parsing ``--stage`` without loading pydantic.
"""

from __future__ import annotations

import difflib
from typing import Final

from wrk_ansible.errors import UsageError

#: Row id -> lifecycle phase, in matrix order.
STAGES: Final[dict[str, str]] = {
    "resource_intelligence": "plan",
    "plan_draft": "plan",
    "plan_review": "plan",
    "claim": "claim",
    "execute": "execute",
    "impl_review": "review",
    "close": "close",
}
STAGE_IDS: Final[tuple[str, ...]] = tuple(STAGES)
PHASES: Final[tuple[str, ...]] = ("plan", "claim", "execute", "review", "close")

#: Human titles, as the plan's matrix names the rows.
STAGE_TITLES: Final[dict[str, str]] = {
    "resource_intelligence": "Resource Intelligence",
    "plan_draft": "Plan Draft",
    "plan_review": "Plan Cross-Review",
    "claim": "Claim",
    "execute": "Execute",
    "impl_review": "Cross-Review (impl)",
    "close": "Close/Archive",
}


def normalise_stage_key(name: str) -> str:
    """``impl-review`` and ``Impl_Review`` both become ``impl_review``."""
    return name.strip().lower().replace("-", "_")


def closest(name: str, known: list[str] | tuple[str, ...]) -> str | None:
    """The closest known name, for "did you mean" hints; None when nothing is close."""
    lowered = {k.lower(): k for k in known}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def one_row(name: str) -> str:
    """The row ``--stage`` names, for a command about one row (a review, an outcome): a phase of
    several rows is a usage error listing them."""
    stages = resolve_stage(name)
    if len(stages) != 1:
        raise UsageError(
            f"--stage {name!r} is a phase of {len(stages)} rows; name one of: {', '.join(stages)}"
        )
    return stages[0]


def resolve_stage(name: str) -> tuple[str, ...]:
    """Row ids selected by ``--stage``: one row id, or every row of a phase, in order."""
    key = normalise_stage_key(name)
    if key in STAGES:
        return (key,)
    if key in PHASES:
        return tuple(stage for stage, phase in STAGES.items() if phase == key)
    hint = closest(key, [*STAGE_IDS, *PHASES])
    suffix = f" (did you mean {hint!r}?)" if hint else ""
    raise UsageError(
        f"unknown stage {name!r}{suffix}; rows: {', '.join(STAGE_IDS)}; phases: {', '.join(PHASES)}"
    )
