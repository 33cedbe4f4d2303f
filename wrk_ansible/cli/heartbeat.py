"""``wrk heartbeat ITEM --stage S``: renew the live lease a claim took (docs/capacity.md)."""

from __future__ import annotations

import argparse
from typing import Any

from wrk_ansible.cli.common import ITEM_HELP, add_json, add_recording, emit_json, evidence_dir, note


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "heartbeat",
        help="renew the live lease of a claimed item (kind heartbeat)",
        description="Renew the lease the item's claim took, for another TTL from now "
        "(--minutes, else leases: ttl_minutes in wrk.yml, else 90). A lease that expired "
        "or was released (by an outcome, a later gate of its row, or a passing close) is "
        "not renewed: exit 1, saying when; claim the item again.",
    )
    parser.add_argument("path", metavar="ITEM", help=ITEM_HELP)
    parser.add_argument(
        "--stage",
        required=True,
        metavar="STAGE",
        help="the row that took the lease (claim) or the row it is for (execute)",
    )
    parser.add_argument(
        "--minutes", type=float, metavar="N", help="renew for N minutes (default: the TTL)"
    )
    add_recording(parser)
    add_json(parser)
    parser.set_defaults(handler=run_heartbeat)


def run_heartbeat(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from wrk_ansible.cli.common import open_registry, settings, valid_contract
    from wrk_ansible.cli.gate import _signer
    from wrk_ansible.contract.stages import one_row
    from wrk_ansible.errors import UsageError
    from wrk_ansible.evidence import leases
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.evidence.records import append
    from wrk_ansible.here import writer_name

    stage = one_row(args.stage)
    if args.minutes is not None and not 0 < args.minutes <= 10_080:
        raise UsageError(f"--minutes {args.minutes:g} must be more than 0 and at most 10080")
    registry = open_registry(args, required=False)
    result = valid_contract(args, args.path, registry)
    item = result.contract.wrk_id
    minutes = args.minutes or settings(args).lease_ttl_minutes().value
    writer = writer_name(registry, args.here)
    ledger = Ledger.at(evidence_dir(args))
    with leases.lock(ledger):
        now = datetime.now(UTC)
        view = leases.renewable(leases.of_item(ledger, item, now=now), item, stage, now)
        body = leases.heartbeat_body(view, minutes, writer, now)
        record = append(ledger, item, writer, body, signer=_signer(args.sign_key))
    if args.json:
        emit_json({"id": record.id, "sha256": record.sha256, "heartbeat": body.dump()})
    else:
        print(record.id)
        note(f"{item} {view.stage}: lease {view.record} renewed until {body.expires}")
    return 0
