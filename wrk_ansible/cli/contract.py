"""``wrk contract``: validate, show, schema, init and migrate work item contracts."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from wrk_ansible.cli.common import (
    ITEM_HELP,
    UNCHECKED_NAMES,
    add_here,
    add_inventory,
    add_issues,
    add_json,
    emit_json,
    evidence_dir,
    note,
    open_registry,
    placed_directory,
    settings,
    valid_contract,
)


def register(commands: Any) -> None:
    """Add ``wrk contract ...`` to the command tree."""
    group = commands.add_parser(
        "contract",
        help="validate, show, init and migrate per-stage execution contracts",
        description="Per-stage execution contracts of work items (WRK markdown files).",
    )
    verbs = group.add_subparsers(dest="verb", metavar="VERB", required=True)

    validate = verbs.add_parser(
        "validate",
        help="check WRK files (or folders of them, recursively)",
        description="Check each WRK file's frontmatter and contract. Exit 0 when every file is "
        "valid (a derived legacy contract counts as valid), 1 otherwise.",
    )
    validate.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="WRK files, folders of them, or issues OWNER/REPO#N; none with --issues: every "
        "issue of the export(s)",
    )
    add_json(validate)
    add_inventory(validate)
    add_issues(validate)
    validate.set_defaults(handler=run_validate)

    show = verbs.add_parser(
        "show",
        help="print a WRK's seven-row contract, with each row's latest recorded choice",
        description="The seven rows, the origin of each value, and per row the agent and hosts "
        "chosen, the verdict and when, from the newest gate and routing records in the "
        "evidence store.",
    )
    show.add_argument("path", metavar="WRK", help=ITEM_HELP)
    show.add_argument(
        "--evidence-dir",
        metavar="DIR",
        help="evidence store to read the choices from (default: $WRK_EVIDENCE_DIR, "
        "else .wrk/evidence)",
    )
    add_json(show)
    add_inventory(show)
    add_issues(show)
    show.set_defaults(handler=run_show)

    schema = verbs.add_parser("schema", help="print the JSON Schema of the contract fields")
    schema.set_defaults(handler=run_schema)

    init = verbs.add_parser(
        "init",
        help="write the configured seven-row matrix into a WRK (created when missing)",
    )
    init.add_argument("path", metavar="WRK.md")
    add_inventory(init)
    add_here(init)
    init.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    init.set_defaults(handler=run_init)

    migrate = verbs.add_parser(
        "migrate",
        help="write the derived contract into legacy WRKs as explicit fields",
        description="Insert the derived contract before each item's closing '---', leaving "
        "every other byte as it was.",
    )
    migrate.add_argument("paths", nargs="+", metavar="PATH")
    add_inventory(migrate)
    add_here(migrate)
    migrate.add_argument("--dry-run", action="store_true", help="print a diff, write nothing")
    migrate.set_defaults(handler=run_migrate)


def _print_result(result: Any) -> None:
    label = "ok" if result.valid else "INVALID"
    kind = " (derived)" if result.derived else ""
    named = result.ref or f"{result.path}  {result.wrk_id or '-'}"
    print(f"{label:8} {named}{kind}")
    for severity, issues in (("error", result.errors), ("warning", result.warnings)):
        for issue in issues:
            where = issue.field or "-"
            if issue.file:
                where = f"{issue.file}: {where}"
            line = f" (line {issue.line})" if issue.line else ""
            print(f"  {severity:8} {where}{line}: {issue.message}")


def run_validate(args: argparse.Namespace) -> int:
    from wrk_ansible.cli.common import work_items
    from wrk_ansible.contract.validate import bulk_checks

    # Machine names resolve through the registry (host, alias or group) when there is one.
    machines = open_registry(args, required=False)
    with bulk_checks():  # the results and their output live on until the command ends
        results = work_items(args, args.paths, machines, what="wrk contract validate")
        if args.json:
            emit_json([result.as_dict() for result in results])
        else:
            for result in results:
                _print_result(result)
        if machines is None and any(r.contract is not None for r in results):
            note(UNCHECKED_NAMES)
        invalid = sum(not r.valid for r in results)
        derived = sum(r.derived for r in results if r.valid)
        note(
            f"{len(results)} {'item' if any(r.ref for r in results) else 'file'}(s): "
            f"{len(results) - invalid} valid ({derived} derived), "
            f"{invalid} invalid"
        )
    return 1 if invalid else 0


def _load_valid(path: str, args: argparse.Namespace) -> Any:

    machines = open_registry(args, required=False)
    result = valid_contract(args, path, machines)
    for warning in result.warnings:
        note(f"wrk: warning: {path} [{warning.field or '-'}]: {warning.message}")
    if machines is None:
        note(UNCHECKED_NAMES)
    return result.contract


def _chosen_text(chosen: Any) -> str:
    """``pass: claude on box (2026-03-04 12:00)``, or ``-`` for a row never gated or routed."""
    if chosen is None or (chosen.agent is None and chosen.verdict is None):
        return "-"
    who = chosen.agent or "-"
    if chosen.verdict is None:
        return f"routed: {who}"
    where = f" on {', '.join(chosen.hosts)}" if chosen.hosts else ""
    when = f" ({chosen.decided_at[:16].replace('T', ' ')})" if chosen.decided_at else ""
    return f"{chosen.verdict}: {who}{where}{when}"


def _contract_table(contract: Any, chosen: dict[str, Any]) -> Any:
    from rich.table import Table

    if contract.derived:
        kind = f"derived from {contract.source if contract.is_issue else 'legacy fields'}"
    else:
        kind = f"from {contract.source}"
    table = Table(
        title=f"{contract.wrk_id}: {contract.title or ''}",
        caption=f"contract {kind}; handoff evidence: {contract.handoff_evidence_ref or '-'}",
    )
    columns = ("stage", "phase", "agents", "workstations", "fallback", "gates", "needs", "chosen")
    for column in columns:
        # stage and gate names stay whole so they can be searched for in the output
        table.add_column(
            column,
            overflow="fold",
            no_wrap=column in ("stage", "phase"),
            min_width=len("resource-intelligence") if column == "gates" else None,
        )
    for row in contract.stages:
        a = row.assignment
        if a.agents == "any":
            agents = "any AI agent"
        elif a.agents is not None:
            agents = " / ".join(a.agents)
        else:
            agents = " > ".join(x for x in (a.primary, a.secondary) if x) or "-"
        if a.advisory:
            agents += f" (advisory: {', '.join(a.advisory)})"
        gates = ", ".join(g.name + (" (advisory)" if g.advisory else "") for g in row.gates)
        req = row.requirements
        needs = ", ".join(
            [t.name + (f">={t.min_version}" if t.min_version else "") for t in req.tools]
            + [f"{lic.feature} x{lic.seats}" for lic in req.licenses]
            + [f"{d.free_gb:g} GiB at {d.path}" for d in req.disk]
            + [f"{n.host}:{n.port}" for n in req.network]
        )
        fallback = ", ".join(a.fallback) or (a.on_unavailable or "-")
        origin = row.origin.get("workstations", "")
        scope = row.scope_text + (f" [{origin}]" if origin and origin != "frontmatter" else "")
        table.add_row(
            row.stage,
            row.phase,
            agents,
            scope,
            fallback,
            gates or "-",
            needs or "-",
            _chosen_text(chosen.get(row.stage)),
        )
    return table


def run_show(args: argparse.Namespace) -> int:
    from wrk_ansible.contract.export import contract_as_dict
    from wrk_ansible.evidence.chosen import chosen_rows
    from wrk_ansible.evidence.ledger import Ledger

    contract = _load_valid(args.path, args)
    stages = [row.stage for row in contract.stages]
    chosen = chosen_rows(Ledger.at(evidence_dir(args)).records(contract.wrk_id), stages)
    if args.json:
        data = contract_as_dict(contract)
        for row in data["stages"]:
            row.update(chosen[row["stage"]].as_dict())
        emit_json(data)
    else:
        from rich.console import Console

        width = None if sys.stdout.isatty() else 160
        Console(width=width).print(_contract_table(contract, chosen))
    return 0


def run_schema(args: argparse.Namespace) -> int:
    from wrk_ansible.contract.export import json_schema

    emit_json(json_schema())
    return 0


def _apply(plans: list[Any], dry_run: bool) -> int:
    from wrk_ansible.contract.migrate import apply_migration

    for plan in plans:
        if not plan.changed:
            note(f"{plan.path}: already has an explicit contract; nothing to do")
        elif dry_run:
            sys.stdout.write(plan.diff())
        else:
            apply_migration(plan)
            note(f"{plan.path}: wrote {', '.join(plan.added_keys)}")
    return 0


def _no_issues(names: list[str], verb: str) -> None:
    """init and migrate write WRK files: an issue reference is refused, saying what to do."""
    from wrk_ansible.errors import UsageError
    from wrk_ansible.refs import looks_like_ref

    for name in names:
        if looks_like_ref(name):
            raise UsageError(
                f"wrk contract {verb}: {name} is an issue, not a WRK file; an issue's explicit "
                "contract is a ```wrk block in its body (docs/issues.md)"
            )


def run_migrate(args: argparse.Namespace) -> int:
    from wrk_ansible.contract.loader import iter_work_item_paths
    from wrk_ansible.contract.migrate import plan_migration

    _no_issues(args.paths, "migrate")
    # Plan every file first: one bad file means nothing is written at all.
    matrix, places = _matrix_and_places(args)
    paths = iter_work_item_paths(args.paths)
    plans = [plan_migration(path, matrix=matrix, places=places) for path in paths]
    return _apply(plans, args.dry_run)


def _matrix_and_places(args: argparse.Namespace) -> tuple[Any, dict[str, str]]:
    """The configured matrix, and the machine ``$orchestrator_host`` is in the inventory
    (none without an inventory, or when this machine is not in it: the rows then keep
    ``$orchestrator_host``, resolved where they are gated)."""
    from wrk_ansible.contract.template import ORCHESTRATOR_HOST

    registry = open_registry(args, required=False)
    directory = placed_directory(args, registry)
    if directory is not None:
        orchestrator = directory.orchestrator
    else:  # no inventory to look in: the configured name, as it is written
        orchestrator = settings(args).orchestrator_host().value
    return settings(args).matrix, {ORCHESTRATOR_HOST: orchestrator} if orchestrator else {}


def run_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wrk_ansible.contract.migrate import create_new, new_work_item_text, plan_migration

    _no_issues([args.path], "init")
    if not os.path.exists(args.path) and args.dry_run:
        note(f"{args.path}: would be created with the configured matrix")
        return 0
    matrix, places = _matrix_and_places(args)
    if not args.dry_run and create_new(args.path, new_work_item_text(Path(args.path).stem)):
        try:
            return _apply(
                [plan_migration(args.path, init=True, matrix=matrix, places=places)], False
            )
        except BaseException:
            os.unlink(args.path)  # the file this run created, and nobody else's
            raise
    plan = plan_migration(args.path, init=True, matrix=matrix, places=places)
    return _apply([plan], args.dry_run)
