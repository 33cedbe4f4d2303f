"""Hosts that accept TCP but cannot give a session, and hosts whose key is not known, against
real sshd hosts and a listener that sends an SSH banner and then stalls (the team's
``licensed-win-2``: "SSH stalls exactly at key exchange ... a TCP-only reachability probe
reports this host UP; that is the trap").

- A stall after the banner ends as unreachable within the timeout, naming where it stopped.
- An unknown host key is a setup problem: said so (with how to add the key), apart from
  "unreachable" in the JSON (``problem: host-key``) and in the gap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fleet import Fleet, HostSpec

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
#: A hang catcher, never a timed assertion.
HANG = 120


@pytest.fixture(scope="module")
def small_fleet() -> Iterator[Fleet]:
    if not os.path.exists("/usr/sbin/sshd"):
        pytest.fail("/usr/sbin/sshd is missing: run `make test` (it installs openssh-server)")
    fleet = Fleet([HostSpec("ws_keyed"), HostSpec("ws_stalls", listen="banner")], first_octet=201)
    fleet.start()
    try:
        yield fleet
    finally:
        fleet.stop()


def _inventory(fleet: Fleet, folder: Path, *, known_hosts: Path | None = None) -> Path:
    data = fleet.inventory()
    data["all"]["children"]["linux"]["hosts"]["box"] = {
        "ansible_connection": "local",
        "wrk_access": "local",
        "wrk_os": "linux",
    }
    if known_hosts is not None:
        args = data["all"]["vars"]["ansible_ssh_common_args"]
        data["all"]["vars"]["ansible_ssh_common_args"] = args.replace(
            str(fleet.known_hosts), str(known_hosts)
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hosts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def _wrk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WRK_DEBUG"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "wrk_ansible", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=HANG, check=False,
    )  # fmt: skip


def test_control_plain_ssh_waits_forever_after_the_banner(small_fleet: Fleet) -> None:
    """The trap: ssh's ConnectTimeout does not end a stall after the banner."""
    host = small_fleet.hosts["ws_stalls"]
    cmd = [
        "timeout", "8", "ssh", "-o", "ConnectTimeout=3", "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-p", str(host.port), f"root@{host.address}", "true",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=HANG, check=False)
    assert done.returncode == 124, done.stderr  # killed by timeout(1): still waiting


def test_a_stall_after_the_banner_is_unreachable_within_the_timeout(
    small_fleet: Fleet, tmp_path: Path
) -> None:
    inventory = _inventory(small_fleet, tmp_path / "inventory")
    done = _wrk(
        "readiness", "--limit", "ws_stalls", "--here", "box", "--timeout", "4", "--json",
        "-i", str(inventory), "--evidence-dir", str(tmp_path / "ev"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    (host,) = json.loads(done.stdout)
    assert host["reachable"] is False
    assert host["readiness"]["problem"] is None  # down, not a setup problem
    assert host["message"].startswith(
        "unreachable: stopped during key exchange or authentication (after the banner)"
    ), host["message"]


def test_an_unknown_host_key_is_a_setup_problem_not_a_host_that_is_down(
    small_fleet: Fleet, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("", encoding="utf-8")
    inventory = _inventory(small_fleet, tmp_path / "inventory", known_hosts=empty)
    where = ["-i", str(inventory), "--evidence-dir", str(tmp_path / "ev")]
    seen = _wrk("readiness", "--limit", "ws_keyed", "--here", "box", "--json", *where, cwd=tmp_path)
    assert seen.returncode == 2, seen.stderr
    (host,) = json.loads(seen.stdout)
    assert host["readiness"]["problem"] == "host-key"
    assert host["readiness"]["reason"].startswith("setup: the host key is not known")

    wrk = tmp_path / "WRK-9600.md"
    wrk.write_text(
        "---\nid: WRK-9600\ntitle: keys\nstatus: pending\nstage_assignments:\n  execute:\n"
        "    workstations: [ws_keyed]\n---\n",
        encoding="utf-8",
    )
    gated = _wrk("gate", str(wrk), "--stage", "execute", "--here", "box", "--json", *where,
                 cwd=tmp_path)  # fmt: skip
    assert gated.returncode == 2, gated.stderr
    out = json.loads(gated.stdout)
    assert out["readiness"]["ws_keyed"]["problem"] == "host-key"
    (gap,) = out["gaps"]
    assert "setup: the host key is not known" in gap["summary"]
    address, port = small_fleet.hosts["ws_keyed"].address, small_fleet.hosts["ws_keyed"].port
    assert f"ssh-keyscan -p {port} {address} >> ~/.ssh/known_hosts" in gap["proposals"][0]
    checks = {c["name"] for c in out["checks"]}
    assert "host-key" in checks
    assert "reachable" not in checks

    # control: with the fleet's known_hosts the same host is ready
    known = _inventory(small_fleet, tmp_path / "known")
    ok = _wrk("readiness", "--limit", "ws_keyed", "--here", "box", "--json", "-i", str(known),
              "--evidence-dir", str(tmp_path / "ev2"), cwd=tmp_path)  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
