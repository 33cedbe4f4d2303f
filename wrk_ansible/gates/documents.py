"""Gates on the documents a WRK points at: ``resource-intelligence``, ``plan-schema``,
``plan-html``.

For an issue (no file, no frontmatter refs): ``resource-intelligence`` reads the issue body's
sections as it reads a WRK's body; ``plan-schema`` reads the ``status:`` label (the plan is
approved: ``status:plan-approved``, or a later status, ``working`` or ``done``); ``plan-html`` has
no meaning (an issue names no HTML rendering) and is skipped, saying so.

Refs in the frontmatter (``spec_ref``, ``plan_ref``, ``plan_html_ref``, ``html_output_ref``) are
paths relative to the repository root; one that leads outside it is refused (FAIL). A missing
file or section is work not done yet (PAUSE, with a P1 gap saying what to write).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from wrk_ansible.contract.loader import load_work_item
from wrk_ansible.decision.outcomes import Check, Gap, Outcome
from wrk_ansible.gates.base import GateContext, GateResult, check, gap, not_for_issues, result
from wrk_ansible.gates.markdown import section_state, sections, strip_frontmatter
from wrk_ansible.paths import inside
from wrk_ansible.safeyaml import read_text

MAX_DOC_BYTES: Final = 4 * 1024 * 1024
RI_SECTIONS: Final = ("sources", "legal", "summary")
#: What a plan must have (docs/gates.md): a summary, its scope, and how to tell it is done.
PLAN_SECTIONS: Final = ("summary", "scope", "acceptance criteria")
PLAN_REFS: Final = ("plan_ref", "spec_ref")
#: An issue's plan is approved when its status is one of these (``status:`` labels).
PLAN_APPROVED: Final = ("plan-approved", "working", "done")
HTML_REFS: Final = ("plan_html_ref", "html_output_ref")


class _Ref:
    """A frontmatter ref resolved against the repository: its path, or the check refusing it."""

    def __init__(self, ctx: GateContext, key: str, value: Any) -> None:
        self.key, self.value = key, value
        self.path: Path | None = None
        self.refused: Check | None = None
        if not isinstance(value, str) or not value.strip():
            self.refused = check(
                key, "a path relative to the repository", repr(value), Outcome.FAIL, "not a path"
            )
            return
        self.path = inside(ctx.repo_root, value.strip())
        if self.path is None:
            self.refused = check(
                key,
                f"a path inside {ctx.repo_root}",
                value,
                Outcome.FAIL,
                f"{value!r} leads outside the repository; refused",
            )


def _frontmatter(ctx: GateContext) -> tuple[dict[str, Any], str]:
    item = load_work_item(ctx.wrk_path)
    return item.data, item.body


def _first_ref(ctx: GateContext, data: dict[str, Any], keys: tuple[str, ...]) -> _Ref | None:
    for key in keys:
        if data.get(key) not in (None, ""):
            return _Ref(ctx, key, data[key])
    return None


def _show(ctx: GateContext, path: Path) -> str:
    try:
        return str(path.relative_to(ctx.repo_root))
    except ValueError:
        return str(path)


def _read(path: Path) -> str:
    return strip_frontmatter(read_text(str(path), max_bytes=MAX_DOC_BYTES, what="document"))


def _section_checks(
    ctx: GateContext, gate: str, names: tuple[str, ...], docs: list[tuple[Path, str]]
) -> list[Check]:
    found = [(path, sections(text)) for path, text in docs]
    shown = " or ".join(_show(ctx, path) for path, _ in docs)
    checks = []
    for name in names:
        states = [(path, section_state(heads, name)) for path, heads in found]
        where = next((p for p, s in states if s == "present"), None)
        if where is not None:
            checks.append(
                check(
                    f"{gate}:{name}",
                    f"a non-empty '{name}' section",
                    f"in {_show(ctx, where)}",
                    Outcome.PASS,
                    "present",
                )
            )
            continue
        state = "empty" if any(s == "empty" for _, s in states) else "missing"
        checks.append(
            check(
                f"{gate}:{name}",
                f"a non-empty '{name}' section",
                state,
                Outcome.FAIL,
                f"no non-empty '## {name.title()}' section in {shown} ({state})",
            )
        )
    return checks


def _gaps(ctx: GateContext, checks: list[Check], target: str) -> list[Gap]:
    missing = [c.name.split(":", 1)[1].title() for c in checks if c.blocking and ":" in c.name]
    if not missing:
        return [gap(f"{ctx.wrk_id} {ctx.row.stage}: " + "; ".join(c.reason for c in checks))]
    heads = ", ".join(f"## {m}" for m in missing)
    return [
        gap(
            f"{ctx.wrk_id} {ctx.row.stage}: {heads} missing or empty in {target}",
            f"write {heads} in {target}",
            f"then run `wrk gate {ctx.wrk_path} --stage {ctx.row.stage}`",
        )
    ]


def resource_intelligence(ctx: GateContext) -> GateResult:
    """The WRK, or the file its ``spec_ref`` names, has non-empty Sources, Legal and Summary
    sections (each may be in either)."""
    if ctx.contract.issue is not None:
        text = [(ctx.wrk_path, ctx.contract.issue.body)]
        found = _section_checks(ctx, "resource-intelligence", RI_SECTIONS, text)
        return result(found, _gaps(ctx, found, f"the body of {ctx.wrk_id}"))
    data, body = _frontmatter(ctx)
    docs: list[tuple[Path, str]] = [(ctx.wrk_path, body)]
    checks: list[Check] = []
    ref = _first_ref(ctx, data, ("spec_ref",))
    if ref is not None:
        if ref.refused is not None:
            return result([ref.refused], [gap(f"{ctx.wrk_id}: {ref.refused.reason}")], fail=True)
        assert ref.path is not None
        if ref.path.is_file():
            docs.append((ref.path, _read(ref.path)))
        else:
            checks.append(
                check(
                    "spec_ref",
                    "the file spec_ref names",
                    "missing",
                    Outcome.FAIL,
                    f"spec_ref names {ref.value}, which does not exist",
                )
            )
    checks += _section_checks(ctx, "resource-intelligence", RI_SECTIONS, docs)
    target = _show(ctx, docs[-1][0])
    return result(checks, _gaps(ctx, checks, target))


def _plan(ctx: GateContext, data: dict[str, Any]) -> tuple[Path | None, GateResult | None]:
    """The plan file (``plan_ref``, else ``spec_ref``), or the result saying why there is none."""
    ref = _first_ref(ctx, data, PLAN_REFS)
    if ref is None:
        found = check(
            "plan-file", "plan_ref or spec_ref", "none", Outcome.FAIL, "the WRK names no plan file"
        )
        fix = gap(
            f"{ctx.wrk_id}: no plan file",
            "write the plan and name it in the frontmatter as plan_ref (or spec_ref)",
        )
        return None, result([found], [fix])
    if ref.refused is not None:
        return None, result([ref.refused], [gap(f"{ctx.wrk_id}: {ref.refused.reason}")], fail=True)
    assert ref.path is not None
    if not ref.path.is_file():
        found = check(
            "plan-file",
            f"{ref.key} exists",
            "missing",
            Outcome.FAIL,
            f"{ref.key} names {ref.value}, which does not exist",
        )
        return None, result([found], [gap(f"{ctx.wrk_id}: write the plan {ref.value}")])
    return ref.path, None


def plan_schema(ctx: GateContext) -> GateResult:
    """The plan file exists and has non-empty Summary, Scope and Acceptance Criteria (an
    issue: its plan is approved)."""
    if ctx.contract.issue is not None:
        return _issue_plan(ctx)
    data, _ = _frontmatter(ctx)
    plan, refused = _plan(ctx, data)
    if plan is None:
        assert refused is not None
        return refused
    exists = check("plan-file", "a plan file", _show(ctx, plan), Outcome.PASS, "present")
    checks = [exists, *_section_checks(ctx, "plan-schema", PLAN_SECTIONS, [(plan, _read(plan))])]
    return result(checks, _gaps(ctx, checks, _show(ctx, plan)))


def _issue_plan(ctx: GateContext) -> GateResult:
    status = ctx.contract.status
    approved = status is not None and status.casefold() in PLAN_APPROVED
    wanted = " or ".join(f"status:{s}" for s in PLAN_APPROVED)
    found = check(
        "plan-approved",
        wanted,
        f"status:{status}" if status else "no status: label",
        Outcome.PASS if approved else Outcome.FAIL,
        "the plan is approved" if approved else "the issue's plan is not approved yet",
    )
    fix = gap(
        f"{ctx.wrk_id} {ctx.row.stage}: plan not approved ({found.found})",
        "review the plan in the issue and label it status:plan-approved",
        f"then run `wrk gate {ctx.wrk_id} --stage {ctx.row.stage}`",
    )
    return result([found], [fix])


def plan_html(ctx: GateContext) -> GateResult:
    """An HTML rendering of the plan exists and is newer than the plan."""
    if ctx.contract.issue is not None:
        return not_for_issues("plan-html", "an issue names no HTML rendering of its plan")
    data, _ = _frontmatter(ctx)
    plan, refused = _plan(ctx, data)
    if plan is None:
        assert refused is not None
        return refused
    ref = _first_ref(ctx, data, HTML_REFS)
    if ref is not None and ref.refused is not None:
        return result([ref.refused], [gap(f"{ctx.wrk_id}: {ref.refused.reason}")], fail=True)
    html = ref.path if ref is not None and ref.path is not None else plan.with_suffix(".html")
    required = f"{_show(ctx, html)} newer than {_show(ctx, plan)}"
    if not html.is_file():
        found = check("plan-html", required, "missing", Outcome.FAIL, "no HTML rendering")
        why = f"{ctx.wrk_id}: render the plan {_show(ctx, plan)} as {_show(ctx, html)}"
        return result([found], [gap(why)])
    if html.stat().st_mtime_ns < plan.stat().st_mtime_ns:
        found = check(
            "plan-html", required, "older", Outcome.FAIL, "the plan changed after it was rendered"
        )
        return result([found], [gap(f"{ctx.wrk_id}: render {_show(ctx, plan)} again")])
    return result([check("plan-html", required, "newer", Outcome.PASS, "rendered after the plan")])
