"""Write a contract into a work item without touching any byte it already has.

New fields are inserted as text just before the closing ``---``. A round-trip YAML dump would
re-indent lists and rewrite ``key:`` nulls in most real items, so nothing is re-dumped.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from wrk_ansible import __version__
from wrk_ansible.atomic import create_file, replace_file
from wrk_ansible.contract.models import GroupScope, StageAssignment
from wrk_ansible.contract.resolve import Contract, ResolvedStage
from wrk_ansible.contract.template import DEFAULT_MATRIX, ORCHESTRATOR_HOST, Matrix
from wrk_ansible.contract.validate import check_work_item
from wrk_ansible.errors import InputError


@dataclass(frozen=True)
class MigrationPlan:
    """The text a migration would write, and the text it replaces."""

    path: str
    before: str
    after: str
    added_keys: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{self.path}",
                tofile=f"b/{self.path}",
            )
        )


def default_handoff_ref(wrk_id: str) -> str:
    """Where ``wrk`` keeps a WRK's evidence chain by default."""
    return f".wrk/evidence/{wrk_id}"


def _row_data(assignment: StageAssignment) -> dict[str, Any]:
    row: dict[str, Any] = {}
    if assignment.primary:
        row["primary"] = assignment.primary
    if assignment.secondary:
        row["secondary"] = assignment.secondary
    if assignment.agents is not None:
        row["agents"] = assignment.agents if assignment.agents == "any" else list(assignment.agents)
    if assignment.advisory:
        row["advisory"] = list(assignment.advisory)
    ws = assignment.workstations
    if isinstance(ws, GroupScope):
        row["workstations"] = {"group": ws.group, "count": ws.count}
    elif ws is not None:
        row["workstations"] = list(ws)
    if assignment.parallel:
        row["parallel"] = True
    if assignment.fallback:
        row["fallback"] = list(assignment.fallback)
    if assignment.on_unavailable:
        row["on_unavailable"] = assignment.on_unavailable
    if assignment.gates is not None:
        row["gates"] = [
            {"name": g.name, "advisory": True} if g.advisory else g.name for g in assignment.gates
        ]
    return row


def _execute_on(contract: Contract, machine: str) -> Contract:
    """``contract`` with execute placed on ``machine`` (it had no workstations)."""
    stages = tuple(
        replace(row, assignment=row.assignment.model_copy(update={"workstations": (machine,)}))
        if row.stage == "execute"
        else row
        for row in contract.stages
    )
    return replace(contract, stages=stages)


def _as_written(contract: Contract, places: Mapping[str, str]) -> Contract:
    """``contract`` as it reads once every row is written: no row is the template's, and the
    places by role are the machines ``places`` names."""

    def placed(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(places.get(name, name) for name in names))

    def written(row: ResolvedStage) -> ResolvedStage:
        a = row.assignment
        update: dict[str, Any] = {"fallback": placed(a.fallback)}
        if isinstance(a.workstations, tuple):
            update["workstations"] = placed(a.workstations)
        row = replace(row, assignment=a.model_copy(update=update))
        return replace(row, origin={key: "frontmatter" for key in row.origin})

    return replace(contract, stages=tuple(written(row) for row in contract.stages))


def contract_fields(
    contract: Contract,
    *,
    execute_default: str | None = None,
    places: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The new frontmatter fields that make ``contract`` explicit; ``places`` names the
    machines the matrix's places by role are (``$orchestrator_host`` -> a host)."""
    if execute_default and contract.stage("execute").assignment.workstations is None:
        # Before anything else: the default machine decides whether a handoff ref is needed.
        contract = _execute_on(contract, execute_default)
    contract = _as_written(contract, places or {})
    rows = {row.stage: _row_data(row.assignment) for row in contract.stages}
    fields: dict[str, Any] = {"stage_assignments": rows}
    if contract.fields.machine_capability_requirements is None:
        fields["machine_capability_requirements"] = {}
    if contract.multi_machine and not contract.handoff_evidence_ref:
        fields["handoff_evidence_ref"] = default_handoff_ref(contract.wrk_id)
    return fields


def _render(fields: dict[str, Any], newline: str, note: str) -> str:
    text = yaml.safe_dump(fields, sort_keys=False, default_flow_style=None, width=100)
    lines = [f"# {note} (wrk {__version__})", *text.splitlines()]
    return newline.join(lines) + newline


def plan_migration(
    path: str,
    *,
    init: bool = False,
    matrix: Matrix = DEFAULT_MATRIX,
    places: Mapping[str, str] | None = None,
) -> MigrationPlan:
    """What ``migrate`` (or ``init``) would write into ``path``: the rows of ``matrix``, with
    the places by role it names replaced by ``places`` (kept as ``$...`` where unknown);
    ``init`` also puts execute on the orchestrator's machine when the WRK names none.
    Raises on invalid input."""
    result = check_work_item(path, matrix=matrix)
    if result.errors or result.contract is None:
        first = result.errors[0]
        raise InputError(first.message, path=path, field=first.field, line=first.line)
    contract, item = result.contract, result.item
    assert item is not None  # a contract is only built from a loaded item
    before = item.text
    if not contract.derived:
        return MigrationPlan(path, before, before, ())
    fields = contract_fields(
        contract, execute_default=ORCHESTRATOR_HOST if init else None, places=places
    )
    for key in [key for key in fields if key in item.data]:
        # Present but empty (``key:``): inserting it again would repeat the key.
        if key == "machine_capability_requirements":
            del fields[key]  # an empty one already says "nothing declared"
            continue
        raise InputError(
            "is in the frontmatter but empty; fill it in or remove that line, then migrate again",
            path=path,
            field=key,
            line=item.parsed.line_of((key,)),
        )
    note = "execution contract: the configured matrix" if init else "execution contract"
    note += ", derived from legacy fields; review and complete by hand"
    insert = _render(fields, item.newline, note)
    after = before[: item.closing_offset] + insert + before[item.closing_offset :]
    plan = MigrationPlan(path, before, after, tuple(fields))
    _check_after(plan)  # now, so that one such file means no file is written at all
    return plan


def new_work_item_text(wrk_id: str) -> str:
    """A minimal new WRK file for ``wrk contract init`` on a path that does not exist."""
    return f"---\nid: {wrk_id}\ntitle: {wrk_id}\nstatus: pending\n---\n\n# {wrk_id}\n"


def create_new(path: str, text: str) -> bool:
    """Create ``path`` with ``text`` unless it exists (False then): never overwrites a file
    another process created meanwhile."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"cannot write into {folder}: No such file or directory", path=path)
    try:
        create_file(Path(path), text.encode("utf-8"))
    except FileExistsError:
        return False
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=path) from None
    return True


def write_atomically(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` (through a symlink); write errors become InputError."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"cannot write into {folder}: No such file or directory", path=path)
    try:
        replace_file(Path(path), text)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=path) from None


def _check_after(plan: MigrationPlan) -> None:
    """Raise :class:`InputError` unless the migrated text validates."""
    check = check_work_item(plan.path, text=plan.after)  # every row is written: no matrix
    if check.errors:
        first = check.errors[0]
        raise InputError(
            f"the migrated contract would not validate: {first.message}",
            path=plan.path,
            field=first.field,
        )


def apply_migration(plan: MigrationPlan) -> None:
    """Write the plan, after checking that the migrated text validates and that nobody
    changed the file since it was planned (their edit would be lost)."""
    _check_after(plan)
    try:
        with open(plan.path, encoding="utf-8", newline="") as handle:
            current = handle.read().removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot re-read before writing: {exc}", path=plan.path) from None
    if current != plan.before:
        raise InputError("changed since it was read; run migrate again", path=plan.path)
    write_atomically(plan.path, plan.after)
