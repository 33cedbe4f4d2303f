"""``wrk report`` (the HTML review page) and ``wrk whatif`` (what draining hosts would do)."""

from __future__ import annotations

import argparse
from typing import Any

from wrk_ansible.cli.common import (
    UNCHECKED_NAMES,
    add_evidence_dir,
    add_inventory,
    add_issues,
    add_json,
    emit_json,
    evidence_dir,
    fresh_hours,
    hours,
    note,
    placed_directory,
    settings,
)

_FRESH_HELP = (
    "how old readiness evidence may be and still count (default: $WRK_FRESH_HOURS, else "
    "readiness.fresh_hours in wrk.yml, else 25)"
)


def register(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="write one self-contained HTML review page for WRKs or a whole queue",
        description="Write one HTML file (no network, opens from disk): per WRK the assignment "
        "matrix with each row's latest verdict, evidence and handoffs; the top gaps (P1 first); "
        "the queue's load per machine; and the capacity risk (what draining each host would do). "
        "Invalid WRKs appear as contract errors. Exit 0 when the page was written.",
    )
    report.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="WRK files, folders of them, or issues OWNER/REPO#N; none with --issues: every "
        "issue of the export(s)",
    )
    report.add_argument("-o", "--output", metavar="FILE", help="the HTML file to write")
    report.add_argument(
        "--drain",
        action="append",
        default=[],
        metavar="HOST",
        help="also show draining these hosts together in the capacity risk; repeatable",
    )
    report.add_argument("--title", default="wrk review", help="the page title")
    report.add_argument(
        "--fleet",
        action="store_true",
        help="a page of the fleet alone: every machine graded against its baseline by "
        "dimension, tool-version drift, evidence age and 30 days of history (needs an "
        "inventory; no PATH needed)",
    )
    add_evidence_dir(report)
    report.add_argument("--fresh-hours", type=hours, metavar="HOURS", help=_FRESH_HELP)
    add_inventory(report)
    add_issues(report)
    report.add_argument(
        "--json",
        action="store_true",
        help="print the data behind the page as JSON (items, rows with their recorded and "
        "forecast verdicts, readiness per host, gaps, capacity risk); -o is then optional",
    )
    report.set_defaults(handler=run_report)

    whatif = commands.add_parser(
        "whatif",
        help="which rows lose their machine if hosts were drained (touches no host)",
        description="Decide every stage of every WRK under the queue twice, as the registry is "
        "and with the --drain hosts drained, from declarations and fresh evidence only. Lists "
        "the rows that lose a machine: still ready, fall back (where), pause, or fail.",
    )
    whatif.add_argument(
        "paths",
        nargs="*",
        metavar="QUEUE",
        help="a queue folder, WRK files or issues OWNER/REPO#N; none with --issues: every issue "
        "of the export(s)",
    )
    whatif.add_argument(
        "--drain", action="append", required=True, metavar="HOST", help="a host; repeatable"
    )
    add_evidence_dir(whatif)
    whatif.add_argument("--fresh-hours", type=hours, metavar="HOURS", help=_FRESH_HELP)
    add_inventory(whatif)
    add_issues(whatif)
    add_json(whatif)
    whatif.set_defaults(handler=run_whatif)


def _checked(args: argparse.Namespace, directory: Any, what: str) -> list[Any]:
    """Every work item the command names (files and folders must exist), checked."""
    import os
    from dataclasses import replace

    from wrk_ansible.cli.common import item_checks
    from wrk_ansible.errors import InputError
    from wrk_ansible.refs import looks_like_ref

    for path in args.paths:
        if not looks_like_ref(path) and not os.path.exists(path):
            raise InputError("no such file or folder", path=path)
    return [
        # a valid item's contract says all the review needs: its file's text and raw data go
        (replace(result, item=None) if result.contract is not None else result, issue)
        for result, issue in item_checks(args, args.paths, directory, what=what)
    ]


def run_report(args: argparse.Namespace) -> int:
    import gc

    from wrk_ansible.cli.common import capacity, open_registry
    from wrk_ansible.cli.evidence import _signing_keys
    from wrk_ansible.contract.validate import bulk_checks
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.report.build import build_review, write_page

    if not args.output and not args.json:
        from wrk_ansible.errors import UsageError

        raise UsageError("wrk report: give -o FILE (the page), --json, or both")
    registry = open_registry(args, required=False)
    if args.drain and registry is None:
        from wrk_ansible.errors import UsageError

        raise UsageError("wrk report: --drain needs an inventory (--inventory DIR)")
    if args.fleet and registry is None:
        from wrk_ansible.errors import UsageError

        raise UsageError("wrk report --fleet needs an inventory (--inventory DIR)")
    directory = placed_directory(args, registry)
    fleet_alone = args.fleet and not args.paths
    with bulk_checks():  # the queue, its forecasts and page: objects that all live on
        checked = [] if fleet_alone else _checked(args, directory, "wrk report")
        gc.freeze()  # the checked queue lives on: later collections need not scan it again
        if registry is None:
            note(UNCHECKED_NAMES)
        review = build_review(
            checked,
            registry=registry,
            ledger=Ledger.at(evidence_dir(args)),
            drain=args.drain,
            signing_keys=_signing_keys(args) if registry is not None else {},
            fresh_hours=fresh_hours(args),
            title="wrk fleet" if args.fleet and args.title == "wrk review" else args.title,
            directory=directory,
            titles=not settings(args).omit_titles.value,
            capacity=capacity(args).value,
            attestation_ttl_days=settings(args).attestation_ttl_days().value,
            fleet=settings(args).fleet(),
            fleet_only=args.fleet,
        )
        del checked  # the contracts are in the review's facts now: let them go before the page
        report = review.report
        target = write_page(report, args.output) if args.output else None
    note(
        f"wrk report: {len(report.items)} item(s), {report.error_items} with contract errors, "
        f"{len(report.gaps)} gap(s)" + (f"; wrote {target}" if target else "")
    )
    if args.json:
        emit_json(review.as_dict())
    else:
        print(target)
    return 0


def _print_scenario(scenario: Any) -> None:
    print(
        f"drain {', '.join(scenario.drained)}: {len(scenario.impacts)} row(s) of "
        f"{scenario.affected_items} item(s) lose a machine"
    )
    for impact in scenario.impacts:
        after = impact.after
        where = f" on {', '.join(after.hosts)}" if after.hosts else ""
        assumed = [h for h, basis in after.basis if basis == "assumed"]
        extra = f" (assumed ready, declarations only: {', '.join(assumed)})" if assumed else ""
        print(
            f"  {impact.wrk:<12} {impact.stage:<22} {impact.before.verdict:>8} -> "
            f"{after.verdict.upper()}{where}: {after.reason}{extra}"
        )
        for proposal in after.proposals:
            print(f"      - {proposal}")
    counts = ", ".join(f"{n} {name}" for name, n in scenario.counts.items())
    print(f"outcome: {counts}")


def run_whatif(args: argparse.Namespace) -> int:
    from wrk_ansible.cli.common import open_registry
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.report.build import queue_whatif

    registry = open_registry(args)
    directory = placed_directory(args, registry)
    scenario = queue_whatif(
        _checked(args, directory, "wrk whatif"),
        registry=registry,
        ledger=Ledger.at(evidence_dir(args)),
        drain=args.drain,
        fresh_hours=fresh_hours(args),
        directory=directory,
        attestation_ttl_days=settings(args).attestation_ttl_days().value,
    )
    if args.json:
        emit_json(scenario.as_dict())
    else:
        _print_scenario(scenario)
    if scenario.skipped:
        note(
            f"wrk whatif: {len(scenario.skipped)} item(s) skipped: invalid contract "
            "(see `wrk contract validate`)"
        )
    return 0
