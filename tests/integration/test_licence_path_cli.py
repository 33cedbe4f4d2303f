"""A license that works only from one dispatch path, through the real command line.

The row needs ``solver-a`` on the ``scheduled-task`` path. A probe (here a local-connection
``ansible-playbook`` run, standing for one over SSH) finds the license file but cannot show it
works on that path: the gate fails saying so. An unsigned ``wrk readiness --local
--dispatch-path scheduled-task`` vouches for nothing; a signed one, by the host's own key, makes
the license licensed there and the gate passes, naming the attestation.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import wrkkit
import yaml
from gitkit import git

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
LICENSE = REPO_ROOT / "tests" / "fixtures" / "licenses" / "flexlm.lic"
SLOW = 300


class World:
    def __init__(self, base: Path) -> None:
        self.root = base / "work"
        (self.root / "queue" / "pending").mkdir(parents=True)
        git(self.root, "init", "-q", "-b", "main")
        self.key = base / "lic_key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lic", "-f", str(self.key)],
            check=True,
            timeout=60,
        )
        host = {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "wrk_access": "local",
            "wrk_os": "linux",
            "wrk_agents": ["codex"],
            "wrk_signing_key": f"{self.key}.pub",
            "wrk_licenses": [{"feature": "aqwa", "kind": "file", "path": str(LICENSE)}],
        }
        inventory = self.root / "inventory"
        inventory.mkdir()
        hosts = {"all": {"children": {"linux": {"hosts": {"lic": host}}}}}
        (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
        config = {
            "version": 1,
            "inventory": "inventory",
            "agents": [{"name": "codex", "cli": "codex"}],
        }
        (self.root / "wrk.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        front = {
            "id": "WRK-50",
            "title": "scheduled task only",
            "status": "pending",
            "stage_assignments": {"execute": {"primary": "codex", "workstations": ["lic"]}},
            "machine_capability_requirements": {
                "execute": {"licenses": [{"feature": "aqwa", "dispatch_path": "scheduled-task"}]}
            },
        }
        self.item = "queue/pending/WRK-50.md"
        text = "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n# WRK-50\n"
        (self.root / self.item).write_text(text, encoding="utf-8")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return wrkkit.wrk(self.root, self.root / "wrk.yml", *args)

    def gate(self) -> tuple[int, dict[str, Any]]:
        done = self.run(
            "gate", self.item, "--stage", "execute", "--here", "lic", "--fresh", "--json"
        )
        assert done.stdout.strip(), done.stderr
        return done.returncode, json.loads(done.stdout)


def license_check(gated: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in gated["checks"] if c["name"] == "license:aqwa")


def test_only_a_signed_attestation_on_the_path_licenses_it(tmp_path: Path) -> None:
    world = World(tmp_path)
    rc, gated = world.gate()
    assert rc != 0
    check = license_check(gated)
    assert check["outcome"] == "fail"
    assert check["data"]["licence_state"] == "present"  # the file is there
    assert "only from the scheduled-task dispatch path" in check["reason"]
    assert "a probe over SSH cannot show it" in check["reason"]
    assert "wrk readiness --local --dispatch-path scheduled-task" in check["reason"]

    unsigned = world.run(
        "readiness", "--local", "--here", "lic", "--dispatch-path", "scheduled-task"
    )
    assert unsigned.returncode == 0, unsigned.stderr
    rc, gated = world.gate()
    assert license_check(gated)["outcome"] == "fail"  # an unsigned attestation vouches for nothing

    signed = world.run(
        "readiness",
        "--local",
        "--here",
        "lic",
        "--dispatch-path",
        "scheduled-task",
        "--sign-key",
        str(world.key),
        "--json",
    )
    assert signed.returncode == 0, signed.stderr
    rc, gated = world.gate()
    assert rc == 0, gated
    check = license_check(gated)
    assert check["outcome"] == "pass"
    assert check["data"]["licence_state"] == "licensed"
    assert check["data"]["attestation"]["dispatch_path"] == "scheduled-task"
    assert check["data"]["attestation"]["source"].startswith("attestation _readiness/lic@")

    refused = world.run("readiness", "--here", "lic", "--dispatch-path", "scheduled-task")
    assert refused.returncode == 64
    assert "--dispatch-path needs --local" in refused.stderr
