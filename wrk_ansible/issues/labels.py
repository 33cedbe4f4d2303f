"""From one issue's labels and the rules file to a routing decision, with where each value came
from.

The label vocabulary (``machine:``, ``lane:``, ``agent:``, ``ai:``, ``status:``, ``needs:``) is
the product's; which axes hold one value is the rules file's (``label_axes.single``). Precedence,
as the team's router has it:

- machine: the ``machine:`` label, else the first matching rule's machine, else
  ``defaults.machine``; a value is folded through ``machine_aliases`` (an alias ``build-1``
  is the machine build1); ``machine:multi`` marks a multi-machine item (its execute machines
  come from a ``wrk`` block);
- provider (execute's agent): the ``ai:`` label, else the first matching rule's provider, else
  the ``lane:`` label, else ``defaults.provider``; a provider with ``auto_routable: false`` is
  chosen only by ``ai:``: a rule, lane or default naming it falls through to the next source;
- ``agent:`` is the item's owner (the orchestrator of its claim and close rows);
- ``needs:`` values are requirements (``needs:cross-review``: a second provider reviews before
  close), never routing targets.

"First match wins": the first rule whose matchers hold is the rule; a half it does not assign
(no provider) comes from the sources after rules. Two values on a single axis are a
contradiction naming both labels, reported even when the issue is not routable, and never
resolved by taking one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from wrk_ansible.issues.export import WorkIssue
from wrk_ansible.issues.rules import RoutingRules

MACHINE: Final = "machine:"
LANE: Final = "lane:"
AGENT: Final = "agent:"
AI: Final = "ai:"
STATUS: Final = "status:"
NEEDS: Final = "needs:"
#: The ``machine:`` value of work spanning several machines.
MULTI: Final = "multi"
CROSS_REVIEW: Final = "cross-review"
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Axes whose value names a machine or an agent, and what it names.
_NAMED: Final = {MACHINE: "machine", LANE: "provider", AGENT: "agent", AI: "provider"}
#: Axes routing reads one value of, whatever the rules file declares.
_ROUTED: Final = (STATUS, MACHINE, LANE, AGENT, AI)


@dataclass(frozen=True)
class Contradiction:
    """Two or more values on an axis that allows one."""

    axis: str
    labels: tuple[str, ...]
    why: str

    @property
    def message(self) -> str:
        return (
            f"labels {' and '.join(self.labels)} contradict: {self.axis} holds one value "
            f"({self.why}); fix the issue's labels"
        )


@dataclass(frozen=True)
class Choice:
    """A chosen value and who chose it: ``by`` is ``label``, ``rule N``, ``lane`` or
    ``default``; ``origin`` is what a contract row records (``label machine:build1``)."""

    value: str
    by: str
    origin: str
    reason: str | None = None
    #: The value as the label or rule wrote it, before ``machine_aliases`` folded it.
    written: str | None = None


@dataclass(frozen=True)
class Routing:
    """The routing decision for one issue."""

    issue: WorkIssue
    #: The machine, in the rules' vocabulary (aliases folded); None when undecided.
    machine: Choice | None
    provider: Choice | None
    owner: Choice | None
    status: str | None
    needs: tuple[str, ...]
    multi_machine: bool
    #: Why the issue is not routed (closed, a skip label, a contradiction); empty: routable.
    skipped: tuple[str, ...]
    #: Its labels the rules' ``skip_if_labeled`` names (as written on the issue).
    skip_labels: tuple[str, ...]
    contradictions: tuple[Contradiction, ...]
    #: Labels that cannot be read (an empty or malformed value): (label, message).
    problems: tuple[tuple[str, str], ...]
    #: Things worth saying that change nothing (a provider that fell through, a machine not in
    #: the roster).
    notes: tuple[str, ...]

    @property
    def routable(self) -> bool:
        return not self.skipped

    @property
    def cross_review(self) -> bool:
        """``needs:cross-review``: a second provider must review before close."""
        return CROSS_REVIEW in self.needs


def _axis_values(
    labels: tuple[str, ...], prefix: str, same: Callable[[str], str] = str
) -> list[tuple[str, str]]:
    """(label, value) of the labels on an axis, one per distinct value (case ignored; ``same``
    maps the spellings of one value to one: a machine's aliases are that machine)."""
    out: dict[str, tuple[str, str]] = {}
    for label in labels:
        if label.casefold().startswith(prefix):
            value = label[len(prefix) :].strip()
            out.setdefault(same(value).casefold(), (label, value))
    return list(out.values())


def _single(
    labels: tuple[str, ...],
    prefix: str,
    problems: list[tuple[str, str]],
    same: Callable[[str], str] = str,
) -> tuple[str, str] | None:
    """The one (label, value) of an axis, or None when absent, contradicted or unreadable."""
    found = _axis_values(labels, prefix, same)
    if len(found) != 1:
        return None
    label, value = found[0]
    if not value:
        problems.append((label, f"label {label!r} has no value"))
        return None
    kind = _NAMED.get(prefix)
    if kind and not _NAME.match(value):
        problems.append((label, f"label {label!r}: {value!r} is not a {kind} name"))
        return None
    return label, value


def _skip_labels(issue: WorkIssue, rules: RoutingRules) -> tuple[str, ...]:
    skip = {label.casefold() for label in rules.defaults.skip_if_labeled}
    return tuple(label for label in issue.labels if label.casefold() in skip)


def _skipped(issue: WorkIssue, rules: RoutingRules, found: list[Contradiction]) -> list[str]:
    why: list[str] = []
    state = issue.state.lower()
    if state not in rules.defaults.routable_states:
        states = ", ".join(rules.defaults.routable_states)
        why.append(f"{state}: not in routable_states ({states})")
    for label in _skip_labels(issue, rules):
        why.append(f"labelled {label} (skip_if_labeled)")
    if found:
        why.append("contradicting labels: " + "; ".join(", ".join(c.labels) for c in found))
    return why


def _auto(rules: RoutingRules, name: str) -> bool:
    declared = rules.provider(name)
    return declared is None or declared.auto_routable


def _provider(
    rules: RoutingRules,
    ai: tuple[str, str] | None,
    rule: tuple[int, str | None, str | None] | None,
    lane: tuple[str, str] | None,
    notes: list[str],
) -> Choice | None:
    if ai is not None:
        return Choice(ai[1], "label", f"label {ai[0]}")
    sources: list[tuple[str, str, str, str | None]] = []
    if rule is not None and rule[1] is not None:
        sources.append((rule[1], f"rule {rule[0]}", f"rule {rule[0]}", rule[2]))
    if lane is not None:
        sources.append((lane[1], "lane", f"label {lane[0]}", None))
    if rules.defaults.provider is not None:
        sources.append((rules.defaults.provider, "default", "default", None))
    for value, by, origin, reason in sources:
        if _auto(rules, value):
            return Choice(value, by, origin, reason)
        notes.append(
            f"provider {value!r} from {origin} is not auto-routable (only an explicit ai: "
            "label chooses it): the next source decides"
        )
    return None


def route(issue: WorkIssue, rules: RoutingRules) -> Routing:
    """The routing decision for ``issue`` under ``rules`` (see the module's docstring)."""
    labels = issue.labels
    contradictions = []
    axes = dict.fromkeys(_ROUTED, "wrk routes on one value")
    axes.update({axis.casefold(): why for axis, why in rules.label_axes.single.items()})

    def one_machine(value: str) -> str:
        return rules.roster_name(value) or rules.fold(value)

    for axis, why in axes.items():
        found = _axis_values(labels, axis, one_machine if axis == MACHINE else str)
        if len(found) > 1:
            contradictions.append(Contradiction(axis, tuple(label for label, _ in found), why))
    problems: list[tuple[str, str]] = []
    notes: list[str] = []
    machine_label = _single(labels, MACHINE, problems, one_machine)
    ai = _single(labels, AI, problems)
    lane = _single(labels, LANE, problems)
    agent = _single(labels, AGENT, problems)
    status = _single(labels, STATUS, problems)
    contradicted = {c.axis.casefold() for c in contradictions}

    matched = rules.first_match(issue.ref.slug, labels)
    rule = (matched[0], matched[1].assign.provider, matched[1].reason) if matched else None

    machine: Choice | None
    if MACHINE in contradicted or any(
        label.casefold().startswith(MACHINE) for label, _ in problems
    ):
        machine = None
    elif machine_label is not None:
        label, value = machine_label
        machine = Choice(rules.fold(value), "label", f"label {label}", written=value)
    elif matched is not None and (assigned := matched[1].assign.machine) is not None:
        by = f"rule {matched[0]}"
        machine = Choice(rules.fold(assigned), by, by, matched[1].reason, assigned)
    elif (written := rules.defaults.machine) is not None:
        machine = Choice(rules.fold(written), "default", "default", written=written)
    else:
        machine = None
    if machine is not None and rules.machines and rules.roster_name(machine.value) is None:
        notes.append(
            f"machine {machine.value!r} ({machine.origin}) is not in the rules file's machines"
        )

    provider = None
    if not ({AI, LANE} & contradicted):
        provider = _provider(rules, ai, rule, lane, notes)
        if provider is not None and rules.provider(provider.value) is None:
            notes.append(
                f"provider {provider.value!r} ({provider.origin}) is not in the rules "
                "file's providers"
            )

    owner = None if agent is None else Choice(agent[1], "label", f"label {agent[0]}")
    needs = tuple(value.casefold() for _, value in _axis_values(labels, NEEDS) if value)
    return Routing(
        issue=issue,
        machine=machine,
        provider=provider,
        owner=owner,
        status=None if status is None else status[1],
        needs=needs,
        multi_machine=machine is not None and machine.value.casefold() == MULTI,
        skipped=tuple(_skipped(issue, rules, contradictions)),
        skip_labels=_skip_labels(issue, rules),
        contradictions=tuple(contradictions),
        problems=tuple(problems),
        notes=tuple(notes),
    )
