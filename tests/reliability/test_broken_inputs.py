"""Every file ``wrk`` reads besides the WRK itself, fed to it broken: one message naming the
file and the line, exit 1, no traceback, nothing changed (issue 15, "careless input").

The WRK files themselves (and what they point at by ``stage_assignments_ref``) go through
``test_bad_input.py``; this suite takes each other input the commands read, in a small real
repository (a local-connection inventory, a WRK, a requirements file, a quota snapshot, an
ansible-runner artifact directory, a routing policy, an SSH signing key, evidence records),
breaks one file and runs the real ``wrk`` command that reads it. A control runs each command on
the unbroken world and must succeed, so a case cannot pass by failing for another reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]
TreeHash = Callable[[Path], dict[str, str]]
TESTS = Path(__file__).resolve().parents[1]
QUOTA = TESTS / "fixtures" / "quota" / "agent-quota-2026-03-01.json"
HERE = "box"
#: Hang catchers, never timing assertions: a refusal takes well under a second, a gate that
#: probes the local host a few.
TIMEOUT = 180

HOSTS = (
    "---\nall:\n  children:\n    linux:\n      hosts:\n        box:\n"
    "          ansible_connection: local\n"
    "          ansible_python_interpreter: '{{ ansible_playbook_python }}'\n"
)
HOST_VARS = "---\nwrk_access: local\nwrk_os: linux\nwrk_agents: [claude]\n"
WRK = (
    "---\nid: WRK-1\ntitle: broken inputs\nstatus: pending\nplan_ref: WRK-1.md\n"
    "stage_assignments:\n  execute:\n    primary: claude\n    workstations: [box]\n"
    "    gates: [machine-readiness, route-policy]\n---\n# WRK-1\n"
)
ASSIGNMENTS = (
    "schema_version: 1\nstage_assignments:\n  execute:\n    primary: claude\n"
    "    workstations: [box]\n"
)
REQUIREMENTS = "---\ntools:\n  - {name: git, min_version: '2.0'}\n"
CONFIG = "---\nversion: 1\nstages:\n  execute:\n    primary: claude\n"
POLICY = "policy:\n  linux_first:\n    rule: Linux machines first\n"
LEGACY_CONFIG = "plugin: wrk_registry\nregistry: registry.yaml\n"
LEGACY = "machines:\n  old-box:\n    hostname: old-box-1\n    os: linux\n    ssh: null\n"


def _event(counter: int, kind: str, **data: object) -> str:
    return json.dumps(
        {"counter": counter, "event": kind, "created": "2026-03-01T10:00:00", "event_data": data}
    )


@dataclass
class World:
    """A repository under ``top``, and the last command's process."""

    top: Path
    repo: Path = field(init=False)

    def __post_init__(self) -> None:
        self.repo = self.top / "repo"
        files = {
            ".git/HEAD": "ref: refs/heads/main\n",
            "inventory/hosts.yml": HOSTS,
            "inventory/host_vars/box.yml": HOST_VARS,
            "inventory/group_vars/linux.yml": "---\nwrk_os: linux\n",
            "WRK-1.md": WRK,
            "WRK-2.md": WRK.replace("WRK-1", "WRK-2").replace(
                "stage_assignments:\n  execute:\n    primary: claude\n    workstations: [box]\n"
                "    gates: [machine-readiness, route-policy]\n",
                "stage_assignments_ref: assignments.yml\n",
            ),
            "assignments.yml": ASSIGNMENTS,
            "requirements.yml": REQUIREMENTS,
            "wrk.yml": CONFIG,
            "routing-policy.yml": POLICY,
            "legacy/fleet.wrk_registry.yml": LEGACY_CONFIG,
            "legacy/registry.yaml": LEGACY,
            "runs/artifacts/run-1/job_events/1-start.json": _event(1, "playbook_on_start"),
            "runs/artifacts/run-1/status": "successful\n",
            "runs/artifacts/run-1/rc": "0\n",
        }
        for name, text in files.items():
            path = self.repo / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        shutil.copyfile(QUOTA, self.repo / "quota.json")
        key = self.repo / "keys" / "signer"
        key.parent.mkdir()
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(key)],
            check=True,
            timeout=60,
        )
        (self.top / "evidence").mkdir()


def _evidence_record(world: World, run_wrk: RunWrk) -> None:
    done = run_wrk(*_quota_record(world), cwd=world.repo, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr


def _quota_record(world: World) -> tuple[str, ...]:
    return (
        "quota", "record", "claude", "--used-pct", "10", "--here", HERE, "-i", "inventory",
        "--evidence-dir", str(world.top / "evidence"),
    )  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One input, broken: the file (relative to the repository), what it holds then, the
    command that reads it, and the line and words the one error must give."""

    id: str
    file: str
    text: str | bytes
    args: tuple[str, ...]
    line: int | None
    said: str
    #: The gate reports a broken gate input as a failed check of its row (a result, exit 1),
    #: not as an error line; its reason names the file and line all the same.
    in_check: str | None = None
    setup: Callable[[World, RunWrk], None] | None = None


GATE = ("gate", "WRK-1.md", "--stage", "execute", "--here", HERE, "-i", "inventory")
NO_RECORD = ("--no-record", "--timeout", "60")
EVIDENCE = ("--evidence-dir", "{evidence}")

CASES = [
    Case("inventory-hosts", "inventory/hosts.yml",
         HOSTS + "        other: [unclosed\n", (*GATE, *NO_RECORD), 10, "YAML parsing failed"),
    Case("inventory-host_vars", "inventory/host_vars/box.yml",
         HOST_VARS + "wrk_notes: [local\n", ("inventory", "list", "-i", "inventory"), 6,
         "YAML parsing failed"),
    Case("inventory-host_vars-value", "inventory/host_vars/box.yml",
         HOST_VARS.replace("local", "telnet"), ("inventory", "show", "box", "-i", "inventory"),
         2, "Input should be 'ssh', 'local' or 'none'"),
    Case("inventory-group_vars", "inventory/group_vars/linux.yml",
         "---\nwrk_os: [linux\n", ("readiness", "-i", "inventory", "--no-record"), 3,
         "YAML parsing failed"),
    Case("inventory-host_vars-nul", "inventory/host_vars/box.yml",
         HOST_VARS + "wrk_notes: a\x00b\n", ("inventory", "list", "-i", "inventory"), 5,
         "NUL byte"),
    Case("legacy-registry", "legacy/registry.yaml", LEGACY.replace("os: linux", "os: [linux]"),
         ("inventory", "list", "-i", "legacy/fleet.wrk_registry.yml"), 4, "expected text"),
    Case("wrk.yml-yaml", "wrk.yml", CONFIG + "  close: [unclosed\n",
         ("--config", "wrk.yml", "contract", "validate", "WRK-1.md"), 7, "invalid YAML"),
    Case("wrk.yml-key", "wrk.yml", CONFIG.replace("stages:", "stagez:"),
         ("--config", "wrk.yml", *GATE, *NO_RECORD), 3, "unknown key 'stagez'"),
    Case("assignment-file", "assignments.yml", ASSIGNMENTS + "  close: [unclosed\n",
         ("contract", "show", "WRK-2.md"), 7, "invalid YAML"),
    Case("requirements-yaml", "requirements.yml", "---\ntools: [git\n",
         ("readiness", "--local", "--here", HERE, "-i", "inventory", "--requirements",
          "requirements.yml", "--no-record"), 3, "invalid YAML"),
    Case("requirements-version", "requirements.yml", REQUIREMENTS.replace("'2.0'", "'2.x'"),
         ("readiness", "-i", "inventory", "--requirements", "requirements.yml", "--no-record"),
         3, "min_version '2.x' is not a version"),
    Case("quota-json", "quota.json", '{\n  "agents": [\n    {"provider": "claude",\n',
         ("quota", "import", "quota.json", "--here", HERE, "-i", "inventory", *EVIDENCE), 4,
         "not JSON"),
    Case("quota-field", "quota.json",
         '{\n  "agents": [\n    {"provider": "claude",\n     "week_pct": 140}\n  ]\n}\n',
         ("quota", "import", "quota.json", "--here", HERE, "-i", "inventory", *EVIDENCE), 4,
         "is not a percentage"),
    Case("artifacts-json", "runs/artifacts/run-1/job_events/2-ok.json",
         '{"counter": 2,\n "event": "runner_on_ok",\n "event_data": {"host": \n',
         ("gate", "WRK-1.md", "--stage", "execute", "--here", HERE, "-i", "inventory",
          "--from-artifacts", "runs", *NO_RECORD), 4, "not JSON"),
    Case("artifacts-field", "runs/artifacts/run-1/job_events/2-ok.json",
         _event(2, "runner_on_ok", host="{{ lookup('pipe', 'id') }}"),
         ("gate", "WRK-1.md", "--stage", "execute", "--here", HERE, "-i", "inventory",
          "--from-artifacts", "runs", *NO_RECORD), 1, "is not an inventory host name"),
    Case("signing-key", "keys/signer", "not a key\n",
         ("quota", "record", "claude", "--used-pct", "10", "--here", HERE, "-i", "inventory",
          "--sign-key", "keys/signer", *EVIDENCE), None, "not a usable SSH private key"),
    Case("routing-policy", "routing-policy.yml", POLICY + "  decomposition: [unclosed\n",
         ("--config", "wrk.yml", *GATE, *NO_RECORD), 5, "invalid YAML", in_check="route-policy"),
    Case("evidence-record", "../evidence/_quota/box@*/000001-quota.json", '{"broken": ',
         ("evidence", "verify", *EVIDENCE), None, "000001", setup=_evidence_record),
]  # fmt: skip


def _fill(args: tuple[str, ...], world: World) -> list[str]:
    return [a.replace("{evidence}", str(world.top / "evidence")) for a in args]


def _prepare(world: World, case: Case) -> None:
    """Settings a case's command needs in its unbroken world too (the routing policy file)."""
    if case.id == "routing-policy":
        config = world.repo / "wrk.yml"
        config.write_text(CONFIG + "routing_policy: routing-policy.yml\n", encoding="utf-8")


def _run(run_wrk: RunWrk, world: World, case: Case) -> subprocess.CompletedProcess[str]:
    done = run_wrk(*_fill(case.args, world), cwd=world.repo, timeout=TIMEOUT)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    assert "internal error" not in done.stderr, done.stderr
    return done


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_control_the_unbroken_input_is_read(case: Case, run_wrk: RunWrk, tmp_path: Path) -> None:
    world = World(tmp_path)
    _prepare(world, case)
    if case.setup is not None:
        case.setup(world, run_wrk)
    done = _run(run_wrk, world, case)
    assert done.returncode in (0, 2), done.stdout + done.stderr  # a pause is an answer too


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_broken_input_is_one_message_naming_file_and_line(
    case: Case, run_wrk: RunWrk, tmp_path: Path, tree_hash: TreeHash
) -> None:
    world = World(tmp_path)
    _prepare(world, case)
    if case.setup is not None:
        case.setup(world, run_wrk)
    broken = (world.repo / case.file).resolve()
    if "*" in case.file:  # a chain folder named after its clone (HOST@CLONE)
        [broken] = broken.parent.parent.glob(f"{broken.parent.name}/{broken.name}")
    if isinstance(case.text, bytes):
        broken.write_bytes(case.text)
    else:
        broken.write_text(case.text, encoding="utf-8")
    if case.id == "signing-key":
        os.chmod(broken, 0o600)
    before = tree_hash(world.top)
    done = _run(run_wrk, world, case)
    assert done.returncode == 1, done.stdout + done.stderr
    located = f"{broken.name}:{case.line}" if case.line is not None else broken.name
    if case.in_check:
        out = json.loads(run_wrk(*_fill(case.args, world), "--json", cwd=world.repo,
                                 timeout=TIMEOUT).stdout)  # fmt: skip
        assert out["verdict"] == "fail"
        [check] = [c for c in out["checks"] if c["name"] == case.in_check]
        assert located in check["reason"], check
        assert case.said in check["reason"], check
    elif case.id == "evidence-record":  # verify names the record: _quota/box@CLONE/000001
        assert f"_quota/{broken.parent.name}/{case.said}" in done.stdout, done.stdout
    else:
        errors = [ln for ln in done.stderr.splitlines() if ln.startswith("wrk: error: ")]
        assert len(errors) == 1, done.stderr
        assert located in errors[0], errors[0]
        assert case.said in errors[0], errors[0]
        as_json = run_wrk(*_fill(case.args, world), "--json", cwd=world.repo, timeout=TIMEOUT)
        error = json.loads(as_json.stdout)["error"]
        assert Path(error["file"]).name == broken.name, error
        assert error["line"] == case.line, error
        assert error["exit_code"] == 1
    assert tree_hash(world.top) == before


def test_every_input_the_readme_lists_has_a_case() -> None:
    """tests/reliability/README.md lists every input the commands read with the test feeding
    it broken; each file of this suite's table is one of them."""
    readme = (TESTS / "reliability" / "README.md").read_text(encoding="utf-8")
    for case in CASES:
        assert f"`{case.id}`" in readme, case.id
    assert yaml.safe_load(REQUIREMENTS)["tools"]  # the unbroken inputs are what they say
