# Copyright: wrk-ansible contributors
# MIT License (see the project's pyproject.toml)
"""Action plugin for wrk_probe: the whole readiness gate of one host in ONE task.

It runs the wrk_probe module (or, for hosts that cannot run Python Ansible modules, the same
probe source through the host's Python over a raw command), then, on the controller and
without another round trip: builds the readable summary, publishes the result with set_stats
semantics (``ansible_stats``: ansible-runner's artifacts and AWX carry it), and fails the host
when asked to and it is not ready. Every extra task would cost a worker per host.
"""

from __future__ import annotations

import base64
import json
import os
import zlib

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

#: Arguments the module itself takes; the rest steer this action.
MODULE_ARGS = ("requirements", "declared", "timeout")
PROBE_SOURCE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils", "wrk_probe.py"
)
STATS_KEY = "wrk_readiness"


def summary_lines(host, result):
    """``host: READY (mode, N checks, os hostname)`` then ``PASS kind name: ...`` per check."""
    facts = result.get("facts") or {}
    checks = result.get("checks") or []
    head = "%s: %s (%s, %d checks, %s %s)" % (
        host,
        "READY" if result.get("ready") else "NOT READY",
        result.get("mode"),
        len(checks),
        facts.get("os", "?"),
        facts.get("hostname", "?"),
    )
    lines = [head]
    for check in checks:
        mark = {True: "PASS", False: "FAIL"}.get(check.get("ok"), "UNKNOWN")
        lines.append(
            "%s %s %s: required %s, found %s (%s)"
            % (
                mark,
                check.get("kind"),
                check.get("name"),
                check.get("required") or "-",
                check.get("found") or "-",
                check.get("reason"),
            )
        )
    return lines


def not_ready_message(host, result):
    failing = [
        "%s %s (required %s, found %s: %s)"
        % (
            c.get("kind"),
            c.get("name"),
            c.get("required") or "-",
            c.get("found") or "-",
            c.get("reason"),
        )
        for c in result.get("checks") or []
        if c.get("ok") is not True
    ]
    return "%s is not ready: %s" % (host, "; ".join(failing))


class ActionModule(ActionBase):
    """Probe, summarise, publish, optionally fail: one task per host."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        (
            *MODULE_ARGS,
            "transport",
            "raw_python",
            "probe_script",
            "fail_when_not_ready",
            "publish",
            "requirements_file",
            "skip_reason",
        )
    )

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self._task.args
        host = task_vars.get("inventory_hostname", "?")
        result["_ansible_verbose_always"] = True  # the summary is the point: always show it
        if args.get("skip_reason"):
            result.update(
                skipped=True, changed=False, msg="%s: SKIPPED (%s)" % (host, args["skip_reason"])
            )
            return result
        requirements = args.get("requirements") or {}
        if not isinstance(requirements, dict):
            where = " file %s" % args["requirements_file"] if args.get("requirements_file") else ""
            raise AnsibleActionFail(
                "wrk_readiness requirements%s must be a mapping of tools, licenses, disk and "
                "network, got %s" % (where, type(requirements).__name__)
            )
        module_args = {
            "requirements": requirements,
            "declared": args.get("declared") or {},
            "timeout": args.get("timeout", 5),
        }
        transport = args.get("transport", "module")
        if transport == "raw":
            probe = self._run_raw(module_args, args, task_vars)
        else:
            probe = self._execute_module(
                module_name=self._task.resolved_action or self._task.action,
                module_args=module_args,
                task_vars=task_vars,
            )
        if probe.get("failed"):
            probe.pop("invocation", None)
            result.update(probe)
            return result
        readiness = {key: probe.get(key) for key in ("facts", "mode", "checks", "ready")}
        result.update(readiness)
        result["changed"] = False
        result["transport"] = transport
        result["summary"] = summary_lines(host, readiness)
        if args.get("publish", True):
            result["ansible_stats"] = {
                "data": {STATS_KEY: {host: readiness}},
                "per_host": False,
                "aggregate": True,
            }
        if args.get("fail_when_not_ready") and not readiness["ready"]:
            result["failed"] = True
            result["msg"] = not_ready_message(host, readiness)
        return result

    def _run_raw(self, module_args, args, task_vars):
        """The probe source as a script through the host's Python, over one raw command.

        Compressed so the command stays well under Windows' 32767-character command line;
        the request travels base64-encoded, so no value of it is seen by a shell or a template.
        """
        path = args.get("probe_script") or PROBE_SOURCE
        with open(path, "rb") as handle:
            payload = base64.b64encode(zlib.compress(handle.read(), 9)).decode()
        request = base64.b64encode(json.dumps(module_args).encode()).decode()
        python = args.get("raw_python") or task_vars.get("ansible_python_interpreter") or "python"
        command = (
            '"%s" -c "import base64,zlib;exec(compile(zlib.decompress(base64.b64decode(\'%s\')),'
            "'wrk_probe.py','exec'))\" --request-b64 %s" % (python, payload, request)
        )
        done = self._low_level_execute_command(command)
        lines = [
            line
            for line in to_text(done.get("stdout", "")).splitlines()
            if line.strip().startswith("{")
        ]
        if not lines:
            return {
                "failed": True,
                "msg": "the raw probe printed no JSON (rc %s): %s"
                % (done.get("rc"), to_text(done.get("stderr", "")).strip()[:500]),
            }
        try:
            parsed = json.loads(lines[-1])
        except ValueError as exc:
            return {"failed": True, "msg": "the raw probe's JSON is invalid: %s" % exc}
        if not isinstance(parsed, dict):
            return {"failed": True, "msg": "the raw probe's result is not an object"}
        return parsed
