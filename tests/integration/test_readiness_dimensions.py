"""The probe reports the host's dimensions, and they reach the fleet's history: ``wrk readiness``
through real ansible-playbook on a local-connection host, and ``wrk readiness --local`` inside a
real git clone one commit behind its upstream (a bare repository made in tmp_path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from wrk_ansible.evidence.fleet import observations
from wrk_ansible.evidence.ledger import Ledger, read_record
from wrk_ansible.evidence.readiness import CHAIN
from wrk_ansible.fleet.model import Checkout

pytestmark = pytest.mark.integration
TIMEOUT = 300
#: Who commits in the test repositories (no user config needed).
GIT_ENV = {
    "GIT_AUTHOR_NAME": "wrk test",
    "GIT_AUTHOR_EMAIL": "wrk-test@example.invalid",
    "GIT_COMMITTER_NAME": "wrk test",
    "GIT_COMMITTER_EMAIL": "wrk-test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def write_inventory(folder: Path, storage: Path) -> Path:
    box = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "/usr/bin/python3",
        "wrk_access": "local",
        "wrk_os": "linux",
        "wrk_tools": ["sh", "wrk-absent-tool"],
        "wrk_storage": [{"path": str(storage)}],
        "wrk_agents": ["claude"],
    }
    folder.mkdir()
    hosts = {"all": {"children": {"linux": {"hosts": {"box": box}}}}}
    (folder / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    return folder


def wrk(cwd: Path, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if k not in ("WRK_DEBUG", "WRK_EVIDENCE_DIR")}
    done = subprocess.run(
        [sys.executable, "-m", "wrk_ansible", "readiness", "--json", "--here", "box", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 2), done.stderr  # 2: wrk-absent-tool makes box not ready
    return json.loads(done.stdout)


def recorded(evidence: Path) -> list[dict[str, Any]]:
    """The observations of every readiness record, in chain order."""
    ledger = Ledger(evidence)
    return [
        dict(read_record(path).body["observation"])
        for _, chain in ledger.chains(CHAIN)
        for path in ledger.files(CHAIN, chain)
    ]


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args],
        env={**os.environ, **GIT_ENV}, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_readiness_through_ansible_records_the_dimensions(tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "inventory", tmp_path)
    evidence = tmp_path / "evidence"
    (entry,) = wrk(
        tmp_path, "--limit", "box", "-i", str(inventory), "--evidence-dir", str(evidence)
    )
    assert entry["source"] == "probe"  # through ansible-playbook, not in process
    assert entry["ready"] is False  # wrk-absent-tool: the dimensions changed no verdict
    (seen,) = recorded(evidence)
    dims = seen["dimensions"]
    assert dims["compute"]["cores"] == os.cpu_count()
    assert dims["compute"]["ram_gib"] > 0
    assert [d["path"] for d in dims["disk"]] == [str(tmp_path)]
    assert dims["solvers"] == {"sh": "present", "wrk-absent-tool": "absent"}
    assert set(dims["agents"]) == {"claude"}
    assert "checkout" not in dims  # the Ansible path gives the probe no repository
    (observed,) = observations(Ledger(evidence), ["box"])["box"]
    assert observed.dimensions.compute is not None
    assert observed.dimensions.compute.cores == os.cpu_count()
    assert observed.dimensions.solvers == dims["solvers"]


def test_local_readiness_reports_the_checkout_it_runs_in(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream.git"
    seed, work = tmp_path / "seed", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(upstream))
    git(tmp_path, "clone", "-q", str(upstream), str(seed))
    git(seed, "commit", "-q", "--allow-empty", "-m", "one")
    git(seed, "push", "-q", "origin", "HEAD:main")
    git(tmp_path, "clone", "-q", str(upstream), str(work))
    git(seed, "commit", "-q", "--allow-empty", "-m", "two")
    git(seed, "push", "-q", "origin", "HEAD:main")
    git(work, "fetch", "-q")  # the clone now knows it is one commit behind
    head = git(work, "rev-parse", "HEAD")
    (work / "queue").mkdir()  # run from below the top: the work tree is found all the same

    inventory = write_inventory(tmp_path / "inventory", tmp_path)
    evidence = tmp_path / "evidence"  # outside the clone, which stays clean
    args = ("--local", "-i", str(inventory), "--evidence-dir", str(evidence))
    (entry,) = wrk(work / "queue", *args)
    assert entry["source"] == "local probe"
    assert entry["dimensions"]["checkout"] == {
        "present": True,
        "dirty": False,
        "behind": 1,
        "ahead": 0,
        "revision": head,
    }
    (seen,) = recorded(evidence)
    assert seen["dimensions"]["checkout"] == entry["dimensions"]["checkout"]
    (observed,) = observations(Ledger(evidence), ["box"])["box"]
    assert observed.dimensions.checkout == Checkout(
        present=True, dirty=False, behind=1, ahead=0, revision=head
    )
    assert observed.dimensions.compute is not None
    assert observed.dimensions.compute.cores == os.cpu_count()

    (work / "scratch.txt").write_text("not committed\n", encoding="utf-8")
    wrk(tmp_path, *args)  # outside every work tree: no checkout reported
    wrk(work, *args)
    outside, dirty = recorded(evidence)[1:]
    assert "checkout" not in outside["dimensions"]
    assert dirty["dimensions"]["checkout"]["dirty"] is True
