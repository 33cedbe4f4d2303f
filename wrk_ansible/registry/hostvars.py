"""The schema of the ``wrk_*`` host vars a workstation declares in the inventory.

Used to validate ``wrk inventory set/add/import`` input and to type what is read back.
Connection vars (``ansible_*``) are not part of it: see :data:`CONNECTION_VARS_ALLOWED`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from wrk_ansible.contract.models import AgentName, FeatureName, MachineName, PathText, ToolName
from wrk_ansible.fleet.model import Baseline


class _Shape(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


def _named(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class ToolDecl(_Shape):
    """A tool the host declares: a name, optionally its version and path."""

    name: ToolName
    version: str | None = None
    path: PathText | None = None
    #: How the probe reads the version when ``--version`` does not work (argv list or string).
    version_command: str | tuple[str, ...] | None = None
    #: A regex whose first group (or whole match) is the version in that command's output.
    version_regex: str | None = None


class LicenseDecl(_Shape):
    """A license the host holds, and how to check it."""

    feature: FeatureName
    kind: Literal["flexlm", "rlm", "file"]
    server: Annotated[str, Field(pattern=r"^\d{1,5}@[A-Za-z0-9_.:\[\]-]+$")] | None = None
    path: PathText | None = None
    seats: int | None = Field(default=None, ge=0)
    #: The lmutil/rlmutil to ask for free seats, when it is not on the host's PATH.
    utility: PathText | None = None
    #: True when the importer guessed it from a tool name, role or note.
    inferred: bool = False


class StorageDecl(_Shape):
    """A storage root and what it is for."""

    path: PathText
    purpose: str = "work"


Tool = Annotated[ToolDecl, BeforeValidator(_named)]


class HostVars(BaseModel):
    """The ``wrk_*`` vars of one host. Other vars (ansible_*, team-specific) are kept apart."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")

    wrk_access: Literal["ssh", "local", "none"] = "ssh"
    wrk_aliases: tuple[MachineName, ...] = ()
    wrk_os: Literal["linux", "windows", "macos"] | None = None
    wrk_agents: tuple[AgentName, ...] = ()
    wrk_tools: tuple[Tool, ...] = ()
    wrk_licenses: tuple[LicenseDecl, ...] = ()
    wrk_storage: tuple[StorageDecl, ...] = ()
    wrk_gpu: str | bool | None = None
    wrk_state: Literal["active", "drained", "retired"] = "active"
    wrk_state_reason: str | None = None
    wrk_state_since: datetime | date | str | None = None
    wrk_signing_key: str | None = None
    wrk_notes: str | None = None
    #: What the host should be (docs/fleet.md): a compute floor, disk headroom, solvers and
    #: agents expected present or absent, the checkout's state. A group var sets it for every
    #: host of the group.
    wrk_baseline: Baseline | None = None


#: Every ``wrk_*`` var the schema knows; ``set`` refuses others.
WRK_VARS: Final = frozenset(HostVars.model_fields)

#: Connection vars ``set`` and ``import`` accept without ``--allow-connection-vars``.
CONNECTION_VARS_ALLOWED: Final = frozenset(
    {
        "ansible_host",
        "ansible_port",
        "ansible_user",
        "ansible_connection",
        "ansible_python_interpreter",
        "ansible_ssh_private_key_file",
        "ansible_shell_type",
        "ansible_become",
        "ansible_become_user",
    }
)
ALLOWED_CONNECTIONS: Final = frozenset({"ssh", "local", "psrp", "winrm"})
