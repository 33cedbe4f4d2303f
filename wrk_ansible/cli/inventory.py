"""``wrk inventory``: list, show, add, set, unset, drain, resume, retire and import workstations.

Every write goes through :mod:`wrk_ansible.registry.edit` (locked, atomic, comment-preserving);
``list`` and ``show`` read through :mod:`wrk_ansible.cli.inventory_view`. Heavy modules are
imported inside the handlers so ``wrk --help`` stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from wrk_ansible.cli.common import (
    add_inventory,
    add_json,
    emit_json,
    inventory_source,
    note,
    open_registry,
)


def _allow(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-connection-vars",
        action="store_true",
        help="also write ansible_* vars outside the allow-list (they shape how Ansible "
        "connects and runs: review them like code)",
    )


def register(commands: Any) -> None:
    """Add ``wrk inventory ...`` to the command tree."""
    group = commands.add_parser(
        "inventory",
        help="list, show and update the workstation registry (an Ansible inventory)",
        description="The workstation registry: an Ansible inventory. Updates are validated, "
        "locked and atomic, and keep comments, key order and quoting.",
    )
    verbs = group.add_subparsers(dest="verb", metavar="VERB", required=True)

    def verb(name: str, help_text: str, handler: Callable[[argparse.Namespace], int]) -> Any:
        parser = verbs.add_parser(name, help=help_text, description=help_text)
        add_inventory(parser)
        parser.set_defaults(handler=handler)
        return parser

    add_json(verb("list", "list the workstations, their groups and state", run_list))
    show = verb("show", "show one workstation's declared capabilities and state", run_show)
    show.add_argument("host", metavar="HOST")
    add_json(show)

    add = verb("add", "add a workstation to one or more groups", run_add)
    add.add_argument("host", metavar="HOST")
    add.add_argument(
        "--group",
        "-g",
        action="extend",
        nargs="+",
        required=True,
        metavar="GROUP",
        help="one or more groups (KEY=VALUE items may follow them)",
    )
    add.add_argument("assignments", nargs="*", metavar="KEY=VALUE")
    _allow(add)
    add_json(add)

    set_ = verb("set", "set host vars (validated against the host-var schema)", run_set)
    set_.add_argument("host", metavar="HOST")
    set_.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    _allow(set_)
    add_json(set_)

    unset = verb("unset", "remove one host var", run_unset)
    unset.add_argument("host", metavar="HOST")
    unset.add_argument("key", metavar="KEY")
    add_json(unset)

    drain = verb("drain", "take a workstation out of rotation, with a reason", run_drain)
    drain.add_argument("host", metavar="HOST")
    drain.add_argument("--reason", required=True, metavar="TEXT")
    add_json(drain)

    resume = verb("resume", "put a drained workstation back in rotation", run_resume)
    resume.add_argument("host", metavar="HOST")
    resume.add_argument(
        "--unretire", action="store_true", help="also bring back a retired workstation"
    )
    add_json(resume)

    retire = verb(
        "retire", "retire a workstation: kept (work items name it), given no work", run_retire
    )
    retire.add_argument("host", metavar="HOST")
    retire.add_argument("--reason", metavar="TEXT")
    add_json(retire)

    imp = verb("import", "import a legacy registry.yaml into the inventory", run_import)
    imp.add_argument("registry", metavar="REGISTRY.yaml")
    imp.add_argument("--dry-run", action="store_true", help="report what would change")
    imp.add_argument("--overwrite", action="store_true", help="also replace values edited by hand")
    _allow(imp)
    add_json(imp)


def run_list(args: argparse.Namespace) -> int:
    from wrk_ansible.cli import inventory_view

    return int(inventory_view.run_list(args))


def run_show(args: argparse.Namespace) -> int:
    from wrk_ansible.cli import inventory_view

    return int(inventory_view.run_show(args))


@contextmanager
def _editing(args: argparse.Namespace, *, create: bool = False) -> Iterator[Any]:
    from wrk_ansible.registry.edit import edit_inventory

    source, _ = inventory_source(args)
    with edit_inventory(source, create=create) as edit:
        yield edit


def _summary(host: str, action: str, keys: list[str], edit: Any) -> dict[str, Any]:
    """What an edit is about to write (read before the commit at the end of the lock)."""
    files = [str(path) for path in edit.changed_files()]
    return {"host": host, "action": action, "changed": keys, "files": files}


def _report(args: argparse.Namespace, summary: dict[str, Any]) -> int:
    host, action, keys, files = (
        summary["host"],
        summary["action"],
        summary["changed"],
        summary["files"],
    )
    if args.json:
        emit_json(summary)
    elif files:
        what = f" {', '.join(keys)}" if keys else ""
        note(f"{host}: {action}{what} ({', '.join(files)})")
    else:
        note(f"{host}: {action}: nothing to change")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from wrk_ansible.registry import ops

    # argparse cannot take positionals after an option, so KEY=VALUE items that follow
    # --group land in it: anything with '=' is an assignment, never a group name.
    groups = [g for g in args.group if "=" not in g]
    given = [*args.assignments, *(g for g in args.group if "=" in g)]
    assignments = ops.parse_assignments(given)
    with _editing(args, create=True) as edit:
        ops.add_host(
            edit,
            args.host,
            groups,
            assignments,
            allow_connection_vars=args.allow_connection_vars,
        )
        summary = _summary(args.host, "added", [a.key for a in assignments], edit)
    return _report(args, summary)


def run_set(args: argparse.Namespace) -> int:
    from wrk_ansible.registry import ops

    assignments = ops.parse_assignments(args.assignments)
    with _editing(args) as edit:
        host = ops.resolve(edit, args.host)
        keys = ops.set_vars(
            edit, host, assignments, allow_connection_vars=args.allow_connection_vars
        )
        summary = _summary(host, "set", keys, edit)
    return _report(args, summary)


def run_unset(args: argparse.Namespace) -> int:
    from wrk_ansible.registry import ops

    with _editing(args) as edit:
        host = ops.resolve(edit, args.host)
        ops.unset_var(edit, host, args.key)
        summary = _summary(host, "unset", [args.key], edit)
    return _report(args, summary)


def _state_change(args: argparse.Namespace, what: str) -> int:
    """drain and retire: one state change of one host, under the inventory lock."""
    from wrk_ansible.registry import ops

    with _editing(args) as edit:
        host = ops.resolve(edit, args.host)
        if what == "drained":
            ops.drain(edit, host, args.reason)
        else:
            ops.retire(edit, host, reason=args.reason)
        summary = _summary(host, what, [], edit)
    return _report(args, summary)


def run_drain(args: argparse.Namespace) -> int:
    return _state_change(args, "drained")


def run_resume(args: argparse.Namespace) -> int:
    """Clear the inventory's own state (drained, or retired with --unretire). Other sources
    that hold the host unavailable (the rules file's ``available: false``, ...) are left as
    they are and named: on stderr, and in ``--json`` as ``still_unavailable``."""
    from wrk_ansible.registry import ops

    # read before anything is written: a registry or rules file that cannot be read changes
    # nothing
    held = open_registry(args).get(args.host)
    with _editing(args) as edit:
        host = ops.resolve(edit, args.host)
        ops.resume(edit, host, unretire=args.unretire)
        summary = _summary(host, "resumed", [], edit)
    others = held.unavailable_per
    summary["still_unavailable"] = [u.as_dict() for u in others]
    code = _report(args, summary)
    for other in others:
        note(
            f"wrk: note: {other.text(host)}; resume clears only the inventory's own state, "
            f"so {host} stays out of every decision until {other.source} says otherwise"
        )
    return code


def run_retire(args: argparse.Namespace) -> int:
    return _state_change(args, "retired")


def run_import(args: argparse.Namespace) -> int:
    from wrk_ansible.registry.importer import import_registry

    source, _ = inventory_source(args)
    report = import_registry(
        args.registry,
        source,
        dry_run=args.dry_run,
        overwrite=args.overwrite,
        allow_connection_vars=args.allow_connection_vars,
    )
    if args.json:
        emit_json(report.as_dict())
    else:
        for line in report.lines():
            print(line)
    return 0
