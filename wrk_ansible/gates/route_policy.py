"""``route-policy``: the implementation was reviewed by another agent than the one that
executed it, and the team's routing policy holds for every row.

Executor: the agent of the newest ``execute`` gate record, else the routing record's primary,
else the execute row's declared primary. Review: the newest ``impl_review`` review of each
agent; one ``approve`` by an agent other than the executor passes.

Licensed hosts are the registry's ``licensed`` group plus the machines the policy reserves for
licensed work (by name or alias, through the registry). A row may use a licensed host only when
its requirements need a license that host holds; that is also the decomposition rule (only the
licensed stage of mixed work runs there). Hosts checked per row: every named workstation and
fallback; for a group scope, the hosts its gate chose (this run's, or the row's newest gate
record's), or the whole group when every host in it is licensed. Titles and keywords are never
used to decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from wrk_ansible.contract.models import GroupScope
from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.evidence.query import latest
from wrk_ansible.evidence.records import GateBody, RoutingBody
from wrk_ansible.gates.base import GateContext, GateResult, check, combine, gap, result
from wrk_ansible.gates.reviews import command, latest_by_agent, reviews

REVIEW_STAGE: Final = "impl_review"
EXECUTE: Final = "execute"


def executor(ctx: GateContext) -> tuple[str | None, str]:
    """The agent that executed the work, and where that was read."""
    gate = latest(ctx.ledger, ctx.wrk_id, GateBody, stage=EXECUTE)
    if gate is not None and gate.body.agent:
        return gate.body.agent, f"gate record {gate.id}"
    routing = latest(ctx.ledger, ctx.wrk_id, RoutingBody, for_stage=EXECUTE)
    if routing is not None and routing.body.primary:
        return routing.body.primary, f"routing record {routing.id}"
    agents = ctx.contract.stage(EXECUTE).agents
    return (agents[0], "the execute row's primary") if agents else (None, "no execute agent")


def review_result(ctx: GateContext) -> GateResult:
    """Another agent than the executor approved the implementation."""
    who, source = executor(ctx)
    latest = latest_by_agent(reviews(ctx.ledger, ctx.wrk_id, REVIEW_STAGE))
    others = {a: r for a, r in latest.items() if a != who}
    approved = sorted(a for a, r in others.items() if r.body.verdict == "approve")
    required = f"an {REVIEW_STAGE} approval by an agent other than {who or '?'} ({source})"
    if approved:
        found = check("route-review", required, ", ".join(approved), Outcome.PASS, "approved")
        return result([found])
    reviewers = [a for a in ctx.contract.stage(REVIEW_STAGE).agents if a != who] or ["AGENT"]
    if others:
        shown = ", ".join(f"{a}: {r.body.verdict}" for a, r in sorted(others.items()))
        found = check("route-review", required, shown, Outcome.FAIL, "changes requested")
        fix = gap(f"{ctx.wrk_id}: changes requested ({shown})", command(ctx, sorted(others)[0]))
        return result([found], [fix])
    if who is not None and who in latest:
        found = check(
            "route-review",
            required,
            f"only {who} (the executor)",
            Outcome.FAIL,
            f"{who} reviewed its own work; the policy wants another agent's review",
        )
        fix = gap(f"{ctx.wrk_id}: self-review only", command(ctx, reviewers[0], REVIEW_STAGE))
        return result([found], [fix], fail=True)
    found = check("route-review", required, "none", Outcome.FAIL, "not reviewed yet")
    fix = gap(
        f"{ctx.wrk_id}: implementation not reviewed",
        *(command(ctx, a, REVIEW_STAGE) for a in reviewers),
    )
    return result([found], [fix])


def licensed_hosts(ctx: GateContext) -> frozenset[str]:
    """Canonical names of the hosts kept for licensed work."""
    names = set(ctx.registry.groups.get("licensed", ()))
    for machine in ctx.policy.licensed_machines:
        ws = ctx.registry.find(machine)
        if ws is not None:
            names.add(ws.name)
    return frozenset(names)


def _expand(ctx: GateContext, names: Iterable[str]) -> list[str]:
    hosts: list[str] = []
    for name in names:
        known = ctx.registry.canonical(name)
        if known is None:
            continue
        if known in ctx.registry.groups:
            hosts += ctx.registry.groups[known]
        else:
            hosts.append(known)
    return list(dict.fromkeys(hosts))


def row_hosts(ctx: GateContext, row: ResolvedStage, licensed: frozenset[str]) -> list[str]:
    """The hosts a row uses or may use, as far as they are known."""
    if row.stage == ctx.row.stage and ctx.hosts:
        return _expand(ctx, (*ctx.hosts, *row.machines))
    ws = row.assignment.workstations
    if isinstance(ws, GroupScope):
        group = ctx.registry.groups.get(ctx.registry.canonical(ws.group) or "", ())
        if group and set(group) <= licensed:
            return list(group)
        gate = latest(ctx.ledger, ctx.wrk_id, GateBody, stage=row.stage)
        return _expand(ctx, gate.body.for_hosts if gate is not None else ())
    return _expand(ctx, row.machines)


def _routed_by_rules(ctx: GateContext, row: ResolvedStage) -> str | None:
    """For an issue: the label or rule that placed ``row`` (its execute machine), else None."""
    if not ctx.contract.is_issue:
        return None
    origin = row.origin.get("workstations", "")
    return origin if origin.startswith(("label machine:", "rule ")) else None


def licensed_result(ctx: GateContext) -> GateResult:
    """Licensed hosts only for rows whose requirements need a license they hold."""
    if not ctx.policy.enforced:
        skip = check(
            "route-licensed", "a policy rule", "none", Outcome.PASS, "the policy states no rule"
        )
        return result([skip])
    licensed = licensed_hosts(ctx)
    checks: list[Check] = []
    wrong: list[str] = []
    for row in ctx.contract.stages:
        needs = {lic.feature.casefold() for lic in row.requirements.licenses}
        for host in row_hosts(ctx, row, licensed):
            if host not in licensed:
                continue
            ws = ctx.registry.find(host)
            held = {f.casefold() for f in ws.license_features} if ws else set()
            used = sorted(needs & held)
            required = f"{row.stage} needs a license {host} holds"
            if used:
                why = f"needs {', '.join(used)}"
                checks.append(
                    check(
                        f"route-licensed:{row.stage}", required, why, Outcome.PASS, why, host=host
                    )
                )
                continue
            routed = _routed_by_rules(ctx, row)
            if routed is not None:  # the team's rules file chose the licensed host: its policy
                why = (
                    f"placed on {host} by {routed} of the routing rules, which send this work to "
                    "licensed hosts; no license is named, so no seat is reserved (name it in a "
                    "```wrk block: machine_capability_requirements)"
                )
                checks.append(
                    check(
                        f"route-licensed:{row.stage}",
                        required,
                        "needs no license named",
                        Outcome.WARN,
                        why,
                        host=host,
                    )
                )
                continue
            wrong.append(f"{row.stage} on {host}")
            found = f"needs {', '.join(sorted(needs))}" if needs else "needs no license"
            checks.append(
                check(
                    f"route-licensed:{row.stage}",
                    required,
                    found,
                    Outcome.FAIL,
                    f"{host} is kept for licensed work; {row.stage} {found}",
                    host=host,
                )
            )
    summary = (
        f"decompose: {', '.join(wrong)} must move to a non-licensed host (Linux first)"
        if wrong
        else "only stages that need a license use licensed hosts"
    )
    checks.append(
        check(
            "route-decomposition",
            "only licensed stages on licensed hosts",
            ", ".join(wrong) or "none misplaced",
            Outcome.FAIL if wrong else Outcome.PASS,
            summary,
        )
    )
    fix = gap(
        f"{ctx.wrk_id}: routing policy violated: {', '.join(wrong)}",
        "assign those stages to a Linux host, or declare the license they need in "
        "machine_capability_requirements",
    )
    return result(checks, [fix], fail=True)


def route_policy(ctx: GateContext) -> GateResult:
    """Reviewed by another agent, and licensed hosts used only for licensed stages."""
    return combine([review_result(ctx), licensed_result(ctx)])
