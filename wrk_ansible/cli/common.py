"""Options and output helpers shared by every verb group. Standard library only."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

INVENTORY_ENV = "WRK_INVENTORY"
DEFAULT_INVENTORY = "inventory"
UNCHECKED_NAMES = (
    f"wrk: note: no ./{DEFAULT_INVENTORY} here, so machine names were not checked "
    f"(give --inventory DIR or set ${INVENTORY_ENV})"
)


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0 (a timeout)."""
    return _finite(text, minimum_exclusive=True)


def hours(text: str) -> float:
    """An argparse type: a finite number of hours, 0 or more (a freshness window)."""
    return _finite(text, minimum_exclusive=False)


def _finite(text: str, *, minimum_exclusive: bool) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or (minimum_exclusive and value == 0):
        bound = "above 0" if minimum_exclusive else "0 or more"
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number {bound}")
    if value > 1e6:
        raise argparse.ArgumentTypeError(f"{text!r} is too large")
    return value


def add_evidence_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--evidence-dir",
        metavar="DIR",
        help="evidence store (default: $WRK_EVIDENCE_DIR, else .wrk/evidence)",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON on stdout (messages go to stderr)",
    )


def add_inventory(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inventory",
        "-i",
        metavar="DIR",
        help=f"the workstation registry (default: ${INVENTORY_ENV}, else ./{DEFAULT_INVENTORY})",
    )


def inventory_source(given: str | None) -> tuple[str, str]:
    """Where the inventory is and why: --inventory wins over $WRK_INVENTORY over ./inventory."""
    if given:
        return given, "--inventory"
    env = os.environ.get(INVENTORY_ENV)
    if env:
        return env, f"${INVENTORY_ENV}"
    return DEFAULT_INVENTORY, "default"


def emit_json(value: Any) -> None:
    """Write ``value`` as the only thing on stdout."""
    json.dump(value, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def note(message: str) -> None:
    """A message for people: always stderr, so stdout stays machine-readable."""
    print(message, file=sys.stderr)


def open_registry(given: str | None, *, required: bool = True) -> Any:
    """Load the registry named by --inventory, $WRK_INVENTORY or ./inventory.

    A missing inventory is an error when it was named (flag or environment) or ``required``;
    otherwise (only the default ./inventory is missing) it returns None.
    Reads the registry snapshot when the inventory's files are unchanged (no Ansible import),
    else through Ansible (:mod:`wrk_ansible.registry.inventory`).
    """
    from wrk_ansible.errors import InputError

    source, why = inventory_source(given)
    if "," not in source and not os.path.exists(source):
        if why == "default" and not required:
            return None  # the caller says so (UNCHECKED_NAMES) when names were there to check
        raise InputError(
            f"no such inventory (from {why}); wrk looks at --inventory DIR, then "
            f"${INVENTORY_ENV}, then ./{DEFAULT_INVENTORY} in the current folder",
            path=source,
        )
    from wrk_ansible.registry.snapshot import cached_registry

    return cached_registry(source)
