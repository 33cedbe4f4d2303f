"""The SSH test fleet itself: every host behaves as its name says, through real ssh."""

from __future__ import annotations

import subprocess
import time

import pytest
from fleet import CONNECT_TIMEOUT, OLD_TOOL_VERSION, TOOL, TOOL_VERSION, Fleet

pytestmark = pytest.mark.integration


def ssh(
    fleet: Fleet, name: str, command: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    host = fleet.hosts[name]
    args = [
        "ssh",
        "-p",
        str(host.port),
        "-i",
        str(fleet.client_key),
        "-o",
        "BatchMode=yes",
        *fleet.ssh_common_args().split(),
        f"root@{host.address}",
        command,
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def test_ready_host_has_its_own_environment(fleet: Fleet) -> None:
    result = ssh(fleet, "ws_ready", f"echo $WRK_FLEET_HOST $HOME; {TOOL}")
    assert result.returncode == 0, result.stderr
    name, home, *tool = result.stdout.split()
    assert name == "ws_ready"
    assert home == str(fleet.hosts["ws_ready"].home)
    assert tool[-1] == TOOL_VERSION


def test_hosts_differ_in_tools(fleet: Fleet) -> None:
    assert ssh(fleet, "ws_missing_tool", f"command -v {TOOL}").returncode != 0
    old = ssh(fleet, "ws_old_version", TOOL)
    assert old.stdout.split()[-1] == OLD_TOOL_VERSION


def test_low_disk_host_sees_a_small_filesystem(fleet: Fleet) -> None:
    result = ssh(fleet, "ws_low_disk", 'df -k --output=size "$HOME" | tail -1')
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) <= 16 * 1024


def test_license_hosts_report_seats(fleet: Fleet) -> None:
    ok = ssh(fleet, "ws_license_ok", "lmutil lmstat -a")
    exhausted = ssh(fleet, "ws_license_exhausted", "lmutil lmstat -a")
    assert "Total of 4 licenses issued;  Total of 1 license in use" in ok.stdout
    assert "Total of 2 licenses issued;  Total of 2 licenses in use" in exhausted.stdout


def test_unreachable_host_refuses(fleet: Fleet) -> None:
    result = ssh(fleet, "ws_unreachable", "true")
    assert result.returncode == 255
    assert "refused" in result.stderr.lower()


def test_hanging_host_is_given_up_within_its_timeout(fleet: Fleet) -> None:
    started = time.monotonic()
    result = ssh(fleet, "ws_hangs", "true", timeout=CONNECT_TIMEOUT * 6)
    assert result.returncode == 255
    assert "timed out" in result.stderr.lower()
    assert time.monotonic() - started < CONNECT_TIMEOUT * 6
