"""Interrupted commands: SIGINT exits 130, SIGTERM 143; nothing is recorded of the interrupted
run, and nothing it started (ansible-playbook, its workers, ssh, ControlPersist masters)
survives it by more than two seconds; no temp file is left.

Real parts: the ``wrk`` command line in its own session (so a signal can go to its process
group, as a terminal's Ctrl-C does, or to the ``wrk`` process alone, as a supervisor's does),
real ansible-playbook and ssh against a loopback address whose listener accepts TCP and never
speaks (ssh waits for a banner that never comes).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ADDRESS = "127.0.0.233"
#: Hang catchers, never timed assertions of speed.
CONNECT_WAIT = 90
EXIT_WAIT = 30


@pytest.fixture
def silent_host() -> Iterator[tuple[int, threading.Event]]:
    """A TCP listener on ADDRESS that accepts and never speaks; the event is set on the first
    connection (ssh has started)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((ADDRESS, 0))
    listener.listen(16)
    listener.settimeout(0.2)
    connected = threading.Event()
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1], connected
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


def _setup(tmp_path: Path, port: int) -> dict[str, Path]:
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    hosts = {
        "all": {
            "children": {
                "linux": {
                    "hosts": {
                        "box": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": sys.executable,
                            "wrk_access": "local",
                            "wrk_os": "linux",
                        },
                        "stuck": {
                            "ansible_host": ADDRESS,
                            "ansible_port": port,
                            "ansible_user": "root",
                            "ansible_connection": "ssh",
                            "ansible_ssh_common_args": (
                                f"-o UserKnownHostsFile={tmp_path / 'known_hosts'} "
                                "-o StrictHostKeyChecking=yes -o ControlMaster=auto "
                                "-o ControlPersist=60s"
                            ),
                            "wrk_access": "ssh",
                            "wrk_os": "linux",
                        },
                    }
                }
            }
        }
    }
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    wrk = tmp_path / "WRK-9500.md"
    wrk.write_text(
        "---\nid: WRK-9500\ntitle: interrupted\nstatus: pending\nstage_assignments:\n"
        "  execute:\n    workstations: [stuck]\nmachine_capability_requirements:\n"
        "  execute:\n    tools: [sh]\n---\n",
        encoding="utf-8",
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    return {"inventory": inventory, "wrk": wrk, "evidence": tmp_path / "evidence", "tmp": scratch}


def _started(args: list[str], paths: dict[str, Path]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "WRK_DEBUG"}
    env["PYTHONPATH"] = str(REPO)
    env["TMPDIR"] = str(paths["tmp"])
    return subprocess.Popen(
        [sys.executable, "-m", "wrk_ansible", *args],
        cwd=paths["tmp"].parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell job has
    )


def _processes_naming(text: str) -> list[str]:
    """Live processes whose command line mentions ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        if state[state.rfind(b")") + 2 :].startswith(b"Z"):
            continue
        line = raw.replace(b"\0", b" ").decode(errors="replace")
        if text in line:
            found.append(f"{entry}: {line[:200]}")
    return found


def _left_behind(port: int, paths: dict[str, Path]) -> list[str]:
    """What the run started that still runs, polled for up to two seconds after it ended."""
    end = time.monotonic() + 2.0
    while True:
        left = _processes_naming(str(paths["inventory"]))
        left += [p for p in _processes_naming(f"Port={port}") if "ssh" in p]
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.1)


def _signalled(proc: subprocess.Popen[str], signum: int, target: str) -> tuple[str, str]:
    """Send ``signum`` to ``proc``'s group or to it alone; its output once it has exited (or
    been killed, should it hang)."""
    try:
        if target == "group":
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        return proc.communicate(timeout=EXIT_WAIT)
    finally:
        _kill(proc)


def _kill(proc: subprocess.Popen[str]) -> None:
    """End ``proc``'s group if ``proc`` still runs (a test that failed half-way)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


def _stopped_as_interrupted(proc: subprocess.Popen[str], code: int, out: str, err: str) -> None:
    assert proc.returncode == code, f"rc {proc.returncode}\n{out}\n{err}"
    assert "Traceback" not in err
    assert "nothing of the interrupted step was recorded" in err


COMMANDS = {
    "gate": ["gate", "{wrk}", "--stage", "execute", "--here", "box", "--timeout", "60", "--json"],
    "readiness": ["readiness", "--limit", "stuck", "--here", "box", "--timeout", "60", "--json"],
}


#: (signal, the exit code it gives, where it is sent)
SIGNALS = {
    "sigint-group": (signal.SIGINT, 130, "group"),
    "sigint-process": (signal.SIGINT, 130, "process"),
    "sigterm-group": (signal.SIGTERM, 143, "group"),
    "sigterm-process": (signal.SIGTERM, 143, "process"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("how", sorted(SIGNALS))
def test_an_interrupted_probe_stops_records_nothing_and_leaves_nothing(
    tmp_path: Path, silent_host: tuple[int, threading.Event], command: str, how: str
) -> None:
    signum, code, target = SIGNALS[how]
    port, connected = silent_host
    paths = _setup(tmp_path, port)
    args = [a.format(wrk=paths["wrk"]) for a in COMMANDS[command]]
    args += ["-i", str(paths["inventory"]), "--evidence-dir", str(paths["evidence"])]
    proc = _started(args, paths)
    try:
        assert connected.wait(CONNECT_WAIT), "ssh never connected: " + (
            proc.stderr.read() if proc.poll() is not None and proc.stderr else "still running"
        )
        time.sleep(0.3)  # ssh is waiting for the banner; ansible-playbook holds its workers
    except BaseException:
        _kill(proc)
        raise
    out, err = _signalled(proc, signum, target)
    _stopped_as_interrupted(proc, code, out, err)
    if out.strip():  # with --json a user error is an object; an interruption prints nothing
        assert "verdict" not in json.loads(out)
    records = (
        sorted(p.name for p in paths["evidence"].rglob("*.json"))
        if paths["evidence"].exists()
        else []
    )
    assert records == [], records  # no gate decision, no "unreachable" observation
    assert _left_behind(port, paths) == []
    assert sorted(p.name for p in paths["tmp"].iterdir()) == []  # no temp file left


def test_control_the_silent_host_hangs_a_probe_without_a_signal(
    tmp_path: Path, silent_host: tuple[int, threading.Event]
) -> None:
    """Control: without the signal the same run is still probing seconds after ssh connected
    (so the test above measures the interrupt, not a run that ended on its own)."""
    port, connected = silent_host
    paths = _setup(tmp_path, port)
    args = ["readiness", "--limit", "stuck", "--here", "box", "--timeout", "60", "--json"]
    proc = _started([*args, "-i", str(paths["inventory"])], paths)
    try:
        assert connected.wait(CONNECT_WAIT)
        time.sleep(3)
        assert proc.poll() is None, "the probe ended without a signal"
        assert _processes_naming(f"Port={port}"), "no ssh to the silent host is running"
    finally:
        os.kill(proc.pid, signal.SIGTERM)  # and wrk stops what it started (tested above)
        proc.communicate(timeout=EXIT_WAIT)
    assert _left_behind(port, paths) == []


@pytest.mark.parametrize("how", sorted(SIGNALS))
def test_an_interrupt_while_the_inventory_is_read_stops_it_and_leaves_nothing(
    tmp_path: Path, how: str
) -> None:
    """The inventory is read in a forked child of wrk (reading it through Ansible in-process
    would raise wrk's own peak memory): an interrupt while an inventory script runs ends wrk
    with the signal's code, records nothing, and the script does not outlive it."""
    signum, code, target = SIGNALS[how]
    paths = _setup(tmp_path, 22)
    started = tmp_path / "script-started"
    script = paths["inventory"] / "hosts.py"  # an inventory script: Ansible runs it with --list
    script.write_text(
        f"#!{sys.executable}\nimport pathlib, time\n"
        f"pathlib.Path({str(started)!r}).write_text('yes')\ntime.sleep(120)\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    (paths["inventory"] / "hosts.yml").unlink()
    args = [a.format(wrk=paths["wrk"]) for a in COMMANDS["gate"]]
    args += ["-i", str(script), "--evidence-dir", str(paths["evidence"])]
    proc = _started(args, paths)
    try:
        end = time.monotonic() + CONNECT_WAIT
        while not started.exists() and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.05)
        assert started.exists(), "the inventory script never started: " + (
            proc.stderr.read() if proc.poll() is not None and proc.stderr else "still running"
        )
        assert _processes_naming(str(script)), "the script is not running"
    except BaseException:
        _kill(proc)
        raise
    out, err = _signalled(proc, signum, target)
    _stopped_as_interrupted(proc, code, out, err)
    assert not paths["evidence"].exists() or not list(paths["evidence"].rglob("*.json"))
    assert _left_behind(22, paths) == []  # no inventory script, no forked reader
    assert sorted(p.name for p in paths["tmp"].iterdir()) == []
