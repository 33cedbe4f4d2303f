"""``wrk route --apply``: write the proposed label changes to each issue with gh, one issue at a
time, every attempt recorded as a ``label-change`` record in the issue's evidence chain.

For one issue with a proposal (:mod:`wrk_ansible.issues.changes`):

1. When the proposal came from an export, the issue is read again with gh and proposed again:
   an export may be days old. Nothing left to propose: ``unchanged`` (someone, or an earlier
   run, wrote the labels). A different proposal: ``stale``, nothing written: the labels shown
   by the dry run are the ones approved, and writing others unseen could contradict a label a
   human added since. A read that fails is a ``failed`` attempt (``step: read``).
2. ``gh issue edit --add-label=... --remove-label=...`` (:func:`wrk_ansible.issues.gh.
   edit_labels`). The record says ``applied`` only when gh exited 0; any other answer, or gh
   not running at all, is ``failed`` (``step: edit``) with what gh said.

A failure never stops the next issue. ``unchanged`` and ``stale`` write no record (nothing was
attempted on GitHub). A record that cannot be written after a successful edit is a failure
saying so: the labels are on the issue, the evidence is not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from wrk_ansible.errors import WrkError
from wrk_ansible.evidence.ledger import Ledger, Signer
from wrk_ansible.evidence.records import GhCall, LabelChangeBody, LabelEdit, append
from wrk_ansible.issues.block import parse_block
from wrk_ansible.issues.changes import Change, Proposal, propose
from wrk_ansible.issues.export import WorkIssue
from wrk_ansible.issues.gh import EXPORT_HINT, Edited, edit_labels
from wrk_ansible.issues.labels import route
from wrk_ansible.issues.rules import RoutingRules
from wrk_ansible.refs import IssueRef

Outcome = Literal["applied", "failed", "unchanged", "stale"]
#: Outcomes that make ``wrk route --apply`` exit 1.
FAILED: Final = frozenset({"failed", "stale"})

#: Reads an issue live, now (raises a :class:`WrkError` saying why it cannot).
Reader = Callable[[IssueRef], WorkIssue]
#: ``(OWNER/REPO, number, add, remove)`` -> what gh did.
Editor = Callable[[str, int, Sequence[str], Sequence[str]], Edited]


def _gh_edit(repo: str, number: int, add: Sequence[str], remove: Sequence[str]) -> Edited:
    return edit_labels(repo, number, add=add, remove=remove)


@dataclass(frozen=True)
class Applied:
    """What happened to one issue's proposal."""

    ref: IssueRef
    outcome: Outcome
    message: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    #: The ``label-change`` record written (None: none was).
    record: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "message": self.message,
            "add": list(self.add),
            "remove": list(self.remove),
            "record": self.record,
        }


def _edits(changes: tuple[Change, ...]) -> tuple[LabelEdit, ...]:
    return tuple(LabelEdit(label=c.label, by=c.by, why=c.why) for c in changes)


@dataclass
class Relabeller:
    """Applies proposals for one command: the rules, where records go, who writes them."""

    rules: RoutingRules
    ledger: Ledger
    writer: str
    #: Reads an issue again before writing; None when proposals were made from a live read.
    reread: Reader | None = None
    edit: Editor = _gh_edit
    signer: Signer | None = None
    rules_file: str | None = None
    rules_sha256: str | None = None

    def _record(
        self,
        proposal: Proposal,
        outcome: Literal["applied", "failed"],
        step: Literal["read", "edit"],
        gh: GhCall,
    ) -> str:
        routing = proposal.routing
        body = LabelChangeBody(
            outcome=outcome,
            step=step,
            add=_edits(proposal.add),
            remove=_edits(proposal.remove),
            labels_before=routing.issue.labels,
            machine=routing.machine.value if routing.machine else None,
            machine_by=routing.machine.by if routing.machine else None,
            provider=routing.provider.value if routing.provider else None,
            provider_by=routing.provider.by if routing.provider else None,
            rules_file=self.rules_file,
            rules_sha256=self.rules_sha256,
            gh=gh,
        )
        ref = str(routing.issue.ref)
        return append(self.ledger, ref, self.writer, body, signer=self.signer).id

    def _fresh(self, proposal: Proposal) -> Proposal | Applied:
        """The proposal made again from the issue as gh reads it now, or why not."""
        assert self.reread is not None
        ref = proposal.routing.issue.ref
        labels = proposal.labels()
        add, remove = tuple(labels["add"]), tuple(labels["remove"])
        try:
            issue = self.reread(ref)
        except WrkError as exc:
            message = getattr(exc, "detail", None) or str(exc)
            message = message.removesuffix(EXPORT_HINT)  # an export is what was given
            try:
                record = self._record(proposal, "failed", "read", GhCall(message=message))
            except WrkError as unwritten:
                message += f"; evidence not written: {unwritten}"
                record = None
            return Applied(ref, "failed", message, add, remove, record)
        again = propose(route(issue, self.rules), self.rules, parse_block(issue.body))
        if not again.changes:
            return Applied(ref, "unchanged", "the issue already carries the labels", add, remove)
        if not again.same_as(proposal):
            now = again.labels()
            return Applied(
                ref,
                "stale",
                f"its labels changed since the export: it now proposes add {now['add']} "
                f"remove {now['remove']}; run wrk route again to see it",
                add,
                remove,
            )
        return again

    def apply(self, proposal: Proposal) -> Applied:
        """Write ``proposal`` to its issue (see the module's docstring); never raises for what
        gh or the issue does."""
        ref = proposal.routing.issue.ref
        if not proposal.changes:
            return Applied(ref, "unchanged", "nothing to change")
        if self.reread is not None:
            fresh = self._fresh(proposal)
            if isinstance(fresh, Applied):
                return fresh
            proposal = fresh
        labels = proposal.labels()
        add, remove = tuple(labels["add"]), tuple(labels["remove"])
        try:
            edited = self.edit(ref.slug, ref.number, add, remove)
        except WrkError as exc:  # a label gh could not read as one: refused before gh ran
            edited = Edited(False, None, getattr(exc, "detail", None) or str(exc), ())
        outcome: Literal["applied", "failed"] = "applied" if edited.ok else "failed"
        gh = GhCall(command=edited.command, returncode=edited.returncode, message=edited.message)
        message = edited.message
        try:
            record: str | None = self._record(proposal, outcome, "edit", gh)
        except WrkError as exc:
            record = None
            if edited.ok:
                outcome = "failed"
                message = f"labels written, but the evidence was not: {exc}"
            else:
                message += f"; evidence not written: {exc}"
        return Applied(ref, outcome, message, add, remove, record)
