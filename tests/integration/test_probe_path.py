"""The probe sees the user's PATH, not wrk's: over a local connection through Ansible and in
``wrk readiness --local`` it finds the same tools at the same paths, and never one of wrk's own
venv (``.venv/bin/ansible-playbook``, ``.venv/bin/python3``) unless the user's PATH has it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TIMEOUT = 180


def _user_path() -> str:
    """The PATH of a user who has not activated wrk's venv."""
    keep = [
        p
        for p in os.environ.get("PATH", os.defpath).split(os.pathsep)
        if p and Path(p).resolve() != VENV_BIN.resolve()
    ]
    return os.pathsep.join(keep)


def _readiness(tmp_path: Path, *extra: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "WRK_DEBUG"}
    env["PYTHONPATH"] = str(REPO)
    env["PATH"] = _user_path()
    done = subprocess.run(
        [sys.executable, "-m", "wrk_ansible", "readiness", "--json", "--here", "box", *extra,
         "-i", str(tmp_path / "inventory"), "--requirements", str(tmp_path / "req.yml"),
         "--evidence-dir", str(tmp_path / "evidence")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 2), done.stderr  # ready, or not ready (a tool missing)
    data = json.loads(done.stdout)
    (host,) = data if isinstance(data, list) else [data]
    assert host["reachable"], host
    return {c["name"]: (c["ok"], c["found"]) for c in host["checks"] if c["kind"] == "tool"}


def test_local_connection_and_local_probe_see_the_same_tools(tmp_path: Path) -> None:
    assert (VENV_BIN / "ansible-playbook").exists(), "control: wrk's venv has ansible-playbook"
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    # The system Python runs the module: a pyenv shim as interpreter would put its own
    # versions folder on the module's PATH (pyenv's doing, not wrk's).
    box = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "/usr/bin/python3",
        "wrk_access": "local",
        "wrk_os": "linux",
    }
    hosts = {"all": {"children": {"linux": {"hosts": {"box": box}}}}}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    (tmp_path / "req.yml").write_text("tools: [ansible-playbook, python3, sh]\n", "utf-8")

    through_ansible = _readiness(tmp_path, "--limit", "box")
    in_process = _readiness(tmp_path, "--local")
    assert through_ansible == in_process
    for ok, found in through_ansible.values():
        if ok:
            assert not Path(str(found)).resolve().is_relative_to(VENV_BIN.resolve()), found
    assert through_ansible["sh"][0] is True  # control: tools on the user's PATH are found
