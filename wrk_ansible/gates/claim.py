"""The claim row's gates: ``quota-snapshot`` and ``routing-evidence``.

At claim, the work (the ``execute`` row) is routed: its declared agents, minus those absent on
its host, minus those past their pacing line (:func:`wrk_ansible.agents.routing.choose_agents`).
``routing-evidence`` at the claim row makes that choice and appends it as a ``routing`` record
to the WRK's chain (through ``ctx.ledger``, signed with ``ctx.signer``; nothing is written when
``ctx.record`` is False). At any later row it holds when such a record exists.
"""

from __future__ import annotations

from typing import Final

from wrk_ansible.agents.quota import Used, latest_readings, quota_records
from wrk_ansible.agents.routing import candidates, choose_agents
from wrk_ansible.contract.models import GroupScope
from wrk_ansible.contract.resolve import Contract, ResolvedStage
from wrk_ansible.decision.outcomes import Check, Outcome, Verdict
from wrk_ansible.evidence.query import latest
from wrk_ansible.evidence.records import RoutingBody, Skipped, SnapshotRef, TypedRecord, append
from wrk_ansible.gates.base import GateContext, GateResult, check, gap, result
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation

KIND: Final = RoutingBody.KIND
ROUTED_STAGE: Final = "execute"
SCHEMA_VERSION: Final = 1


def routing_target(ctx: GateContext) -> tuple[ResolvedStage, Workstation]:
    """The row being routed (``execute``) and the host its agents must be on
    (:func:`work_target`)."""
    return work_target(ctx.contract, ctx.registry, ctx.row.stage, ctx.hosts, ctx.here)


def work_target(
    contract: Contract,
    registry: Registry,
    gated: str,
    hosts: tuple[str, ...],
    here: Workstation,
) -> tuple[ResolvedStage, Workstation]:
    """The routed row (``execute``) and the host it will run on: the host the machine decision
    chose when ``gated`` is that row, else its first named workstation, else the first active
    host of its group, else where the gated row runs (``hosts``), else ``here``."""
    row = contract.stage(ROUTED_STAGE)
    if gated == ROUTED_STAGE and hosts:
        names: tuple[str, ...] = hosts
    else:
        ws = row.assignment.workstations
        names = registry.hosts_in(ws.group) if isinstance(ws, GroupScope) else tuple(ws or ())
        names += hosts
    for name in names:
        found = registry.find(name)
        if found is not None and found.available:
            return row, found
    return row, here


def _agents(ctx: GateContext) -> tuple[ResolvedStage, Workstation, tuple[str, ...]]:
    row, host = routing_target(ctx)
    present = {a.casefold() for a in host.agents}
    wanted = candidates(row, host, ctx.agent_policy.catalog)
    return row, host, tuple(a for a in wanted if a.casefold() in present)


def _commands(agent: str) -> tuple[str, ...]:
    return (
        f"wrk quota record {agent} --used-pct N [--window weekly] [--resets-at TIME]",
        "wrk quota import agent-quota-latest.json",
    )


def _snapshot_checks(ctx: GateContext, agents: tuple[str, ...]) -> tuple[list[Check], list[str]]:
    latest = latest_readings(quota_records(ctx.ledger))
    hours = ctx.agent_policy.quota_fresh_hours
    checks, stale = [], []
    for agent in agents:
        used = latest.get(agent)
        required = f"a quota snapshot younger than {hours:g} h"
        if used is None:
            stale.append(agent)
            checks.append(
                check(f"quota:{agent}", required, "none", Outcome.FAIL, "no snapshot recorded")
            )
            continue
        age = used.age(ctx.now)
        shown = f"{age.total_seconds() / 3600:.1f} h old" if age is not None else "undated"
        if not used.fresh(ctx.now, hours):
            stale.append(agent)
            checks.append(
                check(f"quota:{agent}", required, shown, Outcome.FAIL, f"stale ({used.record_id})")
            )
        elif used.reading.used_pct is None:
            why = used.reading.why or "no usable numbers"
            checks.append(check(f"quota:{agent}", required, f"unknown, {shown}", Outcome.WARN, why))
        else:
            found = f"{used.reading.used_pct:g}% used, {shown}"
            checks.append(check(f"quota:{agent}", required, found, Outcome.PASS, used.record_id))
    return checks, stale


def quota_snapshot(ctx: GateContext) -> GateResult:
    """A fresh quota snapshot exists for every agent the claim may route the work to."""
    _, host, agents = _agents(ctx)
    if not agents:
        none = check(
            "quota", "agents to route", "none", Outcome.PASS, f"no declared agent on {host.name}"
        )
        return result([none])
    checks, stale = _snapshot_checks(ctx, agents)
    fix = gap(
        f"{ctx.wrk_id}: quota snapshot missing or stale for {', '.join(stale)}",
        *dict.fromkeys(line for agent in stale for line in _commands(agent)),
    )
    return result(checks, [fix])


def claim_routing(ctx: GateContext) -> tuple[GateResult, RoutingBody | None]:
    """Choose the routed row's agents; the result and the routing record's body (None when no
    choice could be made)."""
    row, host, agents = _agents(ctx)
    latest = latest_readings(quota_records(ctx.ledger))
    hours = ctx.agent_policy.quota_fresh_hours
    stale = [a for a in agents if a not in latest or not latest[a].fresh(ctx.now, hours)]
    if stale:
        found = check(
            "routing",
            "a fresh quota snapshot for every candidate agent",
            f"missing or stale: {', '.join(stale)}",
            Outcome.FAIL,
            "routing needs a fresh quota snapshot",
        )
        fix = gap(f"{ctx.wrk_id}: cannot route without fresh quota", *_commands(stale[0]))
        return result([found], [fix]), None
    pacing = ctx.agent_policy.pacing
    fresh = {agent: latest[agent] for agent in agents}
    choice = choose_agents(
        row,
        host,
        ctx.agent_policy.catalog,
        {agent: used.reading for agent, used in fresh.items()},
        pacing,
        now=ctx.now,
    )
    if choice.primary is None:
        why = "; ".join(f"{a}: {r}" for a, r in choice.reasons.items()) or "no agent declared"
        found = check("routing", f"an agent for {row.stage}", "none", Outcome.FAIL, why)
        fixes = (
            (
                "record a newer quota snapshot, wait for a quota reset, or name another agent "
                "or host",
            )
            if choice.reasons
            else (  # nothing to choose from: say how to declare an agent
                f"declare the agent CLIs {host.name} runs: wrk inventory set {host.name} "
                "wrk_agents=[claude]",
                f"or run {row.stage} on a host that declares one",
            )
        )
        fix = gap(f"{ctx.wrk_id}: no agent can take {row.stage} on {host.name}", *fixes)
        return result([found], [fix]), None
    chosen = (choice.primary, choice.secondary)
    body = RoutingBody(
        schema_version=SCHEMA_VERSION,
        stage=ctx.row.stage,
        for_stage=row.stage,
        host=host.name,
        primary=choice.primary,
        secondary=choice.secondary,
        candidates=tuple(candidates(row, host, ctx.agent_policy.catalog)),
        reasons=dict(choice.reasons),
        passed_over={a: r for a, r in choice.reasons.items() if a not in chosen},
        snapshots=_snapshots(fresh),
        pacing=pacing.as_dict(),
        quota_fresh_hours=hours,
    )
    picked = f"primary {choice.primary}, secondary {choice.secondary or '-'} on {host.name}"
    ok = check("routing", f"agents for {row.stage}", picked, Outcome.PASS, "chosen by pacing")
    return result([ok]), body


def _snapshots(fresh: dict[str, Used]) -> tuple[SnapshotRef, ...]:
    """The quota records the choice used, by id and sha256, with the agents read from each."""
    by_record: dict[tuple[str, str], list[str]] = {}
    for agent, used in fresh.items():
        by_record.setdefault((used.record_id, used.record_sha256), []).append(agent)
    return tuple(
        SnapshotRef(id=rid, sha256=digest, agents=", ".join(agents))
        for (rid, digest), agents in by_record.items()
    )


def latest_routing(
    ctx: GateContext, *, skipped: list[Skipped] | None = None
) -> TypedRecord[RoutingBody] | None:
    """The WRK's newest routing record (by time, then id), or None (``skipped``: routing
    records whose body does not validate)."""
    return latest(ctx.ledger, ctx.wrk_id, RoutingBody, skipped=skipped)


def routing_evidence(ctx: GateContext) -> GateResult:
    """At claim: route and record. At any other row: a routing record exists."""
    if ctx.row.stage == "claim":
        outcome, body = claim_routing(ctx)
        if body is None:
            return outcome
        if not ctx.record:
            note = check(
                "routing-evidence",
                "a routing record",
                outcome.checks[0].found,
                Outcome.WARN,
                f"decided but not recorded ({ctx.unrecorded_why})",
            )
            return GateResult((*outcome.checks, note), Verdict.PASS)
        written = append(ctx.ledger, ctx.wrk_id, ctx.writer_name, body, signer=ctx.signer)
        kept = check(
            "routing-evidence", "a routing record", written.id, Outcome.PASS, "recorded at claim"
        )
        return GateResult((*outcome.checks, kept), Verdict.PASS, (), (written.id,))
    skipped: list[Skipped] = []
    record = latest_routing(ctx, skipped=skipped)
    if record is None:
        why = "the work was never routed"
        if skipped:
            why += f" (unreadable: {'; '.join(str(s) for s in skipped)})"
        missing = check(
            "routing-evidence", "a routing record from the claim", "none", Outcome.FAIL, why
        )
        fix = gap(f"{ctx.wrk_id}: not routed", f"wrk gate {ctx.wrk_path} --stage claim")
        return result([missing], [fix])
    found = f"{record.id}: primary {record.body.primary}"
    return result([check("routing-evidence", "a routing record", found, Outcome.PASS, "routed")])
