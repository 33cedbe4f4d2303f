"""``wrk quota record | import | show``: agents' quota snapshots as evidence records."""

from __future__ import annotations

import argparse
import re
from typing import Any

from wrk_ansible.cli.common import (
    add_evidence_dir,
    add_inventory,
    add_json,
    add_writer,
    emit_json,
    evidence_dir,
    hours,
    note,
)

_AGENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _pct(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage (0-100)")
    return value


def _common(parser: argparse.ArgumentParser, *, writes: bool = True) -> None:
    add_evidence_dir(parser)
    if writes:
        add_writer(parser)
    add_inventory(parser)
    add_json(parser)


def register(commands: Any) -> None:
    group = commands.add_parser(
        "quota",
        help="record, import and show AI agents' quota snapshots",
        description="Quota snapshots are evidence records (kind quota, chain _quota/HOST) "
        "that the claim gate reads to route work by pacing.",
    )
    verbs = group.add_subparsers(dest="verb", metavar="VERB", required=True)
    record = verbs.add_parser("record", help="record one agent's quota use now")
    record.add_argument("agent", metavar="AGENT")
    record.add_argument(
        "--used-pct", type=_pct, required=True, metavar="N", help="percent of the quota used"
    )
    record.add_argument("--window", choices=("weekly", "daily"), help="default: the catalog's")
    record.add_argument(
        "--resets-at", metavar="TIME", help="when the window resets (ISO 8601 with offset)"
    )
    record.add_argument("--source", default="wrk quota record", help="where the number came from")
    _common(record)
    record.set_defaults(handler=run_record)
    imported = verbs.add_parser("import", help="import the team's agent-quota JSON snapshot")
    imported.add_argument("file", metavar="FILE")
    _common(imported)
    imported.set_defaults(handler=run_import)
    show = verbs.add_parser("show", help="each agent's newest reading and its pacing line")
    show.add_argument(
        "--fresh-hours",
        type=hours,
        metavar="HOURS",
        help="default: $WRK_QUOTA_FRESH_HOURS, else quota.fresh_hours in wrk.yml, else 24",
    )
    _common(show, writes=False)
    show.set_defaults(handler=run_show)


def _context(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(ledger, registry or None, catalog)."""
    from wrk_ansible.cli.common import open_registry, settings
    from wrk_ansible.evidence.ledger import Ledger

    registry = open_registry(args, required=False)
    catalog = settings(args).agent_policy(registry).catalog
    return Ledger.at(evidence_dir(args)), registry, catalog


def _check_agent(name: str, catalog: Any, *, path: str | None, field: str) -> None:
    from wrk_ansible.errors import InputError

    if not _AGENT.match(name):
        raise InputError(f"{name!r} is not an agent name", path=path, field=field)
    if catalog.names and name not in catalog.names:
        raise InputError(
            f"unknown agent {name!r}; the catalog declares: {', '.join(catalog.names)}",
            path=path,
            field=field,
        )


def _write(args: argparse.Namespace, ledger: Any, registry: Any, body: dict[str, Any]) -> Any:
    from wrk_ansible.agents.quota import CHAIN, KIND
    from wrk_ansible.cli.gate import _signer
    from wrk_ansible.here import writer_name

    writer = writer_name(registry, args.here)
    return ledger.append(CHAIN, writer, KIND, body, signer=_signer(args.sign_key))


def _report(args: argparse.Namespace, record: Any, readings: Any) -> int:
    if args.json:
        stored = [r.as_dict() for r in readings]  # as the record holds them
        emit_json({"id": record.id, "sha256": record.sha256, "readings": stored})
        return 0
    for r in readings:
        used = f"{r.used_pct:g}% used" if r.used_pct is not None else f"unknown ({r.why})"
        resets = r.resets_at.isoformat() if r.resets_at else "reset time unknown"
        print(f"{r.agent:10} {used}, {r.window}, {resets}")
    note(f"recorded {record.id} ({len(readings)} reading(s))")
    return 0


def run_record(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from wrk_ansible.agents.quota import Reading, parse_time, snapshot_body

    ledger, registry, catalog = _context(args)
    _check_agent(args.agent, catalog, path=None, field="AGENT")
    resets = parse_time(args.resets_at, field="--resets-at") if args.resets_at else None
    reading = Reading(
        agent=args.agent,
        window=args.window or catalog.window(args.agent),
        used_pct=args.used_pct,
        resets_at=resets,
        captured_at=datetime.now(UTC),
        source=args.source,
    )
    body = snapshot_body([reading], {"command": "wrk quota record"})
    return _report(args, _write(args, ledger, registry, body), [reading])


def run_import(args: argparse.Namespace) -> int:
    import hashlib
    import json
    import os

    from wrk_ansible.agents.quota import readings_from_file, snapshot_body
    from wrk_ansible.errors import InputError
    from wrk_ansible.safeyaml import at_line, json_key_lines, read_text

    ledger, registry, catalog = _context(args)
    text = read_text(args.file, max_bytes=1024 * 1024, what="quota snapshot")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not JSON: {exc.msg} (column {exc.colno})", path=args.file, line=exc.lineno
        ) from None
    try:
        readings = readings_from_file(data, path=args.file)
        for index, reading in enumerate(readings):
            _check_agent(reading.agent, catalog, path=args.file, field=f"agents[{index}].provider")
    except InputError as exc:  # at the line of the field it names
        raise at_line(exc, json_key_lines(text, args.file)) from None
    origin = {
        "command": "wrk quota import",
        "file": os.path.basename(args.file),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "timestamp": data.get("timestamp"),
    }
    return _report(args, _write(args, ledger, registry, snapshot_body(readings, origin)), readings)


def run_show(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from wrk_ansible.agents.pacing import pace
    from wrk_ansible.agents.quota import latest_readings, quota_records
    from wrk_ansible.cli.common import settings

    ledger, registry, _ = _context(args)
    policy = settings(args).agent_policy(registry, args.fresh_hours)
    pacing, hours = policy.pacing, policy.quota_fresh_hours
    now = datetime.now(UTC)
    rows = []
    for _, used in sorted(latest_readings(quota_records(ledger)).items()):
        r = used.reading
        state = (
            pace(pacing, r.window, r.used_pct, r.resets_at, now) if r.used_pct is not None else None
        )
        rows.append(
            {
                **r.as_dict(),
                "record": used.record_id,
                "fresh": used.fresh(now, hours),
                "allowed_pct": round(state.allowed_pct, 1) if state else None,
                "past_pacing_line": state.past_line if state else None,
            }
        )
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        used_text = "unknown" if row["used_pct"] is None else f"{row['used_pct']:g}%"
        line = "" if row["allowed_pct"] is None else f" (line {row['allowed_pct']:g}%)"
        past = " PAST LINE" if row["past_pacing_line"] else ""
        fresh = "fresh" if row["fresh"] else "STALE"
        print(f"{row['agent']:10} {used_text}{line}{past}  {fresh}  {row['record']}")
    if not rows:
        note(
            f"no quota snapshots under {ledger.root}: run `wrk quota record` or `wrk quota import`"
        )
    return 0
