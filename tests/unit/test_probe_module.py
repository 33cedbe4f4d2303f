"""The wrk_probe Ansible module through a fake AnsibleModule exit (no playbook, no Ansible run).

The module imports its module_utils by the collection's path
(``ansible_collections.wrkansible.wrk.plugins.module_utils.wrk_probe``); the test registers
plugins/module_utils/wrk_probe.py under that name.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE_UTILS = "ansible_collections.wrkansible.wrk.plugins.module_utils.wrk_probe"


class ExitJson(Exception):
    """exit_json was called."""


class FailJson(Exception):
    """fail_json was called."""


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.delitem(sys.modules, PROBE_UTILS, raising=False)
    load(PROBE_UTILS, REPO_ROOT / "plugins/module_utils/wrk_probe.py")
    loaded = load("wrk_probe_module_under_test", REPO_ROOT / "plugins/modules/wrk_probe.py")

    def exit_json(self: basic.AnsibleModule, **kwargs: Any) -> None:
        raise ExitJson(kwargs)

    def fail_json(self: basic.AnsibleModule, msg: str, **kwargs: Any) -> None:
        raise FailJson({"msg": msg, **kwargs})

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    yield loaded
    sys.modules.pop(PROBE_UTILS, None)
    sys.modules.pop("wrk_probe_module_under_test", None)


def run(module: ModuleType, args: dict[str, Any]) -> dict[str, Any]:
    with patch_module_args(args), pytest.raises(ExitJson) as exc:
        module.main()
    result: dict[str, Any] = exc.value.args[0]
    return result


@pytest.mark.parametrize("check_mode", [False, True])
def test_reports_without_changing(module: ModuleType, tmp_path: Path, check_mode: bool) -> None:
    result = run(
        module,
        {
            "requirements": {"disk": [{"path": str(tmp_path), "free_gb": 0.001}]},
            "_ansible_check_mode": check_mode,
        },
    )
    assert result["changed"] is False
    assert result["ready"] is True
    assert result["checks"][0]["ok"] is True
    assert result["schema_version"] == 2
    assert result["checks"][0]["spec"] == {"path": str(tmp_path), "free_gb": 0.001}
    assert isinstance(result["checks"][0]["data"]["free_bytes"], int)
    json.dumps(result)


def test_result_matches_the_output_schema(module: ModuleType, tmp_path: Path) -> None:
    """What the module returns is the probe's result plus Ansible's ``changed``."""
    import jsonschema

    schema = json.loads((REPO_ROOT / "docs" / "probe-output.schema.json").read_text())
    result = run(
        module,
        {
            "requirements": {
                "tools": ["wrk-absent-tool"],
                "disk": [{"path": str(tmp_path), "free_gb": 0.001}],
            },
            "declared": {"storage": [{"path": str(tmp_path)}]},
        },
    )
    assert result.pop("changed") is False
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(result)]
    assert errors == []


def test_failed_check_does_not_fail_the_task(module: ModuleType, tmp_path: Path) -> None:
    result = run(module, {"requirements": {"disk": [{"path": str(tmp_path / "x"), "free_gb": 1}]}})
    assert result["ready"] is False
    assert "failed" not in result


def test_declared_mode(module: ModuleType, tmp_path: Path) -> None:
    result = run(module, {"declared": {"storage": [{"path": str(tmp_path)}]}, "timeout": 2})
    assert result["mode"] == "declared"
    assert result["ready"] is True
    assert [d["path"] for d in result["dimensions"]["disk"]] == [str(tmp_path)]
    assert "checkout" not in result["dimensions"]


def test_repository_gives_the_checkout(module: ModuleType, tmp_path: Path) -> None:
    result = run(module, {"repository": str(tmp_path)})
    assert result["dimensions"]["checkout"] == {"present": False}


def test_bad_arguments_fail(module: ModuleType) -> None:
    with patch_module_args({"requirements": {"tools": "git"}}), pytest.raises(FailJson) as exc:
        module.main()
    assert "invalid wrk_probe arguments" in exc.value.args[0]["msg"]
    assert exc.value.args[0]["changed"] is False


def test_documentation_is_yaml(module: ModuleType) -> None:
    import yaml

    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["module"] == "wrk_probe"
    assert set(doc["options"]) == {"requirements", "declared", "timeout", "repository"}
    returned = yaml.safe_load(module.RETURN)
    assert returned["ready"]["type"] == "bool"
    assert returned["schema_version"]["sample"] == 2
    assert returned["facts"]["sample"]["probe_version"] == "2"
    fields = returned["checks"]["contains"]
    assert set(fields) == {"name", "kind", "required", "found", "ok", "reason", "spec", "data"}
    assert all(set(c) <= set(fields) for c in returned["checks"]["sample"])
    assert yaml.safe_load(module.EXAMPLES)


def test_action_script_transport_keeps_schema_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The action (script transport, the default) hands on and publishes ``schema_version``
    and the checks' spec/data: its raw command runs here through /bin/sh, not over ssh."""
    import subprocess
    from types import SimpleNamespace

    from ansible.plugins.action import ActionBase

    action_module = load("wrk_probe_action_under_test", REPO_ROOT / "plugins/action/wrk_probe.py")
    sys.modules.pop("wrk_probe_action_under_test")  # the object is all this test needs
    action = action_module.ActionModule.__new__(action_module.ActionModule)
    requirements = {"disk": [{"path": str(tmp_path), "free_gb": 0.001}]}
    action._task = SimpleNamespace(args={"requirements": requirements, "timeout": 5})
    action._templar = SimpleNamespace(template=lambda value: value)

    def execute(command: str) -> dict[str, Any]:
        done = subprocess.run(
            ["/bin/sh", "-c", command], capture_output=True, text=True, timeout=120, check=False
        )
        return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}

    action._low_level_execute_command = execute
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    result = action.run(
        task_vars={"inventory_hostname": "ws1", "ansible_python_interpreter": sys.executable}
    )
    assert result["transport"] == "script"
    assert result["schema_version"] == 2
    published = result["ansible_stats"]["data"]["wrk_readiness"]["ws1"]
    assert published["schema_version"] == 2
    assert published["checks"][0]["spec"] == {"path": str(tmp_path), "free_gb": 0.001}
    assert set(published["checks"][0]["data"]) == {"free_bytes"}
    assert published["dimensions"]["compute"]["cores"] == os.cpu_count()  # facts for grading
    assert "checkout" not in published["dimensions"]  # the role gives no repository
    assert result["summary"][1].startswith("PASS disk ")
