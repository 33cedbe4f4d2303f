"""What the decision needs to know of a host and of the fleet: types the decision owns.

Structural (``Protocol``): the registry's ``Workstation`` satisfies them without the decision
importing the registry, and tests can hand in plain objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class ToolLike(Protocol):
    """A tool a host declares."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str | None: ...


class LicenseLike(Protocol):
    """A license a host declares (``seats`` None: not stated)."""

    @property
    def feature(self) -> str: ...

    @property
    def seats(self) -> int | None: ...


class UnavailableLike(Protocol):
    """One source holding a host unavailable (the inventory's drain, the rules file, ...)."""

    @property
    def source(self) -> str: ...

    @property
    def found(self) -> str:
        """Short: ``drained``, ``unavailable per FILE``."""

    def text(self, host: str) -> str:
        """The sentence a gap shows, naming the source and why."""


class HostLike(Protocol):
    """One host's identity, availability and declarations."""

    @property
    def name(self) -> str: ...

    @property
    def unavailability(self) -> Sequence[UnavailableLike]:
        """Every source holding the host unavailable; empty: it may be given work. Any one
        source is enough to hold it."""

    @property
    def access(self) -> str: ...

    @property
    def agents(self) -> tuple[str, ...]: ...

    @property
    def tools(self) -> Sequence[ToolLike]: ...

    @property
    def licenses(self) -> Sequence[LicenseLike]: ...


class HostDirectory(Protocol):
    """The fleet, as screening and proposals need it."""

    @property
    def names(self) -> tuple[str, ...]:
        """Host names in inventory order."""

    def find(self, name: str) -> HostLike | None:
        """The host named (or aliased) ``name``, case-insensitively; None when unknown."""
