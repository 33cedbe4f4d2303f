"""The typed, frozen view of one inventory host that the rest of wrk works with.

Built from the host's validated ``wrk_*`` vars (:class:`HostVars`) plus the few connection vars
that are safe to show; other sources (the rules file's roster) add what they say of the host
(:mod:`wrk_ansible.registry.availability`). Nothing here knows about Ansible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

from wrk_ansible.fleet.model import Baseline
from wrk_ansible.registry.availability import RosterFacts, Unavailable, own_state
from wrk_ansible.registry.hostvars import HostVars, LicenseDecl, StorageDecl, ToolDecl

#: Connection vars shown by ``wrk inventory show``: where and how, never secrets or key paths.
SHOWN_CONNECTION_VARS: Final = (
    "ansible_host",
    "ansible_port",
    "ansible_user",
    "ansible_connection",
    "ansible_shell_type",
)

Access = Literal["ssh", "local", "none"]
State = Literal["active", "drained", "retired"]


@dataclass(frozen=True)
class Workstation:
    """One host of the registry: identity, declared capabilities and availability."""

    name: str
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    access: Access = "ssh"
    os: Literal["linux", "windows", "macos"] | None = None
    agents: tuple[str, ...] = ()
    tools: tuple[ToolDecl, ...] = ()
    licenses: tuple[LicenseDecl, ...] = ()
    storage: tuple[StorageDecl, ...] = ()
    gpu: str | bool | None = None
    state: State = "active"
    state_reason: str | None = None
    state_since: datetime | date | str | None = None
    signing_key: str | None = None
    notes: str | None = None
    #: Safe connection vars (see :data:`SHOWN_CONNECTION_VARS`), as name -> value.
    connection: tuple[tuple[str, str | int], ...] = ()
    #: Sources besides the inventory's own state that hold the host unavailable.
    unavailable_per: tuple[Unavailable, ...] = ()
    #: What the rules file's roster says of the host (None: no roster machine is this host).
    roster: RosterFacts | None = None
    #: What the host should be (``wrk_baseline``; None: no inventory baseline).
    baseline: Baseline | None = None

    @classmethod
    def from_host_vars(
        cls,
        name: str,
        host_vars: HostVars,
        *,
        groups: tuple[str, ...] = (),
        connection: Mapping[str, Any] | None = None,
    ) -> Workstation:
        """Build from validated vars; connection vars outside the shown list are left out."""
        shown = tuple(
            (key, value if isinstance(value, int) and not isinstance(value, bool) else str(value))
            for key in SHOWN_CONNECTION_VARS
            if (value := (connection or {}).get(key)) is not None
        )
        return cls(
            name=name,
            aliases=host_vars.wrk_aliases,
            groups=groups,
            access=host_vars.wrk_access,
            os=host_vars.wrk_os,
            agents=host_vars.wrk_agents,
            tools=host_vars.wrk_tools,
            licenses=host_vars.wrk_licenses,
            storage=host_vars.wrk_storage,
            gpu=host_vars.wrk_gpu,
            state=host_vars.wrk_state,
            state_reason=host_vars.wrk_state_reason,
            state_since=host_vars.wrk_state_since,
            signing_key=host_vars.wrk_signing_key,
            notes=host_vars.wrk_notes,
            connection=shown,
            baseline=host_vars.wrk_baseline,
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The host name and every alias."""
        return (self.name, *self.aliases)

    @property
    def unavailability(self) -> tuple[Unavailable, ...]:
        """Every source that holds the host unavailable, the inventory's own state first."""
        own = own_state(self.state, self.state_reason, self.state_since)
        return (own, *self.unavailable_per) if own else self.unavailable_per

    @property
    def available(self) -> bool:
        """True when work may be given to the host: no source holds it unavailable (not
        drained, not retired, not ``available: false`` in the rules file)."""
        return not self.unavailability

    @property
    def unavailable_reason(self) -> str | None:
        """Why the host gets no work, naming every source that says so; None when available."""
        said = self.unavailability
        return "; ".join(u.text(self.name) for u in said) if said else None

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(tool.name for tool in self.tools)

    @property
    def license_features(self) -> tuple[str, ...]:
        return tuple(lic.feature for lic in self.licenses)

    def answers_to(self, name: str) -> bool:
        """True when ``name`` is this host's name or an alias (case-insensitively)."""
        folded = name.casefold()
        return any(known.casefold() == folded for known in self.names)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` output."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "groups": list(self.groups),
            "access": self.access,
            "os": self.os,
            "agents": list(self.agents),
            "tools": [t.model_dump(exclude_none=True) for t in self.tools],
            "licenses": [lic.model_dump(exclude_none=True) for lic in self.licenses],
            "storage": [s.model_dump() for s in self.storage],
            "gpu": self.gpu,
            "state": self.state,
            "state_reason": self.state_reason,
            "state_since": (
                self.state_since.isoformat()
                if isinstance(self.state_since, date)
                else self.state_since
            ),
            "signing_key": self.signing_key,
            "notes": self.notes,
            "baseline": self.baseline.model_dump(mode="json") if self.baseline else None,
            "connection": dict(self.connection),
            "available": self.available,
            "unavailable": [u.as_dict() for u in self.unavailability],
            "roster": self.roster.as_dict() if self.roster else None,
        }
