"""Faults against real hosts: an sshd killed mid-run, a full disk when evidence is written.

Each is decided with the right verdict within its timeout, and the evidence chain verifies.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fleet import TOOL, Fleet, HostSpec

pytestmark = pytest.mark.integration

WRK = """---
id: WRK-9501
title: fault test
status: working
handoff_evidence_ref: .wrk/evidence/WRK-9501
stage_assignments:
  execute:
    primary: claude
    workstations: [{first}]
    fallback: [{second}]
machine_capability_requirements:
  execute:
    tools:
      - {{name: {tool}, min_version: '2.0'}}
---
"""


def wrk(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wrk_ansible", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def inventory(fleet: Fleet, folder: Path, spare: str) -> Path:
    """The fleet's inventory; ``spare`` also answers to ace-linux-1, which the template's
    rows (those the WRK leaves out) name."""
    inv = fleet.write_inventory(folder)
    data = yaml.safe_load((inv / "hosts.yml").read_text(encoding="utf-8"))
    for group in data["all"]["children"].values():
        if (group.get("hosts") or {}).get(spare):
            group["hosts"][spare]["wrk_aliases"] = ["ace-linux-1"]
    (inv / "hosts.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return inv


def gate(
    path: Path, inv: Path, here: str, ev: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``wrk gate PATH --stage execute --json`` on the fleet, as ``here``, into ``ev``."""
    return wrk(
        "gate",
        str(path),
        "--stage",
        "execute",
        "-i",
        str(inv),
        "--here",
        here,
        "--evidence-dir",
        str(ev),
        "--json",
        *extra,
    )


def item(folder: Path, first: str, second: str) -> Path:
    (folder / ".git").mkdir(parents=True, exist_ok=True)
    path = folder / "WRK-9501.md"
    path.write_text(WRK.format(first=first, second=second, tool=TOOL), encoding="utf-8")
    return path


@pytest.fixture
def slow_fleet() -> Iterator[Fleet]:
    """Two hosts of its own (this test kills one's sshd): the victim answers slowly."""
    fleet = Fleet([HostSpec("ws_victim", tool_delay=4.0), HostSpec("ws_spare")], first_octet=71)
    fleet.start()
    try:
        yield fleet
    finally:
        fleet.stop()


def test_sshd_killed_mid_run_is_decided_and_falls_back(slow_fleet: Fleet, tmp_path: Path) -> None:
    inv = inventory(slow_fleet, tmp_path / "inv", "ws_spare")
    path = item(tmp_path / "repo", "ws_victim", "ws_spare")
    ev = tmp_path / "ev"
    killer = threading.Timer(2.0, slow_fleet.kill_sshd, args=("ws_victim",))
    killer.start()
    try:
        done = gate(path, inv, "ws_spare", ev, "--timeout", "5")
    finally:
        killer.cancel()
    out = json.loads(done.stdout)
    assert done.returncode == 3, done.stderr
    assert out["verdict"] == "fallback"
    assert out["hosts"] == ["ws_spare"]
    victim = [c for c in out["checks"] if c["host"] == "ws_victim" and c["outcome"] == "fail"]
    assert victim, out["checks"]
    assert wrk("evidence", "verify", "--evidence-dir", str(ev)).returncode == 0


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_when_evidence_is_written(fleet: Fleet, tmp_path: Path, full_disk: Path) -> None:
    inv = inventory(fleet, tmp_path / "inv", "ws_license_ok")
    path = item(tmp_path / "repo", "ws_ready", "ws_license_ok")
    ev = full_disk / "ev"
    first = gate(path, inv, "ws_ready", ev)
    assert first.returncode == 0, first.stderr  # a chain with room: one record
    filler = full_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)  # now fill the disk to the last byte
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    started = time.monotonic()
    done = gate(path, inv, "ws_ready", ev, "--fresh")
    out = json.loads(done.stdout)
    assert out["verdict"] == "pass"  # the verdict stands...
    assert done.returncode == 1, done.stderr  # ...but an unrecorded answer is not ok
    assert out["recorded"] is False
    assert out["unrecorded_why"] == "evidence could not be written"
    assert out["evidence"] == []
    assert out["evidence_errors"]
    assert "evidence NOT recorded" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 200  # decided, not hung
    verify = wrk("evidence", "verify", "--evidence-dir", str(ev))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    filler.unlink()
    after = gate(path, inv, "ws_ready", ev)
    assert after.returncode == 0, after.stderr
    assert len(json.loads(after.stdout)["evidence"]) == 1
    assert wrk("evidence", "verify", "--evidence-dir", str(ev)).returncode == 0


def test_kill_9_at_random_points_of_a_gate_never_breaks_the_chain(
    fleet: Fleet, tmp_path: Path
) -> None:
    inv = inventory(fleet, tmp_path / "inv", "ws_license_ok")
    path = item(tmp_path / "repo", "ws_ready", "ws_license_ok")
    ev = tmp_path / "ev"
    args = [
        sys.executable,
        "-m",
        "wrk_ansible",
        "gate",
        str(path),
        "--stage",
        "execute",
        "-i",
        str(inv),
        "--here",
        "ws_ready",
        "--evidence-dir",
        str(ev),
        "--json",
    ]
    assert subprocess.run(args, capture_output=True, timeout=240, check=False).returncode == 0
    rng = random.Random(20261126)
    for _ in range(20):
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.8))  # a gate on fresh evidence takes about 0.4 s
        proc.kill()
        proc.wait(timeout=60)
        verify = wrk("evidence", "verify", "--evidence-dir", str(ev))
        assert verify.returncode == 0, verify.stdout
    final = subprocess.run(args, capture_output=True, text=True, timeout=240, check=False)
    assert final.returncode == 0, final.stderr
    assert not list(ev.rglob(".wrk-*.tmp")), "the next writer cleans up leftover temp files"
    assert wrk("evidence", "verify", "--evidence-dir", str(ev)).returncode == 0
