"""``wrk readiness import`` and ``wrk health`` through the real command line, over a real
inventory file edited through the locked path. Observations are the team's real ace-win-1
snapshot, dated by hand (a fixed clock: every decision rests on the snapshots' own times), and
the same snapshot with its solvers licensed (a pass against the team's baseline):

- three failing snapshots in a row drain ace-win-1 with a ``health:`` reason naming its
  solvers; two passing ones resume it; every change is a ``health`` record;
- a person's drain survives any number of passes;
- a snapshot of a machine the inventory does not know is refused naming the file and field,
  and nothing is recorded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import wrkkit
import yaml

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "equality"
SNAPSHOT = (FIXTURES / "equality-ace-win-1.yaml").read_text(encoding="utf-8")
SLOW = 300


def _licensed(text: str) -> str:
    for name, was in (
        ("orcaflex", "present"),
        ("orcawave", "absent"),
        ("aqwa", "present"),
        ("ansys", "present"),
    ):
        text = text.replace(f"{{name: {name}, status: {was}", f"{{name: {name}, status: licensed")
    return text


class Fleet:
    def __init__(self, base: Path) -> None:
        self.root = base
        inventory = base / "inventory"
        inventory.mkdir()
        host = {"ansible_connection": "local", "wrk_access": "local", "wrk_os": "windows"}
        hosts = {"all": {"children": {"windows": {"hosts": {"ace-win-1": host}}}}}
        (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
        shutil.copy(FIXTURES / "harness-config.yaml", base / "harness-config.yaml")
        config = {
            "version": 1,
            "inventory": "inventory",
            "evidence_dir": "evidence",
            "fleet": {"harness_config": "harness-config.yaml"},
        }
        (base / "wrk.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        self.day = 0

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return wrkkit.wrk(self.root, self.root / "wrk.yml", *args)

    def observe(self, passing: bool) -> None:
        self.day += 1
        text = _licensed(SNAPSHOT) if passing else SNAPSHOT
        text = text.replace(
            'generated_at: "2026-07-27T11:18:15"',
            f'generated_at: "2026-08-{self.day:02d}T06:00:00"',
        )
        path = self.root / f"equality-ace-win-1-{self.day}.yaml"
        path.write_text(text, encoding="utf-8")
        done = self.run("readiness", "import", str(path), "--here", "ace-win-1")
        assert done.returncode == 0, done.stderr

    def health(self) -> dict[str, Any]:
        done = self.run("health", "--json", "--here", "ace-win-1")
        assert done.returncode in (0, 2), done.stderr
        (host,) = json.loads(done.stdout)["hosts"]
        return host

    def state(self) -> tuple[str, str | None]:
        """The host's state as the inventory says (wrk writes it to host_vars/)."""
        shown = self.run("inventory", "show", "ace-win-1", "--json")
        assert shown.returncode == 0, shown.stderr
        host = json.loads(shown.stdout)
        return host["state"], host["state_reason"]

    def records(self, kind: str) -> list[dict[str, Any]]:
        listed = self.run(
            "evidence", "list", "_fleet", "--json", "--evidence-dir", str(self.root / "evidence")
        )
        return [r for r in json.loads(listed.stdout) if r["kind"] == kind]


def test_three_failures_drain_two_passes_resume(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    for _ in range(2):
        fleet.observe(passing=False)
    host = fleet.health()
    assert (host["failing_in_a_row"], host["action"]) == (2, None)
    assert fleet.state() == ("active", None)

    fleet.observe(passing=False)
    host = fleet.health()
    assert (host["action"], host["applied"]) == ("drain", True)
    state, reason = fleet.state()
    assert state == "drained"
    assert reason is not None
    assert reason.startswith("health: below-baseline: solvers: orcaflex present, expected licensed")
    (drain,) = fleet.records("health")
    assert drain["problem"] is None

    fleet.observe(passing=True)
    assert fleet.health()["action"] is None
    fleet.observe(passing=True)
    host = fleet.health()
    assert host["action"] == "resume"
    assert fleet.state() == ("active", None)
    assert len(fleet.records("health")) == 2
    assert len(fleet.records("snapshot")) == 5


def test_a_persons_drain_survives_passes(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    done = fleet.run("inventory", "drain", "ace-win-1", "--reason", "owner: new licence server")
    assert done.returncode == 0, done.stderr
    for _ in range(4):
        fleet.observe(passing=True)
    host = fleet.health()
    assert host["action"] is None
    assert host["why"] == "drained by a person: only a person resumes it"
    assert fleet.state() == ("drained", "owner: new licence server")


def test_an_unknown_machine_is_refused_and_nothing_is_recorded(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    good = tmp_path / "good.yaml"
    good.write_text(SNAPSHOT, encoding="utf-8")
    other = tmp_path / "other.yaml"
    other.write_text(
        SNAPSHOT.replace(
            'machine: "ace-win-1"\nhost: "ace-win-1"', 'machine: "nowhere"\nhost: "nowhere"'
        ),
        encoding="utf-8",
    )
    done = fleet.run("readiness", "import", str(good), str(other), "--here", "ace-win-1", "--json")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert (error["file"], error["field"]) == (str(other), "machine")
    assert "not an inventory host" in error["message"]
    assert not (tmp_path / "evidence" / "_fleet").exists()


def test_a_person_resuming_a_health_drain_is_not_undone(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    for _ in range(3):
        fleet.observe(passing=False)
    assert fleet.health()["action"] == "drain"
    done = fleet.run("inventory", "resume", "ace-win-1")
    assert done.returncode == 0, done.stderr
    host = fleet.health()  # the failures that drained it are not counted again
    assert (host["action"], host["failing_in_a_row"]) == (None, 0)
    assert fleet.state() == ("active", None)
    fleet.observe(passing=False)
    assert fleet.health()["failing_in_a_row"] == 1  # a new failure starts a new run
