"""Check one work item: load it, validate the fields the contract reads, build its contract.

Never raises for bad input: every problem becomes an :class:`Issue` on the result, so a folder
of 1,000 items reports every broken one instead of stopping at the first.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Protocol

from pydantic import ValidationError

from wrk_ansible.contract.legacy import contradictions
from wrk_ansible.contract.loader import WorkItemFile, load_work_item
from wrk_ansible.contract.models import (
    CONTRACT_KEYS,
    AssignmentFile,
    StageAssignment,
    StageRequirements,
    WorkItemFields,
)
from wrk_ansible.contract.resolve import Contract, Issue, build_stages, pydantic_issues
from wrk_ansible.contract.template import DEFAULT_MATRIX, Matrix
from wrk_ansible.errors import InputError
from wrk_ansible.paths import contained
from wrk_ansible.safeyaml import DuplicateKey, parse_yaml, read_text

MAX_ASSIGNMENT_BYTES: Final = 1024 * 1024


class MachineNames(Protocol):
    """What validation needs to check machine names (:class:`wrk_ansible.names.InventoryNames`
    over a registry): contract/ itself knows no inventory."""

    def issues(self, contract: Contract) -> list[Issue]:
        """Every name of ``contract`` the inventory does not know, as an issue."""

    def canonical(self, name: str) -> str | None:
        """The host (or group) ``name`` refers to, or None when unknown."""


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of checking one file."""

    path: str
    wrk_id: str | None
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    contract: Contract | None
    item: WorkItemFile | None = field(default=None, repr=False, compare=False)
    #: An issue's reference ``OWNER/REPO#N`` (None for a WRK file).
    ref: str | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def derived(self) -> bool:
        return self.contract.derived if self.contract else False

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "id": self.wrk_id,
            "valid": self.valid,
            "derived": self.derived,
            "errors": [issue.as_dict() for issue in self.errors],
            "warnings": [issue.as_dict() for issue in self.warnings],
            **({"ref": self.ref} if self.ref else {}),
        }


#: Allocations between young-generation collections while many items are checked or
#: forecast (CPython's default is 700). Checking an item allocates thousands of objects that
#: all live on (its data, its contract), and so do a queue's forecasts: with the default,
#: collections scan the growing results again and again, a third of a 1,200-item validation.
#: Every collection still runs, less often.
_BULK_GC_THRESHOLD: Final = 10_000
#: Middle-generation collections between full ones meanwhile (CPython's default is 10): a
#: full collection scans every result made so far. Measured on a 1,200-file validation: with
#: the default, about 4% slower than with the collector off (7 pairs); with this, no slower
#: (9 pairs).
_BULK_GC_FULL_EVERY: Final = 100
#: The :func:`bulk_checks` open now (only the outermost changes the collector).
_OPEN_BULKS: list[object] = []


@contextlib.contextmanager
def bulk_checks() -> Iterator[None]:
    """Around checking many items (and what is made of them, up to the output): the objects
    made before (imports, schemas, settings, the registry: about 90,000, which every full
    collection would scan again, 50-85 ms each) are frozen out of the collector
    (``gc.freeze``) and the thresholds are raised (:data:`_BULK_GC_THRESHOLD`,
    :data:`_BULK_GC_FULL_EVERY`).
    Leaving the outermost undoes both (``gc.unfreeze``, the thresholds as they were), so a
    long-lived caller's heap stays collectable; inside, a caller may freeze what it made
    (``gc.freeze()``) until then. Nested uses change nothing."""
    outermost = not _OPEN_BULKS
    token = object()
    _OPEN_BULKS.append(token)
    before = gc.get_threshold()
    if outermost:
        gc.set_threshold(
            max(before[0], _BULK_GC_THRESHOLD), before[1], max(before[2], _BULK_GC_FULL_EVERY)
        )
        gc.freeze()
    try:
        yield
    finally:
        _OPEN_BULKS.remove(token)
        if outermost:
            gc.unfreeze()
            gc.set_threshold(*before)


def repository_root(wrk_path: str) -> Path:
    """The nearest folder above the WRK holding ``.git``, else the WRK's own folder."""
    return enclosing_repository(Path(os.path.realpath(wrk_path)).parent)


def enclosing_repository(start: Path) -> Path:
    """The nearest folder from ``start`` up holding ``.git``, else ``start``."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def item_root(contract: Contract) -> Path:
    """The repository a work item's files live in: a WRK's, or for an issue (no file) the
    checkout wrk runs in."""
    if contract.is_issue:
        return _checkout(os.getcwd())
    return repository_root(contract.path)


@functools.lru_cache(maxsize=8)
def _checkout(cwd: str) -> Path:
    return enclosing_repository(Path(os.path.realpath(cwd)))


def _load_assignment_file(
    item: WorkItemFile, ref: str, errors: list[Issue]
) -> tuple[AssignmentFile | None, str]:
    field = "stage_assignments_ref"
    line = item.parsed.line_of((field,))
    root = repository_root(item.path)
    if os.path.isabs(ref):
        errors.append(Issue(field, f"{ref!r} must be relative to the WRK file", line))
        return None, ref
    target = os.path.join(os.path.dirname(item.path), ref)
    if not contained(root, target):
        errors.append(Issue(field, f"{ref!r} leads outside the repository ({root}); refused", line))
        return None, target
    try:
        text = read_text(target, max_bytes=MAX_ASSIGNMENT_BYTES, what="assignment file")
        parsed = parse_yaml(text, target)
    except InputError as exc:
        errors.append(Issue(field, exc.detail, exc.line or line, file=target))
        return None, target
    if not isinstance(parsed.data, dict):
        errors.append(Issue(field, "assignment file must be a mapping", None, file=target))
        return None, target
    # Every key of an assignment file is one the contract reads: repeating one is an error.
    repeated = [_duplicate_issue(dup, file=target) for dup in parsed.duplicates]
    if repeated:
        errors.extend(repeated)
        return None, target
    try:
        return AssignmentFile.model_validate(parsed.data), target
    except ValidationError as exc:
        errors.extend(pydantic_issues(exc, parsed, file=target))
        return None, target


def _locate(issue: Issue, item: WorkItemFile, source: str) -> Issue:
    """``issue`` with the line of its field in the frontmatter (a row the WRK wrote there, or a
    legacy field), when it has none yet; a row from an assignment file names that file."""
    if issue.line is not None or issue.field is None:
        return issue
    if source != "frontmatter" and issue.field.startswith("stage_assignments."):
        return replace(issue, file=source)
    return replace(issue, line=item.parsed.line_of(tuple(issue.field.split("."))))


def _duplicate_issue(dup: DuplicateKey, *, file: str | None = None) -> Issue:
    return Issue(
        ".".join(dup.path),
        dup.message,
        dup.second_line,
        file=file,
    )


def _duplicate_issues(item: WorkItemFile) -> tuple[list[Issue], list[Issue]]:
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for dup in item.parsed.duplicates:
        (errors if dup.path[0] in CONTRACT_KEYS else warnings).append(_duplicate_issue(dup))
    return errors, warnings


def canonical_names(contract: Contract, machines: MachineNames) -> dict[str, str]:
    """Every named machine, lowercased, mapped to its registry host (lowercased)."""
    names: dict[str, str] = {}
    for row in contract.stages:
        ws = row.assignment.workstations
        for name in (*(ws if isinstance(ws, tuple) else ()), *row.assignment.fallback):
            known = machines.canonical(name)
            if known:
                names[name.lower()] = known.lower()
    return names


def gate_issues(contract: Contract, known: Collection[str]) -> list[Issue]:
    issues = []
    for row in contract.stages:
        for gate in row.gates:
            if gate.name not in known:
                issues.append(
                    Issue(
                        f"stage_assignments.{row.stage}.gates",
                        f"unknown gate {gate.name!r}; known gates: {', '.join(sorted(known))}",
                    )
                )
    return issues


def _contract_warnings(fields: WorkItemFields, contract: Contract) -> list[Issue]:
    warnings: list[Issue] = []
    if contract.derived:
        warnings.append(
            Issue(
                None,
                "no execution contract: derived from legacy fields; "
                "run `wrk contract migrate` to make it explicit",
            )
        )
        if fields.machine_capability_requirements is None:
            warnings.append(
                Issue(
                    "machine_capability_requirements",
                    "missing: no stage declares what it needs from its machine",
                )
            )
    warnings += [Issue(field, message) for field, message in contradictions(fields)]
    return warnings


def known_gate_names() -> Collection[str]:
    from wrk_ansible.contract.gate_names import KnownGates

    return KnownGates()


def check_work_item(
    path: str,
    *,
    machines: MachineNames | None = None,
    known_gates: Collection[str] | None = None,
    text: str | None = None,
    matrix: Matrix = DEFAULT_MATRIX,
) -> ValidationResult:
    """Validate one WRK file and build its contract; problems become issues, never raise.

    ``known_gates`` None means every gate name a contract may use (built-ins and entry points,
    :mod:`wrk_ansible.contract.gate_names`). ``machines`` checks machine names (None: they
    are not checked). ``text`` stands in for the file's content (to check an edit before
    writing it). ``matrix`` is the stage matrix rows the WRK leaves out come from.
    """
    try:
        item = load_work_item(path, text=text)
    except InputError as exc:
        return ValidationResult(path, None, (Issue(exc.field, exc.detail, exc.line),), (), None)

    errors, warnings = _duplicate_issues(item)
    data = item.data
    wrk_id = str(data["id"]) if data.get("id") is not None else None
    if wrk_id is None:
        wrk_id = Path(path).stem
        warnings.append(Issue("id", f"missing; using {wrk_id!r} from the file name"))
    if data.get("status") is None:
        warnings.append(Issue("status", "missing"))
    try:
        fields = WorkItemFields.model_validate(data)
    except ValidationError as exc:
        errors += pydantic_issues(exc, item.parsed)
        return ValidationResult(path, wrk_id, tuple(errors), tuple(warnings), None, item)

    explicit: Mapping[str, StageAssignment] = fields.stage_assignments or {}
    requirements: Mapping[str, StageRequirements] = fields.machine_capability_requirements or {}
    handoff_ref = fields.handoff_evidence_ref
    source = "frontmatter"
    if fields.stage_assignments_ref is not None:
        assignment, source = _load_assignment_file(item, fields.stage_assignments_ref, errors)
        if assignment is not None:
            explicit = assignment.stage_assignments
            if assignment.machine_capability_requirements is not None:
                if fields.machine_capability_requirements is not None:
                    errors.append(
                        Issue(
                            "machine_capability_requirements",
                            "given both in the frontmatter and in the assignment file",
                            item.parsed.line_of(("machine_capability_requirements",)),
                        )
                    )
                requirements = assignment.machine_capability_requirements
            handoff_ref = handoff_ref or assignment.handoff_evidence_ref
    if errors:
        return ValidationResult(path, wrk_id, tuple(errors), tuple(warnings), None, item)

    derived = fields.stage_assignments is None and fields.stage_assignments_ref is None
    origin = "frontmatter" if source == "frontmatter" else "assignment file"
    stages = build_stages(fields, explicit, requirements, origin, matrix)
    title = data.get("title")
    contract = Contract(
        path=path,
        wrk_id=wrk_id,
        title=None if title is None else str(title),
        status=fields.status,
        derived=derived,
        source="derived" if derived else source,
        stages=stages,
        handoff_evidence_ref=handoff_ref,
        fields=fields,
    )
    warnings += _contract_warnings(fields, contract)
    contract = finish_contract(
        contract,
        errors,
        warnings,
        known_gates=known_gates,
        machines=machines,
        locate=lambda issue: _locate(issue, item, source),
        no_workstations=Issue(
            "execution_workstations", "execute has no workstations (none declared)"
        ),
        handoff_field="handoff_evidence_ref",
    )
    return ValidationResult(path, wrk_id, tuple(errors), tuple(warnings), contract, item)


def finish_contract(
    contract: Contract,
    errors: list[Issue],
    warnings: list[Issue],
    *,
    known_gates: Collection[str] | None,
    machines: MachineNames | None,
    no_workstations: Issue | None,
    handoff_field: str,
    locate: Callable[[Issue], Issue] = lambda issue: issue,
) -> Contract:
    """The checks every built contract gets, whatever it was read from (a WRK file, an
    issue): its gate names, its machine names (``machines``; None: not checked; each issue
    placed by ``locate``), an execute row without workstations (``no_workstations``; None: not
    a problem) and a multi-machine item without its handoff evidence folder. A derived contract
    gets warnings where an explicit one gets errors. Appends to ``errors``/``warnings``;
    returns the contract with its canonical machine names."""
    errors += gate_issues(contract, known_gate_names() if known_gates is None else known_gates)
    if machines is not None:
        errors += [locate(issue) for issue in machines.issues(contract)]
        contract = replace(contract, canonical_names=canonical_names(contract, machines))
    severity = warnings if contract.derived else errors
    if no_workstations is not None and contract.stage("execute").assignment.workstations is None:
        severity.append(no_workstations)
    if contract.multi_machine and not contract.handoff_evidence_ref:
        severity.append(
            Issue(handoff_field, "required: stages of this item run on more than one machine")
        )
    return contract
