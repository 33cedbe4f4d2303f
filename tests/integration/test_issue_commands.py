"""Every command that takes a WRK, on a GitHub issue: the real ``wrk`` CLI over the team's real
exports (tests/fixtures/github), its real rules file (config/routing-rules.yml through the
repository's wrk.yml) and a copy of its real inventory.

In the copy, ``dev-primary`` is this machine (``ansible_connection: local``: the real readiness
playbook runs) and ``ace-win-1`` answers at a loopback port nothing listens on (unreachable at
once; nothing but loopback is contacted).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]

GITHUB = REPO_ROOT / "tests" / "fixtures" / "github"
LATE = GITHUB / "issues-2026-07-27-sample.json"
EARLY = GITHUB / "issues-2026-04-08-sample.json"
LICENSED = "vamseeachanta/digitalmodel#157"  # machine:licensed-win-1, lane:codex
PRIMARY = "vamseeachanta/digitalmodel#180"  # machine:dev-primary, lane:codex
MULTI = "vamseeachanta/workspace-hub#1674"  # machine:multi (closed in the export: reopened here)
BLOCK = """Run the benchmark.

```wrk
machine_capability_requirements:
  execute:
    tools: [git, {name: python3, min_version: '3.8'}]
```
"""


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's inventory: dev-primary local, ace-win-1 unreachable on
    loopback."""
    root = tmp_path_factory.mktemp("issue-fleet")
    inventory = Path(shutil.copytree(REPO_ROOT / "inventory", root / "inventory"))
    with (inventory / "host_vars" / "dev-primary.yml").open("a", encoding="utf-8") as out:
        out.write(f"\nansible_connection: local\nansible_python_interpreter: {sys.executable}\n")
    with (inventory / "host_vars" / "ace-win-1.yml").open("a", encoding="utf-8") as out:
        out.write("\nansible_host: 127.0.0.1\nansible_port: 9\n")
    return inventory


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The late export, with a wrk block in #180's body and #1674 open."""
    issues: list[dict[str, Any]] = json.loads(LATE.read_text(encoding="utf-8"))
    for issue in issues:
        if issue["url"].endswith("/digitalmodel/issues/180"):
            issue["body"] = BLOCK
        if issue["url"].endswith("/workspace-hub/issues/1674"):
            issue["state"] = "OPEN"
    path = tmp_path_factory.mktemp("issue-export") / "issues.json"
    path.write_text(json.dumps(issues), encoding="utf-8")
    return path


def _wrk(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    """``wrk ARGS`` in a fresh process (the suite's environment: the team's wrk.yml)."""
    base = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "200"}
    base.pop("WRK_INVENTORY", None)
    done = subprocess.run(
        [sys.executable, "-m", "wrk_ansible", *args],
        cwd=cwd,
        env=base if env is None else env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _gate(ref: str, stage: str, export: Path, fleet: Path, cwd: Path, *more: str) -> Any:
    return _wrk(
        "gate", ref, "--stage", stage, "--issues", str(export), "-i", str(fleet),
        "--here", "dev-primary", "--json", "--evidence-dir", str(cwd / "evidence"), *more,
        cwd=cwd,
    )  # fmt: skip


def test_an_alias_label_gates_the_inventory_host_it_names(
    export: Path, fleet: Path, tmp_path: Path
) -> None:
    done = _gate(LICENSED, "execute", export, fleet, tmp_path, "--no-record")
    assert done.returncode == 2, done.stderr  # pause: ace-win-1 does not answer
    decision = json.loads(done.stdout)["stages"][0]
    assert {c["host"] for c in decision["checks"] if c["host"]} == {"ace-win-1"}
    assert decision["agent"] == "codex"  # lane:codex
    assert "ace-win-1: unreachable" in decision["gaps"][0]["summary"]


def test_a_wrk_block_names_the_requirements_the_gate_checks(
    export: Path, fleet: Path, tmp_path: Path
) -> None:
    done = _gate(PRIMARY, "execute", export, fleet, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    outcome = json.loads(done.stdout)
    decision = outcome["stages"][0]
    assert decision["verdict"] == "pass"
    assert decision["hosts"] == ["dev-primary"]
    checked = {c["name"]: c for c in decision["checks"] if c["host"] == "dev-primary"}
    assert checked["tool:git"]["outcome"] == "pass"
    assert checked["tool:python3"]["required"] == ">= 3.8"
    assert checked["tool:python3"]["outcome"] == "pass"
    # evidence keyed by the issue: its folder, found again from the reference
    folder = tmp_path / "evidence" / "gh.vamseeachanta.digitalmodel.180"
    assert folder.is_dir()
    assert outcome["recorded"] is True
    ev = ["--evidence-dir", str(tmp_path / "evidence")]
    listed = _wrk("evidence", "list", PRIMARY, *ev, "--json", cwd=tmp_path)
    assert listed.returncode == 0
    kinds = [r["kind"] for r in json.loads(listed.stdout)]
    assert kinds == ["gate"]  # readiness goes to the fleet's _readiness chain
    verified = _wrk("evidence", "verify", PRIMARY, *ev, "-i", str(fleet), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "gh.vamseeachanta.digitalmodel.180/" in verified.stdout
    other = _wrk("evidence", "verify", LICENSED, *ev, "-i", str(fleet), cwd=tmp_path)
    assert other.returncode == 1  # nothing was recorded for #157: not "ok"


def test_a_multi_machine_issue_without_machines_pauses_asking_for_them(
    export: Path, fleet: Path, tmp_path: Path
) -> None:
    done = _gate(MULTI, "execute", export, fleet, tmp_path, "--no-record")
    assert done.returncode == 2, done.stdout + done.stderr
    decision = json.loads(done.stdout)["stages"][0]
    assert decision["verdict"] == "pause"
    assert decision["hosts"] == []
    gap = decision["gaps"][0]
    assert gap["priority"] == "P1"
    assert "multi-machine item (label machine:multi) names no execute machines" in gap["summary"]
    assert "```wrk block" in gap["proposals"][0]


def test_row_gates_read_the_issue(export: Path, fleet: Path, tmp_path: Path) -> None:
    plan = json.loads(_gate(PRIMARY, "plan_draft", export, fleet, tmp_path, "--no-record").stdout)
    checks = {c["name"]: c for c in plan["stages"][0]["checks"]}
    assert checks["plan-approved"]["outcome"] == "fail"  # #180 has no status: label
    assert checks["plan-html"]["outcome"] == "skipped"
    assert "skipped for an issue" in checks["plan-html"]["reason"]
    claim = json.loads(_gate(LICENSED, "claim", export, fleet, tmp_path, "--no-record").stdout)
    names = {c["name"]: c["outcome"] for c in claim["stages"][0]["checks"]}
    assert names["issue-open"] == "pass"
    assert names["issue-routable"] == "pass"


def test_validate_every_issue_of_both_exports(fleet: Path, tmp_path: Path) -> None:
    done = _wrk(
        "contract", "validate", "--issues", str(EARLY), "--issues", str(LATE),
        "--repo", "vamseeachanta/workspace-hub", "-i", str(fleet), "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1  # the real contradictions
    results = json.loads(done.stdout)
    refs = [r["ref"] for r in results]
    assert len(refs) == len(set(refs)) == 217  # 70 + 150, three in both
    # the three both exports hold changed between them: the later file is used, and said
    assert "3 issue(s) differ between exports; the file given last is used" in done.stderr
    invalid = [r for r in results if not r["valid"]]
    assert len(invalid) == 11, invalid
    by_ref = {r["ref"]: r for r in invalid}
    contradiction = by_ref["vamseeachanta/digitalmodel#1247"]["errors"][0]["message"]
    assert "status:plan-approved and status:needs-plan contradict" in contradiction


def test_an_issue_not_in_the_export_and_gh_unreachable(
    export: Path, fleet: Path, tmp_path: Path
) -> None:
    missing = _gate("vamseeachanta/digitalmodel#999999", "execute", export, fleet, tmp_path)
    assert missing.returncode == 1
    assert "not in the issue export(s) given" in missing.stderr
    if shutil.which("gh") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the gh CLI is missing: scripts/system-deps.sh installs it")
        pytest.skip("the gh CLI is missing")
    home = tmp_path / "home"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GH_HOST": "127.0.0.1:9",
        "GH_ENTERPRISE_TOKEN": "not-a-token",
        "WRK_CONFIG": os.environ["WRK_CONFIG"],
        "WRK_CACHE_DIR": os.environ["WRK_CACHE_DIR"],
        "PYTHONPATH": str(REPO_ROOT),
    }
    live = _wrk(
        "gate", "owner/repo#7", "--stage", "execute", "-i", str(fleet), "--here", "dev-primary",
        "--evidence-dir", str(tmp_path / "ev"), cwd=tmp_path, env=env,
    )  # fmt: skip
    assert live.returncode == 1
    assert live.stderr.count("\n") == 1, live.stderr  # one message
    assert "cannot read owner/repo#7: GitHub is unreachable" in live.stderr
    assert not (tmp_path / "ev").exists()  # no verdict, no evidence


def test_report_and_whatif_over_issues(export: Path, fleet: Path, tmp_path: Path) -> None:
    page = tmp_path / "review.html"
    done = _wrk(
        "report", "--issues", str(export), "-i", str(fleet), "-o", str(page), "--json",
        "--evidence-dir", str(tmp_path / "ev"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = page.read_text(encoding="utf-8")
    assert 'href="https://github.com/vamseeachanta/digitalmodel/issues/157"' in html
    assert '<section id="routing">' in html
    assert "label contradiction" in html
    assert "labels lane:codex and lane:claude contradict" in html
    assert "machine licensed-win-1 (label) = ace-win-1 · provider codex (lane)" in html
    whatif = _wrk(
        "whatif", "--issues", str(export), "-i", str(fleet), "--drain", "ace-win-1", "--json",
        "--evidence-dir", str(tmp_path / "ev"), cwd=tmp_path,
    )  # fmt: skip
    assert whatif.returncode == 0, whatif.stderr
    lost = {i["wrk"] for i in json.loads(whatif.stdout)["impacts"]}
    assert LICENSED in lost
    assert PRIMARY not in lost
    assert "vamseeachanta/digitalmodel#531" not in lost  # on ace-win-1 but closed: no load


def test_privacy_omits_titles(export: Path, fleet: Path, tmp_path: Path) -> None:
    config = tmp_path / "wrk.yml"
    team = (REPO_ROOT / "wrk.yml").read_text(encoding="utf-8")
    rules = REPO_ROOT / "config" / "routing-rules.yml"
    config.write_text(
        team.replace("routing_rules: config/routing-rules.yml", f"routing_rules: {rules}").replace(
            "routing_policy: config/routing-policy.yml", ""
        )
        + "\nprivacy: omit_titles\n",
        encoding="utf-8",
    )
    page = tmp_path / "review.html"
    env = {**os.environ, "WRK_CONFIG": str(config), "PYTHONPATH": str(REPO_ROOT)}
    done = _wrk(
        "report", LICENSED, "--issues", str(export), "-i", str(fleet), "-o", str(page),
        "--evidence-dir", str(tmp_path / "ev"), cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = page.read_text(encoding="utf-8")
    assert LICENSED in html
    assert "Benchmark all example models" not in html  # #157's title
    assert "(untitled)" in html


def test_a_report_over_five_thousand_issues_stays_one_small_file(
    fleet: Path, tmp_path: Path
) -> None:
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    import issuegen

    export = issuegen.write(tmp_path / "issues.json", 5000)
    page = tmp_path / "review.html"
    done = _wrk(
        "report", "--issues", str(export), "-i", str(fleet), "-o", str(page),
        "--evidence-dir", str(tmp_path / "ev"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrk report: 5000 item(s)" in done.stderr
    size = page.stat().st_size
    assert size < 4 * 1024 * 1024, size
    html = page.read_text(encoding="utf-8")
    assert html.count('<section class="wrk') == 5000  # every item, summarised
    assert '<section id="shapes">' in html  # the rows drawn once per distinct set
    for external in ("src=", "@import", "url("):
        assert external not in html  # one self-contained file: nothing is fetched


def test_handoff_of_an_issue(export: Path, fleet: Path, tmp_path: Path) -> None:
    ev = ["--evidence-dir", str(tmp_path / "evidence")]
    done = _wrk(
        "handoff", LICENSED, "--from", "dev-primary", "--to", "licensed-win-1",
        "--artifact", str(REPO_ROOT / "README.md"), "--issues", str(export), "-i", str(fleet),
        "--here", "dev-primary", "--json", *ev, cwd=REPO_ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["to"] == "ace-win-1"  # the alias is the host
    assert record["evidence"].startswith("gh.vamseeachanta.digitalmodel.157/dev-primary@")
    assert record["artifacts"][0]["path"] == "README.md"  # inside the checkout wrk runs in
    listed = json.loads(_wrk("evidence", "list", LICENSED, *ev, "--json", cwd=tmp_path).stdout)
    assert [r["kind"] for r in listed] == ["handoff"]
