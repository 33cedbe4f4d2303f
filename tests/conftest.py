"""Shared helpers: run the real ``wrk`` command line in a subprocess, find fixtures, hash trees."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
WORK_QUEUE = FIXTURES / "work-queue"
BAD = FIXTURES / "bad"
WARNINGS = FIXTURES / "warnings"
EXAMPLES = REPO_ROOT / "examples"

#: Generous: a cold interpreter importing pydantic on a busy CI machine.
TIMEOUT = 60

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]


def wrk_command() -> list[str]:
    """How to start ``wrk``: this interpreter's ``-m wrk_ansible``, else the installed script."""
    if (REPO_ROOT / "wrk_ansible" / "__main__.py").exists():
        return [sys.executable, "-m", "wrk_ansible"]
    found = shutil.which("wrk")  # pragma: no cover - only without a source checkout
    assert found, "neither wrk_ansible/__main__.py nor a wrk script is available"
    return [found]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("WRK_DEBUG", None)  # tracebacks must never be the answer
    env.pop("WRK_INVENTORY", None)
    env["COLUMNS"] = "200"
    return env


def run(
    *args: str,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = TIMEOUT,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``wrk ARGS...`` in a fresh process; raises ``TimeoutExpired`` past ``timeout``."""
    return subprocess.run(
        [*wrk_command(), *args],
        cwd=cwd,
        env=_env() if env is None else env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def run_wrk(tmp_path_factory: pytest.TempPathFactory) -> RunWrk:
    """``run_wrk("contract", "validate", path, cwd=...)`` -> CompletedProcess (text).

    Without ``cwd`` it runs in an empty folder: no ``./inventory``, so contract tests do not
    depend on the project's own inventory (machine names are then not checked, by design).
    """
    neutral = tmp_path_factory.mktemp("neutral-cwd")

    def run_in(
        *args: str, cwd: str | os.PathLike[str] | None = None, timeout: float = TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return run(*args, cwd=neutral if cwd is None else cwd, timeout=timeout)

    return run_in


def tree_hash(root: str | os.PathLike[str]) -> dict[str, str]:
    """sha256 of every file below ``root`` (and the set of names), to prove nothing changed."""
    base = Path(root)
    out: dict[str, str] = {}
    for path in sorted(base.rglob("*")):
        if path.is_symlink():
            out[str(path.relative_to(base))] = "-> " + os.readlink(path)
        elif path.is_file():
            out[str(path.relative_to(base))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            out[str(path.relative_to(base)) + "/"] = "dir"
    return out


@pytest.fixture(name="tree_hash")
def tree_hash_fixture() -> Callable[[str | os.PathLike[str]], dict[str, str]]:
    """The :func:`tree_hash` function, for tests that must prove nothing was written."""
    return tree_hash


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def work_queue(tmp_path: Path) -> Path:
    """A private copy of the team's real work queue (tests never edit fixtures in place)."""
    return Path(shutil.copytree(WORK_QUEUE, tmp_path / "work-queue"))


#: The team's routing policy, which this repository keeps in config/ (wrk ships a neutral one).
TEAM_ROUTING_POLICY = REPO_ROOT / "config" / "routing-policy.yml"
#: The team's configuration: this repository's wrk.yml (its matrix, agents, routing policy).
TEAM_CONFIG = REPO_ROOT / "wrk.yml"


@contextlib.contextmanager
def _session_env(name: str, value: str) -> Iterator[None]:
    """``name=value`` for the whole run (every wrk subprocess inherits it), then as before."""
    before = os.environ.get(name)
    os.environ[name] = value
    yield
    if before is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = before


@pytest.fixture(scope="session", autouse=True)
def _team_config() -> Iterator[Path]:
    """The team's configuration (this repository's wrk.yml: its matrix, agents and routing
    policy), as the suite always had it: tests run in folders below no wrk.yml. Tests of
    another team's setup, or of none, unset $WRK_CONFIG (see ``neutral_env``)."""
    with _session_env("WRK_CONFIG", str(TEAM_CONFIG)):
        yield TEAM_CONFIG


def neutral_env(**extra: str) -> dict[str, str]:
    """The environment of a user with no configuration named: no $WRK_* variable (but the
    suite's private cache folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WRK_") or k == "WRK_CACHE_DIR"}
    env.update(extra)
    return env


@pytest.fixture(scope="session", autouse=True)
def _registry_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One registry-snapshot cache for the whole run, so tests never read or write the user's
    ~/.cache/wrk."""
    folder = tmp_path_factory.mktemp("wrk-cache")
    with _session_env("WRK_CACHE_DIR", str(folder)):
        yield folder


@pytest.fixture
def neutral_wrk() -> RunWrk:
    """``wrk`` as a user with no configuration named runs it: no $WRK_* variable, so only a
    ``wrk.yml`` above ``cwd`` (or none) configures it."""
    assert os.environ.get("WRK_CONFIG"), "control: the suite names the team's wrk.yml"

    def run_in(
        *args: str, cwd: str | os.PathLike[str], timeout: float = TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        env = neutral_env(**{k: v for k, v in _env().items() if not k.startswith("WRK_")})
        assert "WRK_CONFIG" not in env
        return run(*args, cwd=cwd, timeout=timeout, env=env)

    return run_in
