"""``wrk route --apply``'s loop for one issue (wrk_ansible/relabel.py), with a stand-in GitHub
(a dict of labels) behind the reader and the editor, and a real evidence ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from _issuekit import july, july_issue, rules

from wrk_ansible.errors import InputError
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.evidence.query import select
from wrk_ansible.evidence.records import LabelChangeBody
from wrk_ansible.issues.block import parse_block
from wrk_ansible.issues.changes import Proposal, propose
from wrk_ansible.issues.export import WorkIssue
from wrk_ansible.issues.gh import Edited
from wrk_ansible.issues.labels import route
from wrk_ansible.refs import IssueRef
from wrk_ansible.relabel import Relabeller

DM = "vamseeachanta/digitalmodel"


class Hub:
    """GitHub's labels, as far as these tests need: read and edit, with a switch to fail."""

    def __init__(self, issues: Sequence[WorkIssue]) -> None:
        self.issues = {issue.ref: issue for issue in issues}
        self.edits: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
        self.fail_read: str | None = None
        self.fail_edit: tuple[int, str] | None = None

    def read(self, ref: IssueRef) -> WorkIssue:
        if self.fail_read:
            raise InputError(self.fail_read, field="gh")
        return self.issues[ref]

    def edit(self, repo: str, number: int, add: Sequence[str], remove: Sequence[str]) -> Edited:
        command = ("issue", "edit", str(number), "-R", repo)
        if self.fail_edit:
            return Edited(False, self.fail_edit[0], self.fail_edit[1], command)
        ref = IssueRef(*repo.split("/"), number)
        self.edits.append((str(ref), tuple(add), tuple(remove)))
        issue = self.issues[ref]
        kept = tuple(label for label in issue.labels if label not in remove)
        self.issues[ref] = replace(issue, labels=kept + tuple(add))
        return Edited(True, 0, f"https://github.com/{repo}/issues/{number}", command)


def _proposal(issue: WorkIssue) -> Proposal:
    return propose(route(issue, rules()), rules(), parse_block(issue.body))


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "evidence", clone="c0ffee00")


def _relabeller(ledger: Ledger, hub: Hub, *, reread: bool = True) -> Relabeller:
    return Relabeller(
        rules=rules(),
        ledger=ledger,
        writer="box1",
        reread=hub.read if reread else None,
        edit=hub.edit,
        rules_file="rules.yaml",
        rules_sha256="0" * 64,
    )


def _bodies(ledger: Ledger, ref: str) -> list[LabelChangeBody]:
    found = select(ledger.records(ref), LabelChangeBody)
    return [typed.body for typed in found]


def _count(ledger: Ledger) -> int:
    return sum(len(ledger.records(wrk)) for wrk in {wrk for wrk, _ in ledger.chains()})


def test_applied_is_recorded_with_who_chose_each_label(ledger: Ledger) -> None:
    issue = july_issue(f"{DM}#1633")
    hub = Hub([issue])
    done = _relabeller(ledger, hub).apply(_proposal(issue))
    assert done.outcome == "applied"
    assert not done.failed
    assert hub.edits == [(f"{DM}#1633", ("machine:licensed-win-1",), ())]
    (body,) = _bodies(ledger, f"{DM}#1633")
    assert body.outcome == "applied"
    assert [(e.label, e.by) for e in body.add] == [("machine:licensed-win-1", "rule 2")]
    assert body.labels_before == issue.labels
    assert (body.machine, body.machine_by, body.provider, body.provider_by) == (
        "licensed-win-1",
        "rule 2",
        "codex",
        "lane",
    )
    assert body.gh.returncode == 0
    assert done.record is not None
    assert done.record.startswith("gh.vamseeachanta.digitalmodel.1633/box1@c0ffee00/")


def test_a_failed_edit_is_recorded_as_failed_never_applied(ledger: Ledger) -> None:
    issue = july_issue(f"{DM}#1642")
    hub = Hub([issue])
    hub.fail_edit = (1, "a label to add does not exist in the repository")
    done = _relabeller(ledger, hub).apply(_proposal(issue))
    assert done.outcome == "failed"
    assert done.failed
    (body,) = _bodies(ledger, f"{DM}#1642")
    assert (body.outcome, body.step, body.gh.returncode) == ("failed", "edit", 1)
    assert "does not exist" in body.gh.message


def test_a_failed_read_is_recorded_and_nothing_is_edited(ledger: Ledger) -> None:
    issue = july_issue(f"{DM}#1642")
    hub = Hub([issue])
    hub.fail_read = "cannot read it: GitHub is unreachable from here (no network)"
    done = _relabeller(ledger, hub).apply(_proposal(issue))
    assert done.outcome == "failed"
    assert hub.edits == []
    (body,) = _bodies(ledger, f"{DM}#1642")
    assert (body.outcome, body.step) == ("failed", "read")
    assert "unreachable" in body.gh.message


def test_an_issue_labelled_since_the_export_is_left_alone(ledger: Ledger) -> None:
    issue = july_issue(f"{DM}#1642")
    hub = Hub([replace(issue, labels=(*issue.labels, "machine:dev-secondary"))])
    done = _relabeller(ledger, hub).apply(_proposal(issue))
    assert done.outcome == "unchanged"
    assert hub.edits == []
    assert _bodies(ledger, f"{DM}#1642") == []


def test_a_proposal_that_changed_since_the_export_is_stale_and_not_written(
    ledger: Ledger,
) -> None:
    # domain:subsea -> rule 4 (dev-primary); someone adds domain:hydro: rule 2 now says
    # licensed-win-1, which the dry run never showed.
    issue = july_issue(f"{DM}#1642")
    hub = Hub([replace(issue, labels=(*issue.labels, "domain:hydro"))])
    done = _relabeller(ledger, hub).apply(_proposal(issue))
    assert done.outcome == "stale"
    assert done.failed
    assert "machine:licensed-win-1" in done.message
    assert hub.edits == []
    assert _bodies(ledger, f"{DM}#1642") == []


def test_labels_written_but_evidence_not_is_a_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    issue = july_issue(f"{DM}#1642")
    hub = Hub([issue])
    done = _relabeller(Ledger(blocker, clone="c0ffee00"), hub).apply(_proposal(issue))
    assert done.outcome == "failed"
    assert "labels written, but the evidence was not" in done.message
    assert hub.edits  # it was written: the message says so


def test_applying_every_real_proposal_twice_changes_nothing_the_second_time(
    ledger: Ledger,
) -> None:
    hub = Hub(july())
    relabeller = _relabeller(ledger, hub)
    first = [relabeller.apply(_proposal(issue)) for issue in july()]
    applied = [d for d in first if d.outcome == "applied"]
    assert len(applied) == 21  # the dry run's count over this export
    records = _count(ledger)
    assert records == 21
    # A rerun from the same (now stale) export: every issue reads as already labelled.
    second = [relabeller.apply(_proposal(issue)) for issue in july()]
    assert {d.outcome for d in second} == {"unchanged"}
    assert len(hub.edits) == 21
    assert _count(ledger) == records
    # And from the issues as they are now: nothing is even proposed.
    assert not any(_proposal(issue).changes for issue in hub.issues.values())


def test_without_a_reread_the_proposal_is_written_as_made(ledger: Ledger) -> None:
    issue = july_issue(f"{DM}#328")
    hub = Hub([issue])
    hub.fail_read = "must not be read"
    done = _relabeller(ledger, hub, reread=False).apply(_proposal(issue))
    assert done.outcome == "applied"


def test_the_source_reads_an_exported_issue_again_live() -> None:
    from _issuekit import JULY

    from wrk_ansible.issues.source import IssueSource

    asked: list[tuple[str, int]] = []

    def live(repo: str, number: int) -> dict[str, object]:
        asked.append((repo, number))
        labels = [{"name": "machine:dev-secondary"}]
        return {"number": number, "state": "OPEN", "labels": labels, "body": "", "title": "t"}

    source = IssueSource(exports=(str(JULY),), live=live)
    ref = IssueRef("vamseeachanta", "digitalmodel", 1642)
    assert "machine:dev-secondary" not in source.get(ref).labels  # the export's
    assert source.read_live(ref).labels == ("machine:dev-secondary",)
    assert asked == [("vamseeachanta/digitalmodel", 1642)]
    assert not source.live_only
    assert IssueSource(live=live).live_only
