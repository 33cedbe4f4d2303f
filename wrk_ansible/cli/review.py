"""``wrk review record WRK.md --stage S --agent A --verdict approve|changes``."""

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


def register(commands: Any) -> None:
    group = commands.add_parser("review", help="record reviews of a WRK's stages")
    verbs = group.add_subparsers(dest="verb", metavar="VERB", required=True)
    record = verbs.add_parser(
        "record",
        help="append a review record (kind review) to the WRK's evidence chain",
        description="Record that AGENT reviewed stage STAGE of a WRK, with its verdict. The "
        "review-runs-complete and route-policy gates read these records.",
    )
    record.add_argument("path", metavar="WRK", help=ITEM_HELP)
    record.add_argument(
        "--stage", required=True, metavar="STAGE", help="the row reviewed (impl_review, ...)"
    )
    record.add_argument("--agent", required=True, metavar="AGENT", help="the reviewing agent")
    record.add_argument("--verdict", required=True, choices=("approve", "changes"))
    record.add_argument("--note", metavar="TEXT", help="what the reviewer said, briefly")
    add_recording(record)
    add_json(record)
    record.set_defaults(handler=run_record)


def run_record(args: argparse.Namespace) -> int:
    import re
    from pathlib import Path

    from wrk_ansible.cli.common import issue_source, open_registry
    from wrk_ansible.cli.gate import _signer
    from wrk_ansible.contract.loader import load_work_item
    from wrk_ansible.contract.stages import one_row
    from wrk_ansible.errors import InputError, UsageError
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.gates.reviews import record_review
    from wrk_ansible.here import writer_name
    from wrk_ansible.refs import looks_like_ref

    stage = one_row(args.stage)
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", args.agent):
        raise UsageError(f"--agent {args.agent!r} is not an agent name")
    if args.note is not None and len(args.note) > 4000:
        raise UsageError("--note is longer than 4000 characters")
    if looks_like_ref(args.path):
        wrk_id = str(issue_source(args).get(args.path).ref)  # it exists (export or gh)
    else:
        item = load_work_item(args.path)
        wrk = item.data.get("id")
        wrk_id = str(wrk) if wrk is not None else Path(args.path).stem
    registry = open_registry(args, required=False)
    if registry is not None:
        from wrk_ansible.cli.common import settings

        catalog = settings(args).agent_policy(registry).catalog
        if catalog.names and args.agent not in catalog.names:
            raise InputError(
                f"unknown agent {args.agent!r}; the catalog declares: {', '.join(catalog.names)}",
                field="--agent",
            )
    ledger = Ledger.at(evidence_dir(args))
    record = record_review(
        ledger,
        wrk_id,
        writer_name(registry, args.here),
        stage=stage,
        agent=args.agent,
        verdict=args.verdict,
        note=args.note,
        signer=_signer(args.sign_key),
    )
    if args.json:
        emit_json({"id": record.id, "sha256": record.sha256, "review": record.body.dump()})
    else:
        print(record.id)
        note(f"recorded {args.agent}'s {args.verdict} of {wrk_id} {stage}")
    return 0
