"""Integration fixtures: the real SSH test fleet, started once per session."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from fleet import SSHD, STANDARD_HOSTS, Fleet


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    """The standard fleet (ws_ready, ws_missing_tool, ... ws_hangs), running for the session."""
    if not os.path.exists(SSHD):
        # make test installs openssh-server; a missing sshd is a broken setup, never a skip.
        pytest.fail(f"{SSHD} is missing: run `make test` (it installs openssh-server)")
    running = Fleet(STANDARD_HOSTS).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def gh() -> str:
    """The real gh binary (Debian's package, which make test installs): missing under CI is a
    failure, never a skip."""
    found = shutil.which("gh")
    if found is None:
        message = "the gh CLI is missing: run `make test` (scripts/system-deps.sh installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def fleet_inventory(fleet: Fleet, tmp_path: Path) -> Path:
    """An inventory folder describing the whole fleet."""
    return fleet.write_inventory(tmp_path / "inventory")
