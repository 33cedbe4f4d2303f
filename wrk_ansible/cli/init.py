"""``wrk init [DIR]``: scaffold a team's repository (wrk.yml, inventory, an example WRK)."""

from __future__ import annotations

import argparse
from typing import Any

from wrk_ansible.cli.common import add_json, emit_json, note


def register(commands: Any) -> None:
    """Add ``wrk init`` to the command tree."""
    parser = commands.add_parser(
        "init",
        help="scaffold a repository: wrk.yml, an inventory with this machine, an example WRK",
        description="Write what is missing of a wrk repository in DIR (default: the current "
        "folder): a commented wrk.yml, inventory/ with this machine as a local host (its OS and "
        "the tools and agent CLIs on its PATH), queue/pending/WRK-001.md (an example whose "
        "execute row gates to pass here) and .gitignore lines for wrk's lock and temp files. "
        "An existing file is never changed, so running it again changes nothing.",
    )
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR")
    parser.add_argument(
        "--host",
        metavar="NAME",
        help="the inventory name of this machine (default: its short hostname)",
    )
    add_json(parser)
    parser.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wrk_ansible.scaffold import EXAMPLE_PATH, scaffold, shown, this_machine

    root = Path(args.dir)
    machine = this_machine(args.host)
    outcome = scaffold(root, machine)
    if args.json:
        emit_json(
            {
                "root": str(root.resolve()),
                "host": machine.name,
                "created": shown(outcome.created, root),
                "appended": shown(outcome.appended, root),
                "kept": shown(outcome.kept, root),
            }
        )
        return 0
    for path in shown(outcome.created, root):
        print(f"created  {path}")
    for path in shown(outcome.appended, root):
        print(f"appended {path}")
    for path in shown(outcome.kept, root):
        print(f"kept     {path} (exists)")
    if outcome.changed:
        tools = ", ".join(machine.tools) or "none found"
        note(f"this machine is inventory host {machine.name!r} (tools: {tools})")
        note(f"next: wrk gate {root / EXAMPLE_PATH} --stage execute")
    else:
        note("wrk init: nothing to do, every file is there")
    return 0
