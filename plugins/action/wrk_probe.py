# Copyright: wrk-ansible contributors
# MIT License (see the project's pyproject.toml)
"""Action plugin for wrk_probe: the whole readiness gate of one host in ONE task.

It runs the probe once on the host, by one of two transports:

- ``script`` (the default): the probe source (the wrk_probe module_utils file, stdlib only) runs
  as a script through the host's Python over ONE raw command. No AnsiballZ payload and no
  import of Ansible's module_utils on the host: at 16 hosts this is about 0.65x the time of
  ``ansible -m ping`` (benchmarks/README.md). Hosts that cannot run Python Ansible modules
  (Windows over SSH with Git Bash) can only use it.
- ``module``: the wrk_probe module, the usual Ansible way.

Then, on the controller and without another round trip, it builds the readable summary,
publishes the result with set_stats semantics (``ansible_stats``: ansible-runner's artifacts and
AWX carry it), and fails the host when asked to and it is not ready. Every extra task would
cost a worker per host.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import zlib

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

#: Arguments the module itself takes; the rest steer this action.
MODULE_ARGS = ("requirements", "declared", "timeout", "repository")
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


def _interpreter(given, os_name):
    """The host's Python: its explicit ansible_python_interpreter, else python3 (python on
    Windows, where Git Bash rarely has python3). Discovery (auto*) needs a module run."""
    if given and not str(given).startswith("auto"):
        return str(given)
    return "python" if os_name == "windows" else "python3"


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
        if args.get("repository"):
            module_args["repository"] = args["repository"]
        transport = args.get("transport", "script")
        if transport not in ("script", "module"):
            raise AnsibleActionFail("transport must be script or module, got %r" % (transport,))
        if transport == "script":
            probe = self._run_script(module_args, args, task_vars)
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
        keys = ("schema_version", "facts", "mode", "checks", "ready")
        readiness = {key: probe.get(key) for key in keys}
        if "dimensions" in probe:  # facts for grading, absent from an older probe's result
            readiness["dimensions"] = probe["dimensions"]
        result.update(readiness)
        result["changed"] = False
        result["transport"] = transport
        result["summary"] = summary_lines(host, readiness)
        if boolean(args.get("publish", True), strict=True):
            result["ansible_stats"] = {
                "data": {STATS_KEY: {host: readiness}},
                "per_host": False,
                "aggregate": True,
            }
        if boolean(args.get("fail_when_not_ready", False), strict=True) and not readiness["ready"]:
            result["failed"] = True
            result["msg"] = not_ready_message(host, readiness)
        return result

    def _run_script(self, module_args, args, task_vars):
        """The probe source as a script through the host's Python, over one raw command.

        Compressed so the command stays well under Windows' 32767-character command line;
        the request travels base64-encoded, so no value of it is seen by a shell or a template.
        """
        path = args.get("probe_script") or PROBE_SOURCE
        with open(path, "rb") as handle:
            payload = base64.b64encode(zlib.compress(handle.read(), 9)).decode()
        request = base64.b64encode(json.dumps(module_args).encode()).decode()
        # Inventory values may be templates ("{{ ansible_playbook_python }}"): resolve them the
        # way a module run would (the operator's inventory, not data from a work item).
        given = self._templar.template(task_vars.get("ansible_python_interpreter"))
        python = args.get("raw_python") or _interpreter(given, task_vars.get("wrk_os"))
        # Every word of the interpreter is quoted for the host's shell (sh, or Git Bash on
        # Windows): "/usr/bin/env python3" works, "$(...)" or `...` in it never runs.
        interpreter = " ".join(shlex.quote(word) for word in shlex.split(str(python)))
        command = (
            "%s -c \"import base64,zlib;exec(compile(zlib.decompress(base64.b64decode('%s')),"
            "'wrk_probe.py','exec'))\" --request-b64 %s" % (interpreter, payload, request)
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
                "msg": "the probe script printed no JSON (rc %s): %s"
                % (done.get("rc"), to_text(done.get("stderr", "")).strip()[:500]),
            }
        try:
            parsed = json.loads(lines[-1])
        except ValueError as exc:
            return {"failed": True, "msg": "the probe script's JSON is invalid: %s" % exc}
        if not isinstance(parsed, dict):
            return {"failed": True, "msg": "the probe script's result is not an object"}
        return parsed
