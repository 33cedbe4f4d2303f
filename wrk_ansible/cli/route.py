"""``wrk route [REF...] [--issues FILE] [--apply]``: per issue, the machine and provider the
rules choose and the label changes they propose; ``--apply`` writes them with gh."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from typing import Any

from wrk_ansible.cli.common import (
    add_json,
    add_recording,
    emit_json,
    note,
)


def register(commands: Any) -> None:
    route = commands.add_parser(
        "route",
        help="the machine and provider the rules choose per issue, and the label changes "
        "they propose (dry run; --apply writes them with gh)",
        description="Route issues through the team's rules file (routing_rules: in wrk.yml) "
        "and print, per issue, the machine and provider chosen, who chose them, and the "
        "labels that would record the choice. Nothing is written without --apply; with it, "
        "each issue's changes are written with gh issue edit, one issue at a time, and each "
        "attempt is recorded as a label-change evidence record. Exit 1 if any issue could "
        "not be read or any change failed.",
    )
    route.add_argument(
        "refs",
        nargs="*",
        metavar="OWNER/REPO#N",
        help="issues to route (from --issues FILE, else read with gh); none with --issues: "
        "every issue of the export(s)",
    )
    route.add_argument(
        "--apply",
        action="store_true",
        help="write the proposed labels with gh issue edit (an issue from an export is read "
        "again with gh first)",
    )
    add_recording(route)
    add_json(route)
    route.set_defaults(handler=run_route)


@dataclass
class Routed:
    """One issue of the command: its check and proposal, or why it could not be read."""

    ref: str
    check: Any = None
    proposal: Any = None
    error: str | None = None
    applied: Any = None

    def as_dict(self) -> dict[str, Any]:
        routing = self.check.routing if self.check is not None else None
        unread = dict.fromkeys(
            ("machine", "host", "provider", "machine_by", "provider_by", "routable", "reason")
        )
        out: dict[str, Any] = {
            "ref": self.ref,
            "url": routing.issue.url if routing else None,
            **(self.check.routed() if self.check is not None else unread),
            "changes": self.proposal.labels() if self.proposal else {"add": [], "remove": []},
            "why": [
                {"label": c.label, "by": c.by, "why": c.why}
                for c in (self.proposal.add + self.proposal.remove if self.proposal else ())
            ],
            "held": self.proposal.held if self.proposal else None,
            "notes": [
                *(routing.notes if routing else ()),
                *(self.proposal.notes if self.proposal else ()),
            ],
            "errors": [_issue_text(i) for i in (self.check.result.errors if self.check else ())],
            "error": self.error,
        }
        if self.applied is not None:
            out["applied"] = self.applied.as_dict()
        return out


def _plan(args: argparse.Namespace, source: Any, directory: Any) -> list[Routed]:
    from wrk_ansible.cli.common import check_issue
    from wrk_ansible.errors import InputError, UsageError
    from wrk_ansible.issues.block import parse_block
    from wrk_ansible.issues.changes import propose
    from wrk_ansible.refs import parse_ref

    if args.refs:
        wanted = [parse_ref(ref) for ref in args.refs]  # every reference checked first
        if source.exports:
            len(source.issues)  # a broken export is one error, not one per reference
        issues: list[Any] = []
        for ref in dict.fromkeys(wanted):
            try:
                issues.append(source.get(ref))
            except InputError as exc:  # this issue cannot be read: say so, route the rest
                issues.append(Routed(str(ref), error=exc.detail))
    elif source.exports:
        issues = list(source)
        if not issues:
            raise InputError("the issue export(s) hold no issue", path=", ".join(source.exports))
    else:
        raise UsageError(
            "wrk route: name issues OWNER/REPO#N, or give --issues FILE (or issues: in "
            "wrk.yml) to route every issue of an export (see wrk route --help)"
        )
    out = []
    for issue in issues:
        if isinstance(issue, Routed):
            out.append(issue)
            continue
        checked = check_issue(args, issue, directory)
        errors = [_issue_text(i) for i in checked.result.errors]
        proposal = propose(checked.routing, source.rules, parse_block(issue.body), errors)
        held = _held_host(checked, directory)
        if held and not proposal.held:
            proposal = replace(proposal, notes=(*proposal.notes, held))
        out.append(Routed(str(issue.ref), checked, proposal))
    return out


def _issue_text(issue: Any) -> str:
    return f"{issue.field}: {issue.message}" if issue.field else issue.message


def _held_host(checked: Any, directory: Any) -> str | None:
    """A note when the host the machine resolves to is held unavailable (the gate pauses)."""
    if checked.host is None or directory is None:
        return None
    found = directory.directory.find(checked.host)  # the placed directory's registry
    if found is None or found.available:
        return None
    why = "; ".join(u.text(found.name) for u in found.unavailability)
    return f"its host is held: {why} (its gates pause until it is available)"


def _apply(routed: list[Routed], relabeller: Any) -> None:
    todo = [item for item in routed if item.proposal is not None and item.proposal.changes]
    for number, item in enumerate(todo, 1):
        item.applied = relabeller.apply(item.proposal)
        done = item.applied
        labels = " ".join([f"+{a}" for a in done.add] + [f"-{r}" for r in done.remove])
        where = f" ({done.record})" if done.record else ""
        note(f"wrk: [{number}/{len(todo)}] {item.ref}: {done.outcome} {labels}{where}"
             + (f": {done.message}" if done.outcome != "applied" else ""))  # fmt: skip


def _choice(choice: Any) -> str:
    return f"{choice.value} ({choice.by})" if choice is not None else "-"


def _print(routed: list[Routed]) -> None:
    for item in routed:
        if item.error is not None:
            print(f"{item.ref}  error: {item.error}")
            continue
        routing, proposal = item.check.routing, item.proposal
        host = f" -> {item.check.host}" if item.check.host else ""
        line = f"{item.ref}  machine {_choice(routing.machine)}{host}"
        line += f"  provider {_choice(routing.provider)}"
        if proposal.held:
            line += f"  no change: {proposal.held}"
        elif proposal.changes:
            labels = proposal.labels()
            line += "  " + " ".join([f"+{a}" for a in labels["add"]] +
                                    [f"-{r}" for r in labels["remove"]])  # fmt: skip
        else:
            line += "  no change"
        if item.applied is not None:
            line += f"  [{item.applied.outcome}]"
        print(line)
        for error in item.check.result.errors:
            print(f"    error: {_issue_text(error)}")
        for said in (*routing.notes, *proposal.notes):
            print(f"    note: {said}")


def _summary(routed: list[Routed], *, applying: bool) -> tuple[str, bool]:
    unread = sum(item.error is not None for item in routed)
    proposals = [item.proposal for item in routed if item.proposal is not None]
    changing = [p for p in proposals if p.changes]
    held = sum(p.held is not None for p in proposals)
    labels = sum(len(p.add) + len(p.remove) for p in changing)
    line = (
        f"wrk: {len(routed)} issue(s): {len(changing)} with changes ({labels} label(s)), "
        f"{len(proposals) - len(changing) - held} with none, {held} held (not routable or "
        f"unreadable labels)"
    )
    if unread:
        line += f", {unread} could not be read"
    invalid = sum(bool(item.check.result.errors) for item in routed if item.check is not None)
    if invalid:  # shown and held, as `wrk contract validate` (which exits 1 for them) says
        line += f", {invalid} with contract errors (nothing proposed for them)"
    failed = unread > 0
    if not applying:
        line += "; dry run: nothing written (--apply writes them)"
        return line, failed
    outcomes: dict[str, int] = {}
    for item in routed:
        if item.applied is not None:
            outcomes[item.applied.outcome] = outcomes.get(item.applied.outcome, 0) + 1
            failed = failed or item.applied.failed
    shown = ", ".join(f"{outcomes.get(k, 0)} {k}" for k in ("applied", "unchanged", "stale"))
    line += f"; --apply: {shown}, {outcomes.get('failed', 0)} failed"
    return line, failed


def run_route(args: argparse.Namespace) -> int:
    from wrk_ansible.cli.common import (
        UNCHECKED_NAMES,
        issue_source,
        open_registry,
        placed_directory,
    )

    source = issue_source(args)
    registry = open_registry(args, required=False)
    relabeller = _relabeller(args, source, registry) if args.apply else None
    routed = _plan(args, source, placed_directory(args, registry))
    if relabeller is not None:
        _apply(routed, relabeller)
    if args.json:
        emit_json([item.as_dict() for item in routed])
    else:
        _print(routed)
    if registry is None:
        note(UNCHECKED_NAMES + ": no host is given")
    line, failed = _summary(routed, applying=relabeller is not None)
    note(line)
    return 1 if failed else 0


def _relabeller(args: argparse.Namespace, source: Any, registry: Any) -> Any:
    """What --apply writes with: the writer host and signer are settled before gh runs."""
    import hashlib
    from pathlib import Path

    from wrk_ansible.cli.common import evidence_dir
    from wrk_ansible.cli.gate import _signer
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.here import writer_name
    from wrk_ansible.relabel import Relabeller

    writer = writer_name(registry, args.here)
    signer = _signer(args.sign_key)
    rules = source.rules  # read (and checked) before its bytes are hashed
    digest = None
    if source.rules_path:
        digest = hashlib.sha256(Path(source.rules_path).read_bytes()).hexdigest()
    return Relabeller(
        rules=rules,
        ledger=Ledger.at(evidence_dir(args)),
        writer=writer,
        reread=None if source.live_only else source.read_live,
        signer=signer,
        rules_file=source.rules_path,
        rules_sha256=digest,
    )
