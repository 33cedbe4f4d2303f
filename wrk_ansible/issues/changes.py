"""From a routing decision to the label changes that would record it on the issue (``wrk
route``): pure, no I/O.

The labels are the assignment's source of truth; the rules only propose. What is proposed:

- **machine**: an issue without a ``machine:`` label whose machine a rule or the default chose
  gets ``machine:<machine>`` (the roster's spelling), so the choice is visible and stays put
  when the rules change. A ``machine:`` label already there is never touched, an alias
  included: the rules file folds aliases when reading (read-compat, "0 cards get relabeled").
- **provider**: ``ai:<provider>`` only when a rule chose the provider and the labels alone
  (``lane:``, else the default) would choose another: the rules file's own catch-all says the
  ``ai:`` label stays absent for default work, written only when a rule or a human chooses a
  non-default provider. A provider from ``ai:``, ``lane:`` or the default proposes nothing.
- nothing is ever removed: every label on an issue is a human's or another tool's choice.

Nothing at all is proposed for an issue that is not routable (closed, a ``skip_if_labeled``
label, contradicting labels: writing a third label cannot settle two that contradict), whose
routing labels cannot be read (a ``machine:`` with no value), or whose ``wrk`` block is broken.
Where the block names execute's machines or agent, the label it would contradict is not
proposed: the block wins, and a label saying otherwise would only add a warning.

A proposal made from an issue that already carries its labels is empty, so applying one and
routing again proposes nothing (a rerun is idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from wrk_ansible.issues.block import Block
from wrk_ansible.issues.labels import AI, MACHINE, Choice, Routing, route
from wrk_ansible.issues.rules import RoutingRules

ADD: Final = "add"
REMOVE: Final = "remove"


@dataclass(frozen=True)
class Change:
    """One label to add or remove, who chose it (``rule N``, ``default``) and why."""

    label: str
    by: str
    why: str


@dataclass(frozen=True)
class Proposal:
    """The label changes proposed for one issue, or why none are (``held``)."""

    routing: Routing
    add: tuple[Change, ...] = ()
    remove: tuple[Change, ...] = ()
    #: Why nothing is proposed (not routable, unreadable labels, a broken block); None when
    #: the rules were free to propose (and may still have nothing to propose).
    held: str | None = None
    #: What was left out and why (a block naming execute's machines, ...).
    notes: tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        return bool(self.add or self.remove)

    def labels(self) -> dict[str, list[str]]:
        """``{"add": [...], "remove": [...]}``, the shape ``wrk route --json`` prints."""
        return {ADD: [c.label for c in self.add], REMOVE: [c.label for c in self.remove]}

    def same_as(self, other: Proposal) -> bool:
        """The same labels added and removed (order and case aside)."""

        def key(p: Proposal) -> tuple[frozenset[str], frozenset[str]]:
            return (
                frozenset(c.label.casefold() for c in p.add),
                frozenset(c.label.casefold() for c in p.remove),
            )

        return key(self) == key(other)


def _execute_row(block: Block | None) -> Any:
    if block is None or block.contract is None or not block.contract.stage_assignments:
        return None
    return block.contract.stage_assignments.get("execute")


def _why(choice: Choice, what: str) -> str:
    reason = f" ({choice.reason})" if choice.reason else ""
    return f"{what} {choice.value!r} chosen by {choice.origin}{reason}"


def _labels_alone(routing: Routing, rules: RoutingRules) -> Choice | None:
    """The provider the issue's labels and the defaults choose, without any rule."""
    return route(routing.issue, rules.model_copy(update={"rules": ()})).provider


def propose(
    routing: Routing,
    rules: RoutingRules,
    block: Block | None = None,
    errors: Sequence[str] = (),
) -> Proposal:
    """The label changes that record ``routing`` on its issue (see the module's docstring);
    ``block`` is the issue's parsed ``wrk`` block, when it has one; ``errors``: its contract's
    (a machine no inventory host answers to, ...): a label is never written for a contract
    that cannot be gated."""
    if routing.skipped:
        return Proposal(routing, held="not routable: " + "; ".join(routing.skipped))
    if routing.problems:
        unread = ", ".join(label for label, _ in routing.problems)
        return Proposal(routing, held=f"labels that cannot be read: {unread}; fix them first")
    if block is not None and block.errors:
        return Proposal(routing, held=f"its wrk block (body line {block.line}) is broken")
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return Proposal(routing, held=f"its contract is invalid: {errors[0]}{more}")
    add: list[Change] = []
    notes: list[str] = []
    execute = _execute_row(block)
    machine = routing.machine
    if machine is not None and machine.by != "label":
        if execute is not None and execute.workstations is not None:
            notes.append(f"no {MACHINE} label: the wrk block names execute's machines")
        else:
            name = rules.roster_name(machine.value) or machine.value
            add.append(Change(f"{MACHINE}{name}", machine.by, _why(machine, "machine")))
    provider = routing.provider
    if provider is not None and provider.by.startswith("rule "):
        alone = _labels_alone(routing, rules)
        if alone is not None and alone.value.casefold() == provider.value.casefold():
            pass  # the labels already say it: an ai: label would add nothing
        elif execute is not None and (execute.primary or execute.agents):
            notes.append(f"no {AI} label: the wrk block names execute's agent")
        else:
            add.append(Change(f"{AI}{provider.value}", provider.by, _why(provider, "provider")))
    return Proposal(routing, add=tuple(add), notes=tuple(notes))
