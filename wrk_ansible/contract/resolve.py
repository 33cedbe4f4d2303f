"""The effective contract of a work item: seven rows, every value explicit, each with its origin.

Rows a WRK states come from it; the rest come from the template filled with its legacy fields.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from pydantic import ValidationError

from wrk_ansible.contract.legacy import derive_row
from wrk_ansible.contract.models import (
    GateRef,
    GroupScope,
    StageAssignment,
    StageRequirements,
    WorkItemFields,
)
from wrk_ansible.contract.stages import STAGE_IDS, STAGES
from wrk_ansible.contract.template import DEFAULT_MATRIX, PLACE_NAMES, Matrix
from wrk_ansible.safeyaml import ParsedYaml


@dataclass(frozen=True)
class Issue:
    """One validation error or warning: which field, on which line, and what is wrong."""

    field: str | None
    message: str
    line: int | None = None
    file: str | None = None
    #: The machine name the issue is about, when it is an unknown machine.
    machine: str | None = None
    #: What kind of problem, where a reader acts on it (``contradiction``: two values on a
    #: single-valued label axis); None for the rest.
    kind: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "line": self.line, "message": self.message}
        if self.file:
            out["file"] = self.file
        return out


@dataclass(frozen=True)
class ResolvedStage:
    """One row of the effective matrix."""

    stage: str
    assignment: StageAssignment
    requirements: StageRequirements
    #: field -> where its value came from ("frontmatter", "template", a legacy field, a file).
    origin: Mapping[str, str]
    explicit: bool
    #: What the work item must still give before the row can be placed, and how (a
    #: multi-machine issue without its machines): the gate pauses on it with a P1 gap.
    awaiting: tuple[str, str] | None = None

    @property
    def phase(self) -> str:
        return STAGES[self.stage]

    @property
    def gates(self) -> tuple[GateRef, ...]:
        return self.assignment.gates or ()

    @property
    def agents(self) -> tuple[str, ...]:
        """Every agent named for the row, primary first."""
        a = self.assignment
        if a.agents == "any":
            return ()
        if a.agents is not None:
            return tuple(a.agents)
        return tuple(x for x in (a.primary, a.secondary) if x is not None)

    @property
    def machines(self) -> tuple[str, ...]:
        """Named workstations (not groups), assigned first, then fallbacks."""
        ws = self.assignment.workstations
        names = tuple(ws) if isinstance(ws, tuple) else ()
        return names + tuple(self.assignment.fallback)

    @property
    def scope_text(self) -> str:
        ws = self.assignment.workstations
        if ws is None:
            return "-"
        if isinstance(ws, GroupScope):
            return f"any {ws.count} of group {ws.group}"
        joined = ", ".join(ws)
        return f"{joined} (parallel)" if self.assignment.parallel else joined


#: Contract.kind of an issue.
ISSUE = "issue"


@dataclass(frozen=True)
class IssueFacts:
    """What the row gates read of an issue (it has no file): its state, labels and body, and
    why it may not be claimed now (closed, a skip label: the rules' ``not routable``)."""

    state: str
    labels: tuple[str, ...]
    body: str
    #: Why a claim is refused while it is open: its ``skip_if_labeled`` labels, each said.
    held: tuple[str, ...] = ()

    def has(self, label: str) -> bool:
        wanted = label.casefold()
        return any(x.casefold() == wanted for x in self.labels)


@dataclass(frozen=True)
class Contract:
    """A work item's complete, validated execution contract."""

    path: str
    wrk_id: str
    title: str | None
    status: str | None
    derived: bool
    source: str
    stages: tuple[ResolvedStage, ...]
    handoff_evidence_ref: str | None
    fields: WorkItemFields = field(repr=False)
    #: Lowercased machine name -> the registry's canonical host (aliases are the same machine).
    canonical_names: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: ``wrk`` (a WRK file at ``path``) or ``issue`` (``path`` and ``wrk_id`` are the reference
    #: ``OWNER/REPO#N``: there is no file).
    kind: str = "wrk"
    #: The issue's web page (issues only).
    url: str | None = None
    #: sha256 of the item as read, when it is not a file (an issue: its state, labels, title
    #: and body), for the evidence's ``contract_sha256``.
    digest: str | None = None
    #: An issue's state, labels and body (None for a WRK file).
    issue: IssueFacts | None = field(default=None, repr=False)

    @property
    def is_issue(self) -> bool:
        return self.kind == ISSUE

    def stage(self, stage_id: str) -> ResolvedStage:
        return next(row for row in self.stages if row.stage == stage_id)

    @property
    def multi_machine(self) -> bool:
        """True when a stage runs on several machines or on another than the stage before
        (rows whose machines the WRK did not give, the template's, and rows placed by role,
        ``$orchestrator_host``, are left out: where they run is known only when they are
        gated)."""
        previous: frozenset[str] | None = None
        for row in self.stages:
            ws = row.assignment.workstations
            if not isinstance(ws, tuple) or not ws or row.origin.get("workstations") == "template":
                continue
            if any(name in PLACE_NAMES for name in ws):
                continue
            names = frozenset(self.canonical_names.get(n.lower(), n.lower()) for n in ws)
            if len(names) > 1 or (previous is not None and names != previous):
                return True
            previous = names
        return False


_TAGS = {
    "<names>": "expected a name or a list of names",
    "<group>": "expected {group: NAME, count: N}",
    "<any>": "expected 'any'",
}
#: pydantic names the member of a plain union (``id: str | int``) in the location; that is
#: not a field, so it is dropped and the members' messages are joined into one issue.
_UNION_MEMBERS = frozenset({"str", "int", "float", "bool"})


def pydantic_issues(
    exc: ValidationError,
    parsed: ParsedYaml | None,
    *,
    prefix: tuple[str, ...] = (),
    file: str | None = None,
) -> list[Issue]:
    """One :class:`Issue` per error, located by field path and source line."""
    issues: list[Issue] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        loc: list[str | int] = []
        hint = None
        for part in err["loc"]:
            if isinstance(part, str) and part.startswith("<"):
                hint = _TAGS.get(part)
                continue
            if part in _UNION_MEMBERS and loc and err["type"] != "extra_forbidden":
                continue
            if isinstance(part, str) and ("[" in part or "(" in part):
                continue  # a union member's validator chain, not a field
            loc.append(part)
        message = str(err["msg"]).removeprefix("Value error, ")
        if hint and loc and loc[-1] == "agents":
            hint = "expected 'any' or a list of agent names"
        if hint and err["type"] in {"tuple_type", "literal_error", "model_type", "dict_type"}:
            message = hint
        path = (*prefix, *(str(p) for p in loc))
        dotted = ".".join(path) or None
        key = (dotted or "", message)
        if key in seen:
            continue
        seen.add(key)
        if issues and issues[-1].field == dotted and message.startswith("Input should be "):
            # Another member of the same union: one issue, "a valid string or a valid integer".
            joined = f"{issues[-1].message} or {message.removeprefix('Input should be ')}"
            issues[-1] = replace(issues[-1], message=joined)
            continue
        line = parsed.line_of(tuple(loc)) if parsed else None
        issues.append(Issue(field=dotted, message=message, line=line, file=file))
    return issues


#: Row keys of the outcome's post-checks: a row that does not state them keeps the matrix's.
_POST_CHECK_KEYS: Final = ("outputs", "validators", "max_attempts")


@functools.cache
def _no_requirements() -> StageRequirements:
    """The requirements of a row that states none (models are frozen: one serves every row;
    made on first use, so importing this module builds no schema)."""
    return StageRequirements()


#: Template rows as validated, by their content: most items fill the template alike, and a
#: validated row is a frozen model, so equal rows share one (bounded: cleared when full).
_TEMPLATE_ROWS: dict[Any, StageAssignment] = {}
_TEMPLATE_ROWS_MAX: Final = 4096


def _frozen(value: Any) -> Any:
    """``value`` as a hashable key that tells apart what validation tells apart (``True`` from
    ``1``, a list from a mapping); None for a value that is not plain data."""
    kind = type(value)
    if kind is dict:
        items = [(k, _frozen(v)) for k, v in value.items()]
        if any(type(k) is not str or v is None for k, v in items):
            return None
        return ("map", tuple(sorted(items)))
    if kind is list or kind is tuple:
        parts = tuple(_frozen(v) for v in value)
        return None if any(p is None for p in parts) else (kind.__name__, parts)
    if value is None or kind in (str, int, float, bool):
        return (kind.__name__, value)
    return None


def _template_assignment(row: dict[str, Any]) -> StageAssignment:
    """``row`` (a template row filled from the item) validated, shared with equal rows."""
    key = _frozen(row)
    if key is None:
        return StageAssignment.model_validate(row)
    found = _TEMPLATE_ROWS.get(key)
    if found is None:
        found = StageAssignment.model_validate(row)  # an invalid row raises: nothing kept
        if len(_TEMPLATE_ROWS) >= _TEMPLATE_ROWS_MAX:
            _TEMPLATE_ROWS.clear()
        _TEMPLATE_ROWS[key] = found
    return found


def build_stages(
    fields: WorkItemFields,
    explicit: Mapping[str, StageAssignment],
    requirements: Mapping[str, StageRequirements],
    explicit_source: str,
    matrix: Matrix = DEFAULT_MATRIX,
) -> tuple[ResolvedStage, ...]:
    """All seven rows: the WRK's own where given, else the template (``matrix``) with its
    legacy fields."""
    rows = []
    for stage in STAGE_IDS:
        template_row, template_origin = derive_row(stage, fields, matrix)
        given = explicit.get(stage)
        if given is None:
            assignment = _template_assignment(template_row)
            origin = dict(template_origin)
        else:
            assignment = given
            origin = {name: explicit_source for name in given.model_fields_set}
            template = _template_assignment(template_row)
            if given.gates is None:
                assignment = assignment.model_copy(update={"gates": template.gates})
                origin["gates"] = "template"
            for key in _POST_CHECK_KEYS:  # the matrix's post-checks hold unless restated
                if key not in given.model_fields_set and key in template.model_fields_set:
                    assignment = assignment.model_copy(update={key: getattr(template, key)})
                    origin[key] = "template"
        rows.append(
            ResolvedStage(
                stage=stage,
                assignment=assignment,
                requirements=requirements[stage] if stage in requirements else _no_requirements(),
                origin=origin,
                explicit=given is not None,
            )
        )
    return tuple(rows)
