"""Typed observations of a host's readiness, built from untrusted probe output.

A probe result comes back through Ansible (or from an evidence file, or an artifact directory
written elsewhere), so every field is checked and capped before it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.decision.verdict import HostReadiness

MAX_CHECKS: Final = 500
MAX_TEXT: Final = 2000


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)[:MAX_TEXT]


@dataclass(frozen=True)
class ProbeCheck:
    """One observed check, as the probe reports it (``ok`` None: unknown, with a reason)."""

    name: str
    kind: str
    required: str | None
    found: str | None
    ok: bool | None
    reason: str

    @property
    def outcome(self) -> Outcome:
        return {True: Outcome.PASS, False: Outcome.FAIL}.get(self.ok, Outcome.UNKNOWN)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "required": self.required,
            "found": self.found,
            "ok": self.ok,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class HostObservation:
    """What one readiness run saw on one host."""

    host: str
    reachable: bool
    checks: tuple[ProbeCheck, ...]
    facts: Mapping[str, str]
    message: str = ""
    source: str = "probe"
    observed_at: str | None = None

    @property
    def ready(self) -> bool:
        return self.reachable and all(check.ok is True for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "reachable": self.reachable,
            "ready": self.ready,
            "message": self.message,
            "source": self.source,
            "observed_at": self.observed_at,
            "facts": dict(self.facts),
            "checks": [c.as_dict() for c in self.checks],
        }

    def for_decision(self) -> HostReadiness:
        """The decision's view: each check with an outcome, unreachable as a failed check."""
        if not self.reachable:
            check = Check(
                "reachable",
                "a connection",
                "none",
                Outcome.FAIL,
                self.message or "unreachable",
                self.host,
            )
            return HostReadiness(self.host, False, (check,), self.source, self.observed_at)
        checks = tuple(
            Check(f"{c.kind}:{c.name}", c.required, c.found, c.outcome, c.reason, self.host)
            for c in self.checks
        )
        return HostReadiness(self.host, True, checks, self.source, self.observed_at)


class ProbeOutputError(ValueError):
    """Probe output that does not have the documented shape."""


def parse_probe_result(
    host: str, result: Any, *, source: str, observed_at: str | None
) -> HostObservation:
    """Validate a probe's ``{facts, checks, ready}`` result for ``host``."""
    if not isinstance(result, Mapping):
        raise ProbeOutputError(f"{host}: probe result is not a mapping")
    raw_checks = result.get("checks")
    if not isinstance(raw_checks, list) or len(raw_checks) > MAX_CHECKS:
        raise ProbeOutputError(f"{host}: probe checks must be a list of at most {MAX_CHECKS}")
    checks = []
    for item in raw_checks:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ProbeOutputError(f"{host}: a probe check has no name")
        ok = item.get("ok")
        if ok is not None and not isinstance(ok, bool):
            raise ProbeOutputError(f"{host}: check {item['name']!r} has a non-boolean ok")
        checks.append(
            ProbeCheck(
                name=str(item["name"])[:200],
                kind=str(item.get("kind") or "check")[:40],
                required=_text(item.get("required")),
                found=_text(item.get("found")),
                ok=ok,
                reason=_text(item.get("reason")) or "",
            )
        )
    facts = result.get("facts")
    plain_facts = (
        {str(k)[:64]: str(v)[:200] for k, v in list(facts.items())[:32]}
        if isinstance(facts, Mapping)
        else {}
    )
    return HostObservation(
        host=host,
        reachable=True,
        checks=tuple(checks),
        facts=plain_facts,
        source=source,
        observed_at=observed_at,
    )
