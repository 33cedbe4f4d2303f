"""Data is never code: Jinja and shell metacharacters reach no template and run nothing.

Payloads (``{{ lookup('pipe', 'touch CANARY') }}``, ``{% ... %}``, ``$(touch CANARY)``,
backticks, ``; touch CANARY``) are put where users and ops type text: a WRK title, disk paths a
stage requires, host vars (storage paths, a license file path, notes) written through
``wrk inventory set``, a license server. They go through ``wrk readiness``, ``wrk gate`` (a real
probe of a local-connection host through ansible-runner) and ``wrk report``. After each, the
canary folder is empty; values that pass validation come back verbatim (as data), values that
may not (Jinja in a contract value, a shell in a license server) are refused naming the field.
A control proves each payload is live: given to a shell or to Ansible's templating, it fires.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
HERE = "dev-primary"
#: A hang catcher for a real playbook run, never a timing assertion.
SLOW = 180


def jinja(canary: Path, tag: str) -> list[str]:
    return [
        f"{{{{ lookup('pipe', 'touch {canary}/{tag}-expr') }}}}",
        f"{{% set x = lookup('pipe', 'touch {canary}/{tag}-stmt') %}}",
    ]


def shell(canary: Path, tag: str) -> list[str]:
    return [
        f"$(touch {canary}/{tag}-subst)",
        f"`touch {canary}/{tag}-tick`",
        f"x; touch {canary}/{tag}-semi",
        f"x && touch {canary}/{tag}-and #",
    ]


@dataclass(frozen=True)
class World:
    top: Path
    repo: Path
    canary: Path

    def run(self, *args: str, timeout: float = SLOW) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "wrk_ansible", *args],
            cwd=self.repo,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def assert_nothing_ran(self) -> None:
        assert sorted(p.name for p in self.canary.iterdir()) == []


def _title(canary: Path) -> str:
    return " | ".join([*jinja(canary, "title"), *shell(canary, "title"), "<b>bold</b>"])


def _disk_paths(canary: Path) -> list[str]:
    return [f"/tmp/{p}" for p in shell(canary, "disk")]


def _write_wrk(path: Path, front: dict[str, Any]) -> Path:
    path.write_text("---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n# body\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    top = tmp_path_factory.mktemp("injection")
    canary = top / "canary"
    canary.mkdir()
    repo = top / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(EXAMPLES / "inventory", repo / "inventory")
    w = World(top, repo, canary)
    storage = [{"path": "/", "purpose": "work"}] + [
        {"path": f"/tmp/{p}", "purpose": "scratch"} for p in shell(canary, "storage")
    ]
    licence = [{"feature": "orcaflex", "kind": "file", "path": shell(canary, "licfile")[2]}]
    notes = " ".join([*jinja(canary, "notes"), *shell(canary, "notes")])
    proc = w.run(
        "inventory", "set", HERE, "-i", "inventory",
        f"wrk_storage={json.dumps(storage)}", f"wrk_licenses={json.dumps(licence)}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    proc = w.run("inventory", "set", HERE, "-i", "inventory", f"wrk_notes={notes}")
    assert proc.returncode == 0, proc.stderr
    host_vars = (repo / "inventory" / "host_vars" / f"{HERE}.yml").read_text("utf-8")
    assert "!unsafe" in host_vars  # how wrk stores a Jinja-bearing string for Ansible
    _write_wrk(
        repo / "WRK-901.md",
        {
            "id": "WRK-901",
            "title": _title(canary),
            "status": "pending",
            "computer": HERE,
            "handoff_evidence_ref": ".wrk/evidence/WRK-901",
            "stage_assignments": {"execute": {"primary": "claude", "workstations": [HERE]}},
            "machine_capability_requirements": {
                "execute": {
                    "tools": ["python3"],
                    "disk": [{"path": p, "free_gb": 0.001} for p in _disk_paths(canary)],
                }
            },
        },
    )
    w.assert_nothing_ran()
    return w


def test_gate_probes_hostile_paths_and_title_as_data(world: World) -> None:
    proc = world.run(
        "gate", "WRK-901.md", "--stage", "execute", "--here", HERE, "-i", "inventory",
        "--fresh", "--json",
    )  # fmt: skip
    world.assert_nothing_ran()
    out = json.loads(proc.stdout)
    assert proc.returncode == 2, proc.stderr  # the paths do not exist: pause, nowhere else
    assert out["verdict"] == "pause"
    names = {c["name"] for c in out["checks"] if c["host"] == HERE}
    for path in _disk_paths(world.canary):  # probed verbatim, found missing
        [check] = [c for c in out["checks"] if c["host"] == HERE and path in c["name"]]
        assert check["outcome"] == "fail", check
    assert any("python3" in n for n in names)
    # The decision was recorded with the paths verbatim, and the chain verifies.
    records = "".join(
        p.read_text("utf-8") for p in (world.repo / ".wrk" / "evidence").rglob("0*.json")
    )
    assert json.dumps(_disk_paths(world.canary)[0])[1:-1] in records
    verify = world.run("evidence", "verify", "-i", "inventory")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    world.assert_nothing_ran()


def test_report_shows_hostile_text_escaped_and_runs_nothing(world: World) -> None:
    # the paths reach the page through a gate's P1 gap: a gate runs first (this test alone too)
    gate = world.run(
        "gate", "WRK-901.md", "--stage", "execute", "--here", HERE, "-i", "inventory", "--fresh",
    )  # fmt: skip
    assert gate.returncode == 2, gate.stdout + gate.stderr
    page = world.top / "review.html"
    proc = world.run("report", "WRK-901.md", "-i", "inventory", "-o", str(page))
    assert proc.returncode == 0, proc.stderr
    world.assert_nothing_ran()
    raw = page.read_text("utf-8")
    assert "<b>bold</b>" not in raw  # escaped, not markup
    text = html.unescape(raw)
    assert _title(world.canary) in text  # verbatim: no template ever rendered it
    for path in _disk_paths(world.canary):
        assert path in text


def test_readiness_probes_hostile_host_vars_as_data(world: World) -> None:
    proc = world.run("readiness", "-i", "inventory", "--limit", HERE, "--json", "--no-record")
    world.assert_nothing_ran()
    assert proc.returncode == 2, proc.stdout + proc.stderr  # not ready: those paths are absent
    [host] = json.loads(proc.stdout)
    assert host["host"] == HERE
    assert host["ready"] is False
    found = json.dumps(host, ensure_ascii=False)
    for payload in shell(world.canary, "storage"):
        assert f"/tmp/{payload}" in found
    assert shell(world.canary, "licfile")[2] in found


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ({"disk": [{"path": "/tmp/{J}", "free_gb": 1}]}, "disk.0.path"),
        ({"tools": [{"name": "gcc", "min_version": "{J}"}]}, "tools.0.min_version"),
        ({"licenses": [{"feature": "{J}"}]}, "licenses.0.feature"),
        ({"network": [{"host": "{J}", "port": 27000}]}, "network.0.host"),
    ],
    ids=["disk-path", "tool-version", "licence-feature", "network-host"],
)
def test_jinja_in_a_contract_value_is_refused_by_gate_and_report(
    world: World, where: dict[str, Any], field: str
) -> None:
    payload = jinja(world.canary, "contract")[0]
    requirements = json.loads(json.dumps(where).replace("{J}", payload.replace('"', '\\"')))
    path = _write_wrk(
        world.repo / "WRK-902.md",
        {
            "id": "WRK-902",
            "status": "pending",
            "computer": HERE,
            "machine_capability_requirements": {"execute": requirements},
        },
    )
    proc = world.run("gate", path.name, "--stage", "execute", "--here", HERE, "-i", "inventory")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"[machine_capability_requirements.execute.{field}]" in proc.stderr
    assert "Jinja template" in proc.stderr
    page = world.top / "review-902.html"
    proc = world.run("report", path.name, "-i", "inventory", "-o", str(page))
    assert proc.returncode == 0, proc.stderr
    assert "1 with contract errors" in proc.stderr
    assert "Jinja template" in html.unescape(page.read_text("utf-8"))
    world.assert_nothing_ran()


def test_shell_in_a_license_server_is_refused_everywhere(world: World, tmp_path: Path) -> None:
    """A hand-written inventory (not through ``wrk inventory set``) is refused on reading."""
    inventory = tmp_path / "inventory"
    shutil.copytree(world.repo / "inventory", inventory)
    server = f"27000@{shell(world.canary, 'server')[0]}"
    hv = inventory / "host_vars" / "dev-secondary.yml"
    data = yaml.safe_load(hv.read_text("utf-8")) or {}
    data["wrk_licenses"] = [{"feature": "ansys", "kind": "flexlm", "server": server}]
    hv.write_text(yaml.safe_dump(data), "utf-8")
    for args in (
        ["readiness", "-i", str(inventory), "--no-record"],
        ["gate", "WRK-901.md", "--stage", "execute", "--here", HERE, "-i", str(inventory)],
        ["report", "WRK-901.md", "-i", str(inventory), "-o", str(tmp_path / "r.html")],
    ):
        proc = world.run(*args)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert "dev-secondary.yml" in proc.stderr
        assert "[wrk_licenses" in proc.stderr
        assert "server" in proc.stderr
    assert not (tmp_path / "r.html").exists()
    world.assert_nothing_ran()


def test_control_every_payload_is_live(tmp_path: Path) -> None:
    """Without the guards the payloads fire: a shell runs the shell ones, Ansible's templating
    runs the Jinja ones. So an empty canary folder above means something."""
    canary = tmp_path / "canary"
    canary.mkdir()
    for payload in shell(canary, "ctl"):
        subprocess.run(["sh", "-c", f"echo {payload}"], check=False, capture_output=True)
    ansible = Path(sys.executable).with_name("ansible")
    for payload in jinja(canary, "ctl"):
        subprocess.run(
            [str(ansible), "localhost", "-c", "local", "-m", "ansible.builtin.debug",
             "-a", f"msg=\"{payload} {{{{ 1 }}}}\""],
            check=False, capture_output=True, timeout=SLOW, cwd=tmp_path,
        )  # fmt: skip
    fired = sorted(p.name for p in canary.iterdir())
    assert fired == sorted(
        ["ctl-expr", "ctl-stmt", "ctl-subst", "ctl-tick", "ctl-semi", "ctl-and"]
    ), fired
