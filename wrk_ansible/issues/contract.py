"""An issue as a work item: the same :class:`ValidationResult` and :class:`Contract` a WRK file
yields, built from its labels (through the rules file) and its optional ``wrk`` block.

- id: the reference ``OWNER/REPO#N``; title: the issue's; status: its ``status:`` label;
- execute: workstations = the resolved machine (or the block's), primary = the provider;
- claim and close (the matrix's ``$orchestrator`` rows): primary = the ``agent:`` owner;
- every other value: the configured stage matrix, as for a WRK;
- each value's origin says who chose it: ``label machine:build1``, ``rule 3``,
  ``label lane:codex``, ``default``, ``wrk block``, ``template``.

A ``wrk`` block wins over labels where it speaks, key by key; where it contradicts a label (its
execute workstations against a ``machine:`` label, its execute agent against ``ai:``/``lane:``,
its claim or close agent against ``agent:``) the result carries a warning naming both.

A machine of the rules roster resolves to the inventory host its name, a ``machine_aliases`` key
mapping to it, or its ``hostname`` names (:meth:`RoutingRules.names_of`), through the one
resolver (:func:`wrk_ansible.names.hosts_named`); a machine no inventory host answers to is an
unknown machine on the field of the label or rule that chose it (``label machine:nowhere``).

Contradicting or unreadable labels and a broken block are errors and leave no contract: a
contract is never built from one of two contradicting answers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from wrk_ansible.contract.models import StageAssignment, StageRequirements, WorkItemFields
from wrk_ansible.contract.resolve import (
    ISSUE,
    Contract,
    Issue,
    IssueFacts,
    ResolvedStage,
    build_stages,
)
from wrk_ansible.contract.template import DEFAULT_MATRIX, Matrix
from wrk_ansible.contract.validate import ValidationResult, finish_contract
from wrk_ansible.issues.block import WHERE, Block, parse_block
from wrk_ansible.issues.export import WorkIssue
from wrk_ansible.issues.labels import Choice, Routing, route
from wrk_ansible.issues.rules import RoutingRules
from wrk_ansible.names import Directory, InventoryNames, hosts_named

#: Issue.kind of two values on a single-valued label axis, and of an issue not routable.
CONTRADICTION: Final = "contradiction"
NOT_ROUTABLE: Final = "not-routable"
#: The origin of a value the block gave.
BLOCK: Final = WHERE
#: Contract.source of an issue without a block, and with one.
FROM_LABELS: Final = "issue labels"
MULTI_WITHOUT_MACHINES: Final = (
    "a multi-machine item: its execute machines come from a ```wrk block "
    "(stage_assignments.execute.workstations), and it gives none"
)
#: The legacy-field origins build_stages records for the values filled from labels.
_LEGACY_ORIGINS = ("orchestrator", "provider")


@dataclass(frozen=True)
class IssueCheck:
    """One issue checked: its routing decision, the host its machine resolves to, and the
    contract (in ``result``, exactly as for a WRK file)."""

    issue: WorkIssue
    routing: Routing
    result: ValidationResult
    #: The inventory host the routing's machine resolves to (None: no directory, unknown, or
    #: no single machine).
    host: str | None = None

    def routed(self) -> dict[str, Any]:
        """The routing as every view shows it (``wrk route --json``, the report): the machine
        (rules vocabulary), the host it is, the provider, who chose each, and why not routable."""
        machine, provider = self.routing.machine, self.routing.provider
        return {
            "machine": machine.value if machine else None,
            "host": self.host,
            "provider": provider.value if provider else None,
            "machine_by": machine.by if machine else None,
            "provider_by": provider.by if provider else None,
            "routable": self.routing.routable,
            "reason": "; ".join(self.routing.skipped) or None,
        }


def _label_errors(routing: Routing) -> list[Issue]:
    errors = [Issue("labels", c.message, kind=CONTRADICTION) for c in routing.contradictions]
    errors += [Issue(f"label {label}", message) for label, message in routing.problems]
    return errors


def _resolve(
    machine: Choice, rules: RoutingRules, directory: Directory | None
) -> tuple[str, str | None, Issue | None]:
    """(the name execute's workstations hold, the host, an error) for the chosen machine."""
    if directory is None:
        return machine.value, None, None
    found = hosts_named(rules.names_of(machine.written or machine.value), directory)
    if not found:
        return machine.value, None, None  # InventoryNames reports it, on the label's field
    if len(found) > 1:
        named = ", ".join(f"{name!r} is host {host!r}" for name, host in found)
        message = f"machine {machine.value!r} is more than one inventory host: {named}"
        return machine.value, None, Issue(machine.origin, message)
    return found[0][1], found[0][1], None


def _fill(
    row: ResolvedStage, updates: Mapping[str, object], origins: Mapping[str, str]
) -> ResolvedStage:
    assignment = row.assignment.model_copy(update=dict(updates))
    return replace(row, assignment=assignment, origin={**row.origin, **origins})


def _relabel(row: ResolvedStage, routing: Routing) -> ResolvedStage:
    """The row's legacy-field origins (build_stages's ``orchestrator``, ``provider``) as the
    label, rule or default that gave the value."""
    sources = {
        "orchestrator": routing.owner.origin if routing.owner else None,
        "provider": routing.provider.origin if routing.provider else None,
    }
    origin = {
        key: sources.get(value) or value
        for key, value in row.origin.items()
        if not (value in _LEGACY_ORIGINS and sources.get(value) is None)
    }
    return replace(row, origin=origin)


def _execute(
    row: ResolvedStage, routing: Routing, workstation: str | None, warnings: list[Issue]
) -> ResolvedStage:
    """Execute's machine and agent from the labels, where the block gave none."""
    a = row.assignment
    updates: dict[str, object] = {}
    origins: dict[str, str] = {}
    awaiting = None
    if a.workstations is None and routing.machine is not None:
        if routing.multi_machine:
            warnings.append(Issue(routing.machine.origin, MULTI_WITHOUT_MACHINES))
            origins["workstations"] = f"{routing.machine.origin} (machines from a wrk block)"
            awaiting = (
                f"a multi-machine item ({routing.machine.origin}) names no execute machines",
                "add a ```wrk block to the issue body naming them: stage_assignments: "
                "{execute: {workstations: [HOST, ...], parallel: true}}",
            )
        elif workstation is not None:
            updates["workstations"] = (workstation,)
            origins["workstations"] = routing.machine.origin
    if row.explicit and a.primary is None and a.agents is None and routing.provider is not None:
        updates["primary"] = routing.provider.value
        origins["primary"] = routing.provider.origin
    filled = _fill(row, updates, origins) if updates or origins else row
    return replace(filled, awaiting=awaiting) if awaiting else filled


def _owner_row(row: ResolvedStage, routing: Routing) -> ResolvedStage:
    """A block's claim or close row without agents: the ``agent:`` owner runs it."""
    a = row.assignment
    if not row.explicit or a.primary or a.agents is not None or routing.owner is None:
        return row
    return _fill(row, {"primary": routing.owner.value}, {"primary": routing.owner.origin})


def _same_machine(
    names: tuple[str, ...], machine: Choice, host: str | None, directory: Directory | None
) -> bool:
    """True when one of ``names`` is the machine a label chose (its host, when resolved)."""
    if directory is not None and host is not None:
        return any(directory.canonical(name) == host for name in names)
    spellings = {machine.value.casefold(), (machine.written or machine.value).casefold()}
    return any(name.casefold() in spellings for name in names)


def _disagreements(
    block: Block, routing: Routing, host: str | None, directory: Directory | None
) -> list[Issue]:
    """Warnings where the block contradicts a label (the block wins)."""
    given: Mapping[str, StageAssignment] = (
        block.contract.stage_assignments or {} if block.contract else {}
    )
    out: list[Issue] = []

    def warn(field: str, said: str, label: str) -> None:
        message = f"the wrk block says {said} but label {label} says otherwise; the block wins"
        out.append(Issue(f"{WHERE}: stage_assignments.{field}", message, block.line))

    execute = given.get("execute")
    machine = routing.machine
    labelled = machine is not None and machine.by == "label" and not routing.multi_machine
    if execute is not None and isinstance(execute.workstations, tuple) and labelled:
        assert machine is not None
        names = execute.workstations
        if not _same_machine(names, machine, host, directory):
            warn("execute.workstations", f"[{', '.join(names)}]", machine.origin[len("label ") :])
    provider = routing.provider
    if execute is not None and provider is not None and provider.by in {"label", "lane"}:
        agents = execute.agents if isinstance(execute.agents, tuple) else ()
        named = [x for x in (execute.primary, *agents) if x]
        if named and named[0].casefold() != provider.value.casefold():
            warn("execute.primary", named[0], provider.origin.removeprefix("label "))
    owner = routing.owner
    for stage in ("claim", "close"):
        row = given.get(stage)
        if (
            row is not None
            and owner is not None
            and row.primary
            and row.primary.casefold() != owner.value.casefold()
        ):
            warn(f"{stage}.primary", row.primary, owner.origin.removeprefix("label "))
    return out


def issue_digest(issue: WorkIssue) -> str:
    """sha256 of what the contract was built from: reference, state, labels, title, body."""
    import hashlib
    import json

    read = [str(issue.ref), issue.state, sorted(issue.labels), issue.title, issue.body]
    return hashlib.sha256(json.dumps(read, ensure_ascii=False).encode()).hexdigest()


def check_issue(
    issue: WorkIssue,
    rules: RoutingRules,
    *,
    directory: Directory | None = None,
    known_gates: Collection[str] | None = None,
    matrix: Matrix = DEFAULT_MATRIX,
) -> IssueCheck:
    """Route ``issue`` under ``rules`` and build its contract; problems become issues, never
    raise (as :func:`~wrk_ansible.contract.validate.check_work_item`). ``directory`` resolves
    machine names (None: they are not checked); ``matrix`` gives the rows labels do not."""
    ref = str(issue.ref)
    routing = route(issue, rules)
    block = parse_block(issue.body)
    errors = _label_errors(routing)
    warnings: list[Issue] = [Issue("labels", note) for note in routing.notes]
    if routing.skipped:
        said = "not routable: " + "; ".join(routing.skipped)
        warnings.append(Issue("labels", said, kind=NOT_ROUTABLE))
    if block is not None:
        errors += block.errors
    workstation, host = None, None
    if routing.machine is not None and not routing.multi_machine:
        workstation, host, problem = _resolve(routing.machine, rules, directory)
        if problem is not None:
            errors.append(problem)
    if errors:
        return IssueCheck(
            issue,
            routing,
            ValidationResult(ref, ref, tuple(errors), tuple(warnings), None, ref=ref),
            host,
        )

    given = block.contract if block is not None else None
    explicit: Mapping[str, StageAssignment] = (given.stage_assignments if given else None) or {}
    requirements: Mapping[str, StageRequirements] = (
        given.machine_capability_requirements if given else None
    ) or {}
    fields = WorkItemFields(
        id=ref,
        title=issue.title,
        status=routing.status,
        orchestrator=routing.owner.value if routing.owner else None,
        provider=(routing.provider.value,) if routing.provider else (),
    )
    rows = []
    for built in build_stages(fields, explicit, requirements, BLOCK, matrix):
        row = _relabel(built, routing)
        if row.stage == "execute":
            row = _execute(row, routing, workstation, warnings)
        elif row.stage in ("claim", "close"):
            row = _owner_row(row, routing)
        rows.append(row)
    derived = not explicit
    contract = Contract(
        path=ref,
        wrk_id=ref,
        title=issue.title,
        status=routing.status,
        derived=derived,
        source=FROM_LABELS if given is None else BLOCK,
        stages=tuple(rows),
        handoff_evidence_ref=given.handoff_evidence_ref if given else None,
        fields=fields,
        kind=ISSUE,
        url=issue.url,
        digest=issue_digest(issue),
        issue=IssueFacts(
            issue.state,
            issue.labels,
            issue.body,
            tuple(f"labelled {label} (skip_if_labeled)" for label in routing.skip_labels),
        ),
    )
    if block is not None:
        warnings += _disagreements(block, routing, host, directory)
    contract = finish_contract(
        contract,
        errors,
        warnings,
        known_gates=known_gates,
        machines=InventoryNames(directory) if directory is not None else None,
        # a multi-machine item without machines pauses at its gate (the row's ``awaiting``)
        no_workstations=None
        if routing.multi_machine
        else Issue("labels", "execute has no workstations (no machine: label, rule or default)"),
        handoff_field=f"{WHERE}: handoff_evidence_ref",
    )
    result = ValidationResult(ref, ref, tuple(errors), tuple(warnings), contract, ref=ref)
    return IssueCheck(issue, routing, result, host)
