"""The gate's decision for one stage: a pure function of contract, registry and readiness.

No I/O and no Ansible: the caller screens candidates, gathers readiness (a probe run or fresh
evidence) and hands everything in; out comes a :class:`Decision` whose every check says what
was required, what was found and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wrk_ansible.contract.models import GroupScope
from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.candidates import Candidate, HostDirectory, declared_checks
from wrk_ansible.decision.outcomes import Check, Gap, Outcome, Verdict, worst
from wrk_ansible.decision.policy import remote_checks


@dataclass(frozen=True)
class HostReadiness:
    """What is known of one host's readiness for this stage, and where it came from."""

    host: str
    reachable: bool
    checks: tuple[Check, ...]
    source: str  # "probe", "evidence <id>", ...
    observed_at: str | None = None

    @property
    def ready(self) -> bool:
        return self.reachable and not any(check.blocking for check in self.checks)

    @property
    def reason(self) -> str:
        if not self.reachable:
            return next((c.reason for c in self.checks), "unreachable")
        failing = [f"{c.name}: {c.reason}" for c in self.checks if c.blocking]
        return "; ".join(failing) or "ready"


@dataclass(frozen=True)
class Decision:
    """May the stage run, and where: the verdict, the hosts, every check, the gaps."""

    wrk: str
    stage: str
    verdict: Verdict
    hosts: tuple[str, ...]
    agent: str | None
    checks: tuple[Check, ...]
    gaps: tuple[Gap, ...]
    reason: str
    #: host -> where its readiness came from ("probe", "evidence <id>", "none").
    sources: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "wrk": self.wrk,
            "stage": self.stage,
            "verdict": self.verdict.value,
            "hosts": list(self.hosts),
            "host": self.hosts[0] if self.hosts else None,
            "agent": self.agent,
            "reason": self.reason,
            "checks": [c.as_dict() for c in self.checks],
            "gaps": [g.as_dict() for g in self.gaps],
            "readiness_sources": dict(self.sources),
        }


def _primary_agent(row: ResolvedStage) -> str | None:
    agents = row.agents
    return agents[0] if agents else None


def _not_ready_reason(cand: Candidate, readiness: Mapping[str, HostReadiness]) -> str:
    if cand.excluded:
        return cand.reason
    seen = readiness.get(cand.name)
    return seen.reason if seen else "no readiness observed"


def _fallback_warning(row: ResolvedStage) -> Check | None:
    ws = row.assignment.workstations
    single = isinstance(ws, tuple) and len(ws) == 1
    if single and not row.assignment.fallback and row.assignment.on_unavailable is None:
        return Check(
            "fallback-defined",
            "a fallback or on_unavailable",
            "none",
            Outcome.WARN,
            "one machine, no fallback and no on_unavailable: if it is down the stage can "
            "only pause",
            None,
            "contract",
        )
    return None


def _proposals(
    row: ResolvedStage,
    hosts: HostDirectory,
    all_hosts: Sequence[str],
    considered: set[str],
) -> list[str]:
    """Hosts whose declarations meet the requirements (checked, never guessed), then defer."""
    out: list[str] = []
    for name in all_hosts:
        ws = hosts.find(name)
        if ws is None or ws.name in considered or ws.state != "active":
            continue
        if declared_checks(ws, row.requirements):
            continue
        declared_tools = {t.name.casefold() for t in ws.tools}
        if any(t.name.casefold() not in declared_tools for t in row.requirements.tools):
            continue
        if row.agents and not set(row.agents) & set(ws.agents):
            continue
        how = (
            "" if ws.access != "none" else " (no remote access: run `wrk readiness --local` there)"
        )
        out.append(f"assign {ws.name}: its declarations meet the requirements{how}")
        if len(out) == 3:
            break
    return out


def _unavailable_action(row: ResolvedStage, wrk: str) -> str:
    action = row.assignment.on_unavailable or "pause"
    return {
        "pause": f"pause {wrk} {row.stage} until an assigned machine is ready, then gate again",
        "defer": f"defer {wrk}: move it back to pending until its machines are back",
        "replan": f"replan {wrk}: the contract's machines cannot run {row.stage}",
    }[action]


def _fill(
    slots: list[str | None],
    candidates: Sequence[Candidate],
    ready: set[str],
) -> tuple[list[str | None], list[str]]:
    """Give each empty slot the next unused ready fallback; return slots and fallbacks used."""
    used = {s for s in slots if s}
    spares = [c.name for c in candidates if c.role == "fallback" and c.name in ready]
    taken: list[str] = []
    for index, slot in enumerate(slots):
        if slot is not None:
            continue
        spare = next((s for s in spares if s not in used), None)
        if spare is not None:
            slots[index] = spare
            used.add(spare)
            taken.append(spare)
    return slots, taken


def _assigned_slots(
    row: ResolvedStage, assigned: Sequence[Candidate], ready: set[str]
) -> list[str | None]:
    ws = row.assignment.workstations
    if row.assignment.parallel:
        return [c.name if c.name in ready else None for c in assigned]
    count = ws.count if isinstance(ws, GroupScope) else 1
    chosen: list[str | None] = [c.name for c in assigned if c.name in ready]
    chosen = chosen[:count]
    return chosen + [None] * (count - len(chosen))


def decide(
    *,
    wrk: str,
    row: ResolvedStage,
    candidates: Sequence[Candidate],
    readiness: Mapping[str, HostReadiness],
    hosts: HostDirectory,
    all_hosts: Sequence[str],
    here: str,
    local: HostReadiness | None,
    handoff_ref: str | None,
) -> Decision:
    """Decide one stage. ``here`` is the host wrk runs on; ``local`` its own readiness."""
    checks: list[Check] = []
    sources = {host: seen.source for host, seen in readiness.items()}
    for cand in candidates:
        checks.extend(cand.checks)
        seen = readiness.get(cand.name)
        if seen is not None:
            checks.extend(seen.checks)
        elif not cand.excluded:
            checks.append(
                Check(
                    "readiness",
                    "observed",
                    None,
                    Outcome.SKIPPED,
                    "no readiness was observed",
                    cand.name,
                )
            )
    warning = _fallback_warning(row)
    if warning:
        checks.append(warning)
    agent = _primary_agent(row)
    assigned = [c for c in candidates if c.role == "assigned"]
    unknown = [c.name for c in candidates if c.workstation is None]
    if not assigned or unknown:
        reason = (
            f"{row.stage} names machines not in the inventory: {', '.join(unknown)}"
            if unknown
            else f"{row.stage} names no workstation"
        )
        return Decision(wrk, row.stage, Verdict.FAIL, (), agent, tuple(checks), (), reason, sources)

    ready = {
        c.name
        for c in candidates
        if not c.excluded and c.name in readiness and readiness[c.name].ready
    }
    slots, taken = _fill(_assigned_slots(row, assigned, ready), candidates, ready)
    chosen = tuple(s for s in slots if s)
    if None in slots:
        missing = "; ".join(
            f"{c.name}: {_not_ready_reason(c, readiness)}"
            for c in candidates
            if c.name not in chosen
        )
        considered = {c.name for c in candidates}
        proposals = [
            *_proposals(row, hosts, all_hosts, considered),
            _unavailable_action(row, wrk),
        ]
        gap = Gap("P1", f"{wrk} {row.stage}: no ready machine ({missing})", tuple(proposals))
        return Decision(
            wrk,
            row.stage,
            Verdict.PAUSE,
            chosen,
            agent,
            tuple(checks),
            (gap,),
            f"nothing ready for {row.stage}",
            sources,
        )

    policy = remote_checks(row, chosen, here, local, handoff_ref)
    checks.extend(policy)
    verdicts = [Verdict.FALLBACK if taken else Verdict.PASS]
    if any(c.outcome is Outcome.FAIL for c in policy):
        verdicts.append(Verdict.FAIL)
    verdict = worst(verdicts)
    if verdict is Verdict.FAIL:
        reason = "; ".join(c.reason for c in policy if c.outcome is Outcome.FAIL)
    elif verdict is Verdict.FALLBACK:
        reason = f"fallback to {', '.join(taken)}: an assigned machine is not ready"
    else:
        reason = f"ready on {', '.join(chosen)}"
    return Decision(wrk, row.stage, verdict, chosen, agent, tuple(checks), (), reason, sources)
