"""One rule for every command that writes evidence: ``--here`` when given, else the inventory
host this machine matches, else a usage error (exit 64) saying so, with nothing written.

Issue 15: with no ``--here``, ``wrk handoff``, ``wrk quota record`` and ``wrk readiness``
(network mode) silently wrote chains under the OS hostname (``WRK-101/vm/...``), while ``gate``
and ``readiness --local`` refused the same situation. Each writer runs here as a real ``wrk``
process in a repository whose inventory does not hold this machine, then with no inventory at
all, then (the control) with ``--here``, which records.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]
TreeHash = Callable[[Path], dict[str, str]]
TESTS = Path(__file__).resolve().parents[1]
QUOTA_FILE = TESTS / "fixtures" / "quota" / "agent-quota-2026-03-01.json"
#: Hosts named so that no test machine's hostname matches them.
HOSTS = ("wrk-test-writer-a", "wrk-test-writer-b")
WRK = (
    "---\nid: WRK-101\ntitle: writer rule\nstatus: pending\nstage_assignments:\n"
    f"  execute:\n    primary: claude\n    workstations: [{HOSTS[0]}]\n---\n# WRK-101\n"
)


REVIEW = ("--stage", "plan_review", "--agent", "claude", "--verdict", "approve")


@dataclass(frozen=True)
class Writer:
    """One writing command: its arguments (``{wrk}``, ``{quota}`` filled in) and whether it runs
    without an inventory at all (quota, review, readiness --local do; the rest need one)."""

    id: str
    args: tuple[str, ...]
    without_inventory: bool


WRITERS = [
    Writer("gate", ("gate", "{wrk}", "--stage", "execute"), False),
    Writer("handoff", ("handoff", "{wrk}", "--from", HOSTS[0], "--to", HOSTS[1]), False),
    Writer("readiness", ("readiness",), False),
    Writer("readiness-local", ("readiness", "--local"), True),
    Writer("quota-record", ("quota", "record", "claude", "--used-pct", "40"), True),
    Writer("quota-import", ("quota", "import", "{quota}"), True),
    Writer("review-record", ("review", "record", "{wrk}", *REVIEW), True),
]


def _repo(base: Path, *, inventory: bool) -> Path:
    repo = base / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "WRK-101.md").write_text(WRK, encoding="utf-8")
    if inventory:
        host = {"ansible_connection": "local", "wrk_access": "local", "wrk_os": "linux"}
        data = {"all": {"hosts": {name: dict(host) for name in HOSTS}}}
        (repo / "inventory").mkdir()
        (repo / "inventory" / "hosts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return repo


def _args(writer: Writer, repo: Path, *extra: str) -> list[str]:
    filled = [
        a.replace("{wrk}", str(repo / "WRK-101.md")).replace("{quota}", str(QUOTA_FILE))
        for a in writer.args
    ]
    return [*filled, "--evidence-dir", str(repo / ".wrk" / "evidence"), *extra]


def test_the_hosts_match_no_test_machine() -> None:
    """A control: were this machine named like a test host, the refusals below would pass for
    the wrong reason."""
    names = {socket.gethostname(), socket.getfqdn()}
    assert not {n.split(".")[0].casefold() for n in names} & set(HOSTS)


@pytest.mark.parametrize("writer", WRITERS, ids=[w.id for w in WRITERS])
def test_a_writer_this_inventory_does_not_know_is_refused_and_writes_nothing(
    writer: Writer, run_wrk: RunWrk, tmp_path: Path, tree_hash: TreeHash
) -> None:
    repo = _repo(tmp_path, inventory=True)
    before = tree_hash(tmp_path)
    done = run_wrk(*_args(writer, repo), cwd=repo)
    assert done.returncode == 64, done.stdout + done.stderr
    [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("wrk: error: ")]
    assert "matches no inventory host or alias" in line
    assert "--here HOST" in line
    assert "Traceback" not in done.stderr
    assert tree_hash(tmp_path) == before


@pytest.mark.parametrize("writer", [w for w in WRITERS if w.without_inventory], ids=lambda w: w.id)
def test_a_writer_with_no_inventory_and_no_here_is_a_usage_error(
    writer: Writer, run_wrk: RunWrk, tmp_path: Path, tree_hash: TreeHash
) -> None:
    repo = _repo(tmp_path, inventory=False)
    before = tree_hash(tmp_path)
    done = run_wrk(*_args(writer, repo, "--json"), cwd=repo)
    assert done.returncode == 64, done.stdout + done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["exit_code"] == 64
    assert "no inventory here" in error["message"]
    assert "give --here HOST" in error["message"]
    assert tree_hash(tmp_path) == before


@pytest.mark.parametrize("writer", WRITERS, ids=[w.id for w in WRITERS])
def test_control_with_here_the_same_command_records_under_that_host(
    writer: Writer, run_wrk: RunWrk, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, inventory=True)
    extra = ["--here", HOSTS[0], "--timeout", "60"] if writer.id.startswith("gate") else []
    extra = extra or ["--here", HOSTS[0]]
    done = run_wrk(*_args(writer, repo, *extra), cwd=repo, timeout=180)
    assert done.returncode in (0, 2), done.stdout + done.stderr  # a pause still records
    evidence = repo / ".wrk" / "evidence"
    chains = {p.parent.name for p in evidence.rglob("HEAD")}
    assert chains, sorted(str(p) for p in evidence.rglob("*"))
    assert {chain.partition("@")[0] for chain in chains} == {HOSTS[0]}, chains  # HOST@CLONE
    hosts = {json.loads(p.read_text(encoding="utf-8"))["host"] for p in evidence.rglob("0*.json")}
    assert hosts == {HOSTS[0]}
    verify = run_wrk("evidence", "verify", "--evidence-dir", str(evidence), cwd=repo)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_readiness_local_without_an_inventory_needs_no_writer_when_it_records_nothing(
    run_wrk: RunWrk, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, inventory=False)
    done = run_wrk("readiness", "--local", "--no-record", "--json", cwd=repo)
    assert done.returncode in (0, 2), done.stderr
    assert not (repo / ".wrk").exists()
