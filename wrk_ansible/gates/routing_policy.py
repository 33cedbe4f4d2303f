"""The team's workstation routing policy, typed and loaded once per file.

Which file: the one given (``routing_policy`` in ``wrk.yml``), else ``$WRK_ROUTING_POLICY``,
else the default wrk ships (``wrk_ansible/content/routing-policy.yml``: no rule, no machine
named). Only
the ``route-policy`` gate reads it, on first use, so a row without that gate never depends on a
policy file.

Only machine names are used to decide: the machines the policy routes licensed work to are
licensed hosts (resolved through the registry, so a host's aliases count).
The keywords are kept for people reading the file and never matched against titles.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, ValidationError

from wrk_ansible.contract.models import MachineName
from wrk_ansible.errors import InputError
from wrk_ansible.packaged import default_routing_policy
from wrk_ansible.safeyaml import parse_yaml, read_text

ENV: Final = "WRK_ROUTING_POLICY"
MAX_BYTES: Final = 256 * 1024


class _Shape(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


class Rule(_Shape):
    """A rule in words, with why and an example."""

    rule: str
    rationale: str | None = None
    example: str | None = None


class KeywordRoute(_Shape):
    """Where work mentioning these words went (kept for people; never used to decide)."""

    keyword: tuple[str, ...]
    machine: MachineName
    reason: str | None = None


class DefaultRoute(_Shape):
    machine: MachineName
    reason: str | None = None


class RoutingKeywords(_Shape):
    licensed: tuple[KeywordRoute, ...] = ()
    linux: tuple[KeywordRoute, ...] = ()
    default: DefaultRoute | None = None


class PolicyRules(_Shape):
    linux_first: Rule | None = None
    decomposition: Rule | None = None
    routing_keywords: RoutingKeywords | None = None


class RoutingPolicy(_Shape):
    """The whole file."""

    policy: PolicyRules

    @property
    def licensed_machines(self) -> tuple[str, ...]:
        """Machines the policy reserves for licensed work, by the names it uses."""
        routes = self.policy.routing_keywords
        return tuple(dict.fromkeys(r.machine for r in routes.licensed)) if routes else ()

    @property
    def enforced(self) -> bool:
        """True when the policy states a rule that limits licensed machines."""
        return self.policy.linux_first is not None or self.policy.decomposition is not None


def policy_path(given: str | None = None) -> Path:
    """``given``, else ``$WRK_ROUTING_POLICY``, else the default shipped in the package.

    A file named by ``given`` or the variable must exist (InputError on loading, never a silent
    fallback).
    """
    named = given or os.environ.get(ENV)
    return Path(named) if named else default_routing_policy()


def load_routing_policy(given: str | None = None) -> RoutingPolicy:
    """The routing policy (read once per path); InputError naming the file and field."""
    return _load(str(policy_path(given).resolve()))


@functools.lru_cache(maxsize=8)
def _load(path: str) -> RoutingPolicy:
    text = read_text(path, max_bytes=MAX_BYTES, what="routing policy")
    parsed = parse_yaml(text, path)
    try:
        return RoutingPolicy.model_validate(parsed.data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = tuple(str(p) for p in first["loc"])
        raise InputError(
            str(first["msg"]).removeprefix("Value error, "),
            path=path,
            field=".".join(loc) or None,
            line=parsed.line_of(loc) if loc else None,
        ) from None
