"""The inventory read in a forked child (a process that has not imported Ansible): the same
registry, warnings and errors as Ansible's reading in-process, and Ansible never imported here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wrk_ansible.errors import InputError
from wrk_ansible.registry.inventory import load_registry

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "inventory-edit"

#: Reads the registry as a cold `wrk` does (no snapshot, no Ansible imported yet) and prints
#: its view, its warnings, the error it raised, and whether Ansible was imported here.
_READ = """
import json, sys
from wrk_ansible.errors import InputError
from wrk_ansible.registry.snapshot import read_through_ansible
out = {}
try:
    r = read_through_ansible(sys.argv[1])
    out["view"] = [[ws.as_dict() for ws in r.workstations],
                   {k: list(v) for k, v in r.groups.items()},
                   json.loads(json.dumps(dict(r.fleet_vars), default=str))]
    out["warnings"] = list(r.warnings)
except InputError as e:
    out["error"] = [str(e), e.path, e.line, e.field]
out["ansible_here"] = "ansible" in sys.modules
print(json.dumps(out, default=str))
"""


def _read_cold(source: Path) -> tuple[dict[str, object], str]:
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(source)],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    return json.loads(done.stdout), done.stderr


def _view(source: Path) -> list[object]:
    r = load_registry(str(source))
    return [
        [ws.as_dict() for ws in r.workstations],
        {k: list(v) for k, v in r.groups.items()},
        json.loads(json.dumps(dict(r.fleet_vars), default=str)),
    ]


@pytest.mark.parametrize("source", [ROOT / "inventory", ROOT / "examples" / "inventory", FIXTURE])
def test_the_forked_reading_equals_ansibles_and_keeps_ansible_out(source: Path) -> None:
    got, _ = _read_cold(source)
    assert got["ansible_here"] is False
    assert got["view"] == json.loads(json.dumps(_view(source), default=str))
    assert got["warnings"] == []


def test_warnings_are_said_and_kept(tmp_path: Path) -> None:
    inventory = Path(shutil.copytree(FIXTURE, tmp_path / "inv"))
    stray = inventory / "stray.yml"
    stray.write_text("all: [unclosed-stray\n", encoding="utf-8")
    got, stderr = _read_cold(inventory)
    assert str(stray) in stderr  # Ansible's warning, written by this process
    assert got["warnings"]
    assert str(stray) in str(got["warnings"])
    assert got["ansible_here"] is False


def test_an_unreadable_inventory_is_the_same_error_with_its_line(tmp_path: Path) -> None:
    inventory = tmp_path / "inv"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text("all:\n  hosts:\n    a: {x: 1\n", encoding="utf-8")
    got, _ = _read_cold(inventory)
    with pytest.raises(InputError) as here:
        load_registry(str(inventory))
    assert got["error"] == [str(here.value), here.value.path, here.value.line, here.value.field]
    assert here.value.line  # the file and line are named
