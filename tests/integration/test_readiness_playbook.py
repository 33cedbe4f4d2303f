"""playbooks/readiness.yml run for real with ansible-playbook on localhost (local connection)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAYBOOK = REPO_ROOT / "playbooks" / "readiness.yml"
#: Generous: a cold ansible-playbook on a busy CI machine. Catches hangs, asserts no speed.
TIMEOUT = 300
RECAP = re.compile(
    r"^localhost\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{path} is missing: run `make test` (it installs the dev extras)"
    return str(path)


def run_playbook(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
            "PATH": os.pathsep.join([str(BIN), env.get("PATH", "")]),
        }
    )
    return subprocess.run(
        [
            tool("ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            str(PLAYBOOK),
            *args,
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def recap(proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
    match = RECAP.search(proc.stdout)
    assert match, f"no PLAY RECAP in output:\n{proc.stdout}\n{proc.stderr}"
    return {key: int(value) for key, value in match.groupdict().items()}


def write_requirements(tmp_path: Path, requirements: object, name: str = "req.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(requirements), encoding="utf-8")
    return path


def closed_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_ready_host_summary_and_changed_zero(tmp_path: Path, check_mode: bool) -> None:
    req = write_requirements(
        tmp_path,
        {
            "tools": [{"name": "python3", "min_version": "3.8"}],
            "disk": [{"path": str(tmp_path), "free_gb": 0.001}],
        },
    )
    args = ["-e", f"wrk_readiness_requirements_file={req}"] + (["--check"] if check_mode else [])
    proc = run_playbook(tmp_path, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert recap(proc) == {"ok": recap(proc)["ok"], "changed": 0, "unreachable": 0, "failed": 0}
    assert "localhost: READY (requirements, 2 checks" in proc.stdout
    assert "PASS tool python3: required >= 3.8, found 3." in proc.stdout
    assert f"PASS disk {tmp_path}: required 0.001 GiB free" in proc.stdout


def test_not_ready_host_is_reported_not_failed(tmp_path: Path) -> None:
    port = closed_port()
    req = write_requirements(
        tmp_path,
        {
            "tools": [{"name": "wrk-no-such-tool"}],
            "disk": [{"path": str(tmp_path / "missing"), "free_gb": 1}],
            "network": [{"host": "127.0.0.1", "port": port}],
        },
    )
    proc = run_playbook(tmp_path, "-e", f"wrk_readiness_requirements_file={req}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert recap(proc)["changed"] == 0
    assert "localhost: NOT READY (requirements, 3 checks" in proc.stdout
    missing = "FAIL tool wrk-no-such-tool: required present, found - (not found on PATH)"
    assert missing in proc.stdout
    assert "path does not exist" in proc.stdout
    assert f"FAIL network 127.0.0.1:{port}: required reachable, found unreachable" in proc.stdout


def test_fail_when_not_ready(tmp_path: Path) -> None:
    req = write_requirements(tmp_path, {"disk": [{"path": str(tmp_path), "free_gb": 10000}]})
    proc = run_playbook(
        tmp_path,
        "-e",
        f"wrk_readiness_requirements_file={req}",
        "-e",
        "wrk_readiness_fail_when_not_ready=true",
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert recap(proc)["failed"] == 1
    assert "localhost is not ready: disk" in proc.stdout
    assert "required 10000 GiB free" in proc.stdout


def test_declared_mode_checks_host_vars(tmp_path: Path) -> None:
    declared = json.dumps({"wrk_storage": [{"path": str(tmp_path), "purpose": "work"}]})
    proc = run_playbook(tmp_path, "-e", declared)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "localhost: READY (declared, 1 checks" in proc.stdout
    assert f"PASS disk {tmp_path}: required exists" in proc.stdout


def test_raw_path_for_windows_hosts(tmp_path: Path) -> None:
    """A host marked wrk_os windows is probed by the same source through ansible.builtin.raw."""
    req = write_requirements(tmp_path, {"disk": [{"path": str(tmp_path), "free_gb": 0.001}]})
    proc = run_playbook(
        tmp_path,
        "-e",
        f"wrk_readiness_requirements_file={req}",
        "-e",
        "wrk_os=windows",
        "-e",
        f"wrk_readiness_raw_python={sys.executable}",
        "--check",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert recap(proc)["changed"] == 0
    assert '"transport": "script"' in proc.stdout  # the script path ran, not the module
    assert "localhost: READY (requirements, 1 checks" in proc.stdout


def test_module_transport_runs_the_wrk_probe_module(tmp_path: Path) -> None:
    """The script is the default; the module is the usual Ansible way and gives the same."""
    req = write_requirements(tmp_path, {"disk": [{"path": str(tmp_path), "free_gb": 0.001}]})
    proc = run_playbook(
        tmp_path,
        "-e",
        f"wrk_readiness_requirements_file={req}",
        "-e",
        "wrk_readiness_transport=module",
        "--check",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert recap(proc)["changed"] == 0
    assert '"transport": "module"' in proc.stdout
    assert "localhost: READY (requirements, 1 checks" in proc.stdout


def test_host_without_access_is_skipped_with_a_reason(tmp_path: Path) -> None:
    proc = run_playbook(tmp_path, "-e", "wrk_access=none")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "localhost: SKIPPED (wrk_access none" in proc.stdout
    assert "READY (" not in proc.stdout  # never probed


def test_requirements_file_must_be_a_mapping(tmp_path: Path) -> None:
    req = write_requirements(tmp_path, ["git"])
    proc = run_playbook(tmp_path, "-e", f"wrk_readiness_requirements_file={req}")
    assert proc.returncode != 0
    assert f"requirements file {req} must be a mapping" in proc.stdout


CANARY_TOOL = "{{ lookup('pipe','touch %s') }}"


@pytest.mark.parametrize(
    "how", ["file", "file-raw", "extra-vars-unsafe-yaml", "extra-vars-unsafe-json"]
)
def test_canary_tool_name_is_never_templated(tmp_path: Path, how: str) -> None:
    canary = tmp_path / "CANARY"
    name = CANARY_TOOL % canary
    if how.startswith("file"):
        req = write_requirements(tmp_path, {"tools": [{"name": name}]})
        args = ["-e", f"wrk_readiness_requirements_file={req}"]
        if how == "file-raw":
            args += ["-e", "wrk_os=windows", "-e", f"wrk_readiness_raw_python={sys.executable}"]
    elif how == "extra-vars-unsafe-yaml":
        # How wrk hands requirements over: marked unsafe.
        extra = tmp_path / "extra.yml"
        extra.write_text(
            f'wrk_readiness_requirements: !unsafe\n  tools:\n    - name: "{name}"\n',
            encoding="utf-8",
        )
        args = ["-e", f"@{extra}"]
    else:
        value = {"tools": [{"name": {"__ansible_unsafe": name}}]}
        args = ["-e", json.dumps({"wrk_readiness_requirements": value})]
    proc = run_playbook(tmp_path, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not canary.exists(), "a requirement value was templated"
    assert "invalid tool name" in proc.stdout
    assert "localhost: NOT READY" in proc.stdout


def test_ansible_doc_renders_the_module() -> None:
    proc = subprocess.run(
        [tool("ansible-doc"), "wrkansible.wrk.wrk_probe"],
        cwd=REPO_ROOT,
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrk_probe" in proc.stdout
    for word in ("requirements", "declared", "timeout", "RETURN VALUES", "EXAMPLES"):
        assert word in proc.stdout, word


def test_the_interpreter_never_reaches_the_shell_as_code(tmp_path: Path) -> None:
    """The script transport quotes every word of the interpreter for the host's shell."""
    canary = tmp_path / "CANARY"
    for hostile in (f"{sys.executable}$(touch {canary})", f"{sys.executable};touch {canary}"):
        proc = run_playbook(tmp_path, "-e", f"wrk_readiness_raw_python={hostile}")
        assert proc.returncode != 0, proc.stdout
        assert "the probe script printed no JSON" in proc.stdout
        assert not canary.exists(), f"the interpreter {hostile!r} ran as shell code"
    # A control: a plain interpreter with an argument works ("/usr/bin/env python3" style).
    two_words = json.dumps({"wrk_readiness_raw_python": f"/usr/bin/env {sys.executable}"})
    proc = run_playbook(tmp_path, "-e", two_words)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"transport": "script"' in proc.stdout
