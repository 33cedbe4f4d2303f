"""The rules file holds a host out of the real ``wrk`` commands, and resume does not bring it back.

A project of its own in a temporary folder: a ``wrk.yml`` naming the team's real rules file
(copied unchanged), an inventory whose host ``held`` answers to ``licensed-win-2`` (the
machine the team's file marks ``available: false``), and a WRK whose execute row runs there.
Both hosts are ``ansible_connection: local``: the one gate that runs a probe runs it on this
machine, and a held host is never contacted at all.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]
REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "tests" / "fixtures" / "github" / "routing-rules-2026-08.yaml"
SLOW = 240  # a hang catcher on a loaded machine, never a timed assertion
HELD = "held is unavailable per rules.yml (machines.licensed-win-2): blocked on wh#3721"


def _local(**more: Any) -> dict[str, Any]:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "wrk_access": "local",
        "wrk_os": "linux",
        "wrk_agents": ["claude"],
        "wrk_tools": ["git"],
        **more,
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "inventory").mkdir(parents=True)
    shutil.copyfile(RULES, root / "rules.yml")
    (root / "wrk.yml").write_text("version: 1\nrouting_rules: rules.yml\n", encoding="utf-8")
    hosts = {"box": _local(), "held": _local(wrk_aliases=["licensed-win-2"])}
    (root / "inventory" / "hosts.yml").write_text(
        yaml.safe_dump({"all": {"hosts": hosts}}), encoding="utf-8"
    )
    front = {
        "id": "WRK-1",
        "title": "runs where the rules file says no",
        "status": "pending",
        "stage_assignments": {"execute": {"primary": "claude", "workstations": ["held"]}},
        "machine_capability_requirements": {"execute": {"tools": ["git"]}},
    }
    (root / "WRK-1.md").write_text(f"---\n{yaml.safe_dump(front)}---\n# WRK-1\n", "utf-8")
    return root


def wrk(run: RunWrk, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run(*args, cwd=root, timeout=SLOW)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def gate(run: RunWrk, root: Path) -> tuple[int, dict[str, Any]]:
    done = wrk(
        run, root, "gate", "WRK-1.md", "--stage", "execute", "--here", "held", "--no-record",
        "--json", "-i", "inventory", "--evidence-dir", "evidence", "--timeout", "60",
    )  # fmt: skip
    out: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, out


def test_the_rules_file_holds_the_host_and_resume_leaves_it_held(
    neutral_wrk: RunWrk, project: Path
) -> None:
    code, out = gate(neutral_wrk, project)
    assert (code, out["verdict"]) == (2, "pause")  # pause: nothing ready, a P1 gap
    (gap,) = out["gaps"]
    assert gap["priority"] == "P1"
    assert f"no ready machine (held: {HELD}" in gap["summary"]
    assert "since 2026-07-31T11:00Z" in gap["summary"]
    assert "held" not in out["readiness"]  # screened out: never contacted

    drained = wrk(neutral_wrk, project, "inventory", "drain", "held", "--reason", "fan", "-i",
                  "inventory")  # fmt: skip
    assert drained.returncode == 0, drained.stderr
    _, both = gate(neutral_wrk, project)
    assert "held is drained: fan; " + HELD in both["gaps"][0]["summary"]

    resumed = wrk(neutral_wrk, project, "inventory", "resume", "held", "-i", "inventory", "--json")
    assert resumed.returncode == 0, resumed.stderr
    said = json.loads(resumed.stdout)
    assert (said["host"], said["action"]) == ("held", "resumed")
    (still,) = said["still_unavailable"]
    assert (still["source"], still["entry"], still["since"]) == (
        "rules.yml",
        "machines.licensed-win-2",
        "2026-07-31T11:00Z",
    )
    assert HELD in resumed.stderr
    assert "resume clears only the inventory's own state" in resumed.stderr

    code, out = gate(neutral_wrk, project)
    assert (code, out["verdict"]) == (2, "pause")  # resume did not bring it back
    summary = out["gaps"][0]["summary"]
    assert HELD in summary
    assert "is drained" not in summary  # the drain is gone; the rules file still holds it

    listed = wrk(neutral_wrk, project, "inventory", "list", "-i", "inventory", "--json")
    hosts = {ws["name"]: ws for ws in json.loads(listed.stdout)["workstations"]}
    assert hosts["held"]["state"] == "active"
    assert hosts["held"]["available"] is False
    assert [u["source"] for u in hosts["held"]["unavailable"]] == ["rules.yml"]
    assert hosts["box"]["available"] is True
    assert hosts["box"]["roster"] is None
    shown = wrk(neutral_wrk, project, "inventory", "show", "held", "-i", "inventory")
    assert "unavailable per rules.yml (inventory: active)" in shown.stdout
    assert "capacity" in shown.stdout
    assert "workstation" in shown.stdout


def test_a_change_to_the_rules_file_is_seen_at_once(neutral_wrk: RunWrk, project: Path) -> None:
    """The registry snapshot holds the inventory alone: the rules file is laid over it on
    every command, so making the machine available again lets the gate run there."""
    code, _ = gate(neutral_wrk, project)  # also writes the snapshot of this inventory
    assert code == 2
    rules = project / "rules.yml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("available: false,", "available: true,"), encoding="utf-8")
    code, out = gate(neutral_wrk, project)
    assert (code, out["verdict"], out["hosts"]) == (0, "pass", ["held"]), out
    assert out["readiness"]["held"]["ready"] is True  # probed, locally


def test_a_broken_rules_file_is_one_message_and_resume_writes_nothing(
    neutral_wrk: RunWrk, project: Path
) -> None:
    rules = project / "rules.yml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("available: false,", "availble: false,"), encoding="utf-8")
    before = (project / "inventory" / "hosts.yml").read_bytes()
    done = wrk(neutral_wrk, project, "inventory", "resume", "held", "-i", "inventory")
    assert done.returncode == 1
    assert "rules.yml:" in done.stderr
    assert "[machines.licensed-win-2.availble]: unknown key 'availble'" in done.stderr
    assert (project / "inventory" / "hosts.yml").read_bytes() == before
    gated = wrk(neutral_wrk, project, "gate", "WRK-1.md", "--stage", "execute", "-i", "inventory")
    assert gated.returncode == 1
    assert "unknown key 'availble'" in gated.stderr
