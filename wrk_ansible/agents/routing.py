"""Which agents run a row: declared order, minus agents absent on the host, minus agents past
their pacing line. Pure: readings and the host come in, the choice and every reason go out.

An agent whose quota is unknown (no reading, or a reading without usable numbers) is never
treated as unused: it stays a candidate but ranks after every agent known to be within its
pacing line, and the reason says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from wrk_ansible.agents.catalog import AgentCatalog
from wrk_ansible.agents.pacing import Pacing, pace
from wrk_ansible.agents.quota import Reading
from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.registry.workstation import Workstation


class AgentChoice(NamedTuple):
    """The chosen primary and secondary agent and, for every candidate, why."""

    primary: str | None
    secondary: str | None
    reasons: Mapping[str, str]


def candidates(row: ResolvedStage, host: Workstation, catalog: AgentCatalog) -> tuple[str, ...]:
    """The row's agents in declared order; for ``agents: any`` (or a row that names no agent
    at all), the catalog's agents that fit the row (in catalog order), else the host's own
    agents."""
    if row.assignment.agents == "any" or not row.agents:
        fitting = tuple(a.name for a in catalog.agents if a.fits(row.stage, row.phase))
        return fitting or tuple(host.agents)
    return tuple(dict.fromkeys(row.agents))


def choose_agents(
    row: ResolvedStage,
    host: Workstation,
    catalog: AgentCatalog,
    snapshot: Mapping[str, Reading],
    pacing: Pacing,
    *,
    now: datetime,
    no_room: Mapping[str, str] | None = None,
) -> AgentChoice:
    """Primary and secondary for ``row`` on ``host``, with a reason for every candidate
    (``no_room``: agents whose budget pool or provider cap is full, and which cap)."""
    full = {a.casefold(): why for a, why in (no_room or {}).items()}
    reasons: dict[str, str] = {}
    within: list[str] = []
    unknown: list[str] = []
    present = {a.casefold() for a in host.agents}
    for agent in candidates(row, host, catalog):
        if agent.casefold() not in present:
            listed = ", ".join(host.agents) or "none"
            reasons[agent] = f"not on {host.name} (its wrk_agents: {listed})"
            continue
        if agent.casefold() in full:
            reasons[agent] = f"no room: {full[agent.casefold()]}"
            continue
        reading = snapshot.get(agent)
        if reading is None or reading.used_pct is None:
            why = "no quota reading" if reading is None else (reading.why or "quota unknown")
            reasons[agent] = f"quota unknown ({why}): ranked after agents within their pacing line"
            unknown.append(agent)
            continue
        state = pace(pacing, reading.window, reading.used_pct, reading.resets_at, now)
        if state.past_line:
            reasons[agent] = f"past its {reading.window} pacing line: {state.describe()}"
            continue
        reasons[agent] = f"within its {reading.window} pacing line: {state.describe()}"
        within.append(agent)
    ranked = within + unknown
    primary = ranked[0] if ranked else None
    secondary = ranked[1] if len(ranked) > 1 else None
    for role, chosen in (("primary", primary), ("secondary", secondary)):
        if chosen is not None:
            reasons[chosen] = f"chosen as {role}: {reasons[chosen]}"
    for agent in ranked[2:]:
        reasons[agent] = f"not needed (declared after the chosen two): {reasons[agent]}"
    return AgentChoice(primary, secondary, reasons)


def choice_check(row: ResolvedStage, choice: AgentChoice) -> Check:
    """The ``agent`` check of a row that chose among candidates: which one, and why each
    other was not chosen. WARN when the row's declared first agent was passed over (or none
    could be chosen and the declared one stands), PASS otherwise; never blocking."""
    declared = row.agents[0] if row.agents else None
    why = "; ".join(f"{agent}: {reason}" for agent, reason in choice.reasons.items())
    if choice.primary is None:
        return Check(
            name="agent",
            outcome=Outcome.WARN,
            reason=f"no candidate can take {row.stage} ({why}); the declared "
            f"{declared or 'agent'} stands",
            required="a candidate present, within its pacing line, with budget room",
            found="none",
            kind="agent",
        )
    passed_over = declared is not None and choice.primary.casefold() != declared.casefold()
    return Check(
        name="agent",
        outcome=Outcome.WARN if passed_over else Outcome.PASS,
        reason=(f"{declared} passed over: " if passed_over else "") + why,
        required="a candidate present, within its pacing line, with budget room",
        found=choice.primary,
        kind="agent",
        data={"chosen": choice.primary, "reasons": dict(choice.reasons)},
    )
