"""``wrk outcome`` through the real command line: an execute that exits 0 but fails a validator is
recorded as ran, not succeeded (and ``wrk outcome`` exits 1); a close row naming
``execute-succeeded`` then fails naming that outcome record, and a succeeded outcome lets it pass.

A git repository in tmp_path holds a WRK, its own ``wrk.yml`` (validators that are real small
Python commands) and a local inventory (``ansible_connection: local``, never ssh).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import wrkkit
import yaml
from gitkit import git as _git

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = "box"
SLOW = 300  # a hang catcher only


def _host() -> dict[str, Any]:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "wrk_access": "local",
        "wrk_os": "linux",
        "wrk_agents": ["claude", "codex"],
    }


class Repo:
    def __init__(self, base: Path) -> None:
        self.root = base / "repo"
        (self.root / "queue" / "pending").mkdir(parents=True)
        _git(self.root, "init", "-q", "-b", "main")
        self.inventory = base / "inventory"
        self.inventory.mkdir()
        hosts = {"all": {"children": {"linux": {"hosts": {HERE: _host()}}}}}
        (self.inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
        self.evidence = base / "evidence"
        self.config = self.root / "wrk.yml"
        check = (
            "import pathlib, sys; "
            "sys.exit(0 if pathlib.Path('result.txt').read_text() == 'good' else 3)"
        )
        config = {
            "version": 1,
            "agents": [{"name": "claude", "cli": "claude"}, {"name": "codex", "cli": "codex"}],
            "validators": {
                "result-good": {"command": [sys.executable, "-c", check], "timeout": 60}
            },
        }
        self.config.write_text(yaml.safe_dump(config), encoding="utf-8")
        front = {
            "id": "WRK-77",
            "title": "outcome test",
            "status": "pending",
            "stage_assignments": {
                "execute": {
                    "primary": "codex",
                    "workstations": [HERE],
                    "outputs": ["result.txt"],
                    "validators": ["result-good"],
                    "max_attempts": 3,
                },
                "close": {
                    "primary": "claude",
                    "workstations": [HERE],
                    "gates": ["execute-succeeded"],
                },
            },
        }
        self.wrk = self.root / "queue" / "pending" / "WRK-77.md"
        text = "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n# WRK-77\n"
        self.wrk.write_text(text, encoding="utf-8")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        # the suite sets the team's wrk.yml; this repository has its own
        return wrkkit.wrk(self.root, self.config, *args)

    def where(self) -> list[str]:
        return ["--here", HERE, "-i", str(self.inventory), "--evidence-dir", str(self.evidence)]

    def outcome(self, *args: str) -> tuple[int, dict[str, Any]]:
        done = self.run(
            "outcome", str(self.wrk), "--stage", "execute", *args, "--json", *self.where()
        )
        assert done.stdout.strip(), done.stderr
        return done.returncode, json.loads(done.stdout)

    def close_gate(self) -> tuple[int, dict[str, Any]]:
        done = self.run(
            "gate",
            str(self.wrk),
            "--stage",
            "close",
            "--no-record",
            "--json",
            "--timeout",
            "60",
            *self.where(),
        )
        assert done.stdout.strip(), done.stderr
        return done.returncode, json.loads(done.stdout)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def test_exit_0_with_a_failed_validator_ran_but_did_not_succeed_and_close_refuses(
    repo: Repo,
) -> None:
    rc, waiting = repo.close_gate()
    assert (rc, waiting["verdict"]) == (2, "pause")
    assert any("wrk outcome" in p for g in waiting["gaps"] for p in g["proposals"])

    (repo.root / "result.txt").write_text("bad", encoding="utf-8")
    (repo.root / "run.log").write_text("run 1\n", encoding="utf-8")
    rc, failed = repo.outcome("--exit-code", "0", "--log", "run.log")
    assert rc == 1
    body = failed["outcome"]
    assert (body["ran"], body["succeeded"], body["exit_code"]) == (True, False, 0)
    assert (body["attempt"], body["max_attempts"], body["host"]) == (1, 3, HERE)
    assert body["agent"] == "codex"
    assert body["log"]["path"] == "run.log"
    assert body["log"]["size"] == 6
    checks = {c["name"]: c for c in body["post_checks"]}
    assert checks["output:result.txt"]["passed"] is True
    assert checks["validator:result-good"]["passed"] is False
    assert checks["validator:result-good"]["exit_code"] == 3

    rc, refused = repo.close_gate()
    assert (rc, refused["verdict"]) == (1, "fail")
    gate = next(c for c in refused["checks"] if c["name"] == "execute-succeeded")
    assert failed["id"] in gate["reason"]
    assert "validator:result-good" in gate["reason"]
    assert "exit 0" in gate["reason"]

    (repo.root / "result.txt").write_text("good", encoding="utf-8")
    rc, good = repo.outcome("--exit-code", "0")
    assert rc == 0
    assert (good["outcome"]["succeeded"], good["outcome"]["attempt"]) == (True, 2)
    rc, passed = repo.close_gate()
    assert (rc, passed["verdict"]) == (0, "pass"), passed
    gate = next(c for c in passed["checks"] if c["name"] == "execute-succeeded")
    assert good["id"] in gate["found"]


def test_a_non_zero_exit_an_unknown_validator_and_a_log_outside_are_exit_1(repo: Repo) -> None:
    (repo.root / "result.txt").write_text("good", encoding="utf-8")
    rc, crashed = repo.outcome("--exit-code", "2", "--category", "infra")
    assert rc == 1
    assert (crashed["outcome"]["ran"], crashed["outcome"]["succeeded"]) == (True, False)
    assert crashed["outcome"]["category"] == "infra"

    outside = repo.root.parent / "elsewhere.log"
    outside.write_text("x", encoding="utf-8")
    rc, error = repo.outcome("--exit-code", "0", "--log", str(outside))
    assert rc == 1
    assert error["error"]["field"] == "--log"

    repo.wrk.write_text(repo.wrk.read_text().replace("result-good", "no-such"), encoding="utf-8")
    rc, error = repo.outcome("--exit-code", "0")
    assert rc == 1
    message = error["error"]["message"]
    assert "unknown validator 'no-such'" in message
    assert "result-good" in message
    listed = repo.run("evidence", "list", "WRK-77", "--json", "--evidence-dir", str(repo.evidence))
    assert len(json.loads(listed.stdout)) == 1  # only the first outcome was recorded

    done = repo.run("outcome", str(repo.wrk), "--stage", "execute", *repo.where())
    assert done.returncode == 64  # --exit-code is required
