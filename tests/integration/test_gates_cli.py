"""Each built-in gate driven to pass and to its failing outcome through the real command line.

A work queue (a git repository in tmp_path with ``pending/ working/ blocked/ done/``) holds WRK
files; the inventory's hosts are ``ansible_connection: local`` (no ssh), so every ``wrk gate``
runs the real readiness playbook on this machine before the row's named gates. Quota snapshots
and review records are written with ``wrk quota import|record`` and ``wrk review record``; the
snapshot files are the team's real ones (``tests/fixtures/quota/``), re-dated where freshness
matters.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitkit import git as _git

pytestmark = pytest.mark.integration

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]  # the run_wrk fixture (conftest)

REPO_ROOT = Path(__file__).resolve().parents[2]
QUOTA = REPO_ROOT / "tests" / "fixtures" / "quota"
HERE = "box"
LICENSED = "licbox"
EXIT = {"pass": 0, "fail": 1, "pause": 2, "fallback": 3}
#: A hang catcher only (a playbook run on a busy machine), never a timed assertion.
SLOW = 180
#: Legacy fields: every row on ``box``; execute by codex, then claude; claim and close by claude.
LEGACY: dict[str, Any] = {
    "computer": HERE,
    "plan_workstations": [HERE],
    "provider": "codex",
    "provider_alt": "claude",
    "orchestrator": "claude",
}
RI_BODY = "## Sources\n- https://example.org/a\n\n## Legal\nMIT only.\n\n## Summary\nIt works.\n"
PLAN = "# Plan\n## Summary\nWhat.\n## Scope\n- the parser\n## Acceptance Criteria\n- [ ] parses\n"


def _host(**more: Any) -> dict[str, Any]:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "wrk_access": "local",
        "wrk_os": "linux",
        "wrk_agents": ["claude", "codex"],
        **more,
    }


INVENTORY: dict[str, Any] = {
    "all": {
        "children": {
            "linux": {"hosts": {HERE: _host()}},
            "ai_capable": {"hosts": {HERE: None}},
            "licensed": {
                "hosts": {LICENSED: _host(wrk_licenses=[{"feature": "orcaflex", "kind": "flexlm"}])}
            },
        }
    }
}


@dataclass(frozen=True)
class Gated:
    """One ``wrk gate --json`` process."""

    rc: int
    out: dict[str, Any]
    err: str

    @property
    def outcomes(self) -> dict[str, str]:
        return {c["name"]: c["outcome"] for c in self.out["checks"]}

    def check(self, name: str) -> dict[str, Any]:
        found = [c for c in self.out["checks"] if c["name"] == name]
        assert found, f"no check {name}: {json.dumps(self.out['checks'], indent=1)}"
        return found[0]

    def proposals(self) -> list[str]:
        return [p for g in self.out["gaps"] for p in g["proposals"]]


class Queue:
    """A work queue in a git repository, its inventory and its evidence store."""

    def __init__(self, base: Path, run_wrk: RunWrk) -> None:
        self.base = base
        self.root = base / "repo"
        self.queue = self.root / "queue"
        for folder in ("pending", "working", "blocked", "done"):
            (self.queue / folder).mkdir(parents=True)
        _git(self.root, "init", "-q", "-b", "main")
        self.inventory = base / "inventory"
        (self.inventory / "group_vars" / "all").mkdir(parents=True)  # agents: the team's wrk.yml
        (self.inventory / "hosts.yml").write_text(yaml.safe_dump(INVENTORY), encoding="utf-8")
        self.evidence = base / "evidence"
        self.run_wrk = run_wrk

    def write(
        self,
        wrk_id: str,
        folder: str = "pending",
        body: str = "",
        *,
        status: str | None = None,
        name: str | None = None,
        **front: Any,
    ) -> Path:
        data = {"id": wrk_id, "title": f"test {wrk_id}", "status": status or folder, **LEGACY}
        data.update(front)
        path = self.queue / folder / (name or f"{wrk_id}.md")
        text = "---\n" + yaml.safe_dump(data, sort_keys=False) + f"---\n# {wrk_id}\n\n{body}"
        path.write_text(text, encoding="utf-8")
        return path

    def commit(self) -> None:
        _git(self.root, "add", "-A")
        _git(self.root, "commit", "-q", "-m", "queue")

    def wrk(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run_wrk(*args, cwd=self.root, timeout=SLOW)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def _where(self, here: bool = True) -> list[str]:
        return [
            *(["--here", HERE] if here else []),
            "-i",
            str(self.inventory),
            "--evidence-dir",
            str(self.evidence),
        ]

    def gate(self, path: Path, stage: str, *extra: str) -> Gated:
        # a generous probe timeout: a loaded machine must not turn a local host unreachable
        done = self.wrk(
            "gate", str(path), "--stage", stage, *self._where(), "--timeout", "60", "--json", *extra
        )
        assert done.stdout.strip(), done.stderr
        out = json.loads(done.stdout)
        assert done.returncode == EXIT[out["verdict"]], (done.returncode, out["verdict"])
        return Gated(done.returncode, out, done.stderr)

    def review(self, path: Path, stage: str, agent: str, verdict: str = "approve") -> str:
        done = self.wrk(
            "review", "record", str(path), "--stage", stage, "--agent", agent,
            "--verdict", verdict, "--json", *self._where(),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return str(json.loads(done.stdout)["id"])

    def quota_import(self, source: Path) -> dict[str, Any]:
        done = self.wrk("quota", "import", str(source), "--json", *self._where())
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    def quota_record(self, agent: str, used: float, resets: datetime) -> None:
        done = self.wrk(
            "quota", "record", agent, "--used-pct", f"{used:g}",
            "--resets-at", resets.isoformat(), *self._where(),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    def evidence_show(self, record_id: str) -> dict[str, Any]:
        done = self.wrk(
            "evidence", "show", record_id, "--json", "--evidence-dir", str(self.evidence)
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    def contract_show(self, path: Path) -> dict[str, Any]:
        done = self.wrk("contract", "show", str(path), "--json", *self._where(here=False))
        assert done.returncode == 0, done.stderr
        return {row["stage"]: row for row in json.loads(done.stdout)["stages"]}

    def routing_records(self, wrk_id: str) -> list[Path]:
        return [
            p
            for p in (self.evidence / wrk_id).rglob("*.json")
            if json.loads(p.read_text(encoding="utf-8")).get("kind") == "routing"
        ]


@pytest.fixture
def q(tmp_path: Path, run_wrk: RunWrk) -> Queue:
    return Queue(tmp_path, run_wrk)


def fresh_snapshot(
    q: Queue, day: str, resets: Mapping[str, datetime] | None = None, now: datetime | None = None
) -> Path:
    """A copy of a real snapshot file, taken ``now``; each agent resets in 3 days (4 days into
    its week: pacing line 72%) unless ``resets`` says otherwise."""
    data = json.loads((QUOTA / f"agent-quota-{day}.json").read_text(encoding="utf-8"))
    taken = now or datetime.now(UTC)
    data["timestamp"] = taken.isoformat()
    for entry in data["agents"]:
        entry.pop("captured_at", None)
        when = (resets or {}).get(entry["provider"], taken + timedelta(days=3))
        entry["resets_at"] = when.isoformat()
    path = q.base / f"agent-quota-{day}-fresh.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def assert_gap_names(gated: Gated, *needles: str) -> None:
    proposals = gated.proposals()
    for needle in needles:
        assert any(needle in p for p in proposals), (needle, proposals)
    assert all(g["priority"] == "P1" for g in gated.out["gaps"])


# --- resource-intelligence ---------------------------------------------------------------------


def test_resource_intelligence_passes_with_sources_legal_summary(q: Queue) -> None:
    gated = q.gate(q.write("WRK-10", body=RI_BODY), "resource_intelligence")
    assert gated.rc == 0
    assert gated.out["verdict"] == "pass"
    for section in ("sources", "legal", "summary"):
        found = gated.check(f"resource-intelligence:{section}")
        assert (found["outcome"], found["kind"]) == ("pass", "gate")
        assert found["found"] == "in queue/pending/WRK-10.md"
    assert gated.out["gaps"] == []
    assert (gated.out["host"], gated.out["agent"]) == (HERE, "claude")


def test_resource_intelligence_pauses_on_an_empty_legal_section(q: Queue) -> None:
    path = q.write("WRK-11", body=RI_BODY.replace("MIT only.", "TBD"))
    gated = q.gate(path, "resource_intelligence")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    legal = gated.check("resource-intelligence:legal")
    assert (legal["outcome"], legal["found"]) == ("fail", "empty")
    assert "no non-empty '## Legal' section" in legal["reason"]
    assert gated.outcomes["resource-intelligence:sources"] == "pass"
    [gap] = gated.out["gaps"]
    assert "## Legal" in gap["summary"]
    assert_gap_names(gated, f"wrk gate {path} --stage resource_intelligence")


def test_resource_intelligence_reads_the_spec_ref_and_fails_outside_the_repo(q: Queue) -> None:
    spec = q.root / "specs" / "WRK-12.md"
    spec.parent.mkdir()
    spec.write_text("## Sources\n- a\n## Legal\nok\n", encoding="utf-8")
    inside = q.write("WRK-12", body="## Summary\nshort\n", spec_ref="specs/WRK-12.md")
    gated = q.gate(inside, "resource_intelligence")
    assert gated.rc == 0
    assert gated.check("resource-intelligence:legal")["found"] == "in specs/WRK-12.md"
    outside = q.write("WRK-13", body=RI_BODY, spec_ref="../../outside.md")
    refused = q.gate(outside, "resource_intelligence")
    assert (refused.rc, refused.out["verdict"]) == (1, "fail")
    assert "leads outside the repository" in refused.check("spec_ref")["reason"]


# --- plan-schema and plan-html -----------------------------------------------------------------


def _plan(q: Queue, text: str = PLAN, *, html: bool = True) -> tuple[Path, Path]:
    plan = q.root / "plans" / "WRK-20.md"
    plan.parent.mkdir(exist_ok=True)
    plan.write_text(text, encoding="utf-8")
    rendered = plan.with_suffix(".html")
    if html:
        rendered.write_text("<html><body>plan</body></html>", encoding="utf-8")
        stamp = plan.stat().st_mtime
        os.utime(rendered, (stamp + 60, stamp + 60))  # rendered a minute after
    return plan, rendered


def test_plan_schema_and_html_pass(q: Queue) -> None:
    _plan(q)
    gated = q.gate(q.write("WRK-20", plan_ref="plans/WRK-20.md"), "plan_draft")
    assert (gated.rc, gated.out["verdict"]) == (0, "pass")
    assert gated.outcomes["plan-file"] == "pass"
    for section in ("summary", "scope", "acceptance criteria"):
        assert gated.outcomes[f"plan-schema:{section}"] == "pass"
    html = gated.check("plan-html")
    assert (html["outcome"], html["found"]) == ("pass", "newer")
    assert html["required"] == "plans/WRK-20.html newer than plans/WRK-20.md"


def test_plan_html_older_than_the_plan_pauses(q: Queue) -> None:
    plan, rendered = _plan(q)
    stamp = plan.stat().st_mtime
    os.utime(rendered, (stamp - 60, stamp - 60))
    gated = q.gate(q.write("WRK-20", plan_ref="plans/WRK-20.md"), "plan_draft")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    html = gated.check("plan-html")
    assert (html["outcome"], html["found"]) == ("fail", "older")
    assert html["reason"] == "the plan changed after it was rendered"
    assert gated.outcomes["plan-schema:scope"] == "pass"  # only the rendering is behind
    assert any("render plans/WRK-20.md again" in g["summary"] for g in gated.out["gaps"])


def test_plan_without_scope_and_without_html_pauses(q: Queue) -> None:
    _plan(q, PLAN.replace("## Scope\n- the parser\n", ""), html=False)
    gated = q.gate(q.write("WRK-20", plan_ref="plans/WRK-20.md"), "plan_draft")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    assert gated.outcomes["plan-schema:scope"] == "fail"
    assert gated.outcomes["plan-schema:summary"] == "pass"
    html = gated.check("plan-html")
    assert (html["outcome"], html["reason"]) == ("fail", "no HTML rendering")
    assert_gap_names(gated, "write ## Scope in plans/WRK-20.md")


def test_plan_draft_without_a_plan_file_pauses(q: Queue) -> None:
    gated = q.gate(q.write("WRK-21"), "plan_draft")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    assert gated.check("plan-file")["reason"] == "the WRK names no plan file"
    assert_gap_names(gated, "plan_ref")
    # plan-schema and plan-html both need the plan: the check, its gap and the reason once.
    assert [c["name"] for c in gated.out["checks"]].count("plan-file") == 1
    summaries = [g["summary"] for g in gated.out["gaps"]]
    assert summaries.count("WRK-21: no plan file") == 1, summaries
    assert gated.out["reason"].count("the WRK names no plan file") == 1, gated.out["reason"]


def test_a_plan_ref_to_a_missing_file_is_one_check_and_one_gap(q: Queue) -> None:
    gated = q.gate(q.write("WRK-22", plan_ref="plans/WRK-22.md"), "plan_draft")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    assert [c["name"] for c in gated.out["checks"]].count("plan-file") == 1
    summaries = [g["summary"] for g in gated.out["gaps"]]
    assert summaries.count("WRK-22: write the plan plans/WRK-22.md") == 1, summaries
    path = str(q.queue / "pending" / "WRK-22.md")
    table = q.wrk("gate", path, "--stage", "plan_draft", *q._where(), "--timeout", "60")
    assert table.stdout.count("write the plan plans/WRK-22.md") == 1, table.stdout


# --- review-runs-complete ----------------------------------------------------------------------


def test_review_runs_complete_after_each_reviewer_recorded(q: Queue) -> None:
    path = q.write("WRK-30")
    first = q.gate(path, "plan_review")
    assert (first.rc, first.out["verdict"]) == (2, "pause")
    assert {a: first.outcomes[f"review-run:{a}"] for a in ("claude", "codex", "gemini")} == {
        "claude": "fail",
        "codex": "fail",
        "gemini": "fail",
    }
    assert_gap_names(first, f"wrk review record {path} --stage plan_review --agent gemini")
    q.review(path, "plan-review", "claude")
    q.review(path, "plan_review", "codex", "changes")  # a run, whatever its verdict
    waiting = q.gate(path, "plan_review")
    assert waiting.rc == 2
    assert waiting.outcomes["review-run:codex"] == "pass"
    assert waiting.check("review-run:gemini")["reason"] == "gemini has not recorded a review"
    assert "gemini" in waiting.out["gaps"][0]["summary"]
    review_id = q.review(path, "plan_review", "gemini")
    done = q.gate(path, "plan_review")
    assert (done.rc, done.out["verdict"]) == (0, "pass")
    assert review_id in done.check("review-run:gemini")["found"]
    assert done.out["hosts"] == [HERE]  # group ai_capable, count 1


# --- quota-snapshot and routing-evidence -------------------------------------------------------


def test_claim_without_a_snapshot_pauses_naming_the_commands(q: Queue) -> None:
    path = q.write("WRK-40")
    gated = q.gate(path, "claim")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    for agent in ("codex", "claude"):
        found = gated.check(f"quota:{agent}")
        assert (found["outcome"], found["reason"]) == ("fail", "no snapshot recorded")
    assert gated.check("routing")["reason"] == "routing needs a fresh quota snapshot"
    assert gated.outcomes["queue-status"] == "pass"  # the template's claim row checks the queue
    assert_gap_names(gated, "wrk quota record codex --used-pct N", "wrk quota import")
    assert q.routing_records("WRK-40") == []


def test_claim_on_a_stale_real_snapshot_pauses(q: Queue) -> None:
    imported = q.quota_import(QUOTA / "agent-quota-2026-03-01.json")  # as the team wrote it
    gated = q.gate(q.write("WRK-41"), "claim")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    stale = gated.check("quota:claude")
    assert stale["outcome"] == "fail"
    assert stale["reason"] == f"stale ({imported['id']})"
    assert stale["found"].endswith("h old")
    assert_gap_names(gated, "wrk quota record claude", "wrk quota import")
    assert q.routing_records("WRK-41") == []


def test_claim_on_a_fresh_snapshot_routes_and_later_rows_find_it(q: Queue) -> None:
    path = q.write(
        "WRK-42",
        stage_assignments={
            "execute": {
                "primary": "codex",
                "secondary": "claude",
                "workstations": [HERE],
                "gates": ["machine-readiness", "routing-evidence"],
            }
        },
    )
    before = q.gate(path, "execute")
    assert (before.rc, before.out["verdict"]) == (2, "pause")
    assert before.check("routing-evidence")["reason"] == "the work was never routed"
    assert_gap_names(before, f"wrk gate {path} --stage claim")
    q.quota_import(fresh_snapshot(q, "2026-03-01"))  # claude 5%, codex 21% used
    claim = q.gate(path, "claim")
    assert (claim.rc, claim.out["verdict"]) == (0, "pass")
    assert claim.outcomes["quota:claude"] == claim.outcomes["quota:codex"] == "pass"
    assert claim.check("routing")["found"] == f"primary codex, secondary claude on {HERE}"
    recorded = claim.check("routing-evidence")
    assert recorded["outcome"] == "pass"
    assert recorded["found"] in claim.out["evidence"]
    after = q.gate(path, "execute")
    assert (after.rc, after.out["verdict"]) == (0, "pass")
    assert after.check("routing-evidence")["found"] == f"{recorded['found']}: primary codex"
    assert after.out["agent"] == "codex"


def test_two_snapshots_route_past_the_agent_over_its_pacing_line(q: Queue) -> None:
    """codex (74% used, 3 days into its week: line 54%) is past its line in the imported real
    snapshot; claude's newer reading (20%) comes from `wrk quota record`: claude is routed."""
    now = datetime.now(UTC)
    in_4_days = now + timedelta(days=4)
    snapshot = q.quota_import(fresh_snapshot(q, "2026-02-22", {"codex": in_4_days}, now))
    q.quota_record("claude", 20, in_4_days)
    path = q.write("WRK-43")  # execute: codex, then claude, on box
    claim = q.gate(path, "claim")
    assert (claim.rc, claim.out["verdict"]) == (0, "pass")
    assert claim.check("routing")["found"] == f"primary claude, secondary - on {HERE}"
    routing_id = claim.check("routing-evidence")["found"]
    assert claim.out["evidence"] == [routing_id, claim.out["evidence"][-1]]
    shown = q.evidence_show(routing_id)
    assert shown["record"]["kind"] == "routing"
    body = shown["record"]["body"]
    assert (body["primary"], body["secondary"], body["host"]) == ("claude", None, HERE)
    assert body["for_stage"] == "execute"
    assert body["candidates"] == ["codex", "claude"]
    assert body["passed_over"]["codex"].startswith("past its weekly pacing line: used 74%")
    assert "allowed 54" in body["passed_over"]["codex"]
    assert body["reasons"]["claude"].startswith("chosen as primary: within its weekly pacing")
    by_agent = {s["agents"]: s for s in body["snapshots"]}
    assert by_agent["codex"]["id"] == snapshot["id"]
    assert by_agent["codex"]["sha256"] == snapshot["sha256"]
    recorded = by_agent["claude"]
    assert recorded["id"] != snapshot["id"]
    assert recorded["sha256"] == q.evidence_show(recorded["id"])["sha256"]
    # the later execute gate runs as the routed agent, not the declared primary (codex)
    execute = q.gate(path, "execute")
    assert execute.rc == 0
    assert execute.out["agent"] == "claude"
    assert execute.out["stages"][0]["agent"] == "claude"
    rows = q.contract_show(path)
    assert rows["execute"]["chosen_agent"] == "claude"
    assert rows["execute"]["routing_record"] == routing_id
    assert rows["execute"]["chosen_hosts"] == [HERE]
    assert rows["execute"]["verdict"] == "pass"
    assert rows["execute"]["gate_record"] == execute.out["evidence"][-1]
    assert rows["claim"]["verdict"] == "pass"
    assert (rows["claim"]["chosen_agent"], rows["claim"]["chosen_hosts"]) == ("claude", [HERE])
    never = rows["close"]
    assert [never[k] for k in ("chosen_agent", "chosen_hosts", "verdict", "decided_at")] == [
        None,
        None,
        None,
        None,
    ]


def test_contract_show_text_names_the_chosen_agent_and_host(q: Queue) -> None:
    path = q.write("WRK-44", body=RI_BODY)
    untouched = q.wrk("contract", "show", str(path), "-i", str(q.inventory))
    assert untouched.returncode == 0, untouched.stderr
    assert q.gate(path, "resource_intelligence").rc == 0
    shown = q.wrk(
        "contract", "show", str(path), "-i", str(q.inventory), "--evidence-dir", str(q.evidence)
    )
    assert shown.returncode == 0, shown.stderr
    line = next(x for x in shown.stdout.splitlines() if "resource_intelligence" in x)
    assert f"pass: claude on {HERE}" in line
    assert "pass: claude" not in untouched.stdout  # no evidence under ./.wrk/evidence


# --- route-policy ------------------------------------------------------------------------------


def test_route_policy_passes_when_another_agent_approved(q: Queue) -> None:
    path = q.write("WRK-50")  # execute by codex (declared), on box (not licensed)
    q.review(path, "impl_review", "claude")
    gated = q.gate(path, "impl_review")
    assert (gated.rc, gated.out["verdict"]) == (0, "pass")
    review = gated.check("route-review")
    assert (review["outcome"], review["found"]) == ("pass", "claude")
    assert "other than codex" in review["required"]
    assert gated.outcomes["route-decomposition"] == "pass"


def test_route_policy_not_reviewed_pauses_self_review_fails(q: Queue) -> None:
    path = q.write("WRK-51")
    waiting = q.gate(path, "impl_review")
    assert (waiting.rc, waiting.out["verdict"]) == (2, "pause")
    assert waiting.check("route-review")["reason"] == "not reviewed yet"
    assert_gap_names(waiting, "--stage impl_review --agent claude")
    q.review(path, "impl_review", "codex")  # the executor approving its own work
    own = q.gate(path, "impl_review")
    assert (own.rc, own.out["verdict"]) == (1, "fail")
    found = own.check("route-review")
    assert found["found"] == "only codex (the executor)"
    assert found["reason"] == "codex reviewed its own work; the policy wants another agent's review"


def test_route_policy_fails_a_licensed_host_on_a_row_that_needs_no_license(q: Queue) -> None:
    path = q.write(
        "WRK-52",
        stage_assignments={"execute": {"primary": "codex", "workstations": [LICENSED]}},
        handoff_evidence_ref=".wrk/evidence/WRK-52",
    )
    q.review(path, "impl_review", "claude")
    gated = q.gate(path, "impl_review")
    assert (gated.rc, gated.out["verdict"]) == (1, "fail")
    misplaced = gated.check("route-licensed:execute")
    assert (misplaced["outcome"], misplaced["host"]) == ("fail", LICENSED)
    assert misplaced["reason"] == f"{LICENSED} is kept for licensed work; execute needs no license"
    decomposed = gated.check("route-decomposition")
    assert decomposed["found"] == f"execute on {LICENSED}"
    assert gated.outcomes["route-review"] == "pass"  # the review alone would pass
    licensed = q.write(
        "WRK-53",
        stage_assignments={"execute": {"primary": "codex", "workstations": [LICENSED]}},
        handoff_evidence_ref=".wrk/evidence/WRK-53",
        machine_capability_requirements={"execute": {"licenses": [{"feature": "orcaflex"}]}},
    )
    q.review(licensed, "impl_review", "claude")
    allowed = q.gate(licensed, "impl_review")
    assert (allowed.rc, allowed.out["verdict"]) == (0, "pass")
    assert allowed.check("route-licensed:execute")["reason"] == "needs orcaflex"


# --- queue-valid ---------------------------------------------------------------------------

#: A close row that names only queue-valid (sync-checks has its own tests below).
QUEUE_ONLY = {"close": {"primary": "claude", "workstations": [HERE], "gates": ["queue-valid"]}}


def test_queue_valid_passes_when_folder_status_and_id_agree(q: Queue) -> None:
    gated = q.gate(q.write("WRK-60", "done", stage_assignments=QUEUE_ONLY), "close")
    assert (gated.rc, gated.out["verdict"]) == (0, "pass")
    assert (gated.outcomes["queue-status"], gated.outcomes["queue-unique-id"]) == ("pass", "pass")
    assert "queue-not-parked" not in gated.outcomes  # only checked at claim


def test_queue_valid_fails_a_status_that_disagrees_with_its_folder(q: Queue) -> None:
    path = q.write("WRK-61", "done", status="pending", stage_assignments=QUEUE_ONLY)
    gated = q.gate(path, "close")
    assert (gated.rc, gated.out["verdict"]) == (1, "fail")
    found = gated.check("queue-status")
    assert (found["outcome"], found["found"]) == ("fail", "pending")
    assert found["reason"] == "status 'pending' does not match its folder done/"
    assert "queue invalid" in gated.out["gaps"][0]["summary"]


def test_queue_valid_fails_a_duplicate_id(q: Queue) -> None:
    path = q.write("WRK-62", "working", stage_assignments=QUEUE_ONLY)
    q.write("WRK-62", "done", name="WRK-62-copy.md")
    gated = q.gate(path, "close")
    assert (gated.rc, gated.out["verdict"]) == (1, "fail")
    found = gated.check("queue-unique-id")
    assert found["reason"] == "WRK-62 is also done/WRK-62-copy.md"
    assert gated.outcomes["queue-status"] == "pass"


def test_a_parked_item_is_refused_at_claim_by_the_template_row(q: Queue) -> None:
    """A derived contract's claim row is the template's: queue-valid refuses the blocked item
    even with fresh quota, and no routing record is left behind for later rows."""
    q.quota_import(fresh_snapshot(q, "2026-03-01"))
    parked = q.write("WRK-63", "blocked")
    gated = q.gate(parked, "claim")
    assert (gated.rc, gated.out["verdict"]) == (1, "fail")
    found = gated.check("queue-not-parked")
    assert (found["outcome"], found["found"]) == ("fail", "blocked")
    assert found["reason"] == "a parked item is refused at claim: activate it first"
    assert gated.outcomes["quota:codex"] == "pass"
    note = gated.check("routing-evidence")
    assert note["outcome"] == "warn"
    assert note["reason"] == "decided but not recorded (queue-valid blocks the row)"
    assert q.routing_records("WRK-63") == []
    assert len(gated.out["evidence"]) == 1  # the gate record only
    claimable = q.gate(q.write("WRK-64", "pending"), "claim")
    assert (claimable.rc, claimable.out["verdict"]) == (0, "pass")
    assert claimable.outcomes["queue-not-parked"] == "pass"
    assert len(q.routing_records("WRK-64")) == 1


def test_an_explicit_claim_row_keeps_the_gates_it_names(q: Queue) -> None:
    q.quota_import(fresh_snapshot(q, "2026-03-01"))
    claim = {"primary": "claude", "workstations": [HERE], "gates": ["quota-snapshot"]}
    gated = q.gate(q.write("WRK-65", "blocked", stage_assignments={"claim": claim}), "claim")
    assert (gated.rc, gated.out["verdict"]) == (0, "pass")
    assert "queue-not-parked" not in gated.outcomes


# --- sync-checks -------------------------------------------------------------------------------


def _tracked(q: Queue) -> Path:
    """The queue pushed to a bare upstream in tmp_path, tracking it."""
    path = q.write("WRK-70", "done")
    q.commit()
    upstream = q.base / "upstream.git"
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(upstream)], check=True, timeout=60
    )
    _git(q.root, "remote", "add", "origin", str(upstream))
    _git(q.root, "push", "-q", "-u", "origin", "main")
    return path


def test_sync_checks_pass_on_a_clean_repo_up_to_date(q: Queue) -> None:
    gated = q.gate(_tracked(q), "close")
    # the default close row names execute-succeeded too (issue 17): with no execute outcome
    # recorded it pauses on that alone, every sync check passing
    assert (gated.rc, gated.out["verdict"]) == (2, "pause"), gated.out["checks"]
    blocking = [c["name"] for c in gated.out["checks"] if c["outcome"] in ("fail", "unknown")]
    assert blocking == ["execute-succeeded"], gated.out["checks"]
    assert gated.check("git-clean")["found"] == "clean"
    upstream = gated.check("git-upstream")
    assert (upstream["outcome"], upstream["found"]) == ("pass", "0 behind")
    assert upstream["required"] == "not behind origin/main"
    # wrk ran in the repository and left it clean (its registry cache is a user cache)
    assert not (q.root / ".wrk" / "cache").exists()
    assert _git(q.root, "status", "--porcelain") == ""


def test_sync_checks_pause_on_a_dirty_repo(q: Queue) -> None:
    path = _tracked(q)
    (q.root / "notes.txt").write_text("not committed\n", encoding="utf-8")
    gated = q.gate(path, "close")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    dirty = gated.check("git-clean")
    assert (dirty["outcome"], dirty["reason"]) == ("fail", "uncommitted changes")
    assert "notes.txt" in dirty["found"]
    assert gated.outcomes["git-upstream"] == "pass"
    assert_gap_names(gated, "commit (or stash) the changes")


def test_sync_checks_pause_when_behind_its_upstream(q: Queue) -> None:
    path = _tracked(q)
    other = q.base / "other"
    subprocess.run(
        ["git", "clone", "-q", str(q.base / "upstream.git"), str(other)], check=True, timeout=60
    )
    (other / "later.txt").write_text("pushed by someone else\n", encoding="utf-8")
    _git(other, "add", "later.txt")
    _git(other, "commit", "-q", "-m", "later")
    _git(other, "push", "-q", "origin", "main")
    _git(q.root, "fetch", "-q", "origin")  # the gate itself never fetches
    gated = q.gate(path, "close")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    behind = gated.check("git-upstream")
    assert (behind["outcome"], behind["found"]) == ("fail", "1 behind")
    assert behind["reason"] == "1 commit(s) on origin/main not merged"
    assert gated.outcomes["git-clean"] == "pass"
    assert_gap_names(gated, "git pull --rebase")


def test_sync_checks_without_upstream_is_unknown_and_pauses(q: Queue) -> None:
    path = q.write("WRK-71", "done")
    q.commit()
    gated = q.gate(path, "close")
    assert (gated.rc, gated.out["verdict"]) == (2, "pause")
    found = gated.check("git-upstream")
    assert (found["outcome"], found["found"]) == ("unknown", "no upstream")
    assert_gap_names(gated, "make sync-checks advisory")


# --- advisory ----------------------------------------------------------------------------------


def test_an_advisory_gate_failure_shows_and_is_recorded_but_never_blocks(q: Queue) -> None:
    close = {
        "primary": "claude",
        "workstations": [HERE],
        "gates": ["queue-valid", {"name": "sync-checks", "advisory": True}],
    }
    path = q.write("WRK-72", "done", stage_assignments={"close": close})
    q.commit()
    (q.root / "dirty.txt").write_text("x\n", encoding="utf-8")
    gated = q.gate(path, "close")
    assert (gated.rc, gated.out["verdict"]) == (0, "pass")
    clean = gated.check("git-clean")
    assert clean["outcome"] == "warn"
    assert clean["reason"] == "advisory: uncommitted changes"
    assert gated.check("git-upstream")["reason"].startswith("advisory: ")
    assert [g["priority"] for g in gated.out["gaps"]] == ["P3"]
    [record_id] = gated.out["evidence"]
    body = q.evidence_show(record_id)["record"]["body"]
    assert body["verdict"] == "pass"
    kept = {c["name"]: c for c in body["checks"]}
    assert kept["git-clean"]["outcome"] == "warn"
    assert body["gaps"][0]["priority"] == "P3"
