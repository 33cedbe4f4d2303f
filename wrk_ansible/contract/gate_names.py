"""The gate names a contract may use: the built-ins, then third-party gates by entry point.

Only names, read from entry point metadata (no gate module is imported): which names are valid
in a contract is the contract's business; running a gate is :mod:`wrk_ansible.gates.registry`'s.
"""

from __future__ import annotations

import functools
import re
from importlib.metadata import EntryPoint, entry_points
from typing import Final

from wrk_ansible.contract.template import BUILTIN_GATES

GROUP: Final = "wrk_ansible.gates"
_GATE_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@functools.cache
def third_party() -> dict[str, EntryPoint]:
    """Entry points of the group, by name; built-in names and names no contract could use are
    left out (a built-in is never replaced)."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in BUILTIN_GATES or not _GATE_NAME.match(ep.name):
            continue
        found.setdefault(ep.name, ep)
    return found


def known_gates() -> tuple[str, ...]:
    """Every gate a contract may name: the built-ins, then third-party gates (sorted)."""
    return (*BUILTIN_GATES, *sorted(third_party()))
