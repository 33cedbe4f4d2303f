"""The team's label routing rules file (``routing_rules:`` in ``wrk.yml``): a model and its
matchers, exactly as the file's own comments define them.

The file is the team's: its top level may hold sections wrk does not read (they are kept in
``extras``, never checked). Every shape wrk reads refuses unknown keys, so a typo
(``availble: false``, a matcher ``domian:``) is an error naming the file, the line and the key
instead of a rule that silently matches more than it says. Names that refer to each other
(a rule's machine and provider, the defaults, the aliases, a provider's budget pool) are checked
when the file is loaded.

Matchers (the file's "Capability rules" comment): ``domain`` is a ``domain:`` label's value,
exact or an fnmatch glob when it holds ``* ? [``; ``domain_family: hydro`` is the parent domain
or a ``parent-`` child (``hydro``, ``hydro-diffraction``, never ``hydrocarbon``); ``gh_label``
is any label, equal; ``repo`` is the issue's ``OWNER/REPO``. Every matcher a rule gives must
hold; ``match: {}`` matches everything. Comparisons ignore case (GitHub's labels and
repositories do). The first matching rule wins.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError

from wrk_ansible.capacity.model import BudgetPool, Capacity, SolverPool, WipCaps
from wrk_ansible.contract.resolve import pydantic_issues
from wrk_ansible.errors import InputError
from wrk_ansible.safeyaml import ParsedYaml, parse_yaml, read_text, refuse_duplicates

MAX_RULES_BYTES: Final = 1024 * 1024
DOMAIN: Final = "domain:"
_GLOB: Final = re.compile(r"[*?\[]")

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(max_length=4096)]
Prefix = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*:$", max_length=64)]
Slug = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", max_length=140)
]
Label = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class _Read(BaseModel):
    """A shape wrk reads: frozen, no unknown keys."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


class LabelAxes(_Read):
    """Label prefixes that are scalars (one value per issue) and sets, each with its reason."""

    single: dict[Prefix, Text]
    multi: dict[Prefix, Text] = Field(default_factory=dict)


class Attestation(_Read):
    """A dated licence attestation: someone saw the solver work, when, and how."""

    at: datetime.date
    by: Text
    how: Text


class Machine(_Read):
    """One machine of the roster (a ``machine:`` label value)."""

    os: Name | None = None
    role: Name | None = None
    hostname: Name | None = None
    capabilities: tuple[Name, ...] = ()
    capacity: Name | None = None
    shared_tenancy: StrictBool = False
    available: StrictBool = True
    unavailable_since: datetime.datetime | None = None
    blocked_on: Text | None = None
    licence_verified: dict[Name, Attestation] = Field(default_factory=dict)
    dispatch_path: dict[Name, Name] = Field(default_factory=dict)
    concurrency: dict[Name, Annotated[int, Field(ge=1, le=10_000)]] = Field(default_factory=dict)
    notes: Text | None = None


class Provider(_Read):
    """A provider (an ``ai:``/``lane:`` value); ``auto_routable: false`` means only an explicit
    ``ai:`` label may choose it."""

    auto_routable: StrictBool
    tier: Name | None = None
    budget_pool: Name | None = None
    note: Text | None = None


def _domains(labels: Sequence[str]) -> list[str]:
    return [
        label[len(DOMAIN) :].casefold() for label in labels if label.casefold().startswith(DOMAIN)
    ]


class Match(_Read):
    """What a rule matches; every matcher given must hold."""

    repo: Slug | None = None
    domain: Label | None = None
    domain_family: Label | None = None
    gh_label: Label | None = None

    def matches(self, repo: str, labels: Sequence[str]) -> bool:
        if self.repo is not None and self.repo.casefold() != repo.casefold():
            return False
        if self.gh_label is not None:
            wanted = self.gh_label.casefold()
            if not any(label.casefold() == wanted for label in labels):
                return False
        domains = _domains(labels) if self.domain or self.domain_family else []
        if self.domain is not None and not any(domain_matches(self.domain, d) for d in domains):
            return False
        family = self.domain_family
        return family is None or any(family_matches(family, d) for d in domains)


def domain_matches(pattern: str, domain: str) -> bool:
    """``domain``: exact, or an fnmatch glob when the pattern holds ``* ? [``."""
    pattern, domain = pattern.casefold(), domain.casefold()
    if _GLOB.search(pattern):
        return fnmatch.fnmatchcase(domain, pattern)
    return domain == pattern


def family_matches(parent: str, domain: str) -> bool:
    """``domain_family``: the parent itself or a ``parent-`` child (``hydro`` matches hydro and
    hydro-diffraction, not hydrocarbon)."""
    parent, domain = parent.casefold(), domain.casefold()
    return domain == parent or domain.startswith(parent + "-")


class Assign(_Read):
    machine: Name | None = None
    provider: Name | None = None


class Rule(_Read):
    match: Match
    assign: Assign
    reason: Text | None = None


class Defaults(_Read):
    #: None: no default (an issue without a label or rule choosing one has none).
    provider: Name | None = None
    machine: Name | None = None
    routable_states: tuple[Literal["open", "closed"], ...] = ("open",)
    skip_if_labeled: tuple[Label, ...] = ()


class RoutingRules(BaseModel):
    """The whole file. Unknown top-level sections are the team's: kept, never checked."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="allow")

    label_axes: LabelAxes
    machines: dict[Name, Machine]
    machine_aliases: dict[Name, Name] = Field(default_factory=dict)
    providers: dict[Name, Provider] = Field(default_factory=dict)
    solver_pools: dict[Name, SolverPool] = Field(default_factory=dict)
    budget_pools: dict[Name, BudgetPool] = Field(default_factory=dict)
    wip_caps: WipCaps = Field(default_factory=WipCaps)
    rules: tuple[Rule, ...]
    defaults: Defaults

    @property
    def extras(self) -> Mapping[str, Any]:
        return dict(self.model_extra or {})

    def fold(self, machine: str) -> str:
        """A machine label value through ``machine_aliases`` (``build-1`` -> build1)."""
        lowered = {key.casefold(): value for key, value in self.machine_aliases.items()}
        return lowered.get(machine.casefold(), machine)

    def roster_name(self, machine: str) -> str | None:
        """The roster's spelling of ``machine`` (after folding), or None when not in it."""
        folded = self.fold(machine).casefold()
        return next((name for name in self.machines if name.casefold() == folded), None)

    def names_of(self, machine: str) -> tuple[str, ...]:
        """Every name ``machine`` may go by in an inventory, in order: as written, its roster
        name, the ``machine_aliases`` keys that map to it, its roster ``hostname``."""
        names = [machine, self.fold(machine)]
        roster = self.roster_name(machine)
        if roster is not None:
            names.append(roster)
            names += [
                a for a, t in self.machine_aliases.items() if t.casefold() == roster.casefold()
            ]
            hostname = self.machines[roster].hostname
            if hostname:
                names.append(hostname)
        seen: dict[str, str] = {}
        for name in names:
            seen.setdefault(name.casefold(), name)
        return tuple(seen.values())

    def provider(self, name: str) -> Provider | None:
        return next(
            (p for key, p in self.providers.items() if key.casefold() == name.casefold()), None
        )

    def capacity(self) -> Capacity:
        """The file's capacity facts (its pools, WIP caps and machines' ``concurrency``), in
        the one capacity model ``capacity:`` in wrk.yml also uses; machines by roster name."""
        concurrency = {
            name: dict(m.concurrency) for name, m in self.machines.items() if m.concurrency
        }
        declared = bool(self.model_fields_set & {"wip_caps"})
        return Capacity(
            solver_pools=self.solver_pools,
            budget_pools=self.budget_pools,
            wip_caps=self.wip_caps if declared else None,
            concurrency=concurrency,
        )

    def first_match(self, repo: str, labels: Sequence[str]) -> tuple[int, Rule] | None:
        """The first rule whose matchers all hold, with its 1-based number in the file."""
        for number, rule in enumerate(self.rules, start=1):
            if rule.match.matches(repo, labels):
                return number, rule
        return None


# -- loading -----------------------------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _keys_at(loc: Sequence[str | int]) -> tuple[str, ...] | None:
    """The keys the shape at ``loc`` (the parent of an unknown key) allows."""
    tp: Any = RoutingRules
    for part in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(str(part))
            if info is None:
                return None
            tp = info.annotation
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin in (tuple, list):
            tp = typing.get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    return tuple(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _error(exc: ValidationError, parsed: ParsedYaml, source: str) -> InputError:
    first = pydantic_issues(exc, parsed, file=source)[0]
    err = exc.errors(include_url=False)[0]
    message = first.message
    if err["type"] == "extra_forbidden":
        loc = [p for p in err["loc"]]
        keys = _keys_at(loc[:-1])
        message = f"unknown key {str(loc[-1])!r}" + (f"; keys: {', '.join(keys)}" if keys else "")
    return InputError(message, path=source, field=first.field, line=first.line)


def _cross_check(rules: RoutingRules, parsed: ParsedYaml, source: str) -> None:
    """Names that refer to each other must exist: one error naming the first that does not."""

    def fail(path: tuple[str | int, ...], message: str) -> InputError:
        field = ".".join(str(p) for p in path)
        return InputError(message, path=source, field=field, line=parsed.line_of(path))

    machines = ", ".join(rules.machines)
    providers = ", ".join(rules.providers)
    for alias, target in rules.machine_aliases.items():
        if target not in rules.machines:
            raise fail(
                ("machine_aliases", alias),
                f"alias {alias!r} maps to {target!r}, which is not in machines ({machines})",
            )
        if alias in rules.machines:
            raise fail(
                ("machine_aliases", alias), f"alias {alias!r} is itself a machine of the roster"
            )
    for key in sorted(set(rules.label_axes.single) & set(rules.label_axes.multi)):
        raise fail(("label_axes", "multi", key), f"axis {key!r} is both single and multi")
    checks: list[tuple[tuple[str | int, ...], str | None, str]] = [
        (("defaults", "machine"), rules.defaults.machine, "machine"),
        (("defaults", "provider"), rules.defaults.provider, "provider"),
    ]
    for index, rule in enumerate(rules.rules):
        checks.append((("rules", index, "assign", "machine"), rule.assign.machine, "machine"))
        checks.append((("rules", index, "assign", "provider"), rule.assign.provider, "provider"))
        if rule.assign.machine is None and rule.assign.provider is None:
            raise fail(
                ("rules", index, "assign"),
                f"rule {index + 1} assigns neither a machine nor a provider",
            )
    for path, name, kind in checks:
        if name is None:
            continue
        if kind == "machine" and rules.roster_name(name) is None:
            raise fail(path, f"machine {name!r} is not in machines ({machines})")
        if kind == "provider" and rules.provider(name) is None:
            raise fail(path, f"provider {name!r} is not in providers ({providers})")
    for name, provider in rules.providers.items():
        pool = provider.budget_pool
        if pool is not None and rules.budget_pools and pool not in rules.budget_pools:
            raise fail(
                ("providers", name, "budget_pool"),
                f"budget pool {pool!r} is not in budget_pools ({', '.join(rules.budget_pools)})",
            )


def parse_rules(text: str, source: str) -> RoutingRules:
    """The rules file's text, validated; InputError naming the file, the line and the key."""
    parsed = parse_yaml(text, source)
    refuse_duplicates(parsed, source)
    if not isinstance(parsed.data, dict):
        raise InputError(
            "expected a mapping (label_axes, machines, rules, defaults, ...)", path=source, line=1
        )
    try:
        rules = RoutingRules.model_validate(parsed.data)
    except ValidationError as exc:
        raise _error(exc, parsed, source) from None
    _cross_check(rules, parsed, source)
    return rules


#: Without a rules file: labels alone route (``machine:``, ``ai:``, ``lane:``, ``agent:``), no
#: rule and no default chooses anything, open issues are routable.
NEUTRAL: Final = RoutingRules(
    label_axes=LabelAxes(single={}), machines={}, rules=(), defaults=Defaults()
)


def load_rules(path: str) -> RoutingRules:
    """The rules file at ``path`` (capped at :data:`MAX_RULES_BYTES`)."""
    text = read_text(path, max_bytes=MAX_RULES_BYTES, what="routing rules file")
    return parse_rules(text, path)
