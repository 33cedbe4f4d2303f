"""``wrk health``: grade every host against its baseline and drain or resume by the policy.

Run centrally (an unreachable host cannot drain itself), by hand or on a schedule. Each host's
observations are graded at their own time; after ``fleet: fail_after`` failures in a row an
active host is drained (reason ``health: ...``), after ``fleet: pass_after`` passes a host health
drained is resumed; a person's drain is never undone. Every change is an inventory edit (the
locked path ``wrk inventory drain`` takes) and a ``health`` record in chain ``_fleet``.
``--dry-run`` changes nothing.
"""

from __future__ import annotations

import argparse
from typing import Any

from wrk_ansible.cli.common import (
    add_evidence_dir,
    add_inventory,
    add_json,
    add_writer,
    emit_json,
    evidence_dir,
    note,
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "health",
        help="grade hosts against their baselines; drain and resume by the health policy",
        description="Grade every host with a baseline on its newest observation (ok, "
        "below-baseline, unreachable, stale) and apply the policy: drain after fleet: "
        "fail_after failing observations in a row (default 3), resume a host health drained "
        "after fleet: pass_after passes (default 2). Exit 0 when every graded host is ok, 2 "
        "when some are not, 1 on error.",
    )
    parser.add_argument("--dry-run", action="store_true", help="decide and show, change nothing")
    add_writer(parser)
    add_evidence_dir(parser)
    add_inventory(parser)
    add_json(parser)
    parser.set_defaults(handler=run_health)


def run_health(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from wrk_ansible.cli.common import open_registry, settings
    from wrk_ansible.evidence.fleet import FRESH_HOURS, baselines, last_changes, observations
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.fleet.grade import Grade, current, grade
    from wrk_ansible.fleet.health import Policy, decide
    from wrk_ansible.here import writer_name

    chosen = settings(args)
    config = chosen.fleet()
    registry = open_registry(args)
    bases = baselines(
        registry,
        config.baselines.hosts,
        config.baselines.groups,
        config.harness_config,
        where=chosen.loaded.where("fleet", "baselines"),
    )
    fresh = config.fresh_hours or FRESH_HOURS
    policy = Policy(config.fail_after, config.pass_after)
    ledger = Ledger.at(evidence_dir(args))
    seen = observations(ledger, bases)
    changed = last_changes(ledger)
    now = datetime.now(UTC)
    rows = []
    for host, base in bases.items():
        ws = registry.get(host)
        # only what was observed after the observations health's last change rested on counts
        # (a person who resumes a host is not undone by the failures that drained it)
        rested = set(changed.get(host, ()))
        since = max((o.at for o in seen[host] if o.source in rested), default=None)
        history = [
            grade(host, base, obs, obs.at, fresh)
            for obs in seen[host]
            if since is None or obs.at > since
        ]
        graded = grade(host, base, current(seen[host], now), now, fresh)
        decided = decide(host, ws.state, ws.state_reason, history, policy)
        rows.append((host, graded, decided))
    changes = [d for _, _, d in rows if d.action is not None]
    recorded: dict[str, str] = {}
    if changes and not args.dry_run:
        grades = {host: now_graded.grade.value for host, now_graded, _ in rows}
        writer = writer_name(registry, args.here)
        recorded = _apply(args, ledger, changes, grades=grades, policy=policy, writer=writer)
    if args.json:
        emit_json(
            {
                "dry_run": args.dry_run,
                "hosts": [
                    {
                        "host": host,
                        "grade": now_graded.grade.value,
                        "summary": now_graded.summary,
                        "dimensions": {d.name: d.grade.value for d in now_graded.dimensions},
                        "failing_in_a_row": decided.failing,
                        "passing_in_a_row": decided.passing,
                        "action": decided.action,
                        "reason": decided.reason,
                        "why": decided.why,
                        "applied": host in recorded,
                        "record": recorded.get(host),
                    }
                    for host, now_graded, decided in rows
                ],
            }
        )
    else:
        for host, now_graded, decided in rows:
            act = decided.action or "-"
            print(f"{host:24} {now_graded.grade.value:15} {act:7} {now_graded.summary}")
            note(f"  {host}: {decided.why}")
    return 0 if all(c.grade is Grade.OK for _, c, _ in rows) else 2


def _apply(
    args: argparse.Namespace,
    ledger: Any,
    changes: list[Any],
    *,
    grades: dict[str, str],
    policy: Any,
    writer: str,
) -> dict[str, str]:
    """Each change: the inventory edit (locked, atomic), then its ``health`` record. Under the
    lock each host's state is read again: a change whose premise no longer holds (a person
    drained the host, or resumed it, since it was decided) is left out, and said."""
    from wrk_ansible.cli.common import inventory_source
    from wrk_ansible.evidence.fleet import CHAIN
    from wrk_ansible.evidence.records import HealthBody, append
    from wrk_ansible.fleet.health import PREFIX
    from wrk_ansible.registry import ops
    from wrk_ansible.registry.edit import edit_inventory

    source, _ = inventory_source(args)
    applied = []
    with edit_inventory(source) as edit:
        for change in changes:
            host = ops.resolve(edit, change.host)
            state = ops.state_of(edit, host)
            reason = str(edit.vars_of(host).get("wrk_state_reason") or "")
            if change.action == "drain" and state == "active":
                ops.drain(edit, host, change.reason)
            elif change.action == "resume" and state == "drained" and reason.startswith(PREFIX):
                ops.resume(edit, host)
            else:
                note(f"wrk health: {host} changed since it was decided ({state}): left as it is")
                continue
            applied.append(change)
    out = {}
    for change in applied:
        body = HealthBody(
            host=change.host,
            action=change.action,
            reason=change.reason,
            grade=grades[change.host],
            observations=change.observations,
            fail_after=policy.fail_after,
            pass_after=policy.pass_after,
        )
        out[change.host] = append(ledger, CHAIN, writer, body).id
        note(f"wrk health: {change.action} {change.host} ({out[change.host]})")
    return out
