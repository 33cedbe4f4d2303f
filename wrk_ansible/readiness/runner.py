"""The one seam to ansible-runner: run a playbook, return a frozen, typed result.

Nothing else in wrk imports ``ansible_runner``. Its ``run(**kwargs)`` is hidden behind
:func:`run_playbook`, whose arguments are explicit; what comes back is read from runner's
``stats`` and events (host outcomes, unreachable messages, ``set_stats`` data).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from wrk_ansible.errors import WrkError
from wrk_ansible.interrupts import deferred

#: Seconds between two looks at the cancel callback while a playbook runs.
PEXPECT_POLL: Final = 0.2

#: Called with (host, outcome, message) as each host finishes or fails to connect.
ProgressCallback = Callable[[str, str, str], None]


@dataclass(frozen=True)
class HostOutcome:
    """How one host fared in a run."""

    host: str
    reachable: bool
    failed: bool
    message: str = ""


@dataclass(frozen=True)
class PlaybookRun:
    """What a playbook run left: status, rc, per-host outcome and published stats."""

    status: str
    rc: int
    hosts: Mapping[str, HostOutcome]
    custom_stats: Mapping[str, Any]
    artifact_dir: str
    changed: Mapping[str, int] = field(default_factory=dict)


def _outcomes(stats: Mapping[str, Any], messages: Mapping[str, str]) -> dict[str, HostOutcome]:
    hosts: dict[str, HostOutcome] = {}
    names: set[str] = set()
    for key in ("ok", "dark", "failures", "skipped", "changed", "processed", "rescued"):
        names.update((stats.get(key) or {}).keys())
    for name in sorted(names):
        dark = name in (stats.get("dark") or {})
        failed = name in (stats.get("failures") or {})
        hosts[name] = HostOutcome(
            host=name, reachable=not dark, failed=failed, message=messages.get(name, "")
        )
    return hosts


def _event_message(event: Mapping[str, Any]) -> str:
    res = (event.get("event_data") or {}).get("res") or {}
    text = res.get("msg") or res.get("stderr") or ""
    return " ".join(str(text).split())[:500]


def ssh_args(connect_timeout: float) -> str:
    """Ansible's default ssh arguments, plus a liveness check. ssh's ConnectTimeout ends only
    the TCP connect and the banner; a host that sends its banner and then stalls (at key
    exchange, say) would hold ssh forever. ServerAliveInterval applies from the first packet
    on: the connection ends about ``connect_timeout`` after the host stopped answering."""
    interval = max(1, round(connect_timeout / 2))
    return (
        "-C -o ControlMaster=auto -o ControlPersist=60s "
        f"-o ServerAliveInterval={interval} -o ServerAliveCountMax=2"
    )


def _playbook_binary() -> str:
    """The ansible-playbook installed beside this Python (a venv's bin is often not on PATH),
    by its path: PATH is left as wrk found it, so a probe over a local connection sees the
    user's tools, never wrk's own venv."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    return str(beside) if beside.exists() else "ansible-playbook"


def run_playbook(
    playbook: Path,
    *,
    inventory: str,
    content_dir: Path,
    work_dir: Path,
    extra_vars_file: Path | None = None,
    limit: str | None = None,
    forks: int = 50,
    timeout: int = 900,
    connect_timeout: float = 10.0,
    progress: ProgressCallback | None = None,
) -> PlaybookRun:
    """Run ``playbook`` against ``inventory`` with ansible-runner and return what happened.

    ``extra_vars_file`` is passed as ``-e @FILE`` (wrk writes it with ``!unsafe`` strings, so
    data never becomes a template). Artifacts are kept in ``work_dir``.
    """
    import ansible_runner

    messages: dict[str, str] = {}
    custom: dict[str, Any] = {}

    def on_event(event: dict[str, Any]) -> bool:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        host = data.get("host") or ""
        if kind == "runner_on_unreachable":
            messages[host] = _event_message(event)
            if progress:
                progress(host, "unreachable", messages[host])
        elif kind == "runner_on_failed" and not data.get("ignore_errors"):
            messages.setdefault(host, _event_message(event))
            if progress:
                progress(host, "failed", messages[host])
        elif kind == "playbook_on_stats":
            custom.update(data.get("artifact_data") or {})
        elif (
            kind == "runner_on_ok"
            and progress
            and data.get("task_action", "").endswith("set_stats")
        ):
            progress(host, "done", "")
        return True

    # ansible-playbook by its path (binary=): runner then takes the playbook from the command
    # line, not from playbook=.
    words = [*(["-e", f"@{extra_vars_file}"] if extra_vars_file else []), str(playbook)]
    cmdline = shlex.join(words)
    envvars = {
        "ANSIBLE_CONFIG": str(content_dir / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        # ansible-runner turns host key checking off unless told otherwise: keep it on.
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_SSH_ARGS": ssh_args(connect_timeout),
    }
    work_dir.mkdir(parents=True, exist_ok=True)
    # How often runner looks at cancel_callback between reads of the playbook's output (its
    # default, 5 s, would let an interrupted run go on that long). A settings dict passed to
    # run() is dropped when env/settings is missing (runner 2.4), so it is written here.
    (work_dir / "env").mkdir(exist_ok=True)
    (work_dir / "env" / "settings").write_text(f"pexpect_timeout: {PEXPECT_POLL}\n", "utf-8")
    try:
        with deferred() as cancelled:
            result = ansible_runner.run(
                private_data_dir=str(work_dir),
                project_dir=str(content_dir),
                inventory=inventory,
                limit=limit,
                cmdline=cmdline,
                envvars=envvars,
                forks=forks,
                timeout=timeout,
                quiet=True,
                event_handler=on_event,
                suppress_env_files=True,
                cancel_callback=cancelled,
                binary=_playbook_binary(),
            )
    except Exception as exc:  # runner raises plain exceptions for setup problems
        raise WrkError(f"ansible-runner could not start the playbook: {exc}") from None
    stats: Mapping[str, Any] = result.stats or {}
    return PlaybookRun(
        status=str(result.status),
        rc=int(result.rc if result.rc is not None else 1),
        hosts=MappingProxyType(_outcomes(stats, messages)),
        custom_stats=MappingProxyType(custom),
        artifact_dir=os.fspath(result.config.artifact_dir),
        changed=MappingProxyType(dict(stats.get("changed") or {})),
    )
