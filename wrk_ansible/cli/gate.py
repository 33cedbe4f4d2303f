"""``wrk gate`` (may this stage run, and where?) and ``wrk handoff`` (work moves machines)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from wrk_ansible.cli.common import (
    ITEM_HELP,
    add_json,
    add_recording,
    emit_json,
    evidence_dir,
    fresh_hours,
    hours,
    note,
    seconds,
)
from wrk_ansible.errors import InputError


def _common(parser: argparse.ArgumentParser) -> None:
    add_recording(parser)


def register(commands: Any) -> None:
    gate = commands.add_parser(
        "gate",
        help="may stage X of a WRK run, and where? (exit 0 pass, 3 fallback, 2 pause, 1 fail)",
        description="Join the WRK's contract, the registry and observed readiness into a "
        "decision per stage, and record it as evidence. Exit 0 pass, 3 fallback, 2 pause, "
        "1 fail (or evidence that could not be written, whatever the verdict), 64 usage error.",
    )
    gate.add_argument("path", metavar="WRK", help=ITEM_HELP)
    gate.add_argument(
        "--stage",
        required=True,
        metavar="STAGE",
        help="a row id (execute, impl-review, ...) or a phase (plan, review, ...)",
    )
    gate.add_argument(
        "--fresh", action="store_true", help="probe again even when fresh readiness evidence exists"
    )
    gate.add_argument(
        "--fresh-hours",
        type=hours,
        metavar="HOURS",
        help="how old readiness evidence may be and still count (default: $WRK_FRESH_HOURS, "
        "else readiness.fresh_hours in wrk.yml, else 25)",
    )
    gate.add_argument(
        "--timeout",
        type=seconds,
        default=10.0,
        metavar="SECONDS",
        help="connection and per-check timeout (default 10)",
    )
    gate.add_argument(
        "--from-artifacts",
        metavar="DIR",
        help="take readiness from an ansible-runner artifact directory of a readiness run "
        "made elsewhere (AWX, ansible-runner run); hosts it does not cover are gated as usual",
    )
    gate.add_argument("--junit", metavar="FILE", help="also write JUnit XML, one case per check")
    gate.add_argument(
        "--no-record",
        action="store_true",
        help="write no evidence (the exit code is then the verdict's; the JSON says "
        '"recorded": false)',
    )
    _common(gate)
    add_json(gate)
    gate.set_defaults(handler=run_gate)

    hand = commands.add_parser(
        "handoff",
        help="record work moving from one machine to another, with its artifacts",
    )
    hand.add_argument("path", metavar="WRK", help=ITEM_HELP)
    hand.add_argument("--from", dest="source", required=True, metavar="HOST")
    hand.add_argument("--to", dest="target", required=True, metavar="HOST")
    hand.add_argument(
        "--artifact",
        action="append",
        default=[],
        metavar="PATH",
        help="a file handed over (inside the repository); repeatable",
    )
    hand.add_argument("--stage", metavar="STAGE", help="the stage the receiver runs next")
    hand.add_argument("--note", metavar="TEXT")
    _common(hand)
    add_json(hand)
    hand.set_defaults(handler=run_handoff)


def _signer(given: str | None) -> Any:
    from wrk_ansible.cli.readiness import _signer as make

    return make(given)


def _print_outcome(outcome: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    colour = {
        "pass": "green",
        "fallback": "yellow",
        "pause": "magenta",
        "fail": "red",
        "warn": "yellow",
        "unknown": "yellow",
        "skipped": "dim",
    }
    table = Table(title=f"{outcome.wrk} --stage {outcome.stage}")
    for column in ("stage", "host", "check", "required", "found", "verdict", "why"):
        table.add_column(column, overflow="fold")

    def row(stage: str, c: Any) -> None:
        shade = colour.get(c.outcome.value, "")
        table.add_row(
            stage,
            escape(c.host or "-"),
            escape(c.name),
            escape(c.required or "-"),
            escape(c.found or "-"),
            f"[{shade}]{c.outcome.value}[/]",
            escape(c.reason),
        )

    for c in outcome.errors:
        row("-", c)
    for d in outcome.decisions:
        for c in d.checks:
            row(d.stage, c)
    console.print(table)
    for d in outcome.decisions:
        shade = colour[d.verdict.value]
        where = f" on {', '.join(d.hosts)}" if d.hosts else ""
        agent = f" by {d.agent}" if d.agent else ""
        console.print(
            f"{d.stage}: [{shade}]{d.verdict.value.upper()}[/]{where}{agent}: {escape(d.reason)}"
        )
        for gap in d.gaps:
            console.print(f"  gap {gap.priority}: {escape(gap.summary)}")
            for proposal in gap.proposals:
                console.print(f"    - {escape(proposal)}")
    if outcome.errors:
        console.print(f"[red]FAIL[/]: {escape(outcome.as_dict()['reason'])}")
    for ident in outcome.evidence:
        console.print(f"evidence: {ident}")
    if outcome.evidence_errors:
        for lost in outcome.evidence_errors:
            console.print(f"[red]evidence: {escape(lost)}[/]")
        console.print(
            f"[red]NOT RECORDED[/]: the {outcome.verdict.value} verdict stands, but the gate "
            "exits 1 (recorded evidence is a condition)"
        )
    elif outcome.unrecorded_why and not outcome.errors:
        console.print(f"evidence: not recorded ({escape(outcome.unrecorded_why)})")


def write_junit(outcome: Any, path: str) -> None:
    """One testcase per check: failures for fail, skipped for unknown/skipped."""
    import xml.etree.ElementTree as ET

    checks = list(outcome.errors) + [c for d in outcome.decisions for c in d.checks]
    suite = ET.Element(
        "testsuite", name=f"wrk gate {outcome.wrk} {outcome.stage}", tests=str(len(checks))
    )
    failures = skipped = 0
    stage_of = {id(c): d.stage for d in outcome.decisions for c in d.checks}
    for c in checks:
        case = ET.SubElement(
            suite,
            "testcase",
            name=c.name,
            classname=f"{outcome.wrk}.{stage_of.get(id(c), 'contract')}.{c.host or 'stage'}",
        )
        detail = f"required: {c.required}; found: {c.found}; {c.reason}"
        if c.outcome.value == "fail":
            failures += 1
            ET.SubElement(case, "failure", message=c.reason).text = detail
        elif c.outcome.value in ("unknown", "skipped"):
            skipped += 1
            ET.SubElement(case, "skipped", message=c.reason).text = detail
    properties = ET.Element("properties")
    ET.SubElement(properties, "property", name="recorded", value=str(outcome.recorded).lower())
    if outcome.unrecorded_why:
        ET.SubElement(properties, "property", name="unrecorded_why", value=outcome.unrecorded_why)
    for ident in outcome.evidence:
        ET.SubElement(properties, "property", name="evidence", value=ident)
    suite.insert(0, properties)
    if outcome.evidence_errors:  # a failure CI shows: the answer was not recorded
        case = ET.SubElement(suite, "testcase", name="evidence", classname=f"{outcome.wrk}.record")
        why = "; ".join(outcome.evidence_errors)
        ET.SubElement(case, "failure", message="evidence NOT recorded").text = why
        failures += 1
        suite.set("tests", str(len(checks) + 1))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    from pathlib import Path

    from wrk_ansible.atomic import replace_file

    data = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    try:
        replace_file(Path(path), data)
    except OSError as exc:
        raise InputError(f"cannot write JUnit XML: {exc.strerror or exc}", path=path) from None


def _check_writable(path: str) -> None:
    """Refuse a --junit path that cannot be written before anything is gated or recorded."""
    import os

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise InputError("cannot write JUnit XML there: no such writable folder", path=path)


def run_gate(args: argparse.Namespace) -> int:
    from wrk_ansible.cli.common import gate_settings, inventory_source, open_registry
    from wrk_ansible.contract.stages import resolve_stage
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.gate import Gate, GateOptions

    resolve_stage(args.stage)  # a usage error (64) before any file is read
    if args.junit:
        _check_writable(args.junit)
    artifacts = None
    if args.from_artifacts:
        from pathlib import Path

        from wrk_ansible.readiness.artifacts import read_artifacts

        artifacts = read_artifacts(Path(args.from_artifacts))  # refused whole: exit 1
        note(
            f"readiness from {artifacts.directory} (status {artifacts.status}, rc "
            f"{artifacts.rc}): {len(artifacts.observations)} host(s)"
        )
    registry = open_registry(args)
    options = GateOptions(
        here=args.here,
        force_probe=args.fresh,
        fresh_hours=fresh_hours(args),
        timeout=args.timeout,
        record=not args.no_record,
        signer=_signer(args.sign_key),
        artifacts=artifacts,
        **gate_settings(args, registry),
    )
    gate = Gate(registry, inventory_source(args)[0], Ledger.at(evidence_dir(args)), options, note)
    outcome = gate.run(args.path, args.stage)
    if args.junit:
        write_junit(outcome, args.junit)
    if args.json:
        emit_json(outcome.as_dict())
    else:
        _print_outcome(outcome)
    return outcome.exit_code


def run_handoff(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wrk_ansible.cli.common import open_registry, valid_contract
    from wrk_ansible.contract.stages import resolve_stage
    from wrk_ansible.contract.validate import item_root
    from wrk_ansible.evidence.handoff import artifact_entry, record_handoff
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.here import writer_name

    stage = resolve_stage(args.stage)[0] if args.stage else None
    registry = open_registry(args)
    result = valid_contract(args, args.path, registry)
    source, target = registry.get(args.source).name, registry.get(args.target).name
    root = item_root(result.contract)
    artifacts = [artifact_entry(root, os.path.abspath(p)) for p in args.artifact]
    record = record_handoff(
        Ledger.at(evidence_dir(args)),
        wrk=result.contract.wrk_id,
        writer=writer_name(registry, args.here),
        source=source,
        target=target,
        artifacts=artifacts,
        note=args.note,
        stage=stage,
        signer=_signer(args.sign_key),
    )
    if args.json:
        emit_json(
            {
                "evidence": record.id,
                "from": source,
                "to": target,
                "artifacts": artifacts,
                "path": str(Path(record.path)),
            }
        )
    else:
        print(f"{record.id}: handoff {source} -> {target}, {len(artifacts)} artifact(s)")
        for item in artifacts:
            print(f"  {item['sha256'][:16]}  {item['size']:>10}  {item['path']}")
    return 0
