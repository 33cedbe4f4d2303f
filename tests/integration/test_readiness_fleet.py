"""Readiness over the real SSH fleet: every named host produces its outcome through real ssh.

Two paths, each run once over the whole fleet and then asserted per host: ``ansible-playbook
playbooks/readiness.yml`` (what ops type) and ``wrk readiness --json`` (ansible-runner behind
wrk). License seats need a license requirement that only the license hosts declare, so they get
one more (small) run per path. Then the canary (a tool named as a Jinja lookup creates nothing
through either path) and the signed attestation of a host without remote access.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fleet import LICENSE_FEATURE, OLD_TOOL_VERSION, TOOL, TOOL_VERSION, Fleet

from wrk_ansible.readiness.gather import unsafe_yaml

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAYBOOK = REPO_ROOT / "playbooks" / "readiness.yml"
#: Generous: catches a hang (the hanging host must be decided by its own timeout), asserts no
#: speed; speed belongs in benchmarks/readiness.py.
TIMEOUT = 600
LICENSE_HOSTS = ["ws_license_ok", "ws_license_exhausted"]
#: Every host of the standard fleet that answers ssh.
SSH_HOSTS = [
    "ws_ready",
    "ws_missing_tool",
    "ws_old_version",
    "ws_low_disk",
    "ws_license_ok",
    "ws_license_exhausted",
    "ws_windows",
]
DEAD_HOSTS = ["ws_unreachable", "ws_hangs"]
#: What the whole fleet is asked for: the tool at a minimum version, and room in $HOME (the low
#: disk host's HOME is an 8 MiB tmpfs; ``~`` is expanded on each host).
REQUIREMENTS: dict[str, Any] = {
    "tools": [{"name": TOOL, "min_version": "2.0"}],
    "disk": [{"path": "~", "free_gb": 0.05}],
}
LICENSE_REQUIREMENTS: dict[str, Any] = {"licenses": [{"feature": LICENSE_FEATURE, "seats": 2}]}
#: What each host must fail on: (kind, name) of its one failing check.
FAILING = {
    "ws_missing_tool": ("tool", TOOL),
    "ws_old_version": ("tool", TOOL),
    "ws_low_disk": ("disk", "~"),
}
RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)
CUSTOM_STATS = re.compile(r"^\s*RUN: (?P<json>\{.*\})\s*$", re.MULTILINE)


def canary_name(canary: Path) -> str:
    return "{{ lookup('pipe', 'touch " + str(canary) + "') }}"


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{path} is missing: run `make test` (it installs the dev extras)"
    return str(path)


def environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "WRK_"))}
    env.update(
        {
            "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": str(scratch / "ansible-local"),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(scratch / "cp"),
            "ANSIBLE_SHOW_CUSTOM_STATS": "1",
            "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
        }
    )
    return env


def run(argv: list[str], scratch: Path, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=environment(scratch),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def playbook(inventory: Path, scratch: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([tool("ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), *args], scratch)


def wrk(scratch: Path, *args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return run([tool("wrk"), *args], scratch, cwd=cwd)


@dataclass(frozen=True)
class PlaybookResult:
    """An ansible-playbook run read back: recap per host and each host's published result."""

    proc: subprocess.CompletedProcess[str]
    recap: Mapping[str, Mapping[str, int]]
    results: Mapping[str, Any]

    @classmethod
    def of(cls, proc: subprocess.CompletedProcess[str]) -> PlaybookResult:
        out = proc.stdout + proc.stderr
        recap = {
            m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
            for m in RECAP.finditer(proc.stdout)
        }
        assert recap, f"no PLAY RECAP:\n{out}"
        stats = CUSTOM_STATS.search(proc.stdout)
        assert stats, f"no CUSTOM STATS (set_stats) in the output:\n{out}"
        results = json.loads(stats["json"])["wrk_readiness"]
        return cls(proc, recap, results)

    def failing(self, host: str) -> list[tuple[str, str]]:
        return [(c["kind"], c["name"]) for c in self.results[host]["checks"] if c["ok"] is not True]


#: ws_windows's interpreter: runs a script given with -c (the raw path) and nothing else.
NO_MODULES_PYTHON = """#!/bin/sh
case "$1" in
  -c) exec /usr/bin/python3 "$@" ;;
  *) echo "this host runs no Ansible modules" >&2; exit 1 ;;
esac
"""


def fleet_inventory_data(fleet: Fleet) -> dict[str, Any]:
    """The fleet's inventory, with ws_windows unable to run Ansible's Python modules.

    A real Windows host over SSH cannot run them; here its interpreter refuses anything but a
    ``-c`` script, so only the role's raw path can probe it.
    """
    python = fleet.root / "no-modules-python"
    if not python.exists():
        python.write_text(NO_MODULES_PYTHON, encoding="utf-8")
        python.chmod(0o755)
    data = copy.deepcopy(fleet.inventory())
    windows = data["all"]["children"]["windows"]["hosts"]["ws_windows"]
    windows["ansible_python_interpreter"] = str(python)
    return data


def write_inventory(folder: Path, data: Mapping[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    # As wrk stores values: strings Jinja could act on are tagged !unsafe.
    (folder / "hosts.yml").write_text(unsafe_yaml(data), encoding="utf-8")
    return folder


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Runs:
    """One run per path over the whole fleet, one more per path for the license hosts."""

    playbook: PlaybookResult
    playbook_licenses: PlaybookResult
    wrk: subprocess.CompletedProcess[str]
    wrk_licenses: subprocess.CompletedProcess[str]

    def wrk_json(self, proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
        assert proc.stdout.strip(), proc.stderr
        return {entry["host"]: entry for entry in json.loads(proc.stdout)}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("readiness-fleet")


@pytest.fixture(scope="module")
def inventory(fleet: Fleet, scratch: Path) -> Path:
    return write_inventory(scratch / "inventory", fleet_inventory_data(fleet))


@pytest.fixture(scope="module")
def runs(inventory: Path, scratch: Path) -> Runs:
    req = write_yaml(scratch / "req.yml", REQUIREMENTS)
    lic = write_yaml(scratch / "req-licenses.yml", LICENSE_REQUIREMENTS)
    limit = ",".join(LICENSE_HOSTS)
    return Runs(
        playbook=PlaybookResult.of(
            playbook(inventory, scratch, "-e", f"wrk_readiness_requirements_file={req}")
        ),
        playbook_licenses=PlaybookResult.of(
            playbook(
                inventory, scratch, "--limit", limit, "-e", f"wrk_readiness_requirements_file={lic}"
            )
        ),
        wrk=wrk(scratch, "readiness", "-i", str(inventory), "--requirements", str(req), "--json",
                "--no-record"),
        wrk_licenses=wrk(
            scratch, "readiness", "-i", str(inventory), "--limit", limit,
            "--requirements", str(lic), "--json", "--no-record",
        ),
    )  # fmt: skip


# ------------------------------------------------------------------------------------------
# ansible-playbook playbooks/readiness.yml
# ------------------------------------------------------------------------------------------


def test_playbook_changes_nothing_and_every_host_finishes(runs: Runs) -> None:
    pb = runs.playbook
    out = pb.proc.stdout + pb.proc.stderr
    assert set(pb.recap) == set(SSH_HOSTS + DEAD_HOSTS), out
    for host, counts in pb.recap.items():
        assert counts["changed"] == 0, (host, counts)
        assert counts["failed"] == 0, (host, out)  # not ready is reported, never failed
    for host in SSH_HOSTS:
        assert pb.recap[host]["unreachable"] == 0, (host, out)
        assert host in pb.results, out
    # Unreachable hosts exit ansible-playbook with 4; nothing failed, so not 2.
    assert pb.proc.returncode == 4, out


@pytest.mark.parametrize("host", DEAD_HOSTS)
def test_playbook_reports_dead_hosts_unreachable_not_failed(runs: Runs, host: str) -> None:
    pb = runs.playbook
    assert pb.recap[host]["unreachable"] == 1, pb.proc.stdout
    assert pb.recap[host]["failed"] == 0
    assert host not in pb.results
    assert re.search(rf"UNREACHABLE! => .*\n?.*{host}|\[{host}\]: UNREACHABLE!", pb.proc.stdout)


@pytest.mark.parametrize("host", SSH_HOSTS)
def test_playbook_outcome_per_host(runs: Runs, host: str) -> None:
    pb = runs.playbook
    result = pb.results[host]
    assert result["mode"] == "requirements"
    expected = [FAILING[host]] if host in FAILING else []
    assert pb.failing(host) == expected, result
    assert result["ready"] is (not expected)
    verdict = "NOT READY" if expected else "READY"
    assert f"{host}: {verdict} (requirements, 2 checks" in pb.proc.stdout


def test_playbook_summary_says_required_and_found(runs: Runs) -> None:
    out = runs.playbook.proc.stdout
    assert f"FAIL tool {TOOL}: required >= 2.0, found {OLD_TOOL_VERSION} at " in out
    assert f"version {OLD_TOOL_VERSION} is older than the required 2.0" in out
    assert f"FAIL tool {TOOL}: required >= 2.0, found - (not found on PATH)" in out
    assert "FAIL disk ~: required 0.05 GiB free, found 0.0 GiB free" in out
    assert f"PASS tool {TOOL}: required >= 2.0, found {TOOL_VERSION} at " in out


def test_playbook_probes_windows_through_raw(runs: Runs) -> None:
    out = runs.playbook.proc.stdout
    # One task per host; its result says which transport probed the host.
    windows = re.search(r"ok: \[ws_windows\] => (\{.*?^\})", out, flags=re.DOTALL | re.MULTILINE)
    ready = re.search(r"ok: \[ws_ready\] => (\{.*?^\})", out, flags=re.DOTALL | re.MULTILINE)
    assert windows, out
    assert ready, out
    assert json.loads(windows.group(1))["transport"] == "script"
    assert json.loads(ready.group(1))["transport"] == "script"  # the default everywhere
    # Its module interpreter does not exist: only the raw path could have produced this.
    assert runs.playbook.results["ws_windows"]["ready"] is True


def test_playbook_license_seats(runs: Runs) -> None:
    pb = runs.playbook_licenses
    out = pb.proc.stdout + pb.proc.stderr
    assert pb.proc.returncode == 0, out
    assert set(pb.recap) == set(LICENSE_HOSTS)
    assert all(c["changed"] == 0 and c["failed"] == 0 for c in pb.recap.values()), out
    ok = pb.results["ws_license_ok"]["checks"]
    exhausted = pb.results["ws_license_exhausted"]["checks"]
    assert [(c["name"], c["ok"]) for c in ok] == [(LICENSE_FEATURE, True)], ok
    assert [(c["name"], c["ok"]) for c in exhausted] == [(LICENSE_FEATURE, False)], exhausted
    assert ok[0]["found"].startswith("3 free of 4 on ")
    assert exhausted[0]["found"].startswith("0 free of 2 on ")
    assert exhausted[0]["reason"] == "0 seats free, 2 required"


# ------------------------------------------------------------------------------------------
# wrk readiness --json (ansible-playbook with wrk's callback; --artifacts: ansible-runner)
# ------------------------------------------------------------------------------------------


def test_wrk_exit_code_two_when_some_hosts_are_not_ready(runs: Runs) -> None:
    assert runs.wrk.returncode == 2, runs.wrk.stderr
    assert "4 of 9 host(s) ready" in runs.wrk.stderr


@pytest.mark.parametrize("host", SSH_HOSTS)
def test_wrk_outcome_per_host(runs: Runs, host: str) -> None:
    entry = runs.wrk_json(runs.wrk)[host]
    assert entry["reachable"] is True, entry
    failing = [(c["kind"], c["name"]) for c in entry["checks"] if c["ok"] is not True]
    expected = [FAILING[host]] if host in FAILING else []
    assert failing == expected, entry
    assert entry["ready"] is (not expected)
    for check in entry["checks"]:
        assert set(check) >= {"name", "required", "found", "ok", "reason"}


def test_wrk_failing_checks_say_why(runs: Runs) -> None:
    found = runs.wrk_json(runs.wrk)
    old = found["ws_old_version"]["checks"][0]
    assert old["required"] == ">= 2.0"
    assert old["found"].startswith(f"{OLD_TOOL_VERSION} at ")
    assert found["ws_missing_tool"]["checks"][0]["reason"] == "not found on PATH"
    disk = found["ws_low_disk"]["checks"][1]
    assert disk["required"] == "0.05 GiB free"
    assert disk["reason"] == "0.0 GiB free, 0.05 GiB required"


def test_wrk_reports_dead_hosts_unreachable(runs: Runs) -> None:
    found = runs.wrk_json(runs.wrk)
    refused, hangs = found["ws_unreachable"], found["ws_hangs"]
    assert refused["reachable"] is False
    assert refused["ready"] is False
    assert "Connection refused" in refused["message"]
    # Accepts TCP and never speaks: decided by the ssh timeout, not by the test's timeout.
    assert hangs["reachable"] is False
    assert "timed out" in hangs["message"]
    assert "ws_hangs: unreachable" in runs.wrk.stderr


def test_wrk_probes_windows_through_raw(runs: Runs) -> None:
    entry = runs.wrk_json(runs.wrk)["ws_windows"]
    assert entry["ready"] is True, entry
    assert entry["facts"]["python_executable"] == "/usr/bin/python3"


def test_wrk_license_seats(runs: Runs) -> None:
    proc = runs.wrk_licenses
    assert proc.returncode == 2, proc.stderr
    found = runs.wrk_json(proc)
    assert set(found) == set(LICENSE_HOSTS)
    assert found["ws_license_ok"]["ready"] is True, found
    exhausted = found["ws_license_exhausted"]
    assert exhausted["ready"] is False
    assert [(c["kind"], c["name"], c["ok"]) for c in exhausted["checks"]] == [
        ("license", LICENSE_FEATURE, False)
    ]
    assert exhausted["checks"][0]["required"] == "2 free seats"


def outcomes(entries: Mapping[str, Any]) -> dict[str, Any]:
    """What a run found per host, without its times."""
    return {
        host: (e["ready"], e["reachable"], [(c["kind"], c["name"], c["ok"]) for c in e["checks"]])
        for host, e in entries.items()
    }


def test_wrk_artifacts_runs_through_ansible_runner_and_finds_the_same(
    runs: Runs, inventory: Path, scratch: Path
) -> None:
    """--artifacts: the run goes through ansible-runner, keeps its job events (what AWX and
    ``wrk gate --from-artifacts`` read), and finds per host what the direct run found."""
    kept = scratch / "kept-artifacts"
    proc = wrk(
        scratch, "readiness", "-i", str(inventory), "--requirements", str(scratch / "req.yml"),
        "--json", "--no-record", "--artifacts", str(kept),
    )  # fmt: skip
    assert proc.returncode == runs.wrk.returncode, proc.stderr
    assert outcomes(runs.wrk_json(proc)) == outcomes(runs.wrk_json(runs.wrk))
    assert len(outcomes(runs.wrk_json(proc))) == 9
    from wrk_ansible.readiness.artifacts import read_artifacts

    kept_run = read_artifacts(kept)
    assert set(kept_run.observations) == set(SSH_HOSTS + DEAD_HOSTS), proc.stderr
    assert {h for h, o in kept_run.observations.items() if not o.reachable} == set(DEAD_HOSTS)


def test_wrk_artifacts_do_not_apply_to_local(scratch: Path) -> None:
    proc = wrk(scratch, "readiness", "--local", "--artifacts", str(scratch / "nowhere"))
    assert proc.returncode == 64  # a usage error
    assert "--artifacts does not apply to --local" in proc.stderr
    assert not (scratch / "nowhere").exists()


def test_wrk_exit_code_zero_when_every_host_is_ready(inventory: Path, scratch: Path) -> None:
    req = write_yaml(scratch / "req-ready.yml", REQUIREMENTS)
    proc = wrk(
        scratch, "readiness", "-i", str(inventory), "--limit", "ws_ready", "--requirements",
        str(req), "--json", "--no-record",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    [entry] = json.loads(proc.stdout)
    assert (entry["host"], entry["ready"]) == ("ws_ready", True)
    assert [c["ok"] for c in entry["checks"]] == [True, True]


# ------------------------------------------------------------------------------------------
# The canary: a tool named as a Jinja lookup is data on every path
# ------------------------------------------------------------------------------------------


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    return tmp_path / "CANARY"


def test_canary_requirements_file_through_playbook(
    inventory: Path, tmp_path: Path, canary: Path
) -> None:
    req = write_yaml(tmp_path / "req.yml", {"tools": [{"name": canary_name(canary)}]})
    proc = playbook(
        inventory, tmp_path, "--limit", "ws_ready,ws_windows",
        "-e", f"wrk_readiness_requirements_file={req}",
    )  # fmt: skip
    result = PlaybookResult.of(proc)
    assert not canary.exists()
    assert str(canary) not in os.listdir(tmp_path)
    for host in ("ws_ready", "ws_windows"):  # the module path and the raw path
        [check] = result.results[host]["checks"]
        assert check["name"] == canary_name(canary)  # reached the probe verbatim, as data
        assert check["ok"] is False
        assert "invalid tool name" in check["reason"]


def test_canary_extra_vars_through_playbook(inventory: Path, tmp_path: Path, canary: Path) -> None:
    # As wrk hands requirements over: -e @file, the Jinja-bearing string tagged !unsafe.
    extra = tmp_path / "extra.yml"
    extra.write_text(
        unsafe_yaml({"wrk_readiness_requirements": {"tools": [{"name": canary_name(canary)}]}}),
        encoding="utf-8",
    )
    assert "!unsafe" in extra.read_text(encoding="utf-8")
    result = PlaybookResult.of(
        playbook(inventory, tmp_path, "--limit", "ws_ready,ws_windows", "-e", f"@{extra}")
    )
    assert not canary.exists()
    for host in ("ws_ready", "ws_windows"):
        [check] = result.results[host]["checks"]
        assert check["name"] == canary_name(canary)
        assert check["ok"] is False


def test_canary_requirements_refused_by_wrk(inventory: Path, tmp_path: Path, canary: Path) -> None:
    req = write_yaml(tmp_path / "req.yml", {"tools": [{"name": canary_name(canary)}]})
    proc = wrk(tmp_path, "readiness", "-i", str(inventory), "--requirements", str(req), "--json")
    assert proc.returncode == 1, proc.stderr
    error = json.loads(proc.stdout)["error"]  # with --json, one error object and nothing else
    assert (error["file"], error["field"]) == (str(req), "tools.0.name")
    assert "Traceback" not in proc.stderr
    assert str(req) in proc.stderr
    assert "tools" in proc.stderr
    assert "Jinja template" in proc.stderr
    assert not canary.exists()
    assert not (tmp_path / ".wrk").exists()  # nothing recorded


def _inventory_with_canary_tool(fleet: Fleet, folder: Path, canary: Path) -> Path:
    data = fleet_inventory_data(fleet)
    hosts = data["all"]["children"]
    hosts["linux"]["hosts"]["ws_ready"]["wrk_tools"] = [TOOL, canary_name(canary)]
    hosts["windows"]["hosts"]["ws_windows"]["wrk_tools"] = [canary_name(canary)]
    return write_inventory(folder, data)


def test_canary_host_var_through_playbook_and_wrk(
    fleet: Fleet, tmp_path: Path, canary: Path
) -> None:
    inventory = _inventory_with_canary_tool(fleet, tmp_path / "inventory", canary)
    assert "!unsafe" in (inventory / "hosts.yml").read_text(encoding="utf-8")
    # The playbook in declared mode (no requirements): the role hands wrk_tools to the probe.
    result = PlaybookResult.of(playbook(inventory, tmp_path, "--limit", "ws_ready,ws_windows"))
    assert not canary.exists()
    for host in ("ws_ready", "ws_windows"):
        assert result.results[host]["mode"] == "declared"
        names = [c["name"] for c in result.results[host]["checks"]]
        assert canary_name(canary) in names, result.results[host]
    proc = wrk(tmp_path, "readiness", "-i", str(inventory), "--limit", "ws_ready", "--json",
               "--no-record")  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "wrk_tools" in proc.stderr
    assert not canary.exists()


def test_canary_control_fires_without_unsafe(fleet: Fleet, tmp_path: Path, canary: Path) -> None:
    """The same host var, written without !unsafe, does fire: the canary tests can fail."""
    data = fleet_inventory_data(fleet)
    data["all"]["children"]["linux"]["hosts"]["ws_ready"]["wrk_tools"] = [canary_name(canary)]
    folder = tmp_path / "inventory"
    folder.mkdir()
    write_yaml(folder / "hosts.yml", data)
    playbook(folder, tmp_path, "--limit", "ws_ready")
    assert canary.exists()


# ------------------------------------------------------------------------------------------
# wrk readiness --local on a host without remote access: a signed attestation
# ------------------------------------------------------------------------------------------


def _offline_inventory(folder: Path, tmp_path: Path, signing_key: str | None) -> Path:
    host: dict[str, Any] = {
        "wrk_access": "none",
        "wrk_os": "linux",
        "wrk_tools": ["sh"],
        "wrk_storage": [{"path": str(tmp_path)}],
    }
    if signing_key:
        host["wrk_signing_key"] = signing_key
    folder.mkdir(parents=True, exist_ok=True)
    write_yaml(folder / "hosts.yml", {"all": {"hosts": {"ws_offline": host}}})
    return folder


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ws_offline", "-f", str(path)],
        check=True,
        timeout=60,
    )
    return path.with_suffix(".pub").read_text(encoding="utf-8").strip()


def test_local_attestation_needs_a_signing_key(tmp_path: Path) -> None:
    inventory = _offline_inventory(tmp_path / "inventory", tmp_path, None)
    evidence = tmp_path / "evidence"
    proc = wrk(
        tmp_path, "readiness", "--local", "--here", "ws_offline", "-i", str(inventory),
        "--evidence-dir", str(evidence),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "ws_offline has no remote access" in proc.stderr
    assert "--sign-key" in proc.stderr
    assert not evidence.exists() or not any(evidence.rglob("*.json"))


def test_local_attestation_signed_and_verified(tmp_path: Path) -> None:
    public = _keygen(tmp_path / "signing")
    other = _keygen(tmp_path / "other")
    inventory = _offline_inventory(tmp_path / "inventory", tmp_path, None)
    evidence = tmp_path / "evidence"
    proc = wrk(
        tmp_path, "readiness", "--local", "--here", "ws_offline", "-i", str(inventory),
        "--sign-key", str(tmp_path / "signing"), "--evidence-dir", str(evidence), "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [entry] = json.loads(proc.stdout)
    assert (entry["host"], entry["ready"], entry["source"]) == ("ws_offline", True, "local probe")
    records = sorted(evidence.rglob("*-attestation.json"))
    assert len(records) == 1, list(evidence.rglob("*"))
    assert records[0].parent.name.startswith("ws_offline@")  # its own chain, from this clone
    assert records[0].with_name(records[0].name + ".sig").is_file()
    body = json.loads(records[0].read_text(encoding="utf-8"))
    assert body["kind"] == "attestation"
    assert body["body"]["observation"]["host"] == "ws_offline"

    verify = ["evidence", "verify", "--evidence-dir", str(evidence), "--json"]
    keyed = _offline_inventory(tmp_path / "keyed", tmp_path, public)
    good = wrk(tmp_path, *verify, "-i", str(keyed))
    assert good.returncode == 0, good.stdout + good.stderr
    chains = json.loads(good.stdout)["chains"]
    assert [(c["records"], c["signed"], c["problems"]) for c in chains] == [(1, 1, [])]
    # Another key in the inventory: the same record no longer verifies.
    wrong = wrk(tmp_path, *verify, "-i", str(_offline_inventory(tmp_path / "w", tmp_path, other)))
    assert wrong.returncode == 1, wrong.stdout
    assert "signature does not verify" in wrong.stdout
