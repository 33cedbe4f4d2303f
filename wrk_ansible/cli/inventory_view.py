"""``wrk inventory list`` and ``wrk inventory show HOST``: the registry as tables or JSON.

Registered by :mod:`wrk_ansible.cli.inventory`; imported only when one of them runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wrk_ansible.cli.common import emit_json, open_registry
from wrk_ansible.registry.availability import INVENTORY

_STATE_STYLE = {"active": "green", "drained": "yellow", "retired": "dim", "unavailable": "yellow"}


def _console() -> Any:
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)


def _state(ws: Any, *, since: bool = False) -> str:
    """The inventory's state (with its reason), then every other source holding the host
    (``unavailable per FILE``): any one of them keeps work away."""
    from rich.markup import escape

    parts = []
    for u in ws.unavailability:
        text = u.found
        if u.source == INVENTORY:  # the others' reasons are long: `show` has a row for each
            text += (f" ({u.reason})" if u.reason else "") + (
                f" since {u.since}" if since and u.since else ""
            )
        parts.append(f"[{_STATE_STYLE.get(u.state, 'yellow')}]{escape(text)}[/]")
    if not parts:
        return f"[{_STATE_STYLE['active']}]active[/]"
    # held elsewhere only: resuming it in the inventory would not bring it back
    return "; ".join(parts) + (" (inventory: active)" if ws.state == "active" else "")


def _join(values: Any) -> str:
    from rich.markup import escape

    return escape(", ".join(str(v) for v in values)) or "-"


def run_list(args: argparse.Namespace) -> int:
    """Every workstation, one row each, in inventory order."""
    from rich.table import Table

    registry = open_registry(args)
    if args.json:
        emit_json(
            {
                "inventory": registry.source,
                "workstations": [ws.as_dict() for ws in registry.workstations],
                "groups": {name: list(hosts) for name, hosts in registry.groups.items()},
            }
        )
        return 0
    table = Table(title=f"workstations in {registry.source}")
    for column in ("host", "state", "access", "os", "groups", "agents", "licenses", "aliases"):
        table.add_column(column, overflow="fold")
    for ws in registry.workstations:
        table.add_row(
            _join([ws.name]),
            _state(ws),
            ws.access,
            ws.os or "-",
            _join(ws.groups),
            _join(ws.agents),
            _join(ws.license_features),
            _join(ws.aliases),
        )
    _console().print(table)
    return 0


def _tool_text(tool: Any) -> str:
    extra = " ".join(x for x in (tool.version, tool.path) if x)
    return f"{tool.name} ({extra})" if extra else str(tool.name)


def _license_text(lic: Any) -> str:
    where = lic.server or lic.path or "undeclared server"
    seats = f", {lic.seats} seat(s)" if lic.seats is not None else ""
    guessed = ", inferred" if lic.inferred else ""
    return f"{lic.feature}: {lic.kind} {where}{seats}{guessed}"


def _roster_rows(facts: Any) -> list[tuple[str, str]]:
    """What the rules file's roster says of the host (only when a roster machine is it)."""
    from rich.markup import escape

    return [
        ("roster", escape(f"{facts.source} ({facts.entry})")),
        ("capabilities", _join(facts.capabilities)),
        ("capacity", escape(facts.capacity or "-")),
        ("shared tenancy", "yes" if facts.shared_tenancy else "no"),
    ]


def run_show(args: argparse.Namespace) -> int:
    """One workstation's identity, declared capabilities and state."""
    from rich.markup import escape
    from rich.table import Table

    registry = open_registry(args)
    ws = registry.get(args.host)
    if args.json:
        emit_json(ws.as_dict())
        return 0
    table = Table(title=f"{ws.name}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    rows: list[tuple[str, str]] = [
        ("state", _state(ws, since=True)),
        ("aliases", _join(ws.aliases)),
        ("groups", _join(ws.groups)),
        ("access", ws.access),
        ("connection", _join(f"{k}={v}" for k, v in ws.connection)),
        ("os", ws.os or "-"),
        ("agents", _join(ws.agents)),
        ("tools", _join(_tool_text(t) for t in ws.tools)),
        ("licenses", _join(_license_text(lic) for lic in ws.licenses)),
        ("storage", _join(f"{s.path} ({s.purpose})" for s in ws.storage)),
        ("gpu", escape(str(ws.gpu)) if ws.gpu not in (None, False) else "-"),
        ("signing key", escape(ws.signing_key or "-")),
        ("notes", escape(ws.notes or "-")),
    ]
    rows[1:1] = [("unavailable", escape(u.text(ws.name))) for u in ws.unavailable_per]
    if ws.roster is not None:
        rows += _roster_rows(ws.roster)
    for field, value in rows:
        table.add_row(field, value)
    _console().print(table)
    return 0
