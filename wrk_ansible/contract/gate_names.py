"""The gate names a contract may use: the built-ins, then third-party gates by entry point.

Only names, read from entry point metadata (no gate module is imported): which names are valid
in a contract is the contract's business; running a gate is :mod:`wrk_ansible.gates.registry`'s.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Final

from wrk_ansible.contract.template import BUILTIN_GATES

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP: Final = "wrk_ansible.gates"
_GATE_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def entry_points(group: str) -> Iterable[EntryPoint]:
    """The entry points of ``group``: :mod:`importlib.metadata` is imported on the first call
    (importing it is a tenth of a validation's start-up, and most contracts name built-ins)."""
    from importlib.metadata import entry_points as installed

    return installed(group=group)


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


class KnownGates(Collection[str]):
    """:func:`known_gates` as a collection that answers "is this name known?" for a built-in
    without reading entry point metadata (most contracts name only built-ins)."""

    def __contains__(self, name: object) -> bool:
        return name in BUILTIN_GATES or name in third_party()

    def __iter__(self) -> Iterator[str]:
        return iter(known_gates())

    def __len__(self) -> int:
        return len(known_gates())
