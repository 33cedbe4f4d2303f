"""What each built-in row gate reads of an issue (docs/gates.md, "On a GitHub issue"): real
issues of the team's July export, under its real rules, with labels and bodies varied."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from _gatekit import TEAM_MATRIX, TEAM_POLICY, outcomes, registry
from _issuekit import july, rules

from wrk_ansible.decision.outcomes import Verdict
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.gates.base import GateContext, gate_context
from wrk_ansible.gates.documents import plan_html, plan_schema, resource_intelligence
from wrk_ansible.gates.queue import queue_valid
from wrk_ansible.gates.routing_policy import load_routing_policy
from wrk_ansible.issues.contract import check_issue
from wrk_ansible.issues.export import WorkIssue
from wrk_ansible.refs import parse_ref

LICENSED = parse_ref("vamseeachanta/digitalmodel#157")  # machine:licensed-win-1, lane:codex


def _issue(**changes: object) -> WorkIssue:
    found = next(i for i in july() if i.ref == LICENSED)
    return dataclasses.replace(found, **changes)  # type: ignore[arg-type]


def _ctx(issue: WorkIssue, stage: str, tmp_path: Path) -> GateContext:
    reg = registry()
    checked = check_issue(issue, rules(), directory=reg, matrix=TEAM_MATRIX)
    contract = checked.result.contract
    assert contract is not None, checked.result.errors
    return gate_context(
        contract, contract.stage(stage), registry=reg, here=reg.get("dev-primary"),
        ledger=Ledger(tmp_path / "ev"), policy=load_routing_policy(TEAM_POLICY),
    )  # fmt: skip


def test_queue_valid_reads_state_and_skip_labels(tmp_path: Path) -> None:
    assert outcomes(queue_valid(_ctx(_issue(), "claim", tmp_path))) == {
        "issue-open": "pass",
        "issue-routable": "pass",
    }
    held = _issue(labels=(*_issue().labels, "wip"))
    result = queue_valid(_ctx(held, "claim", tmp_path))
    assert result.verdict is Verdict.FAIL
    routable = next(c for c in result.checks if c.name == "issue-routable")
    assert routable.reason == "not routable: labelled wip (skip_if_labeled)"
    assert outcomes(queue_valid(_ctx(held, "execute", tmp_path)))["issue-open"] == "pass"
    closed = _issue(state="CLOSED")
    assert queue_valid(_ctx(closed, "execute", tmp_path)).verdict is Verdict.FAIL
    assert queue_valid(_ctx(closed, "close", tmp_path)).verdict is Verdict.PASS  # done


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        ("status:plan-approved", Verdict.PASS),
        ("status:working", Verdict.PASS),
        ("status:plan-review", Verdict.PAUSE),
        (None, Verdict.PAUSE),
    ],
)
def test_plan_schema_reads_the_status_label(
    status: str | None, verdict: Verdict, tmp_path: Path
) -> None:
    labels = tuple(x for x in _issue().labels if not x.startswith("status:"))
    issue = _issue(labels=labels + ((status,) if status else ()))
    result = plan_schema(_ctx(issue, "plan_draft", tmp_path))
    assert result.verdict is verdict
    if verdict is Verdict.PAUSE:
        assert "label it status:plan-approved" in result.gaps[0].proposals[0]


def test_plan_html_is_skipped_saying_why(tmp_path: Path) -> None:
    result = plan_html(_ctx(_issue(), "plan_draft", tmp_path))
    assert result.verdict is Verdict.PASS  # nothing to wait for
    (only,) = result.checks
    assert only.outcome.value == "skipped"  # shown as skipped, never as a pass
    assert only.reason == "skipped for an issue: an issue names no HTML rendering of its plan"


def test_resource_intelligence_reads_the_body(tmp_path: Path) -> None:
    bare = resource_intelligence(
        _ctx(_issue(body="Just a title."), "resource_intelligence", tmp_path)
    )
    assert bare.verdict is Verdict.PAUSE
    assert "in the body of vamseeachanta/digitalmodel#157" in bare.gaps[0].summary
    body = "## Summary\nBenchmark.\n\n## Sources\n- OrcaFlex manual\n\n## Legal\nInternal only.\n"
    full = resource_intelligence(_ctx(_issue(body=body), "resource_intelligence", tmp_path))
    assert full.verdict is Verdict.PASS


def _repo(path: Path, origin: str | None) -> Path:
    import subprocess

    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if origin:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)
    return path


@pytest.mark.parametrize(
    ("origin", "checked"),
    [
        ("https://github.com/vamseeachanta/digitalmodel.git", True),
        ("git@github.com:VamseeAchanta/DigitalModel", True),
        ("https://github.com/vamseeachanta/workspace-hub.git", False),
        (None, False),
    ],
)
def test_sync_checks_an_issue_only_in_a_checkout_of_its_repository(
    origin: str | None, checked: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wrk_ansible.gates.sync import sync_checks

    monkeypatch.chdir(_repo(tmp_path / "checkout", origin))
    result = sync_checks(_ctx(_issue(), "close", tmp_path))
    names = outcomes(result)
    if checked:
        assert "sync-repository" not in names
        assert "git-clean" in names
    else:
        assert names == {"sync-repository": "unknown"}
        assert "not a checkout of vamseeachanta/digitalmodel" in result.checks[0].reason
        assert result.verdict is Verdict.PAUSE


def test_route_policy_takes_the_rules_files_licensed_routing(tmp_path: Path) -> None:
    """#157 is labelled machine:licensed-win-1 and names no license: the team's rules send it
    there, so the licensed-host check warns (no seat reserved) instead of failing it."""
    from wrk_ansible.gates.route_policy import licensed_result

    result = licensed_result(_ctx(_issue(), "impl_review", tmp_path))
    found = {c.name: c for c in result.checks}
    licensed = found["route-licensed:execute"]
    assert licensed.outcome.value == "warn"
    assert "by label machine:licensed-win-1 of the routing rules" in licensed.reason
    assert found["route-decomposition"].outcome.value == "pass"
    assert result.verdict is Verdict.PASS
