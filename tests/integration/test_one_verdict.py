"""One verdict: ``wrk gate``, ``wrk whatif``, ``wrk report`` and ``wrk readiness`` agree.

One queue (a git repository) and one inventory hold every case that used to make the commands
drift apart: an attestation signed with a key that is not the host's ``wrk_signing_key``, a good
signed attestation whose key is then rotated, a drained host, a row naming a group, a license
whose seats another item holds, and a handed-off artifact that changed since. Reachable hosts
are ``ansible_connection: local``: each gate runs the real readiness playbook on this machine.

Every command is the real ``wrk`` in its own process. The gate answers first (and records its
evidence); then the forecasts (``whatif``, ``report``; they never probe) and ``wrk readiness``
(which always probes) must give every host the same readiness and every row the same verdict.
The remote coordination policy, the named gates and declared capacity (leases against caps) are
the gate's alone (a forecast has no "here" and takes no lease), so every row here either runs
where the gate runs or satisfies the policy, and the team's configuration is used with nothing
capped.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from wrk_ansible.evidence.ledger import Ledger, Signer
from wrk_ansible.evidence.readiness import record_observation
from wrk_ansible.readiness.gather import probe_local
from wrk_ansible.readiness.results import requirements_data
from wrk_ansible.registry.inventory import load_registry

pytestmark = pytest.mark.integration

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]
SLOW = 240  # a hang catcher on a loaded machine, never a timed assertion
EXIT = {"pass": 0, "fail": 1, "pause": 2, "fallback": 3}
REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = {"licenses": [{"feature": "orcaflex", "seats": 1}]}
HERE = "box"


def _key(base: Path, name: str) -> Path:
    key = base / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
        check=True,
        timeout=30,
    )
    return key


def _license(base: Path, name: str, seats: int) -> str:
    path = base / f"{name}.lic"
    path.write_text(f"FEATURE orcaflex orcina 11.6 permanent {seats} SIGN=0\n", encoding="utf-8")
    return str(path)


def _local(**more: Any) -> dict[str, Any]:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "wrk_access": "local",
        "wrk_os": "linux",
        "wrk_agents": ["claude", "codex"],
        **more,
    }


def _licensed(path: str, **more: Any) -> dict[str, Any]:
    return _local(wrk_licenses=[{"feature": "orcaflex", "kind": "file", "path": path}], **more)


class World:
    """The queue, its inventory, the keys and the evidence store."""

    def __init__(self, base: Path, run_wrk: RunWrk) -> None:
        self.base = base
        self.run_wrk = run_wrk
        self.root = base / "repo"
        (self.root / "queue" / "pending").mkdir(parents=True)
        self._git("init", "-q", "-b", "main")
        self.evidence = base / "evidence"
        self.inventory = base / "inventory"
        self.inventory.mkdir()
        self.keys = {name: _key(base, name) for name in ("a_declared", "a_used", "b", "b_new")}
        five, one = _license(base, "five", 5), _license(base, "one", 1)
        offline = {
            "wrk_access": "none",
            "wrk_os": "windows",
            "wrk_agents": ["claude"],
            "wrk_licenses": [{"feature": "orcaflex", "kind": "file", "path": five}],
        }
        self.hosts: dict[str, Any] = {
            HERE: _local(),
            "lic1": _licensed(five),
            "lic2": _licensed(one),
            "gpu1": _licensed(five),
            "gpu2": _licensed(five, wrk_state="drained", wrk_state_reason="fan"),
            "drained1": _licensed(five, wrk_state="drained", wrk_state_reason="disk swap"),
            "recv": _licensed(five),
            "winA": {**offline, "wrk_signing_key": f"{self.keys['a_declared']}.pub"},
            "winB": {**offline, "wrk_signing_key": f"{self.keys['b']}.pub"},
        }
        self.write_inventory()
        # the team's configuration with nothing capped: capacity is the gate's business (the
        # lease tests), and this one is about readiness
        team = yaml.safe_load((REPO / "wrk.yml").read_text(encoding="utf-8"))
        for key in ("routing_policy", "routing_rules"):
            team[key] = str(REPO / team[key])
        self.config = base / "wrk.yml"
        self.config.write_text(yaml.safe_dump({**team, "capacity": {}}), encoding="utf-8")

    def _git(self, *args: str) -> None:
        subprocess.run(
            ["git", "-C", str(self.root), "-c", "user.name=t", "-c", "user.email=t@e.org", *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def write_inventory(self) -> None:
        data = {
            "all": {
                "hosts": self.hosts,
                "children": {
                    "gpu": {"hosts": {"gpu1": None, "gpu2": None}},
                    "ai_capable": {"hosts": {HERE: None}},
                },
            }
        }
        (self.inventory / "hosts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")

    def item(self, wrk: str, **execute: Any) -> Path:
        front = {
            "id": wrk,
            "title": f"case {wrk}",
            "status": "pending",
            "computer": HERE,
            "plan_workstations": [HERE],
            "provider": "claude",
            "handoff_evidence_ref": ".wrk/evidence",
            "stage_assignments": {"execute": {"primary": "claude", **execute}},
            "machine_capability_requirements": {"execute": REQUIREMENTS},
        }
        path = self.root / "queue" / "pending" / f"{wrk}.md"
        path.write_text(f"---\n{yaml.safe_dump(front)}---\n# {wrk}\n", encoding="utf-8")
        return path

    def wrk(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run_wrk("--config", str(self.config), *args, cwd=self.root, timeout=SLOW)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def where(self) -> list[str]:
        return ["-i", str(self.inventory), "--evidence-dir", str(self.evidence)]

    def gate(self, path: Path, here: str = HERE) -> dict[str, Any]:
        done = self.wrk(
            "gate", str(path), "--stage", "execute", "--here", here, "--timeout", "60",
            "--json", *self.where(),
        )  # fmt: skip
        out: dict[str, Any] = json.loads(done.stdout)
        assert done.returncode == EXIT[out["verdict"]], (done.returncode, out, done.stderr)
        return out

    def forecast_json(self, *command: str) -> dict[str, Any]:
        done = self.wrk(*command, "--json", *self.where())
        assert done.returncode == 0, done.stderr
        data: dict[str, Any] = json.loads(done.stdout)
        return data

    def attest(self, host: str, key: Path) -> None:
        """The host's own attestation, made by the real probe with its declarations."""
        registry = load_registry(str(self.inventory))
        observed = probe_local(host, registry.get(host), _requirements())
        wanted = requirements_data(_requirements())
        record_observation(
            Ledger(self.evidence), host, observed.as_dict(), wanted, local=True, signer=Signer(key)
        )


def _requirements() -> Any:
    from wrk_ansible.contract.models import StageRequirements

    return StageRequirements.model_validate(REQUIREMENTS)


def _ready(readiness: dict[str, Any]) -> dict[str, bool]:
    return {host: bool(seen["ready"]) for host, seen in readiness.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, run_wrk: RunWrk) -> World:
    return World(tmp_path_factory.mktemp("one-verdict"), run_wrk)


def test_the_write_side_refuses_a_key_that_is_not_the_hosts(world: World) -> None:
    requirements = world.base / "req.yml"
    requirements.write_text(yaml.safe_dump(REQUIREMENTS), encoding="utf-8")
    before = sorted(p.name for p in world.base.rglob("*"))
    done = world.wrk(
        "readiness", "--local", "--here", "winA", "--sign-key", str(world.keys["a_used"]),
        "--requirements", str(requirements), *world.where(),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "not winA's wrk_signing_key" in done.stderr
    assert "--sign-key" in done.stderr
    assert sorted(p.name for p in world.base.rglob("*")) == before  # nothing written


def test_every_command_gives_the_same_readiness_and_verdict(world: World) -> None:  # noqa: PLR0915
    # winA: an attestation signed with a key that is not its wrk_signing_key
    world.attest("winA", world.keys["a_used"])
    # winB: a good signed attestation (checked below), then its key is rotated
    world.attest("winB", world.keys["b"])
    paths = {
        "WRK-1": world.item("WRK-1", workstations=["winA"], fallback=["lic1"]),
        "WRK-2": world.item("WRK-2", workstations=["winB"]),
        "WRK-3": world.item("WRK-3", workstations=["drained1"], fallback=["lic1"]),
        "WRK-4": world.item("WRK-4", workstations=["gpu"]),  # a group: any ready member
        "WRK-5": world.item("WRK-5", workstations=["lic2"]),
        "WRK-6": world.item("WRK-6", workstations=["lic2"], fallback=["lic1"]),
        "WRK-7": world.item("WRK-7", workstations=["recv"]),
    }
    artifact = world.root / "results.csv"
    artifact.write_text("a,b\n1,2\n", encoding="utf-8")
    world._git("add", "-A")
    world._git("commit", "-q", "-m", "queue")
    handed = world.wrk(
        "handoff", str(paths["WRK-7"]), "--from", HERE, "--to", "recv", "--stage", "execute",
        "--artifact", str(artifact), "--here", HERE, *world.where(),
    )  # fmt: skip
    assert handed.returncode == 0, handed.stderr
    artifact.write_text("a,b\n1,3\n", encoding="utf-8")  # changed after the handoff

    signed = world.gate(paths["WRK-2"])
    assert signed["verdict"] == "pass"
    assert signed["readiness"]["winB"]["source"].startswith("attestation _readiness/winB@")
    world.hosts["winB"]["wrk_signing_key"] = f"{world.keys['b_new']}.pub"
    world.write_inventory()

    gated = {wrk: world.gate(path, here="gpu1" if wrk == "WRK-4" else HERE) for wrk, path in
             paths.items()}  # fmt: skip
    verdicts = {wrk: out["verdict"] for wrk, out in gated.items()}
    assert verdicts == {
        "WRK-1": "fallback",  # winA's attestation does not verify: lic1
        "WRK-2": "pause",  # winB's key was rotated: its attestation stops counting
        "WRK-3": "fallback",  # drained1 is drained: lic1
        "WRK-4": "pass",  # gpu names a group: gpu1 (gpu2 is drained)
        "WRK-5": "pass",  # lic2's one seat, now reserved for WRK-5
        "WRK-6": "fallback",  # lic2's seat is held by WRK-5: lic1
        "WRK-7": "fail",  # the handed-off artifact changed
    }
    assert gated["WRK-4"]["hosts"] == ["gpu1"]
    assert "signature does not verify" in gated["WRK-1"]["readiness"]["winA"]["reason"]
    assert "signature does not verify" in gated["WRK-2"]["readiness"]["winB"]["reason"]
    seats = next(c for c in gated["WRK-6"]["checks"] if c["host"] == "lic2" and c["name"]
                 == "license:orcaflex")  # fmt: skip
    assert (seats["outcome"], seats["data"]["reserved_seats"]) == ("fail", 1)
    assert "drained1" not in gated["WRK-3"]["readiness"]  # screened out, never observed
    gate_ready = {h: r for out in gated.values() for h, r in _ready(out["readiness"]).items()}

    # the report: its forecast of every execute row, and every host's readiness
    report = world.forecast_json("report", str(world.root / "queue"))
    rows = {
        item["wrk"]: next(r for r in item["rows"] if r["stage"] == "execute")
        for item in report["items"]
    }
    assert {wrk: row["forecast"]["verdict"] for wrk, row in rows.items()} == verdicts
    assert {wrk: row["recorded"]["verdict"] for wrk, row in rows.items()} == verdicts
    for wrk, row in rows.items():
        assert row["forecast"]["hosts"] == gated[wrk]["hosts"], wrk
        assert _ready(row["forecast"]["readiness"]) == _ready(gated[wrk]["readiness"]), wrk
    assert all(g["priority"] for g in report["gaps"])
    paused = [g for g in report["gaps"] if g["wrk"] == "WRK-2" and g["kind"] == "p1"]
    assert paused, report["gaps"]

    # what-if: every row that loses lic1 or lic2, before (as the gate said) and after
    drained = world.forecast_json("whatif", str(world.root / "queue"), "--drain", "lic1")
    impacts = {i["wrk"]: i for i in drained["impacts"] if i["stage"] == "execute"}
    assert set(impacts) == {"WRK-1", "WRK-3", "WRK-6"}
    for wrk, impact in impacts.items():
        assert impact["before"]["verdict"] == verdicts[wrk], wrk
        assert impact["before"]["hosts"] == gated[wrk]["hosts"], wrk
        assert _ready(impact["before"]["readiness"]) == _ready(gated[wrk]["readiness"]), wrk
        assert impact["after"] == "pause", wrk
    assert not any("drained1" in i["before"]["hosts"] for i in drained["impacts"])

    # readiness: every host probed now (those without access through their attestations)
    requirements = world.base / "req.yml"
    requirements.write_text(yaml.safe_dump(REQUIREMENTS), encoding="utf-8")
    done = world.wrk(
        "readiness", "--requirements", str(requirements), "--timeout", "60", "--no-record",
        "--json", *world.where(),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr  # winA and winB are not ready
    probed = {e["host"]: e for e in json.loads(done.stdout)}
    assert set(probed) == set(world.hosts)
    ready_now = {h: bool(e["ready"]) for h, e in probed.items()}
    for host, ready in gate_ready.items():
        assert ready_now[host] == ready, host
    assert ready_now["winA"] is False
    assert ready_now["winB"] is False
    assert ready_now["lic2"] is True  # observed readiness: the seat held is the row's business
    assert probed["winA"]["readiness"]["basis"] == "none"
