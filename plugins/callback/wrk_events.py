# Copyright: wrk-ansible contributors
# MIT License
"""Callback plugin wrk_events: one JSON object per line for a program that runs the playbook.

wrk runs ``ansible-playbook`` itself (``wrk_ansible/readiness/runner.py``) with this as its
stdout callback, and reads the lines from the file descriptor named by ``WRK_EVENTS_FD`` (a
pipe of its own, so Ansible's warnings and errors never mix with them); without the variable the
lines go to stdout. Each line is one of:

- ``{"event": "unreachable", "host": H, "msg": TEXT}``
- ``{"event": "failed", "host": H, "msg": TEXT}`` (not for ``ignore_errors`` failures)
- ``{"event": "ok", "host": H, "published": BOOL}`` (``published``: the task set stats)
- ``{"event": "stats", "hosts": {...}, "custom": {...}}`` once, at the end: the per-host
  counters (``processed``, ``ok``, ``dark``, ``failures``, ``skipped``, ``changed``,
  ``rescued``, ``ignored``) and the run-wide ``set_stats`` data (``ansible_stats`` with
  ``per_host: false``), as ansible-runner's ``artifact_data`` holds it.

It prints nothing else and never the task results themselves: the published stats are the
result. Messages are cut to one line of at most 500 characters.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: wrk_events
type: stdout
short_description: one JSON object per line (host outcomes, final stats) for wrk
description:
  - Writes one JSON object per line - unreachable and failed hosts, ok results, and at the end
    the per-host counters and the run-wide set_stats data - to the file descriptor named by the
    environment variable WRK_EVENTS_FD, else to stdout.
  - Used by wrk when it runs the readiness playbook itself; not meant for people.
version_added: "0.1.0"
author:
  - wrk-ansible contributors (@wrk-ansible)
"""

import json
import os
import sys

from ansible.plugins.callback import CallbackBase

COUNTERS = ("processed", "ok", "dark", "failures", "skipped", "changed", "rescued", "ignored")
MAX_MESSAGE = 500


def _message(result):
    text = result.get("msg") or result.get("stderr") or ""
    return " ".join(str(text).split())[:MAX_MESSAGE]


class CallbackModule(CallbackBase):
    """JSON lines for wrk (see the module docstring)."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "wrkansible.wrk.wrk_events"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fd = os.environ.get("WRK_EVENTS_FD", "")
        if fd.isdigit():
            self._out = os.fdopen(int(fd), "w", encoding="utf-8", buffering=1, closefd=True)
        else:
            self._out = sys.stdout

    def _emit(self, event):
        self._out.write(json.dumps(event, default=str, sort_keys=True) + "\n")
        self._out.flush()

    def v2_runner_on_unreachable(self, result):
        self._emit(
            {
                "event": "unreachable",
                "host": result._host.get_name(),
                "msg": _message(result._result),
            }
        )

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            return
        self._emit(
            {"event": "failed", "host": result._host.get_name(), "msg": _message(result._result)}
        )

    def v2_runner_on_ok(self, result):
        self._emit(
            {
                "event": "ok",
                "host": result._host.get_name(),
                "published": "ansible_stats" in result._result,
            }
        )

    def v2_playbook_on_stats(self, stats):
        counters = {name: dict(getattr(stats, name, {}) or {}) for name in COUNTERS}
        custom = getattr(stats, "custom", {}) or {}
        self._emit({"event": "stats", "hosts": counters, "custom": dict(custom.get("_run", {}))})
