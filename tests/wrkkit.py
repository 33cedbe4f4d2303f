"""The real ``wrk`` in its own process, for tests that bring their own repository, wrk.yml and
inventory: the suite's environment without the settings those name themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Variables a test's own wrk.yml, inventory and evidence folder stand in for.
OWN: tuple[str, ...] = ("WRK_INVENTORY", "WRK_EVIDENCE_DIR", "WRK_SIGNING_KEY")
TIMEOUT = 300.0  # a hang catcher only


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "wrk_ansible", *args]


def environment(config: Path) -> dict[str, str]:
    """This process's environment, naming ``config`` as the team's wrk.yml."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", "WRK_CONFIG": str(config)}
    for name in OWN:
        env.pop(name, None)
    return env


def wrk(
    cwd: Path, config: Path, *args: str, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """``wrk ARGS...`` in ``cwd`` with ``config``; a traceback fails the test."""
    done = subprocess.run(
        command(*args),
        cwd=cwd,
        env=environment(config),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done
