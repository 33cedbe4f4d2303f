"""``queue-valid``: the WRK's status folder and its ``status`` agree, its id is unique in the
queue, and a parked (``blocked``) item is refused at claim.

For an issue (no file, no folder) it reads the issue: it is open (at close, closed is done),
and at claim it is routable (no ``skip_if_labeled`` label, not closed: the rules' reasons).
Two ``status:`` labels are a contract error before any gate runs, and a reference is unique by
construction: neither is a check here.

The queue is the folder holding the status folders (``pending/``, ``working/``, ``blocked/``,
``done/``, ``archive/<month>/``) above the WRK. Ids are read from each file's ``id:`` line (and
its file name), without parsing every item's YAML, so a queue of a thousand items stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from wrk_ansible.contract.loader import load_work_item
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.gates.base import STATUS_FOLDERS, GateContext, GateResult, check, gap, result

PARKED: Final = "blocked"
_ID_LINE: Final = re.compile(r"^id:\s*['\"]?([^'\"#\s]+)", re.MULTILINE)
_HEAD_BYTES: Final = 8192


def _status_folder(ctx: GateContext) -> str | None:
    assert ctx.queue_root is not None
    parts = ctx.wrk_path.resolve().relative_to(ctx.queue_root.resolve()).parts
    return parts[0] if len(parts) > 1 else None


def _file_id(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    if not head.startswith("---"):
        return None
    end = head.find("\n---", 3)
    match = _ID_LINE.search(head[: end if end > 0 else None])
    return match.group(1) if match else None


def same_id(queue_root: Path, wrk_id: str, own: Path) -> list[Path]:
    """Other files in the queue with the id ``wrk_id`` (by ``id:`` or by file name)."""
    folded = wrk_id.casefold()
    own_real = own.resolve()
    others = []
    for path in sorted(queue_root.rglob("*.md")):
        if path.resolve() == own_real:
            continue
        stem_match = path.stem.casefold() == folded
        if stem_match or (_file_id(path) or "").casefold() == folded:
            others.append(path)
    return others


def _issue_queue(ctx: GateContext) -> GateResult:
    facts = ctx.contract.issue
    assert facts is not None
    open_ = facts.state.upper() == "OPEN"
    closing = ctx.row.stage == "close"
    checks = [
        check(
            "issue-open",
            "an open issue" + (" (or closed: done)" if closing else ""),
            facts.state.lower(),
            Outcome.PASS if open_ or closing else Outcome.FAIL,
            "open" if open_ else "closed: done" if closing else "the issue is closed",
        ),
    ]
    if ctx.row.stage == "claim":
        held = list(facts.held)
        checks.append(
            check(
                "issue-routable",
                "routable at claim (no skip label)",
                "; ".join(held) or "routable",
                Outcome.FAIL if held else Outcome.PASS,
                "not routable: " + "; ".join(held) if held else "claimable",
            )
        )
    problems = "; ".join(c.reason for c in checks if c.blocking)
    fix = gap(
        f"{ctx.wrk_id}: not claimable: {problems}",
        "reopen the issue or remove the label that holds it, then gate again",
    )
    return result(checks, [fix], fail=True)


def queue_valid(ctx: GateContext) -> GateResult:
    """Folder and status agree, the id is unique, and a parked item is not claimed (an issue:
    open, and routable at claim)."""
    if ctx.contract.issue is not None:
        return _issue_queue(ctx)
    status = load_work_item(ctx.wrk_path).data.get("status")
    status_text = None if status is None else str(status)
    checks: list[Check] = []
    if ctx.queue_root is None:
        found = check(
            "queue-folder",
            "the WRK in a status folder of a work queue",
            str(ctx.wrk_path.parent),
            Outcome.FAIL,
            f"not in a work queue (no {'/'.join(STATUS_FOLDERS)} folder above it)",
        )
        fix = gap(f"{ctx.wrk_id}: not in a work queue", "move it into its queue's status folder")
        return result([found], [fix])
    folder = _status_folder(ctx)
    allowed = STATUS_FOLDERS.get(folder or "", ())
    agree = status_text in allowed
    checks.append(
        check(
            "queue-status",
            f"status {' or '.join(allowed) or '?'} (folder {folder}/)",
            status_text or "none",
            Outcome.PASS if agree else Outcome.FAIL,
            "folder and status agree"
            if agree
            else f"status {status_text!r} does not match its folder {folder}/",
        )
    )
    others = same_id(ctx.queue_root, ctx.wrk_id, ctx.wrk_path)
    shown = ", ".join(str(p.relative_to(ctx.queue_root)) for p in others)
    checks.append(
        check(
            "queue-unique-id",
            f"{ctx.wrk_id} once in the queue",
            shown or "unique",
            Outcome.FAIL if others else Outcome.PASS,
            f"{ctx.wrk_id} is also {shown}" if others else "unique",
        )
    )
    if ctx.row.stage == "claim":
        parked = PARKED in (status_text, folder)
        checks.append(
            check(
                "queue-not-parked",
                "not parked (blocked) at claim",
                status_text or "none",
                Outcome.FAIL if parked else Outcome.PASS,
                "a parked item is refused at claim: activate it first" if parked else "claimable",
            )
        )
    problems = "; ".join(c.reason for c in checks if c.blocking)
    fix = gap(
        f"{ctx.wrk_id}: queue invalid: {problems}",
        "fix the status or move the file to its status folder; give a duplicate a new id",
    )
    return result(checks, [fix], fail=True)
