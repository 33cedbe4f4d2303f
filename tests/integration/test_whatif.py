"""``wrk whatif``: the examples' queue with hosts drained, through the real command line.

Evidence is written by the real ledger (readiness observations as ``wrk readiness`` records
them), to show that fresh evidence is used and that, without it, a reachable host is assumed
ready on its declarations while a host without remote access is not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wrk_ansible.contract.validate import check_work_item
from wrk_ansible.evidence.ledger import Ledger, Signer
from wrk_ansible.evidence.readiness import record_observation
from wrk_ansible.readiness.results import parse_probe_result, requirements_data

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
INVENTORY = EXAMPLES / "inventory"
TEAM_RULES = REPO / "config" / "routing-rules.yml"
RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]


def whatif(
    run_wrk: RunWrk, evidence: Path, *args: str, inventory: Path = INVENTORY
) -> subprocess.CompletedProcess[str]:
    return run_wrk(
        "whatif", str(EXAMPLES), "-i", str(inventory), "--evidence-dir", str(evidence), *args
    )


def as_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def impacts(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["wrk"], i["stage"]): i for i in data["impacts"]}


def observe(
    evidence: Path, host: str, wrk: str, *, ok: bool, local: bool, signer: Signer | None = None
) -> None:
    """Record a fresh observation of ``host`` for ``wrk``'s execute requirements."""
    contract = check_work_item(str(EXAMPLES / f"{wrk}.md")).contract
    assert contract is not None
    wanted = requirements_data(contract.stage("execute").requirements)
    check = {
        "name": "git",
        "kind": "tool",
        "required": "present",
        "found": "git 2.39" if ok else None,
        "ok": ok,
        "reason": "observed",
        "spec": {"name": "git", "min_version": None},
        "data": {"version": "2.39" if ok else None, "path": None},
    }
    probe = {"schema_version": 2, "mode": "requirements", "checks": [check], "facts": {}}
    obs = parse_probe_result(host, probe, source="probe", observed_at=None)
    writer = host if local else "dev-primary"
    record_observation(Ledger(evidence), writer, obs.as_dict(), wanted, local=local, signer=signer)


def test_drain_license_host_json(run_wrk: RunWrk, tmp_path: Path, tree_hash: Any) -> None:
    before = tree_hash(EXAMPLES)
    data = as_json(whatif(run_wrk, tmp_path / "ev", "--drain", "licensed-win-1", "--json"))
    assert data["schema_version"] == 1
    assert data["drained"] == ["ace-win-1"]  # the alias resolves to its host
    assert data["items"] == 3
    rows = impacts(data)
    # WRK-1342 executes only on the licence hosts; the team's rules file (wrk.yml's
    # routing_rules) holds ace-win-2 unavailable, and says why
    paused = rows[("WRK-1342", "execute")]
    assert (paused["before"]["verdict"], paused["before"]["hosts"]) == ("pass", ["ace-win-1"])
    assert paused["before"]["readiness"]["ace-win-1"]["basis"] == "assumed"
    assert paused["after"] == "pause"
    assert paused["loses"] == ["ace-win-1"]
    assert "ace-win-2 is unavailable per " in paused["reason"]
    assert "(machines.licensed-win-2): blocked on wh#3721" in paused["reason"]
    assert paused["proposals"][-1].startswith("pause WRK-1342 execute")
    # WRK-635 runs dev-primary + ace-win-1 in parallel, falling back to dev-secondary
    fallback = rows[("WRK-635", "execute")]
    assert fallback["after"] == "fallback"
    assert fallback["fallback_to"] == ["dev-secondary"]
    assert fallback["hosts"] == ["dev-primary", "dev-secondary"]
    assert fallback["readiness"] == {"dev-primary": "assumed", "dev-secondary": "assumed"}
    # group rows that picked another member are not listed
    assert set(rows) == {("WRK-1342", "execute"), ("WRK-635", "execute")}
    assert data["counts"] == {"fail": 0, "pause": 1, "fallback": 1, "pass": 0}
    assert data["affected_items"] == 2
    assert tree_hash(EXAMPLES) == before
    assert not (tmp_path / "ev").exists()  # nothing written


def test_draining_two_hosts_together(run_wrk: RunWrk, tmp_path: Path) -> None:
    one = as_json(whatif(run_wrk, tmp_path, "--drain", "dev-primary", "--json"))
    two = as_json(
        whatif(run_wrk, tmp_path, "--drain", "dev-primary", "--drain", "dev-secondary", "--json")
    )
    assert two["drained"] == ["dev-primary", "dev-secondary"]
    assert impacts(one)[("WRK-635", "execute")]["after"] == "fallback"
    assert impacts(two)[("WRK-635", "execute")]["after"] == "pause"
    assert two["counts"]["pause"] > one["counts"]["pause"]
    # plan_review (any 1 of ai_capable) moves on to another member: still runs
    review = impacts(one)[("WRK-1342", "plan_review")]
    assert review["after"] == "pass"
    assert review["hosts"] == ["dev-secondary"]


def test_drain_license_host_without_rules_hold(
    run_wrk: RunWrk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the rules file's machine back (``available: true``), the host without remote
    access is still not ready: it has no attestation."""
    monkeypatch.setenv("WRK_ROUTING_RULES", str(rules_with_every_machine_available(tmp_path)))
    data = as_json(whatif(run_wrk, tmp_path / "ev", "--drain", "licensed-win-1", "--json"))
    paused = impacts(data)[("WRK-1342", "execute")]
    assert paused["after"] == "pause"
    assert "ace-win-2 has no remote access" in paused["reason"]
    assert "unavailable per" not in paused["reason"]


def rules_with_every_machine_available(base: Path) -> Path:
    """The team's rules file with ``available: false`` turned true (nothing else changed)."""
    text = TEAM_RULES.read_text(encoding="utf-8")
    assert text.count("available: false,") == 1, "control: the file holds one machine"
    path = base / "routing-rules.yml"
    path.write_text(text.replace("available: false,", "available: true,"), encoding="utf-8")
    return path


def test_only_a_signed_attestation_lets_a_host_without_access_take_over(
    run_wrk: RunWrk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for the gate: an unsigned attestation vouches for nothing; one signed by the key
    the inventory names does, and a key rotation ends that at once. (The team's rules file
    holds ace-win-2 unavailable: here its machine is made available, so only the attestation
    decides.)"""
    monkeypatch.setenv("WRK_ROUTING_RULES", str(rules_with_every_machine_available(tmp_path)))
    evidence = tmp_path / "ev"
    observe(evidence, "ace-win-2", "WRK-1342", ok=True, local=True)
    unsigned = impacts(as_json(whatif(run_wrk, evidence, "--drain", "ace-win-1", "--json")))
    assert unsigned[("WRK-1342", "execute")]["after"] == "pause"

    inventory = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inventory)
    for name in ("key", "rotated"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)],
            check=True,
        )
    host_vars = inventory / "host_vars" / "ace-win-2.yml"
    original = host_vars.read_text(encoding="utf-8")
    host_vars.write_text(original + f"wrk_signing_key: {tmp_path / 'key.pub'}\n", "utf-8")
    observe(evidence, "ace-win-2", "WRK-1342", ok=True, local=True, signer=Signer(tmp_path / "key"))
    args = ("--drain", "ace-win-1", "--json")
    row = impacts(as_json(whatif(run_wrk, evidence, *args, inventory=inventory)))[
        ("WRK-1342", "execute")
    ]
    assert row["after"] == "fallback"
    assert row["fallback_to"] == ["ace-win-2"]
    assert row["readiness"] == {"ace-win-2": "observed"}

    host_vars.write_text(original + f"wrk_signing_key: {tmp_path / 'rotated.pub'}\n", "utf-8")
    rotated = impacts(as_json(whatif(run_wrk, evidence, *args, inventory=inventory)))
    assert rotated[("WRK-1342", "execute")]["after"] == "pause"


def test_fresh_failed_observation_counts(run_wrk: RunWrk, tmp_path: Path) -> None:
    observe(tmp_path, "dev-secondary", "WRK-635", ok=False, local=False)
    row = impacts(as_json(whatif(run_wrk, tmp_path, "--drain", "ace-win-1", "--json")))[
        ("WRK-635", "execute")
    ]
    assert row["after"] == "pause"
    assert "dev-secondary" in row["reason"]


def test_text_output_says_what_was_assumed(run_wrk: RunWrk, tmp_path: Path) -> None:
    proc = whatif(run_wrk, tmp_path, "--drain", "ace-win-1")
    assert proc.returncode == 0, proc.stderr
    assert "drain ace-win-1: 2 row(s) of 2 item(s) lose a machine" in proc.stdout
    assert "assumed ready, declarations only: dev-primary, dev-secondary" in proc.stdout
    assert "outcome: 0 fail, 1 pause, 1 fallback, 0 pass" in proc.stdout


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--drain", "nosuch-box"], 1, "[--drain]: unknown workstation 'nosuch-box'"),
        ([], 64, "--drain"),
        (["--drain", "dev-primary", "-i", "/nonexistent/inventory"], 1, "/nonexistent/inventory"),
    ],
)
def test_bad_input(run_wrk: RunWrk, tmp_path: Path, args: list[str], code: int, said: str) -> None:
    proc = run_wrk("whatif", str(EXAMPLES), "-i", str(INVENTORY), *args)
    assert proc.returncode == code, proc.stderr
    assert said in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_missing_queue(run_wrk: RunWrk, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    proc = run_wrk("whatif", str(missing), "-i", str(INVENTORY), "--drain", "dev-primary")
    assert proc.returncode == 1
    assert f"{missing}: no such file or folder" in proc.stderr


def test_invalid_items_are_skipped_and_said(run_wrk: RunWrk, tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    queue.mkdir()
    (queue / "WRK-1.md").write_text("---\nid: WRK-1\nstage_assignments: [\n---\n")
    (queue / "WRK-2.md").write_bytes((EXAMPLES / "WRK-640.md").read_bytes())
    proc = run_wrk("whatif", str(queue), "-i", str(INVENTORY), "--drain", "dev-primary", "--json")
    data = as_json(proc)
    assert data["skipped"] == [str(queue / "WRK-1.md")]
    assert "1 item(s) skipped: invalid contract" in proc.stderr
    assert {i["wrk"] for i in data["impacts"]} == {"WRK-640"}
