"""``wrk outcome ITEM --stage S --exit-code N``: record how a stage ended, ran apart from
succeeded."""

from __future__ import annotations

import argparse
from typing import Any

from wrk_ansible.cli.common import (
    ITEM_HELP,
    add_json,
    add_recording,
    emit_json,
    evidence_dir,
    note,
)

_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: Exit codes as operating systems report them (POSIX signals negative, Windows NTSTATUS).
_EXIT_RANGE = (-(2**31), 2**32 - 1)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "outcome",
        help="record how a stage ended (kind outcome): ran, and whether it succeeded",
        description="Record the outcome of one attempt of a stage: its exit code, the row's "
        "post-checks (outputs:, validators: from wrk.yml, max_attempts:) and a log. It "
        "succeeded only when the exit code is 0 and every post-check passed; the exit code "
        "of this command is 0 only then (1 otherwise).",
    )
    parser.add_argument("path", metavar="ITEM", help=ITEM_HELP)
    parser.add_argument("--stage", required=True, metavar="STAGE", help="the row that ran")
    parser.add_argument(
        "--exit-code", required=True, type=int, metavar="N", help="the process's exit code"
    )
    parser.add_argument(
        "--attempt",
        type=int,
        metavar="K",
        help="which attempt this was (default: one more than the outcomes recorded)",
    )
    parser.add_argument(
        "--category", metavar="CATEGORY", help="a failure category (infra, timeout, ...)"
    )
    parser.add_argument("--log", metavar="PATH", help="the run's log, inside the repository")
    parser.add_argument(
        "--agent", metavar="AGENT", help="the agent that ran it (default: the one recorded)"
    )
    add_recording(parser)
    add_json(parser)
    parser.set_defaults(handler=run_outcome)


def _validate(args: argparse.Namespace) -> str:
    import re

    from wrk_ansible.contract.stages import one_row
    from wrk_ansible.errors import UsageError

    stage = one_row(args.stage)
    low, high = _EXIT_RANGE
    if not low <= args.exit_code <= high:
        raise UsageError(f"--exit-code {args.exit_code} is not an exit code")
    if args.attempt is not None and not 1 <= args.attempt <= 100_000:
        raise UsageError(f"--attempt {args.attempt} must be 1 or more")
    for flag, value in (("--category", args.category), ("--agent", args.agent)):
        if value is not None and not re.match(_NAME, value):
            raise UsageError(f"{flag} {value!r} is not a name ([A-Za-z0-9._-], up to 64)")
    return stage


def _agent(ledger: Any, wrk: str, stage: str, row: Any) -> str | None:
    """The agent recorded for the row (its newest gate or routing), else the row's first."""
    from wrk_ansible.evidence.chosen import chosen_rows

    chosen = chosen_rows(ledger.records(wrk), [stage]).get(stage)
    if chosen is not None and chosen.agent:
        return str(chosen.agent)
    return row.agents[0] if row.agents else None


def run_outcome(args: argparse.Namespace) -> int:
    import os

    from wrk_ansible.cli.common import open_registry, settings, valid_contract
    from wrk_ansible.cli.gate import _signer
    from wrk_ansible.contract.validate import item_root
    from wrk_ansible.evidence import leases
    from wrk_ansible.evidence.handoff import artifact_entry
    from wrk_ansible.evidence.leases import State
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.here import writer_name
    from wrk_ansible.outcome.postchecks import run_post_checks
    from wrk_ansible.outcome.record import next_attempt, outcome_body, record_outcome

    stage = _validate(args)
    registry = open_registry(args, required=False)
    result = valid_contract(args, args.path, registry)
    contract = result.contract  # its validators are defined in wrk.yml (check_work_item)
    row = contract.stage(stage)
    defined = settings(args).validators().value
    writer = writer_name(registry, args.here)
    root = item_root(contract)
    log = artifact_entry(root, os.path.abspath(args.log), field="--log") if args.log else None
    ledger = Ledger.at(evidence_dir(args))
    attempt = args.attempt or next_attempt(ledger, contract.wrk_id, stage)
    checks = run_post_checks(
        row.assignment, root, defined, item=contract.wrk_id, stage=stage, attempt=attempt
    )
    body = outcome_body(
        stage=stage,
        host=writer,
        agent=args.agent or _agent(ledger, contract.wrk_id, stage, row),
        attempt=attempt,
        max_attempts=row.assignment.max_attempts,
        exit_code=args.exit_code,
        category=args.category,
        log=log,
        post_checks=checks,
    )
    with leases.lock(ledger):  # the release and the next claim's count never interleave
        held = leases.of_item(ledger, contract.wrk_id)
        if held is not None and held.state is not State.RELEASED and held.lease.for_stage == stage:
            body = body.model_copy(update={"released": held.record})
        record = record_outcome(
            ledger, contract.wrk_id, writer, body, signer=_signer(args.sign_key)
        )
    if args.json:
        emit_json({"id": record.id, "sha256": record.sha256, "outcome": body.dump()})
    else:
        print(record.id)
        for found in body.post_checks:
            note(f"  {'pass' if found.passed else 'FAIL'}  {found.name}: {found.reason}")
        verdict = "succeeded" if body.succeeded else "ran, did not succeed"
        if body.released:
            note(f"  lease {body.released} released")
        note(f"{contract.wrk_id} {stage} attempt {attempt}: exit {args.exit_code}, {verdict}")
    return 0 if body.succeeded else 1
