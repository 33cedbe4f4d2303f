"""``wrk readiness``: observe tools, licenses, disk and network on workstations."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from wrk_ansible.cli.common import (
    add_evidence_dir,
    add_inventory,
    add_json,
    emit_json,
    note,
    seconds,
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "readiness",
        help="probe workstations (one playbook run) or this machine (--local)",
        description="Run the readiness playbook through ansible-runner over the inventory (or "
        "the same probe in this process with --local) and print host x check. Exit 0 when "
        "every host is ready, 2 when some are not, 1 on error.",
    )
    parser.add_argument("--limit", metavar="PATTERN", help="hosts or groups (Ansible pattern)")
    parser.add_argument(
        "--requirements",
        metavar="FILE",
        help="what to check (a stage's requirements: "
        "tools, licenses, disk, network); default: each host's declarations",
    )
    parser.add_argument("--local", action="store_true", help="probe this machine, no Ansible")
    parser.add_argument("--here", metavar="HOST", help="the inventory host this machine is")
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=10.0,
        metavar="SECONDS",
        help="per-check and connection timeout (default 10)",
    )
    parser.add_argument(
        "--sign-key", metavar="KEY", help="sign the recorded evidence (default: $WRK_SIGNING_KEY)"
    )
    parser.add_argument("--no-record", action="store_true", help="record no evidence")
    add_evidence_dir(parser)
    add_inventory(parser)
    add_json(parser)
    parser.set_defaults(handler=run_readiness)


def load_requirements(path: str | None) -> Any:
    """A requirements file validated as a stage's requirements; None when not given."""
    if path is None:
        return None
    from pydantic import ValidationError

    from wrk_ansible.contract.models import StageRequirements
    from wrk_ansible.contract.resolve import pydantic_issues
    from wrk_ansible.errors import InputError
    from wrk_ansible.safeyaml import parse_yaml, read_text

    parsed = parse_yaml(read_text(path, max_bytes=1024 * 1024, what="requirements file"), path)
    data = parsed.data if parsed.data is not None else {}
    try:
        return StageRequirements.model_validate(data)
    except ValidationError as exc:
        first = pydantic_issues(exc, parsed)[0]
        raise InputError(first.message, path=path, field=first.field, line=first.line) from None


def _table(observations: list[Any]) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="readiness")
    for column in ("host", "check", "required", "found", "result", "reason"):
        table.add_column(column, overflow="fold")
    marks = {True: "[green]pass[/]", False: "[red]fail[/]", None: "[yellow]unknown[/]"}
    for obs in observations:
        if not obs.reachable:
            table.add_row(
                obs.host,
                "reachable",
                "a connection",
                "-",
                "[red]unreachable[/]",
                escape(obs.message),
            )
            continue
        if not obs.checks:
            table.add_row(obs.host, "-", "-", "-", "[green]ready[/]", "nothing to check")
        for c in obs.checks:
            table.add_row(
                obs.host,
                escape(f"{c.kind} {c.name}"),
                escape(c.required or "-"),
                escape(c.found or "-"),
                marks[c.ok],
                escape(c.reason),
            )
    return table


def _signer(given: str | None) -> Any:
    key = given or os.environ.get("WRK_SIGNING_KEY")
    if not key:
        return None
    from pathlib import Path

    from wrk_ansible.evidence.ledger import Signer

    return Signer(Path(key))


def run_readiness(args: argparse.Namespace) -> int:
    from wrk_ansible.cli.common import open_registry
    from wrk_ansible.errors import InputError, UsageError
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.evidence.readiness import record_observation
    from wrk_ansible.here import identify_here
    from wrk_ansible.readiness.gather import probe_hosts, probe_local, requirements_data

    requirements = load_requirements(args.requirements)
    signer = _signer(args.sign_key)
    registry = open_registry(args.inventory, required=not args.local)
    if args.local:
        if args.limit:
            raise UsageError("--limit does not apply to --local (it probes this machine)")
        ws = identify_here(registry, args.here) if registry is not None else None
        name = ws.name if ws else (args.here or "localhost")
        if ws is not None and ws.access == "none" and signer is None and not args.no_record:
            raise InputError(
                f"{ws.name} has no remote access: its attestation must be signed; pass "
                "--sign-key KEY or set $WRK_SIGNING_KEY"
            )
        observations = [probe_local(name, ws, requirements, timeout=args.timeout)]
        writer = name
    else:
        from wrk_ansible.cli.common import inventory_source
        from wrk_ansible.here import writer_name

        hosts = registry.hosts_in(args.limit or "all")
        if not hosts:
            raise InputError(f"no host matches {args.limit!r}", field="--limit")
        skipped = [h for h in hosts if registry.get(h).access == "none"]
        for host in skipped:
            note(f"{host}: no remote access; attest there with `wrk readiness --local`")
        targets = [h for h in hosts if h not in skipped]

        def progress(host: str, outcome: str, message: str) -> None:
            note(f"  {host}: {outcome}" + (f" ({message})" if message else ""))

        note(f"probing {len(targets)} host(s) in one playbook run...")
        found = probe_hosts(
            targets,
            inventory=inventory_source(args.inventory)[0],
            requirements=requirements,
            timeout=args.timeout,
            progress=progress,
        )
        observations = [found[h] for h in targets]
        writer = writer_name(registry, args.here)
    if not args.no_record:
        ledger = Ledger.at(args.evidence_dir)
        data = requirements_data(requirements)
        for obs in observations:
            record = record_observation(ledger, writer, obs, data, local=args.local, signer=signer)
            note(f"recorded {record.id}")
    if args.json:
        emit_json([obs.as_dict() for obs in observations])
    else:
        from rich.console import Console

        Console(width=None if sys.stdout.isatty() else 160).print(_table(observations))
    ready = sum(obs.ready for obs in observations)
    note(f"{ready} of {len(observations)} host(s) ready")
    return 0 if ready == len(observations) else 2
