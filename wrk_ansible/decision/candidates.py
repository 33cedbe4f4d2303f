"""A row's candidate machines, screened on declarations alone (no network).

The hosts come from the one name resolver (:func:`wrk_ansible.names.row_scope`): the assigned
hosts in order (a name, a list, a parallel list, group members in inventory order), then the
ordered fallbacks. A host is screened out, with a reason, when it is unknown, when any source
holds it unavailable (drained or retired in the inventory, ``available: false`` in the rules
file: the reason names each source), or when what it declares contradicts a requirement (no
license for a required feature, a declared tool version below the minimum: versions compare in
the probe's grammar).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.decision.hosts import HostDirectory, HostLike
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.names import RowScope
from wrk_ansible.versions import is_below

Role = Literal["assigned", "fallback"]
SCREEN = "screen"


@dataclass(frozen=True)
class Candidate:
    """A host the row could run on, and whether screening let it through."""

    name: str
    role: Role
    workstation: HostLike | None
    checks: tuple[Check, ...]

    @property
    def excluded(self) -> bool:
        return any(check.blocking for check in self.checks)

    @property
    def reason(self) -> str:
        return "; ".join(c.reason for c in self.checks if c.blocking)


def declared_checks(ws: HostLike, requirements: StageRequirements) -> list[Check]:
    """Requirements a host's declarations already rule out (screening, never observation)."""
    checks: list[Check] = []
    features = {lic.feature.casefold(): lic for lic in ws.licenses}
    for need in requirements.licenses:
        held = features.get(need.feature.casefold())
        name = f"declared-license:{need.feature}"
        spec = {"feature": need.feature, "seats": need.seats}
        if held is None:
            checks.append(
                Check(
                    name=name,
                    required=f"{need.feature} x{need.seats}",
                    found="not declared",
                    outcome=Outcome.FAIL,
                    reason=f"{ws.name} declares no license for {need.feature}",
                    host=ws.name,
                    kind=SCREEN,
                    spec=spec,
                )
            )
        elif held.seats is not None and held.seats < need.seats:
            checks.append(
                Check(
                    name=name,
                    required=f"{need.feature} x{need.seats}",
                    found=f"{held.seats} seat(s) declared",
                    outcome=Outcome.FAIL,
                    reason=f"{ws.name} declares only {held.seats} seat(s) of {need.feature}",
                    host=ws.name,
                    kind=SCREEN,
                    spec=spec,
                    data={"declared_seats": held.seats},
                )
            )
    tools = {tool.name.casefold(): tool for tool in ws.tools}
    for tool_need in requirements.tools:
        decl = tools.get(tool_need.name.casefold())
        if decl is None or decl.version is None or tool_need.min_version is None:
            continue  # tools are probed whether declared or not
        if is_below(decl.version, tool_need.min_version):
            checks.append(
                Check(
                    name=f"declared-tool:{tool_need.name}",
                    required=f">= {tool_need.min_version}",
                    found=decl.version,
                    outcome=Outcome.FAIL,
                    reason=f"{ws.name} declares {tool_need.name} {decl.version}, "
                    f"below {tool_need.min_version}",
                    host=ws.name,
                    kind=SCREEN,
                    spec={"name": tool_need.name, "min_version": tool_need.min_version},
                    data={"version": decl.version},
                )
            )
    return checks


def screen(
    name: str, role: Role, host: HostLike | None, requirements: StageRequirements
) -> Candidate:
    """Screen one host for one row on declarations alone."""
    if host is None:
        check = Check(
            name="registered",
            required="in the inventory",
            found="unknown",
            outcome=Outcome.FAIL,
            reason=f"{name} is not in the inventory",
            host=name,
            kind=SCREEN,
        )
        return Candidate(name, role, None, (check,))
    checks = [
        Check(
            name="registered",
            required="in the inventory",
            found=host.name,
            outcome=Outcome.PASS,
            reason="listed",
            host=host.name,
            kind=SCREEN,
        )
    ]
    said = host.unavailability
    if said:  # any source that holds the host wins; the check names every one
        checks.append(
            Check(
                name="state",
                required="active",
                found="; ".join(u.found for u in said),
                outcome=Outcome.FAIL,
                reason="; ".join(u.text(host.name) for u in said),
                host=host.name,
                kind=SCREEN,
                data={"unavailable_per": [u.source for u in said]},
            )
        )
    checks += declared_checks(host, requirements)
    return Candidate(host.name, role, host, tuple(checks))


def stage_candidates(
    scope: RowScope, hosts: HostDirectory, requirements: StageRequirements
) -> tuple[Candidate, ...]:
    """Assigned hosts, then fallbacks, each screened once (a host named twice counts once);
    names the inventory does not know are candidates that fail screening."""
    seen: set[str] = set()
    out: list[Candidate] = []
    named: list[tuple[str, Role]] = [
        *((n, "assigned") for n in scope.assigned),
        *((u.name, "assigned") for u in scope.unknown if u.key == "workstations"),
        *((n, "fallback") for n in scope.fallback),
        *((u.name, "fallback") for u in scope.unknown if u.key == "fallback"),
    ]
    for name, role in named:
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        out.append(screen(name, role, hosts.find(name), requirements))
    return tuple(out)
