"""``wrk gate`` and ``wrk handoff`` against the real SSH fleet, through the real command line.

A work queue (a git repository in tmp_path) holds WRK files whose explicit contracts point at
fleet hosts; ``control`` (ansible_connection local) is the host wrk runs on (``--here``). Each
expected verdict comes from a real playbook run (or from fresh evidence a real run left).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fleet import LICENSE_FEATURE, OLD_TOOL_VERSION, TOOL, Fleet

pytestmark = pytest.mark.integration

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]  # the run_wrk fixture (conftest)

HERE = "control"
EXIT = {"pass": 0, "fail": 1, "pause": 2, "fallback": 3}
SOLVER = {"tools": [{"name": TOOL, "min_version": "2.0"}]}
#: The keys docs/gate-output.md documents, at the top and in each check.
TOP_KEYS = {
    "schema_version",
    "wrk",
    "stage",
    "verdict",
    "host",
    "hosts",
    "agent",
    "reason",
    "readiness",
    "checks",
    "gaps",
    "evidence",
    "recorded",
    "unrecorded_why",
    "evidence_errors",
    "stages",
}
CHECK_KEYS = {"host", "name", "kind", "required", "found", "outcome", "reason", "spec", "data"}
#: Generous: a playbook run on a busy machine. Never a timed assertion, only a hang catcher.
SLOW = 180


@dataclass(frozen=True)
class Gated:
    """One ``wrk gate`` process: its exit code, parsed ``--json`` and stderr."""

    rc: int
    out: dict[str, Any]
    err: str

    @property
    def checks(self) -> list[dict[str, Any]]:
        return list(self.out["checks"])

    def check(self, host: str | None, name: str) -> dict[str, Any]:
        found = [c for c in self.checks if c["host"] == host and c["name"] == name]
        assert found, f"no check {name} on {host}: {json.dumps(self.checks, indent=1)}"
        return found[0]


class Queue:
    """A work queue (a git repository) with its fleet inventory and evidence store."""

    def __init__(self, root: Path, inventory: Path, run_wrk: RunWrk, fleet: Fleet) -> None:
        self.root = root
        self.inventory = inventory
        self.run_wrk = run_wrk
        self.fleet = fleet

    def write(
        self,
        wrk_id: str,
        execute: Mapping[str, Any],
        requirements: Mapping[str, Any] | None,
        *,
        handoff: bool = True,
        base: str = HERE,
        stages: Mapping[str, Any] | None = None,
        more_requirements: Mapping[str, Any] | None = None,
    ) -> Path:
        """A WRK whose execute row (and ``stages``) are explicit; other rows run on ``base``."""
        front: dict[str, Any] = {
            "id": wrk_id,
            "title": f"gate test {wrk_id}",
            "status": "pending",
            "orchestrator": "claude",
            "provider": "claude",
            "computer": base,
            "plan_workstations": [base],
            "stage_assignments": {
                "execute": {"primary": "claude", **execute},
                **(stages or {}),
            },
            "machine_capability_requirements": {
                **({"execute": dict(requirements)} if requirements else {}),
                **(more_requirements or {}),
            },
        }
        if handoff:
            front["handoff_evidence_ref"] = f".wrk/evidence/{wrk_id}"
        path = self.root / f"{wrk_id}.md"
        path.write_text(
            "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n# " + wrk_id + "\n",
            encoding="utf-8",
        )
        return path

    def wrk(self, *args: str, timeout: float = SLOW) -> subprocess.CompletedProcess[str]:
        done = self.run_wrk(*args, cwd=self.root, timeout=timeout)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def gate(
        self,
        path: Path,
        evidence: Path,
        *extra: str,
        stage: str = "execute",
        inventory: Path | None = None,
    ) -> Gated:
        done = self.wrk(
            "gate",
            str(path),
            "--stage",
            stage,
            "--here",
            HERE,
            "-i",
            str(inventory or self.inventory),
            "--evidence-dir",
            str(evidence),
            "--timeout",
            "3",
            "--json",
            *extra,
        )
        out = json.loads(done.stdout) if done.stdout.strip() else {}
        return Gated(done.returncode, out, done.stderr)

    def verify(
        self, evidence: Path, inventory: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.wrk(
            "evidence",
            "verify",
            "--evidence-dir",
            str(evidence),
            "-i",
            str(inventory or self.inventory),
        )


def fleet_inventory(fleet: Fleet) -> dict[str, Any]:
    """The fleet, plus ``control`` (where wrk runs, local connection) and a ``solvers`` group."""
    data = fleet.inventory()
    children = data["all"]["children"]
    children["local"] = {
        "hosts": {
            HERE: {
                "ansible_connection": "local",
                "ansible_python_interpreter": "/usr/bin/python3",
                "wrk_access": "local",
                "wrk_os": "linux",
                "wrk_agents": ["claude", "codex"],
            }
        }
    }
    children["solvers"] = {"hosts": {"ws_ready": None, "ws_license_ok": None}}
    return data


@pytest.fixture(scope="module")
def queue(fleet: Fleet, run_wrk: RunWrk, tmp_path_factory: pytest.TempPathFactory) -> Queue:
    base = tmp_path_factory.mktemp("gate-queue")
    root = base / "queue"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=30)
    inventory = base / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump(fleet_inventory(fleet), sort_keys=False), encoding="utf-8"
    )
    return Queue(root, inventory, run_wrk, fleet)


@pytest.fixture(scope="module")
def shared_evidence(queue: Queue) -> Path:
    """One evidence store for the verdict tests: later gates reuse fresh readiness."""
    return queue.root.parent / "evidence-verdicts"


def assert_verdict(gated: Gated, verdict: str) -> None:
    assert gated.rc == EXIT[verdict], (gated.rc, gated.out.get("reason"), gated.err)
    assert gated.out["verdict"] == verdict
    assert set(gated.out) == TOP_KEYS
    for check in gated.checks:
        assert set(check) == CHECK_KEYS


def chain(evidence: Path, wrk: str, host: str = HERE) -> str:
    """The one chain ``host`` writes to in ``wrk`` from this clone: ``HOST@CLONE``."""
    (name,) = [p.name for p in (evidence / wrk).iterdir() if p.name.startswith(f"{host}@")]
    return name


def assert_recorded(gated: Gated, evidence: Path) -> dict[str, Any]:
    """Every decided gate leaves one gate record whose verdict is the answer."""
    (ident,) = gated.out["evidence"]
    wrk, writer, seq = ident.split("/")
    assert writer == chain(evidence, wrk)
    (path,) = (evidence / wrk / writer).glob(f"{seq}-gate.json")
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    body = record["body"]
    assert body["verdict"] == gated.out["verdict"]
    assert body["stage"] == gated.out["stage"]
    assert body["ran_on"] == HERE
    assert record["host"] == HERE
    assert len(body["inventory_sha256"]) == 64
    assert len(body["contract_sha256"]) == 64
    assert "ansible_ssh_private_key_file" not in path.read_text(encoding="utf-8")
    return record


def assert_fallback_to(gated: Gated, fallback: str) -> None:
    assert_verdict(gated, "fallback")
    assert gated.out["host"] == fallback
    assert gated.out["hosts"] == [fallback]
    assert fallback in gated.out["reason"]
    assert gated.out["gaps"] == []


def assert_pause(gated: Gated, wrk_id: str, action: str) -> dict[str, Any]:
    """Pause: no host, one P1 gap naming the stage, proposals ending with the action."""
    assert_verdict(gated, "pause")
    assert gated.out["host"] is None
    (gap,) = gated.out["gaps"]
    assert gap["priority"] == "P1"
    assert gap["summary"].startswith(f"{wrk_id} execute: no ready machine")
    assert gap["proposals"][-1].startswith(f"{action} {wrk_id}")
    assert any(p.startswith("assign ws_") for p in gap["proposals"])
    return dict(gap)


# -- each expected verdict -------------------------------------------------------------------


def test_pass_when_the_assigned_remote_host_is_ready(queue: Queue, shared_evidence: Path) -> None:
    path = queue.write("WRK-9001", {"workstations": ["ws_ready"]}, SOLVER)
    gated = queue.gate(path, shared_evidence)
    assert_verdict(gated, "pass")
    assert gated.out["host"] == "ws_ready"
    assert gated.out["agent"] == "claude"
    tool = gated.check("ws_ready", f"tool:{TOOL}")
    assert tool["outcome"] == "pass"
    assert tool["required"] == ">= 2.0"
    assert "2.4.1" in tool["found"]
    # all three rules of the remote coordination policy were checked, and hold
    for rule in ("remote-explicit", "remote-capability", "remote-handoff-evidence"):
        assert gated.check("ws_ready", rule)["outcome"] == "pass"
    # one machine, no fallback, no on_unavailable: the plan's readiness check 5 warns
    assert gated.check(None, "fallback-defined")["outcome"] == "warn"
    assert "probing ws_ready" in gated.err
    assert_recorded(gated, shared_evidence)


def test_refused_connection_falls_back_and_junit_has_one_case_per_check(
    queue: Queue, shared_evidence: Path
) -> None:
    path = queue.write(
        "WRK-9002", {"workstations": ["ws_unreachable"], "fallback": ["ws_ready"]}, SOLVER
    )
    junit = queue.root.parent / "WRK-9002.junit.xml"
    gated = queue.gate(path, shared_evidence, "--junit", str(junit))
    assert_fallback_to(gated, "ws_ready")
    down = gated.check("ws_unreachable", "reachable")
    assert down["outcome"] == "fail"
    assert "refused" in down["reason"].lower()
    assert_recorded(gated, shared_evidence)

    suite = ET.parse(junit).getroot()
    cases = suite.findall("testcase")
    assert suite.tag == "testsuite"
    assert [c.get("name") for c in cases] == [c["name"] for c in gated.checks]
    assert int(suite.get("tests", "-1")) == len(gated.checks)
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures", "-1")) == len(failed)
    assert len(failed) == sum(1 for c in gated.checks if c["outcome"] == "fail")
    assert [c.get("classname") for c in failed] == ["WRK-9002.execute.ws_unreachable"]


def test_hanging_host_is_decided_within_its_timeout(queue: Queue, shared_evidence: Path) -> None:
    path = queue.write(
        "WRK-9003", {"workstations": ["ws_hangs"], "on_unavailable": "defer"}, SOLVER
    )
    gated = queue.gate(path, shared_evidence)  # SLOW catches a hang; no timing asserted
    gap = assert_pause(gated, "WRK-9003", "defer")
    assert "ws_hangs" in gap["summary"]
    hung = gated.check("ws_hangs", "reachable")
    assert hung["outcome"] == "fail"
    assert "timed out" in hung["reason"].lower()
    assert_recorded(gated, shared_evidence)


def test_drained_host_is_screened_out_without_a_connection(
    queue: Queue, shared_evidence: Path, tmp_path: Path
) -> None:
    inventory = Path(shutil.copytree(queue.inventory, tmp_path / "inventory"))
    drained = queue.wrk(
        "inventory", "drain", "ws_license_ok", "--reason", "disk swap", "-i", str(inventory)
    )
    assert drained.returncode == 0, drained.stderr
    path = queue.write(
        "WRK-9004", {"workstations": ["ws_license_ok"], "fallback": ["ws_ready"]}, SOLVER
    )
    gated = queue.gate(path, shared_evidence, inventory=inventory)
    assert_fallback_to(gated, "ws_ready")
    state = gated.check("ws_license_ok", "state")
    assert (state["outcome"], state["found"]) == ("fail", "drained")
    assert "disk swap" in state["reason"]
    assert "ws_license_ok" not in gated.err  # screened out: never probed
    assert_recorded(gated, shared_evidence)


def test_missing_tool_falls_back(queue: Queue, shared_evidence: Path) -> None:
    path = queue.write(
        "WRK-9005", {"workstations": ["ws_missing_tool"], "fallback": ["ws_ready"]}, SOLVER
    )
    gated = queue.gate(path, shared_evidence)
    assert_fallback_to(gated, "ws_ready")
    missing = gated.check("ws_missing_tool", f"tool:{TOOL}")
    assert missing["outcome"] == "fail"
    assert "not found" in missing["reason"]
    assert_recorded(gated, shared_evidence)


def test_old_version_pauses_with_proposals_when_no_fallback(
    queue: Queue, shared_evidence: Path
) -> None:
    path = queue.write(
        "WRK-9006", {"workstations": ["ws_old_version"], "on_unavailable": "replan"}, SOLVER
    )
    gated = queue.gate(path, shared_evidence)
    gap = assert_pause(gated, "WRK-9006", "replan")
    old = gated.check("ws_old_version", f"tool:{TOOL}")
    assert old["outcome"] == "fail"
    assert OLD_TOOL_VERSION in old["found"]
    # proposals are hosts whose declarations meet the requirements: never one lacking the tool
    assert any(p.startswith("assign ws_ready:") for p in gap["proposals"])
    assert not any("ws_missing_tool" in p or "ws_old_version" in p for p in gap["proposals"])
    assert_recorded(gated, shared_evidence)


def test_exhausted_license_falls_back_to_the_host_with_seats(
    queue: Queue, shared_evidence: Path
) -> None:
    path = queue.write(
        "WRK-9007",
        {"workstations": ["ws_license_exhausted"], "fallback": ["ws_license_ok"]},
        {"licenses": [{"feature": LICENSE_FEATURE, "seats": 1}]},
    )
    gated = queue.gate(path, shared_evidence)
    assert_fallback_to(gated, "ws_license_ok")
    exhausted = gated.check("ws_license_exhausted", f"license:{LICENSE_FEATURE}")
    assert exhausted["outcome"] == "fail"
    assert exhausted["found"].startswith("0 free of 2")
    ok = gated.check("ws_license_ok", f"license:{LICENSE_FEATURE}")
    assert ok["found"].startswith("3 free of 4")
    record = assert_recorded(gated, shared_evidence)
    lease = record["body"]["lease"]
    assert (lease["hosts"], lease["features"]) == (
        ["ws_license_ok"],
        [{"feature": LICENSE_FEATURE, "seats": 1}],
    )


def test_low_disk_pauses(queue: Queue, shared_evidence: Path) -> None:
    home = str(queue.fleet.hosts["ws_low_disk"].home)
    path = queue.write(
        "WRK-9008",
        {"workstations": ["ws_low_disk"]},
        {"disk": [{"path": home, "free_gb": 1}]},
    )
    gated = queue.gate(path, shared_evidence)
    assert_pause(gated, "WRK-9008", "pause")
    disk = gated.check("ws_low_disk", f"disk:{home}")
    assert disk["outcome"] == "fail"
    assert disk["required"] == "1 GiB free"
    assert_recorded(gated, shared_evidence)


# -- the remote coordination policy ---------------------------------------------------------


def test_rule_1_a_host_chosen_from_a_group_is_not_explicit(
    queue: Queue, shared_evidence: Path
) -> None:
    path = queue.write("WRK-9009", {"workstations": {"group": "solvers", "count": 1}}, SOLVER)
    gated = queue.gate(path, shared_evidence)
    assert_verdict(gated, "fail")
    rule = gated.check("ws_ready", "remote-explicit")
    assert (rule["outcome"], rule["found"]) == ("fail", "chosen from a group")
    assert gated.out["reason"].startswith("rule 1")
    assert_recorded(gated, shared_evidence)  # a policy fail is a decision: recorded


def test_rule_2_a_stage_the_local_host_could_run_stays_local(
    queue: Queue, shared_evidence: Path
) -> None:
    path = queue.write("WRK-9010", {"workstations": ["ws_ready"]}, {"tools": ["sh"]})
    gated = queue.gate(path, shared_evidence)
    assert_verdict(gated, "fail")
    rule = gated.check("ws_ready", "remote-capability")
    assert rule["outcome"] == "fail"
    assert f"run execute on {HERE} instead" in rule["reason"]
    assert gated.out["reason"].startswith("rule 2")
    assert_recorded(gated, shared_evidence)


def test_rule_3_remote_work_needs_handoff_evidence(queue: Queue, shared_evidence: Path) -> None:
    # every stage on ws_ready, so the contract is valid without handoff_evidence_ref
    path = queue.write(
        "WRK-9011", {"workstations": ["ws_ready"]}, SOLVER, handoff=False, base="ws_ready"
    )
    gated = queue.gate(path, shared_evidence)
    assert_verdict(gated, "fail")
    rule = gated.check("ws_ready", "remote-handoff-evidence")
    assert (rule["outcome"], rule["found"]) == ("fail", "missing")
    assert gated.out["reason"].startswith("rule 3")
    assert "fresh evidence" in gated.err  # ws_ready was probed by an earlier gate
    assert_recorded(gated, shared_evidence)


# -- bad input: nothing written ---------------------------------------------------------------


def test_invalid_contract_fails_and_writes_nothing(
    queue: Queue, tmp_path: Path, tree_hash: Callable[[Path], dict[str, str]]
) -> None:
    path = queue.write("WRK-9012", {"workstations": ["ws_nowhere"]}, SOLVER)
    evidence = tmp_path / "evidence"
    before = tree_hash(queue.root)
    gated = queue.gate(path, evidence)
    assert_verdict(gated, "fail")
    assert gated.out["evidence"] == []
    assert gated.out["reason"].startswith("the contract is invalid")
    (error,) = gated.checks
    assert error["kind"] == "contract"
    assert error["name"] == "stage_assignments.execute.workstations"
    assert "ws_nowhere" in error["reason"]
    assert not evidence.exists()
    assert tree_hash(queue.root) == before


def test_unknown_stage_is_a_usage_error(queue: Queue, tmp_path: Path) -> None:
    path = queue.write("WRK-9013", {"workstations": ["ws_ready"]}, SOLVER)
    gated = queue.gate(path, tmp_path / "evidence", stage="deploy")
    assert gated.rc == 64
    assert set(gated.out) == {"error"}  # with --json, one error object and nothing else
    assert gated.out["error"]["exit_code"] == 64
    assert "unknown stage 'deploy'" in gated.err
    assert not (tmp_path / "evidence").exists()


# -- freshness --------------------------------------------------------------------------------


def test_second_gate_reuses_fresh_evidence_and_fresh_forces_a_probe(
    queue: Queue, tmp_path: Path
) -> None:
    evidence = tmp_path / "evidence"
    path = queue.write("WRK-9014", {"workstations": ["ws_ready"]}, SOLVER)
    first = queue.gate(path, evidence)
    assert_verdict(first, "pass")
    assert "probing ws_ready" in first.err
    observations = evidence / "_readiness" / chain(evidence, "_readiness")
    readiness = sorted(observations.glob("*-readiness.json"))
    assert len(readiness) == 1

    second = queue.gate(path, evidence)
    assert_verdict(second, "pass")
    assert "probing" not in second.err
    assert f"ws_ready: fresh evidence _readiness/{observations.name}/000001" in second.err
    assert second.checks == first.checks
    assert len(list(observations.glob("*-readiness.json"))) == 1

    # a window too short for the evidence, or --fresh, probes again
    stale = queue.gate(path, evidence, "--fresh-hours", "0")
    assert "probing ws_ready" in stale.err
    forced = queue.gate(path, evidence, "--fresh")
    assert_verdict(forced, "pass")
    assert "probing ws_ready" in forced.err
    assert len(list(observations.glob("*-readiness.json"))) == 3
    assert queue.verify(evidence).returncode == 0


# -- handoff between two fleet hosts ----------------------------------------------------------


@pytest.fixture
def handed_over(queue: Queue, tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """WRK-9020: execute on ws_ready, impl_review on ws_license_ok, out/result.csv handed over."""
    path = queue.write(
        "WRK-9020",
        {"workstations": ["ws_ready"]},
        SOLVER,
        stages={
            "impl_review": {
                "primary": "claude",
                "workstations": ["ws_license_ok"],
                "gates": ["machine-readiness"],  # this test is about the artifacts
            }
        },
        more_requirements={"impl_review": {"licenses": [{"feature": LICENSE_FEATURE}]}},
    )
    artifact = queue.root / "out" / "result.csv"
    artifact.parent.mkdir(exist_ok=True)
    artifact.write_text("case,tension\n1,42.0\n", encoding="utf-8")
    evidence = tmp_path / "evidence"
    done = queue.wrk(
        "handoff",
        path.name,
        "--from",
        "ws_ready",
        "--to",
        "ws_license_ok",
        "--artifact",
        "out/result.csv",
        "--here",
        HERE,
        "-i",
        str(queue.inventory),
        "--evidence-dir",
        str(evidence),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    handoff = json.loads(done.stdout)
    assert handoff["evidence"] == f"WRK-9020/{chain(evidence, 'WRK-9020')}/000001"
    (item,) = handoff["artifacts"]
    assert item["path"] == "out/result.csv"
    assert item["size"] == artifact.stat().st_size
    yield path, evidence, artifact
    artifact.unlink(missing_ok=True)


def test_handoff_artifacts_are_checked_by_the_receivers_gate(
    queue: Queue, handed_over: tuple[Path, Path, Path]
) -> None:
    path, evidence, artifact = handed_over
    passed = queue.gate(path, evidence, stage="impl_review")
    assert_verdict(passed, "pass")
    assert passed.out["host"] == "ws_license_ok"
    match = passed.check("ws_license_ok", "artifact:out/result.csv")
    assert (match["kind"], match["outcome"]) == ("handoff", "pass")
    assert f"WRK-9020/{chain(evidence, 'WRK-9020')}/000001" in match["reason"]

    artifact.write_text("case,tension\n1,41.0\n", encoding="utf-8")
    changed = queue.gate(path, evidence, stage="impl_review")
    assert_verdict(changed, "fail")
    assert "artifact out/result.csv changed" in changed.out["reason"]
    assert changed.check("ws_license_ok", "artifact:out/result.csv")["outcome"] == "fail"

    artifact.unlink()
    missing = queue.gate(path, evidence, stage="impl_review")
    assert_verdict(missing, "fail")
    assert "artifact out/result.csv" in missing.out["reason"]
    assert "is missing" in missing.out["reason"]
    assert queue.verify(evidence).returncode == 0


def test_handoff_artifact_outside_the_repository_is_refused(
    queue: Queue, handed_over: tuple[Path, Path, Path], tree_hash: Callable[[Path], dict[str, str]]
) -> None:
    path, evidence, _ = handed_over
    outside = queue.root.parent / "outside.csv"
    outside.write_text("secret\n", encoding="utf-8")
    link = queue.root / "out" / "link.csv"
    link.symlink_to(outside)
    before = tree_hash(evidence)
    try:
        for given in ("../outside.csv", str(outside), "out/link.csv"):
            done = queue.wrk(
                "handoff",
                path.name,
                "--from",
                "ws_ready",
                "--to",
                "ws_license_ok",
                "--artifact",
                given,
                "--here",
                HERE,
                "-i",
                str(queue.inventory),
                "--evidence-dir",
                str(evidence),
            )
            assert done.returncode == 1, (given, done.stderr)
            assert "outside the repository" in done.stderr
            assert done.stderr.count("\n") == 1
        assert tree_hash(evidence) == before
    finally:
        link.unlink()


# -- evidence verify through the command line -------------------------------------------------


@pytest.fixture(scope="module")
def signed_store(queue: Queue, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Gates signed by control's key, whose public half the inventory names by path."""
    base = tmp_path_factory.mktemp("signed")
    key = base / "control_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "control", "-f", str(key)],
        check=True,
        timeout=30,
    )
    inventory = Path(shutil.copytree(queue.inventory, base / "inventory"))
    shutil.copy(key.with_suffix(".pub"), inventory / "control.pub")
    data = yaml.safe_load((inventory / "hosts.yml").read_text(encoding="utf-8"))
    data["all"]["children"]["local"]["hosts"][HERE]["wrk_signing_key"] = "control.pub"
    (inventory / "hosts.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    evidence = base / "evidence"
    path = queue.write("WRK-9040", {"workstations": ["ws_ready"]}, SOLVER)
    for _ in range(3):
        gated = queue.gate(path, evidence, "--sign-key", str(key), inventory=inventory)
        assert_verdict(gated, "pass")
    return evidence, inventory, key


def copy_store(store: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(store, tmp_path / "evidence"))


def test_signed_gates_verify(queue: Queue, signed_store: tuple[Path, Path, Path]) -> None:
    evidence, inventory, _ = signed_store
    done = queue.verify(evidence, inventory)
    assert done.returncode == 0, done.stdout + done.stderr
    ours = chain(evidence, "WRK-9040")
    assert f"ok      WRK-9040/{ours}: 3 record(s), 3 signed" in done.stdout
    assert f"_readiness/{chain(evidence, '_readiness')}: 1 record(s), 1 signed" in done.stdout


def test_tampered_record_is_caught(
    queue: Queue, signed_store: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    evidence = copy_store(signed_store[0], tmp_path)
    ours = chain(evidence, "WRK-9040")
    record = evidence / "WRK-9040" / ours / "000002-gate.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    data["body"]["verdict"] = "fail"
    record.write_text(json.dumps(data, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    done = queue.verify(evidence, signed_store[1])
    assert done.returncode == 1
    assert f"BROKEN  WRK-9040/{ours}" in done.stdout
    assert f"  WRK-9040/{ours}/000002: " in done.stdout


def test_removed_newest_record_is_caught(
    queue: Queue, signed_store: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    evidence = copy_store(signed_store[0], tmp_path)
    ours = chain(evidence, "WRK-9040")
    newest = evidence / "WRK-9040" / ours / "000003-gate.json"
    newest.unlink()
    newest.with_name(newest.name + ".sig").unlink()
    done = queue.verify(evidence, signed_store[1])
    assert done.returncode == 1
    assert f"WRK-9040/{ours}/000003: removed" in done.stdout


def test_forged_unsigned_record_is_caught(
    queue: Queue, signed_store: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    evidence = copy_store(signed_store[0], tmp_path)
    path = queue.root / "WRK-9040.md"
    # a gate run without the key: a record that chains correctly but is not signed
    forged = queue.gate(path, evidence, inventory=signed_store[1])
    # the copied store is another folder, so another clone: the record starts a chain of its own
    (ident,) = forged.out["evidence"]
    signed = chain(signed_store[0], "WRK-9040")
    assert ident.startswith(f"WRK-9040/{HERE}@"), ident
    assert ident.endswith("/000001"), ident
    assert ident.split("/")[1] != signed
    done = queue.verify(evidence, signed_store[1])
    assert done.returncode == 1
    assert f"{ident}: not signed" in done.stdout
    # without the inventory's keys the chain itself is intact
    assert queue.verify(evidence).returncode == 0


def test_concurrent_gates_keep_one_linear_chain(queue: Queue, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    path = queue.write("WRK-9050", {"workstations": ["ws_ready"]}, SOLVER)
    assert_verdict(queue.gate(path, evidence), "pass")  # leaves fresh readiness evidence
    command = [
        sys.executable,
        "-m",
        "wrk_ansible",
        "gate",
        str(path),
        "--stage",
        "execute",
        "--here",
        HERE,
        "-i",
        str(queue.inventory),
        "--evidence-dir",
        str(evidence),
        "--json",
    ]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    procs = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
        )
        for _ in range(8)
    ]
    results = [p.communicate(timeout=SLOW) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in results]
    ids = sorted(json.loads(out)["evidence"][0] for out, _ in results)
    ours = chain(evidence, "WRK-9050")
    assert ids == [f"WRK-9050/{ours}/{seq:06d}" for seq in range(2, 10)]
    files = sorted((evidence / "WRK-9050" / ours).glob("*.json"))
    assert [p.name[:6] for p in files] == [f"{seq:06d}" for seq in range(1, 10)]
    for earlier, later in itertools.pairwise(files):
        prev = json.loads(later.read_text(encoding="utf-8"))["prev"]
        assert prev == hashlib.sha256(earlier.read_bytes()).hexdigest()
    done = queue.verify(evidence)
    assert done.returncode == 0, done.stdout


# -- license seats: checked now, used later ---------------------------------------------------


def test_reserved_seats_count_against_a_second_wrk(queue: Queue, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    two_seats = {"licenses": [{"feature": LICENSE_FEATURE, "seats": 2}]}
    first_path = queue.write(
        "WRK-9030", {"workstations": ["ws_license_ok"], "on_unavailable": "pause"}, two_seats
    )
    second_path = queue.write(
        "WRK-9031", {"workstations": ["ws_license_ok"], "on_unavailable": "pause"}, two_seats
    )
    first = queue.gate(first_path, evidence)
    assert_verdict(first, "pass")  # 3 free of 4, 2 needed: reserves 2
    lease = assert_recorded(first, evidence)["body"]["lease"]
    assert (lease["hosts"], lease["features"][0]["seats"]) == (["ws_license_ok"], 2)

    second = queue.gate(second_path, evidence)
    assert_pause(second, "WRK-9031", "pause")
    seats = second.check("ws_license_ok", f"license:{LICENSE_FEATURE}")
    assert seats["outcome"] == "fail"
    assert "2 reserved by other gates" in seats["found"]
    assert "1 seat(s) left" in seats["reason"]

    again = queue.gate(first_path, evidence)  # a WRK never competes with its own seats
    assert_verdict(again, "pass")


# -- a host without remote access: only its own signed attestation counts ---------------------


def test_host_without_remote_access_is_gated_from_its_signed_attestation_only(
    queue: Queue, tmp_path: Path
) -> None:
    key = tmp_path / "offline_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=30
    )
    inventory = Path(shutil.copytree(queue.inventory, tmp_path / "inventory"))
    data = yaml.safe_load((inventory / "hosts.yml").read_text(encoding="utf-8"))
    data["all"]["children"]["offline"] = {
        "hosts": {
            "ws_offline": {
                "wrk_access": "none",
                "wrk_os": "linux",
                "wrk_agents": ["claude"],
                "wrk_tools": [TOOL],
                "wrk_signing_key": str(key.with_suffix(".pub")),
            }
        }
    }
    (inventory / "hosts.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    path = queue.write("WRK-9060", {"workstations": ["ws_offline"]}, SOLVER)
    evidence = tmp_path / "evidence"

    before = queue.gate(path, evidence, inventory=inventory)
    assert_pause(before, "WRK-9060", "pause")
    need = before.check("ws_offline", "attestation")
    assert "wrk readiness --local --here ws_offline" in need["reason"]
    assert "probing" not in before.err  # never a connection to a host without access

    # ws_offline attests itself (this machine, with the solver on its PATH), signed
    requirements = tmp_path / "requirements.yml"
    requirements.write_text(yaml.safe_dump(SOLVER), encoding="utf-8")
    solver_bin = queue.fleet.hosts["ws_ready"].bin_dir
    env = dict(
        os.environ,
        PATH=f"{solver_bin}{os.pathsep}{os.environ['PATH']}",
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    attested = subprocess.run(
        [
            *(sys.executable, "-m", "wrk_ansible", "readiness", "--local", "--here", "ws_offline"),
            *("--requirements", str(requirements), "--sign-key", str(key)),
            *("-i", str(inventory), "--evidence-dir", str(evidence)),
        ],
        cwd=queue.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=SLOW,
        check=False,
    )
    assert attested.returncode == 0, attested.stderr
    after = queue.gate(path, evidence, inventory=inventory)
    assert_verdict(after, "pass")
    own = f"_readiness/{chain(evidence, '_readiness', 'ws_offline')}/000001"
    assert f"ws_offline: signed attestation {own}" in after.err
    assert after.out["readiness"]["ws_offline"]["source"] == f"attestation {own}"

    # the same record without its signature proves nothing
    (signature,) = (evidence / own).parent.glob("*.sig")
    signature.unlink()
    forged = queue.gate(path, evidence, inventory=inventory)
    assert_pause(forged, "WRK-9060", "pause")
    refused = forged.check("ws_offline", "attestation")
    assert refused["found"] == own
    assert "not signed" in refused["reason"]
