"""``wrk config``: the team's configuration (``wrk.yml``): its schema, and what is in effect."""

from __future__ import annotations

import argparse
from typing import Any

from wrk_ansible.cli.common import add_evidence_dir, add_inventory, add_json, emit_json, settings


def register(commands: Any) -> None:
    """Add ``wrk config ...`` to the command tree."""
    group = commands.add_parser(
        "config",
        help="the team's configuration (wrk.yml): schema and effective settings",
        description="wrk reads one wrk.yml: --config FILE, else $WRK_CONFIG, else the nearest "
        "wrk.yml in the current folder or above. For every setting the command-line option "
        "wins over the environment variable, over wrk.yml, over the built-in default.",
    )
    verbs = group.add_subparsers(dest="verb", metavar="VERB", required=True)
    schema = verbs.add_parser("schema", help="print the JSON Schema of wrk.yml")
    schema.set_defaults(handler=run_schema)
    show = verbs.add_parser(
        "show", help="print every setting in effect and where its value came from"
    )
    add_inventory(show)
    add_evidence_dir(show)
    add_json(show)
    show.set_defaults(handler=run_show)


def run_schema(args: argparse.Namespace) -> int:
    from wrk_ansible.config.model import schema

    emit_json(schema())
    return 0


def _shown(value: Any) -> str:
    import json

    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def run_show(args: argparse.Namespace) -> int:
    from wrk_ansible.cli.common import capacity, open_registry

    chosen = settings(args)
    registry = open_registry(args, required=False)
    rows = chosen.table(
        registry,
        inventory=getattr(args, "inventory", None),
        evidence_dir=getattr(args, "evidence_dir", None),
        capacity=capacity(args),
    )
    if args.json:
        emit_json([{"setting": k, "value": v, "origin": o} for k, v, o in rows])
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, show_edge=False, pad_edge=False)
    for column in ("setting", "value", "from"):
        table.add_column(column, overflow="fold")
    for key, value, origin in rows:
        table.add_row(key, _shown(value), origin)
    Console(soft_wrap=False).print(table)
    return 0
