"""The verdict of a row: one pure composition of typed inputs.

No I/O and no Ansible. The caller resolves the row's names (:func:`wrk_ansible.names.row_scope`),
gathers readiness (:mod:`wrk_ansible.readiness.source`), the seats other work items hold, the
handoff artifact checks and the named gates' results; :func:`decide` forms the machine decision
and :func:`compose` joins it with the rest by :func:`~wrk_ansible.decision.outcomes.worst`
over :data:`~wrk_ansible.decision.outcomes.VERDICT_PRIORITY`. Nothing outside this package
changes a verdict or a reason after the fact (a forecast reports the decision's own reason,
or on pause its P1 gap's summary).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, TypeVar

from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.candidates import Candidate, declared_checks, stage_candidates
from wrk_ansible.decision.hosts import HostDirectory
from wrk_ansible.decision.licence import DEFAULT_TTL_DAYS, LicenceFacts, apply_licence_state
from wrk_ansible.decision.outcomes import (
    Check,
    Gap,
    GateResult,
    Outcome,
    Verdict,
    worst,
)
from wrk_ansible.decision.policy import Here, remote_checks
from wrk_ansible.decision.readiness import HostReadiness
from wrk_ansible.decision.seats import Holds, apply_holds
from wrk_ansible.names import RowScope

_T = TypeVar("_T")

__all__ = [
    "Decision",
    "GateInput",
    "Here",
    "HostReadiness",
    "RowInputs",
    "compose",
    "counted",
    "decide",
    "for_item",
    "overall",
    "to_observe",
]


@dataclass(frozen=True)
class Decision:
    """May the row run, and where: the verdict, the hosts, every check, the gaps."""

    wrk: str
    stage: str
    verdict: Verdict
    hosts: tuple[str, ...]
    agent: str | None
    checks: tuple[Check, ...]
    gaps: tuple[Gap, ...]
    reason: str
    #: host -> its readiness for this row as observed (the hosts screening let through; the
    #: seats other items hold are taken off in the row's checks, not here).
    readiness: Mapping[str, HostReadiness] = field(default_factory=dict)

    @property
    def sources(self) -> dict[str, str]:
        """host -> where its readiness came from ("probe", "evidence <id>", ...)."""
        return {host: seen.source for host, seen in self.readiness.items()}

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
            "readiness_sources": self.sources,
            "readiness": {host: seen.as_dict() for host, seen in self.readiness.items()},
        }


@dataclass(frozen=True, kw_only=True)
class RowInputs:
    """Everything the machine decision of one row rests on."""

    wrk: str
    row: ResolvedStage
    scope: RowScope
    hosts: HostDirectory
    #: host -> readiness for this row, for the hosts :func:`to_observe` named.
    readiness: Mapping[str, HostReadiness]
    #: Seats other work items hold, per (host, feature) casefolded.
    holds: Holds = field(default_factory=dict)
    #: Where wrk runs, for the remote coordination policy; None for a forecast (what-if,
    #: report), which has no "here" and so applies no policy.
    here: Here | None = None
    #: host -> its licence attestations and dispatch paths (licence state, three values),
    #: judged at ``now`` against attestations younger than ``licence_ttl_days``.
    licences: Mapping[str, LicenceFacts] = field(default_factory=dict)
    now: datetime | None = None
    licence_ttl_days: float = DEFAULT_TTL_DAYS


def to_observe(scope: RowScope, hosts: HostDirectory, row: ResolvedStage) -> tuple[str, ...]:
    """The hosts whose readiness the decision needs: candidates screening lets through."""
    return tuple(c.name for c in stage_candidates(scope, hosts, row.requirements) if not c.excluded)


def _primary_agent(row: ResolvedStage) -> str | None:
    agents = row.agents
    return agents[0] if agents else None


def _not_ready_reason(cand: Candidate, readiness: Mapping[str, HostReadiness]) -> str:
    if cand.excluded:
        return cand.reason
    seen = readiness.get(cand.name)
    return seen.reason if seen else "no readiness observed"


def _fallback_warning(row: ResolvedStage, scope: RowScope) -> Check | None:
    """A warning about the row's own contract; none for a row the WRK did not write."""
    if not row.explicit:
        return None
    single = len(scope.slots) == 1 and len(scope.slots[0]) == 1
    if single and not scope.fallback and row.assignment.on_unavailable is None:
        return Check(
            name="fallback-defined",
            required="a fallback or on_unavailable",
            found="none",
            outcome=Outcome.WARN,
            reason="one machine, no fallback and no on_unavailable: if it is down the stage "
            "can only pause",
            kind="contract",
        )
    return None


def _proposals(row: ResolvedStage, hosts: HostDirectory, considered: set[str]) -> list[str]:
    """Hosts whose declarations meet the requirements (checked, never guessed), then defer."""
    out: list[str] = []
    for name in hosts.names:
        ws = hosts.find(name)
        if ws is None or ws.name in considered or ws.unavailability:
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


_ACTIONS: Final = {
    "pause": "pause {wrk} {stage} until an assigned machine is ready, then gate again",
    "defer": "defer {wrk}: move it back to pending until its machines are back",
    "replan": "replan {wrk}: the contract's machines cannot run {stage}",
}


def _unavailable_action(row: ResolvedStage, wrk: str) -> str:
    action = row.assignment.on_unavailable or "pause"
    return _ACTIONS[action].format(wrk=wrk, stage=row.stage)


def _match(slots: Sequence[tuple[str, ...]], ready: set[str]) -> list[str | None]:
    """A ready host for as many slots as possible, each host once.

    Slots in order, each taking its first ready host no earlier slot took; only a slot left
    without one makes an earlier slot move to another of its hosts (Kuhn's augmenting paths),
    so with one host per slot, or the same hosts in every slot, this is "the first ready hosts,
    in order", and a parallel list of groups is filled whenever it can be."""
    owner: dict[str, int] = {}

    def place(index: int, seen: set[str]) -> bool:
        options = [h for h in slots[index] if h in ready and h not in seen]
        free = next((h for h in options if h not in owner), None)
        if free is not None:
            owner[free] = index
            return True
        for host in options:
            seen.add(host)
            if place(owner[host], seen):
                owner[host] = index
                return True
        return False

    for index in range(len(slots)):
        place(index, set())
    out: list[str | None] = [None] * len(slots)
    for host, index in owner.items():
        out[index] = host
    return out


def _fill(
    scope: RowScope, candidates: Sequence[Candidate], ready: set[str]
) -> tuple[list[str | None], list[str]]:
    """Each slot gets its first ready, unused host; an empty slot then gets the next unused
    ready fallback. Returns the slots and the fallbacks taken."""
    slots = _match(scope.slots, ready)
    used = {s for s in slots if s is not None}
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


def _observed_checks(
    candidates: Sequence[Candidate], readiness: Mapping[str, HostReadiness]
) -> list[Check]:
    checks: list[Check] = []
    for cand in candidates:
        checks.extend(cand.checks)
        seen = readiness.get(cand.name)
        if seen is not None:
            checks.extend(seen.checks)
        elif not cand.excluded:
            checks.append(
                Check(
                    name="readiness",
                    required="observed",
                    outcome=Outcome.SKIPPED,
                    reason="no readiness was observed",
                    host=cand.name,
                )
            )
    return checks


def _unfilled(slots: Sequence[str | None], chosen: Sequence[str]) -> str:
    """Why slots stay empty when every host the row names is already chosen, in words (a
    parallel list naming one host twice): never an empty list."""
    empty = sum(1 for slot in slots if slot is None)
    taken = ", ".join(chosen) if chosen else "no host"
    return f"{empty} more needed, and every host the row names already runs a part: {taken}"


def decide(inputs: RowInputs) -> Decision:
    """The machine decision of one row: pass, fallback, pause (a P1 gap) or fail."""
    row, wrk = inputs.row, inputs.wrk
    readiness: Mapping[str, HostReadiness] = inputs.readiness
    if row.requirements.licenses and inputs.now is not None:
        readiness = apply_licence_state(
            readiness, row.requirements, inputs.licences, inputs.now, inputs.licence_ttl_days
        )
    readiness = apply_holds(readiness, inputs.holds, row.requirements)
    candidates = stage_candidates(inputs.scope, inputs.hosts, row.requirements)
    # as observed: seats other items hold are this row's business, shown in its checks
    observed = {c.name: inputs.readiness[c.name] for c in candidates if c.name in readiness}
    checks = _observed_checks(candidates, readiness)
    warning = _fallback_warning(row, inputs.scope)
    if warning:
        checks.append(warning)
    agent = _primary_agent(row)

    def decision(
        verdict: Verdict, hosts: Sequence[str], reason: str, gaps: Sequence[Gap] = ()
    ) -> Decision:
        return Decision(
            wrk, row.stage, verdict, tuple(hosts), agent, tuple(checks), tuple(gaps), reason,
            observed,
        )  # fmt: skip

    template_hint = (
        f" (the template's default for {row.stage}: give stage_assignments.{row.stage}."
        "workstations in the WRK)"
    )
    unknown = [u.name for u in inputs.scope.unknown]
    if unknown:
        defaults = any(
            row.origin.get(u.key, "template") == "template" for u in inputs.scope.unknown
        )
        return decision(
            Verdict.FAIL, (), f"{row.stage} names machines not in the inventory: "
            + ", ".join(dict.fromkeys(unknown)) + (template_hint if defaults else ""),
        )  # fmt: skip
    if inputs.scope.short is not None:  # validation says the same of a row the WRK wrote
        default = row.origin.get("workstations", "template") == "template"
        reason = f"{row.stage}: {inputs.scope.short.message}"
        return decision(Verdict.FAIL, (), reason + (template_hint if default else ""))
    if not inputs.scope.slots and row.awaiting is not None:
        what, how = row.awaiting
        gap = Gap("P1", f"{wrk} {row.stage}: {what}", (how,))
        return decision(Verdict.PAUSE, (), f"{row.stage}: {what}", (gap,))
    if not inputs.scope.slots:
        return decision(Verdict.FAIL, (), f"{row.stage} names no workstation")
    if any(not slot for slot in inputs.scope.slots):
        return decision(Verdict.FAIL, (), f"{row.stage} names a group with no hosts")

    ready = {c.name for c in candidates if not c.excluded and c.name in readiness}
    ready = {name for name in ready if readiness[name].ready}
    slots, taken = _fill(inputs.scope, candidates, ready)
    chosen = tuple(s for s in slots if s)
    if None in slots:
        missing = "; ".join(
            f"{c.name}: {_not_ready_reason(c, readiness)}"
            for c in candidates
            if c.name not in chosen
        ) or _unfilled(slots, chosen)
        fixes = [  # setup problems say what fixes them (a host key not known, ...)
            str(check.data["fix"])
            for c in candidates
            if c.name not in chosen and c.name in readiness
            for check in readiness[c.name].checks
            if check.data.get("fix")
        ]
        proposals = [
            *dict.fromkeys(fixes),
            *_proposals(row, inputs.hosts, {c.name for c in candidates}),
            _unavailable_action(row, wrk),
        ]
        gap = Gap("P1", f"{wrk} {row.stage}: no ready machine ({missing})", tuple(proposals))
        return decision(Verdict.PAUSE, chosen, f"nothing ready for {row.stage}", (gap,))

    policy: list[Check] = []
    if inputs.here is not None:  # the local host as this row sees it: after the seats held
        here = replace(inputs.here, local=readiness.get(inputs.here.name, inputs.here.local))
        policy = remote_checks(row, inputs.scope, chosen, here)
    checks.extend(policy)
    failed = [c.reason for c in policy if c.outcome is Outcome.FAIL]
    if failed:
        return decision(Verdict.FAIL, chosen, "; ".join(failed))
    if taken:
        return decision(
            Verdict.FALLBACK, chosen, f"fallback to {', '.join(taken)}: an assigned machine is "
            "not ready",
        )  # fmt: skip
    return decision(Verdict.PASS, chosen, f"ready on {', '.join(chosen)}")


def for_item(decision: Decision, row: ResolvedStage, wrk: str) -> Decision:
    """``decision`` as :func:`decide` words it for the item ``wrk``, when the decision was made
    for another item over equal inputs (an equal row, scope, registry view, readiness, seats
    held and licence facts): only the texts that name the item differ, and :func:`decide`
    forms them in two places, both here: each gap's summary starts with the item and stage,
    and the row's ``on_unavailable`` proposal names the item. A forecast over a queue decides
    equal rows once (:class:`wrk_ansible.report.whatif.Memo`)."""
    if decision.wrk == wrk:
        return decision
    gaps = decision.gaps
    if gaps:
        old, new = f"{decision.wrk} {row.stage}: ", f"{wrk} {row.stage}: "
        action, renamed = _unavailable_action(row, decision.wrk), _unavailable_action(row, wrk)
        gaps = tuple(
            Gap(
                gap.priority,
                new + gap.summary[len(old) :] if gap.summary.startswith(old) else gap.summary,
                tuple(renamed if p == action else p for p in gap.proposals),
            )
            for gap in gaps
        )
    d = decision  # every field as it is, but the item and the gaps naming it
    return Decision(
        wrk, d.stage, d.verdict, d.hosts, d.agent, d.checks, gaps, d.reason, d.readiness
    )  # fmt: skip


# -- the composition -------------------------------------------------------------------------


@dataclass(frozen=True)
class GateInput:
    """One named gate's result as the row names it (an advisory gate never blocks)."""

    name: str
    result: GateResult
    advisory: bool = False


def counted(gate: GateInput) -> GateResult:
    """The result as it counts: an advisory gate's failing checks become WARN, its verdict
    PASS and its gaps P3; anything else as the gate said."""
    if not gate.advisory:
        return gate.result
    checks = tuple(
        replace(c, outcome=Outcome.WARN, reason=f"advisory: {c.reason}") if c.blocking else c
        for c in gate.result.checks
    )
    gaps = tuple(replace(g, priority="P3") for g in gate.result.gaps)
    return GateResult(checks, Verdict.PASS, gaps, gate.result.evidence)


@dataclass(frozen=True)
class _Part:
    verdict: Verdict
    reason: str


def _artifact_part(artifacts: Sequence[Check]) -> _Part:
    failed = [c.reason for c in artifacts if c.outcome is Outcome.FAIL]
    return _Part(Verdict.FAIL, "; ".join(failed)) if failed else _Part(Verdict.PASS, "")


def compose(
    machine: Decision,
    *,
    artifacts: Sequence[Check] = (),
    gates: Sequence[GateInput] = (),
    agent: str | None = None,
) -> Decision:
    """The row's verdict: the worst of the machine decision, the handoff artifact checks and
    the named gates. The reason is the machine decision's when it has that verdict, else that of
    the parts that do. ``agent`` (the claim's routed agent) replaces the row's primary."""
    results = [counted(g) for g in gates]
    parts = [_Part(machine.verdict, machine.reason), _artifact_part(artifacts)]
    parts += [
        _Part(
            r.verdict,
            "; ".join(c.reason for c in r.checks if c.blocking) or f"{g.name}: {r.verdict}",
        )
        for g, r in zip(gates, results, strict=True)
    ]
    verdict = worst(p.verdict for p in parts)
    if verdict is machine.verdict:
        reason = machine.reason
    else:
        said = _once(p.reason for p in parts[1:] if p.verdict is verdict and p.reason)
        reason = "; ".join(said)
    # Gates that share a prerequisite (plan-schema and plan-html both need the plan file)
    # report the same check and gap: the row holds each once, in the order first given.
    return replace(
        machine,
        verdict=verdict,
        reason=reason or machine.reason,
        agent=agent or machine.agent,
        checks=_once((*machine.checks, *artifacts, *(c for r in results for c in r.checks))),
        gaps=_once((*machine.gaps, *(g for r in results for g in r.gaps))),
    )


def _once(items: Iterable[_T]) -> tuple[_T, ...]:
    """``items`` with repeats (equal values) left out, in order."""
    return tuple(dict.fromkeys(items))


def overall(decisions: Iterable[Decision], *, invalid: bool = False) -> Verdict:
    """A whole gate's verdict: fail for an invalid contract, else the worst row."""
    return Verdict.FAIL if invalid else worst(d.verdict for d in decisions)
