"""A stage's candidate machines, screened on declarations alone (no network).

Assigned hosts come first (a name, a list, a parallel list, or the members of a group in
inventory order), then the ordered fallbacks. A host is screened out, with a reason, when it is
unknown, drained or retired, or when what it declares contradicts a requirement (no license for
a required feature, a declared tool version below the minimum).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from packaging.version import InvalidVersion, Version

from wrk_ansible.contract.models import GroupScope, StageRequirements
from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.registry.workstation import Workstation

Role = Literal["assigned", "fallback", "proposal"]


class HostDirectory(Protocol):
    """What screening needs of the registry."""

    def find(self, name: str) -> Workstation | None:
        """The host named (or aliased) ``name``, case-insensitively; None when unknown."""

    def hosts_in(self, pattern: str) -> tuple[str, ...]:
        """Host names matching a group or pattern, in inventory order."""


@dataclass(frozen=True)
class Candidate:
    """A host the stage could run on, and whether screening let it through."""

    name: str
    role: Role
    workstation: Workstation | None
    checks: tuple[Check, ...]

    @property
    def excluded(self) -> bool:
        return any(check.blocking for check in self.checks)

    @property
    def reason(self) -> str:
        return "; ".join(c.reason for c in self.checks if c.blocking)


def _version_below(declared: str, minimum: str) -> bool | None:
    """True/False when comparable as versions, None when either is not a version."""
    try:
        return Version(declared) < Version(minimum)
    except InvalidVersion:
        return None


def declared_checks(ws: Workstation, requirements: StageRequirements) -> list[Check]:
    """Requirements a host's declarations already rule out (screening, never observation)."""
    checks: list[Check] = []
    features = {lic.feature.casefold(): lic for lic in ws.licenses}
    for need in requirements.licenses:
        held = features.get(need.feature.casefold())
        if held is None:
            checks.append(
                Check(
                    f"declared-license:{need.feature}",
                    f"{need.feature} x{need.seats}",
                    "not declared",
                    Outcome.FAIL,
                    f"{ws.name} declares no license for {need.feature}",
                    ws.name,
                    "screen",
                )
            )
        elif held.seats is not None and held.seats < need.seats:
            checks.append(
                Check(
                    f"declared-license:{need.feature}",
                    f"{need.feature} x{need.seats}",
                    f"{held.seats} seat(s) declared",
                    Outcome.FAIL,
                    f"{ws.name} declares only {held.seats} seat(s) of {need.feature}",
                    ws.name,
                    "screen",
                )
            )
    tools = {tool.name.casefold(): tool for tool in ws.tools}
    for tool_need in requirements.tools:
        decl = tools.get(tool_need.name.casefold())
        if decl is None or decl.version is None or tool_need.min_version is None:
            continue  # tools are probed whether declared or not
        if _version_below(decl.version, tool_need.min_version):
            checks.append(
                Check(
                    f"declared-tool:{tool_need.name}",
                    f">= {tool_need.min_version}",
                    decl.version,
                    Outcome.FAIL,
                    f"{ws.name} declares {tool_need.name} {decl.version}, "
                    f"below {tool_need.min_version}",
                    ws.name,
                    "screen",
                )
            )
    return checks


def screen(name: str, role: Role, hosts: HostDirectory, row: ResolvedStage) -> Candidate:
    """Screen one host for one stage on declarations alone."""
    ws = hosts.find(name)
    if ws is None:
        check = Check(
            "registered",
            "in the inventory",
            "unknown",
            Outcome.FAIL,
            f"{name} is not in the inventory",
            name,
            "screen",
        )
        return Candidate(name, role, None, (check,))
    checks = [
        Check("registered", "in the inventory", ws.name, Outcome.PASS, "listed", ws.name, "screen")
    ]
    if ws.state != "active":
        why = f"{ws.name} is {ws.state}" + (f": {ws.state_reason}" if ws.state_reason else "")
        checks.append(Check("state", "active", ws.state, Outcome.FAIL, why, ws.name, "screen"))
    checks += declared_checks(ws, row.requirements)
    return Candidate(ws.name, role, ws, tuple(checks))


def assigned_names(row: ResolvedStage, hosts: HostDirectory) -> tuple[str, ...]:
    """The stage's own workstations, canonical, in order (group members in inventory order)."""
    ws = row.assignment.workstations
    if ws is None:
        return ()
    if isinstance(ws, GroupScope):
        return hosts.hosts_in(ws.group)
    return tuple(_canonical(name, hosts) for name in ws)


def _canonical(name: str, hosts: HostDirectory) -> str:
    found = hosts.find(name)
    return found.name if found else name


def stage_candidates(row: ResolvedStage, hosts: HostDirectory) -> tuple[Candidate, ...]:
    """Assigned hosts, then fallbacks, each screened once (a host named twice counts once)."""
    seen: set[str] = set()
    out: list[Candidate] = []
    named: Sequence[tuple[str, Role]] = [
        *((n, "assigned") for n in assigned_names(row, hosts)),
        *((_canonical(n, hosts), "fallback") for n in row.assignment.fallback),
    ]
    for name, role in named:
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        out.append(screen(name, role, hosts, row))
    return tuple(out)
