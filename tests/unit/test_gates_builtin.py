"""Each built-in gate driven to pass and to its failing outcome, on tmp repos, queues and
evidence stores."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from _gatekit import LEGACY, NOW, context, outcomes, write_wrk

from wrk_ansible.agents.quota import Reading, snapshot_body
from wrk_ansible.decision.outcomes import Outcome, Verdict
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.gates.claim import claim_routing, quota_snapshot, routing_evidence
from wrk_ansible.gates.documents import plan_html, plan_schema, resource_intelligence
from wrk_ansible.gates.queue import queue_valid
from wrk_ansible.gates.reviews import record_review, review_runs_complete
from wrk_ansible.gates.route_policy import route_policy
from wrk_ansible.gates.sync import sync_checks

RI_BODY = "# T\n\n## Sources\n- https://example.org\n\n## Legal\nMIT only.\n\n## Summary\nDone.\n"
PLAN = "# Plan\n## Summary\nWhat.\n## Scope\n### In\n- a\n## Acceptance Criteria\n- [ ] b\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)  # repository_root() stops here
    return root


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "evidence")


# --- resource-intelligence -------------------------------------------------------------------


def test_resource_intelligence_passes_on_the_wrk_itself(repo: Path, ledger: Ledger) -> None:
    path = write_wrk(repo / "queue", body=RI_BODY)
    result = resource_intelligence(context(path, "resource_intelligence", ledger))
    assert result.verdict is Verdict.PASS
    assert set(outcomes(result).values()) == {"pass"}
    assert all(c.kind == "gate" for c in result.checks)


def test_resource_intelligence_reads_the_spec_ref(repo: Path, ledger: Ledger) -> None:
    spec = repo / "specs" / "plan.md"
    spec.parent.mkdir()
    spec.write_text("---\ntitle: x\n# not a heading\n---\n## SOURCES:\nA\n### Legal\nB\n")
    path = write_wrk(repo / "queue", LEGACY + "spec_ref: specs/plan.md\n", "## 1. Summary\nS\n")
    result = resource_intelligence(context(path, "resource_intelligence", ledger))
    assert result.verdict is Verdict.PASS, result.checks
    found = {c.name: c.found for c in result.checks}
    assert found["resource-intelligence:sources"] == "in specs/plan.md"
    assert found["resource-intelligence:summary"] == "in queue/WRK-900.md"


def test_resource_intelligence_pauses_on_an_empty_section(repo: Path, ledger: Ledger) -> None:
    body = RI_BODY.replace("MIT only.", "TBD <!-- later -->\n### Notes")
    path = write_wrk(repo / "queue", body=body)
    result = resource_intelligence(context(path, "resource_intelligence", ledger))
    assert result.verdict is Verdict.PAUSE
    assert outcomes(result)["resource-intelligence:legal"] == "fail"
    [gap] = result.gaps
    assert gap.priority == "P1"
    assert "## Legal" in gap.summary
    assert any("wrk gate" in p for p in gap.proposals)


def test_resource_intelligence_ignores_headings_in_code(repo: Path, ledger: Ledger) -> None:
    body = "```\n## Sources\nx\n## Legal\ny\n```\n## Summary\nz\n"
    path = write_wrk(repo / "queue", body=body)
    result = resource_intelligence(context(path, "resource_intelligence", ledger))
    assert outcomes(result)["resource-intelligence:sources"] == "fail"
    assert result.verdict is Verdict.PAUSE


def test_resource_intelligence_missing_spec_pauses(repo: Path, ledger: Ledger) -> None:
    path = write_wrk(repo / "queue", LEGACY + "spec_ref: specs/none.md\n", RI_BODY)
    result = resource_intelligence(context(path, "resource_intelligence", ledger))
    assert result.verdict is Verdict.PAUSE
    assert outcomes(result)["spec_ref"] == "fail"


def test_resource_intelligence_spec_outside_the_repo_fails(repo: Path, ledger: Ledger) -> None:
    (repo.parent / "outside.md").write_text(RI_BODY)
    path = write_wrk(repo / "queue", LEGACY + "spec_ref: ../../outside.md\n", RI_BODY)
    result = resource_intelligence(context(path, "resource_intelligence", ledger))
    assert result.verdict is Verdict.FAIL
    assert "outside the repository" in result.checks[0].reason


# --- plan-schema and plan-html ------------------------------------------------------------------


def _plan(repo: Path, text: str = PLAN, ref: str = "plan_ref") -> Path:
    plan = repo / "specs" / "WRK-900" / "plan.md"
    plan.parent.mkdir(parents=True, exist_ok=True)
    plan.write_text(text)
    return write_wrk(repo / "queue", LEGACY + f"{ref}: specs/WRK-900/plan.md\n")


@pytest.mark.parametrize("ref", ["plan_ref", "spec_ref"])
def test_plan_schema_passes(repo: Path, ledger: Ledger, ref: str) -> None:
    result = plan_schema(context(_plan(repo, ref=ref), "plan_draft", ledger))
    assert result.verdict is Verdict.PASS
    assert outcomes(result)["plan-schema:acceptance criteria"] == "pass"


def test_plan_schema_pauses_on_a_missing_section(repo: Path, ledger: Ledger) -> None:
    path = _plan(repo, PLAN.replace("## Scope\n### In\n- a\n", ""))
    result = plan_schema(context(path, "plan_draft", ledger))
    assert result.verdict is Verdict.PAUSE
    assert outcomes(result)["plan-schema:scope"] == "fail"
    assert "## Scope" in result.gaps[0].summary


def test_plan_schema_pauses_without_a_plan(repo: Path, ledger: Ledger) -> None:
    result = plan_schema(context(write_wrk(repo / "queue"), "plan_draft", ledger))
    assert result.verdict is Verdict.PAUSE
    assert "plan_ref" in result.gaps[0].proposals[0]


def test_plan_schema_fails_outside_the_repo(repo: Path, ledger: Ledger) -> None:
    path = write_wrk(repo / "queue", LEGACY + "plan_ref: /etc/passwd\n")
    assert plan_schema(context(path, "plan_draft", ledger)).verdict is Verdict.FAIL


def test_plan_html_newer_passes_older_and_missing_pause(repo: Path, ledger: Ledger) -> None:
    path = _plan(repo)
    plan = repo / "specs" / "WRK-900" / "plan.md"
    ctx = context(path, "plan_draft", ledger)
    missing = plan_html(ctx)
    assert missing.verdict is Verdict.PAUSE
    assert missing.checks[0].found == "missing"
    html = plan.with_suffix(".html")
    html.write_text("<html></html>")
    os.utime(plan, (1_000_000, 1_000_000))
    os.utime(html, (2_000_000, 2_000_000))
    assert plan_html(ctx).verdict is Verdict.PASS
    os.utime(plan, (3_000_000, 3_000_000))
    older = plan_html(ctx)
    assert older.verdict is Verdict.PAUSE
    assert older.checks[0].found == "older"


def test_plan_html_uses_the_frontmatter_ref(repo: Path, ledger: Ledger) -> None:
    (repo / "specs").mkdir()
    (repo / "specs" / "plan.md").write_text(PLAN)
    (repo / "out.html").write_text("<p>")
    front = LEGACY + "plan_ref: specs/plan.md\nplan_html_ref: out.html\n"
    result = plan_html(context(write_wrk(repo / "queue", front), "plan_draft", ledger))
    assert result.verdict is Verdict.PASS
    assert "out.html" in (result.checks[0].required or "")


# --- review-runs-complete -------------------------------------------------------------------


def test_review_runs_complete(repo: Path, ledger: Ledger) -> None:
    ctx = context(write_wrk(repo / "queue"), "plan_review", ledger)
    record_review(
        ledger, "WRK-900", "dev-primary", stage="plan_review", agent="claude", verdict="approve"
    )
    record_review(
        ledger, "WRK-900", "dev-secondary", stage="plan_review", agent="codex", verdict="changes"
    )
    record_review(
        ledger, "WRK-900", "dev-primary", stage="plan_draft", agent="gemini", verdict="approve"
    )
    waiting = review_runs_complete(ctx)
    assert waiting.verdict is Verdict.PAUSE
    assert outcomes(waiting)["review-run:gemini"] == "fail"
    assert outcomes(waiting)["review-run:codex"] == "pass"  # a run, whatever its verdict
    assert any("--agent gemini" in p for p in waiting.gaps[0].proposals)
    record_review(
        ledger, "WRK-900", "dev-primary", stage="plan_review", agent="gemini", verdict="approve"
    )
    assert review_runs_complete(ctx).verdict is Verdict.PASS


# --- quota-snapshot and routing-evidence ----------------------------------------------------------


def _quota(ledger: Ledger, *readings: tuple[str, float | None], age_hours: float = 1) -> str:
    taken = NOW - timedelta(hours=age_hours)
    body = snapshot_body(
        [Reading(a, "weekly", used, NOW + timedelta(days=4), taken) for a, used in readings],
        {"command": "test"},
    )
    return ledger.append("_quota", "dev-primary", "quota", body).id


def test_quota_snapshot_missing_stale_fresh(repo: Path, ledger: Ledger) -> None:
    ctx = context(write_wrk(repo / "queue"), "claim", ledger)
    missing = quota_snapshot(ctx)
    assert missing.verdict is Verdict.PAUSE
    assert outcomes(missing) == {"quota:codex": "fail", "quota:claude": "fail"}
    assert any(p.startswith("wrk quota record codex --used-pct") for p in missing.gaps[0].proposals)
    _quota(ledger, ("codex", 10.0), ("claude", 10.0), age_hours=30)
    assert quota_snapshot(ctx).verdict is Verdict.PAUSE  # stale: 30 h > 24 h
    _quota(ledger, ("codex", 10.0), ("claude", None))
    fresh = quota_snapshot(ctx)
    assert fresh.verdict is Verdict.PASS
    assert outcomes(fresh) == {"quota:codex": "pass", "quota:claude": "warn"}


def test_claim_with_two_snapshots_routes_past_the_paced_out_agent(
    repo: Path, ledger: Ledger
) -> None:
    path = write_wrk(repo / "queue")  # execute: codex, then claude, on dev-primary
    first = _quota(ledger, ("codex", 74.0), age_hours=2)  # 3 days in: line at 54%
    second = _quota(ledger, ("claude", 20.0), age_hours=1)
    result = routing_evidence(context(path, "claim", ledger))
    assert result.verdict is Verdict.PASS
    [record_id] = result.evidence
    record = ledger.get(record_id)
    assert record.kind == "routing"
    body = record.body
    assert (body["primary"], body["secondary"], body["host"]) == ("claude", None, "dev-primary")
    assert body["passed_over"]["codex"].startswith("past its weekly pacing line: used 74%")
    assert {s["id"] for s in body["snapshots"]} == {first, second}
    assert all(len(s["sha256"]) == 64 for s in body["snapshots"])
    assert body["snapshots"][0]["sha256"] == ledger.get(body["snapshots"][0]["id"]).sha256
    # later rows find it
    later = routing_evidence(context(path, "execute", ledger))
    assert later.verdict is Verdict.PASS
    assert record_id in (later.checks[0].found or "")


def test_routing_evidence_missing_at_a_later_row_pauses(repo: Path, ledger: Ledger) -> None:
    result = routing_evidence(context(write_wrk(repo / "queue"), "execute", ledger))
    assert result.verdict is Verdict.PAUSE
    assert "--stage claim" in result.gaps[0].proposals[0]


def test_claim_without_fresh_quota_or_agents_pauses_and_writes_nothing(
    repo: Path, ledger: Ledger
) -> None:
    path = write_wrk(repo / "queue")
    assert routing_evidence(context(path, "claim", ledger)).verdict is Verdict.PAUSE
    _quota(ledger, ("codex", 99.0), ("claude", 99.0))
    outcome, body = claim_routing(context(path, "claim", ledger))
    assert outcome.verdict is Verdict.PAUSE
    assert body is None
    assert "past its weekly pacing line" in outcome.checks[0].reason
    assert not [r for r in ledger.records("WRK-900") if r.kind == "routing"]


def test_claim_no_record_decides_but_writes_nothing(repo: Path, ledger: Ledger) -> None:
    _quota(ledger, ("codex", 1.0), ("claude", 1.0))
    ctx = context(write_wrk(repo / "queue"), "claim", ledger, record=False)
    result = routing_evidence(ctx)
    assert result.verdict is Verdict.PASS
    assert outcomes(result)["routing-evidence"] == "warn"
    assert ledger.records("WRK-900") == []


# --- route-policy -------------------------------------------------------------------


def _executed_by(ledger: Ledger, agent: str) -> None:
    ledger.append("WRK-900", "dev-primary", "gate", {"stage": "execute", "agent": agent})


def test_route_policy_passes_with_another_agents_approval(repo: Path, ledger: Ledger) -> None:
    path = write_wrk(repo / "queue")
    _executed_by(ledger, "codex")
    record_review(
        ledger, "WRK-900", "dev-primary", stage="impl_review", agent="claude", verdict="approve"
    )
    result = route_policy(context(path, "impl_review", ledger))
    assert result.verdict is Verdict.PASS, result.checks
    assert outcomes(result)["route-review"] == "pass"
    assert outcomes(result)["route-decomposition"] == "pass"


def test_route_policy_self_review_fails_no_review_pauses(repo: Path, ledger: Ledger) -> None:
    path = write_wrk(repo / "queue")
    ctx = context(path, "impl_review", ledger)
    nothing = route_policy(ctx)
    assert nothing.verdict is Verdict.PAUSE
    # no execute gate record: the execute row's primary (codex) is the executor
    assert "codex" in (nothing.checks[0].required or "")
    assert any("--agent claude" in p for p in nothing.gaps[0].proposals)
    record_review(
        ledger, "WRK-900", "dev-primary", stage="impl_review", agent="codex", verdict="approve"
    )
    selfish = route_policy(ctx)
    assert selfish.verdict is Verdict.FAIL
    assert "reviewed its own work" in selfish.checks[0].reason
    record_review(
        ledger, "WRK-900", "dev-primary", stage="impl_review", agent="gemini", verdict="changes"
    )
    assert route_policy(ctx).verdict is Verdict.PAUSE


LICENSED = (
    "handoff_evidence_ref: ev\nstage_assignments:\n  execute:\n    primary: codex\n"
    "    workstations: [licensed-win-1]\n"
)


def test_route_policy_refuses_a_licensed_host_without_a_license_need(
    repo: Path, ledger: Ledger
) -> None:
    path = write_wrk(repo / "queue", LICENSED)
    record_review(
        ledger, "WRK-900", "dev-primary", stage="impl_review", agent="claude", verdict="approve"
    )
    result = route_policy(context(path, "impl_review", ledger))
    assert result.verdict is Verdict.FAIL
    bad = [c for c in result.checks if c.outcome is Outcome.FAIL]
    assert {c.name for c in bad} == {"route-licensed:execute", "route-decomposition"}
    assert bad[0].host == "ace-win-1"
    assert "execute on ace-win-1" in result.gaps[-1].summary


def test_route_policy_allows_the_licensed_stage_only(repo: Path, ledger: Ledger) -> None:
    needs = "machine_capability_requirements:\n  execute:\n    licenses: [{feature: orcaflex}]\n"
    path = write_wrk(repo / "queue", LICENSED + needs)
    record_review(
        ledger, "WRK-900", "dev-primary", stage="impl_review", agent="claude", verdict="approve"
    )
    assert route_policy(context(path, "impl_review", ledger)).verdict is Verdict.PASS
    mixed = LICENSED + "  plan_draft:\n    primary: codex\n    workstations: [ace-win-1]\n" + needs
    path = write_wrk(repo / "queue", mixed)
    result = route_policy(context(path, "impl_review", ledger))
    assert result.verdict is Verdict.FAIL
    assert outcomes(result)["route-licensed:plan_draft"] == "fail"
    assert outcomes(result)["route-licensed:execute"] == "pass"


def test_route_policy_checks_the_hosts_a_group_row_chose(repo: Path, ledger: Ledger) -> None:
    path = write_wrk(repo / "queue")
    _executed_by(ledger, "codex")
    record_review(
        ledger, "WRK-900", "dev-primary", stage="impl_review", agent="claude", verdict="approve"
    )
    ctx = context(path, "impl_review", ledger, hosts=("ace-win-1",))
    assert outcomes(route_policy(ctx))["route-licensed:impl_review"] == "fail"


# --- queue-valid -------------------------------------------------------------------


def test_queue_valid_passes_in_its_folder(tmp_path: Path, ledger: Ledger) -> None:
    path = write_wrk(tmp_path / "queue" / "pending")
    write_wrk(tmp_path / "queue" / "done", name="WRK-901.md", id="WRK-901", status="done")
    result = queue_valid(context(path, "close", ledger))
    assert result.verdict is Verdict.PASS
    assert outcomes(result) == {"queue-status": "pass", "queue-unique-id": "pass"}


def test_queue_valid_archive_month_folder(tmp_path: Path, ledger: Ledger) -> None:
    path = write_wrk(tmp_path / "q" / "archive" / "2026-03", status="archived")
    assert queue_valid(context(path, "close", ledger)).verdict is Verdict.PASS


def test_queue_valid_fails_on_folder_status_mismatch(tmp_path: Path, ledger: Ledger) -> None:
    path = write_wrk(tmp_path / "queue" / "working", status="pending")
    result = queue_valid(context(path, "close", ledger))
    assert result.verdict is Verdict.FAIL
    assert "does not match its folder working/" in result.checks[0].reason


def test_queue_valid_fails_on_a_duplicate_id(tmp_path: Path, ledger: Ledger) -> None:
    path = write_wrk(tmp_path / "queue" / "pending")
    write_wrk(tmp_path / "queue" / "done", name="WRK-900-copy.md", status="done")
    result = queue_valid(context(path, "close", ledger))
    assert result.verdict is Verdict.FAIL
    assert outcomes(result)["queue-unique-id"] == "fail"
    assert "done/WRK-900-copy.md" in (result.checks[1].found or "")


def test_queue_valid_refuses_a_parked_item_at_claim(tmp_path: Path, ledger: Ledger) -> None:
    path = write_wrk(tmp_path / "queue" / "blocked", status="blocked")
    assert queue_valid(context(path, "close", ledger)).verdict is Verdict.PASS
    result = queue_valid(context(path, "claim", ledger))
    assert result.verdict is Verdict.FAIL
    assert outcomes(result)["queue-not-parked"] == "fail"


def test_queue_valid_outside_a_queue_pauses(tmp_path: Path, ledger: Ledger) -> None:
    result = queue_valid(context(write_wrk(tmp_path / "loose"), "close", ledger))
    assert result.verdict is Verdict.PAUSE
    assert result.checks[0].name == "queue-folder"


# --- sync-checks -------------------------------------------------------------------


def _git(folder: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main",
         "-C", str(folder), *args],
        check=True, capture_output=True, env=env,
    )  # fmt: skip


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    origin = tmp_path / "origin.git"
    origin.mkdir()
    _git(origin, "init", "--bare")
    root = tmp_path / "work"
    root.mkdir()
    _git(root, "init")
    write_wrk(root / "queue" / "pending")
    _git(root, "add", ".")
    _git(root, "commit", "-m", "wrk")
    return root


def test_sync_checks_without_upstream_is_unknown_and_pauses(git_repo: Path, ledger: Ledger) -> None:
    ctx = context(git_repo / "queue" / "pending" / "WRK-900.md", "close", ledger)
    result = sync_checks(ctx)
    assert result.verdict is Verdict.PAUSE
    assert outcomes(result) == {"git-clean": "pass", "git-upstream": "unknown"}
    assert "advisory" in result.gaps[0].proposals[0]


def test_sync_checks_clean_and_up_to_date_passes_then_behind_and_dirty(
    git_repo: Path, tmp_path: Path, ledger: Ledger
) -> None:
    _git(git_repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    _git(git_repo, "push", "-u", "origin", "main")
    ctx = context(git_repo / "queue" / "pending" / "WRK-900.md", "close", ledger)
    assert sync_checks(ctx).verdict is Verdict.PASS
    other = tmp_path / "other"
    _git(tmp_path, "clone", str(tmp_path / "origin.git"), str(other))
    (other / "x").write_text("x")
    _git(other, "add", "x")
    _git(other, "commit", "-m", "x")
    _git(other, "push")
    _git(git_repo, "fetch")
    behind = sync_checks(ctx)
    assert behind.verdict is Verdict.PAUSE
    assert outcomes(behind)["git-upstream"] == "fail"
    (git_repo / "dirty").write_text("d")
    dirty = sync_checks(ctx)
    assert outcomes(dirty)["git-clean"] == "fail"
    assert "dirty" in (dirty.checks[0].found or "")


def test_sync_checks_refuses_to_vouch_for_another_host(git_repo: Path, ledger: Ledger) -> None:
    path = git_repo / "queue" / "pending" / "WRK-900.md"
    ctx = context(path, "close", ledger, hosts=("dev-secondary",))
    result = sync_checks(ctx)
    assert result.verdict is Verdict.PAUSE
    assert outcomes(result) == {"sync-host": "unknown"}
