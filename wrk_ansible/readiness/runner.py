"""The one seam to Ansible's runners: run a playbook, return a frozen, typed result.

Nothing else in wrk starts ``ansible-playbook`` or imports ``ansible_runner``. Two ways, one
result (:class:`PlaybookRun`):

- **directly** (the default): ``ansible-playbook`` with wrk's stdout callback
  (``wrkansible.wrk.wrk_events``), whose JSON lines (host outcomes, the final counters and the
  ``set_stats`` data) arrive on a pipe of their own. :class:`PendingRun` starts the process
  before its variables are known: Ansible imports itself and reads the inventory while wrk
  loads its registry and checks its inputs, then blocks reading ``-e @FIFO`` (a named pipe in a
  private temporary folder: Ansible resolves the path, so ``/dev/fd/N`` would not do) until
  :meth:`PendingRun.finish` sends the variables (or :meth:`PendingRun.cancel` ends it, before
  it has run anything on any host). ansible-runner's own start-up, its pseudo-terminal and its
  one-file-per-event artifacts cost about 0.35 s a run that no result needs
  (benchmarks/README.md).
- **through ansible-runner** when an artifact directory is asked for (``artifacts_dir``): its
  ``job_events`` are what AWX and ``--from-artifacts`` read.

Either way SIGINT and SIGTERM are held back while the playbook runs (:func:`deferred`): the run
is stopped, its orphans ended, and the signal raised, so no result of an interrupted run is ever
read as an observation.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import IO, Any, Final

from wrk_ansible.errors import WrkError
from wrk_ansible.interrupts import become_subreaper, deferred

#: Seconds between two looks at the cancel callback while a playbook runs.
PEXPECT_POLL: Final = 0.2
#: The stdout callback of a direct run (plugins/callback/wrk_events.py) and where it writes.
EVENTS_CALLBACK: Final = "wrkansible.wrk.wrk_events"
EVENTS_FD_ENV: Final = "WRK_EVENTS_FD"
#: Seconds a stopped ansible-playbook gets after SIGINT before SIGKILL.
STOP_GRACE: Final = 1.0
#: How much of ansible-playbook's own output (warnings, errors) a result keeps.
OUTPUT_TAIL: Final = 4000

#: ansible-runner's host events, as the callback names them (plugins/callback/wrk_events.py).
RUNNER_EVENTS: Final = {
    "runner_on_unreachable": "unreachable",
    "runner_on_failed": "failed",
    "runner_on_ok": "ok",
}

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

    #: "successful", "failed", "timeout" or "canceled" (ansible-runner's words).
    status: str
    rc: int
    hosts: Mapping[str, HostOutcome]
    custom_stats: Mapping[str, Any]
    #: The ansible-runner artifact directory; "" for a direct run (it keeps none).
    artifact_dir: str
    changed: Mapping[str, int] = field(default_factory=dict)
    #: The last of ansible-playbook's own output (its errors, when no host was run).
    output: str = ""

    def why_not_run(self) -> str:
        """Why a host is missing from the run: its status, and Ansible's last error line."""
        said = [line.strip() for line in self.output.splitlines() if "ERROR" in line]
        detail = f": {' '.join(said[-1].split())[:300]}" if said else ""
        return f"not in the run (playbook {self.status}{detail})"


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


def _one_line(text: Any) -> str:
    """A host's message as a result keeps it: one line of at most 500 characters."""
    return " ".join(str(text or "").split())[:500]


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


def _environment(content_dir: Path, connect_timeout: float) -> dict[str, str]:
    """The settings of every run, whichever way it is made."""
    return {
        "ANSIBLE_CONFIG": str(content_dir / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        # ansible-runner turns host key checking off unless told otherwise: keep it on.
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_SSH_ARGS": ssh_args(connect_timeout),
    }


class _Events:
    """A run's host outcomes and final stats as they arrive (the callback's JSON lines, or
    ansible-runner's events): progress calls, messages, the final stats."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self.progress = progress
        self.messages: dict[str, str] = {}
        self.stats: dict[str, Any] = {}
        self.custom: dict[str, Any] = {}
        self._partial = b""

    def feed(self, chunk: bytes) -> None:
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            self._line(line)

    def _line(self, line: bytes) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            return  # not one of the callback's lines
        if not isinstance(event, dict):
            return
        kind = event.get("event")
        if kind == "stats":
            hosts, custom = event.get("hosts"), event.get("custom")
            self.stats = hosts if isinstance(hosts, dict) else {}
            self.custom = custom if isinstance(custom, dict) else {}
        elif isinstance(kind, str):
            self.host(kind, str(event.get("host") or ""), event.get("msg"), event.get("published"))

    def host(self, kind: str, host: str, text: Any = "", published: Any = False) -> None:
        """One host's outcome (``unreachable``, ``failed``, ``ok``), from the callback or from
        ansible-runner's events: the message kept, the progress said."""
        message = _one_line(text)
        if kind == "unreachable":
            self.messages[host] = message
            self._said(host, "unreachable", message)
        elif kind == "failed":
            self.messages.setdefault(host, message)
            self._said(host, "failed", self.messages[host])
        elif kind == "ok" and published:
            self._said(host, "done", "")  # the probe published its result

    def _said(self, host: str, outcome: str, message: str) -> None:
        if self.progress is not None:
            self.progress(host, outcome, message)


def _send(fifo: Path, data: bytes) -> None:
    """Write the variables into the named pipe ansible-playbook reads them from (a thread: the
    open waits for Ansible to open its end, and a large host list is more than a pipe holds)."""
    try:
        with open(fifo, "wb") as pipe:
            pipe.write(data)
    except OSError:
        pass  # ansible-playbook ended first (its error is in its output)


def _release(fifo: Path, sender: threading.Thread) -> None:
    """Let a sender still waiting for a reader go (ansible-playbook ended before reading)."""
    if sender.is_alive():
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        sender.join(5)


class PendingRun:
    """An ``ansible-playbook`` started before its variables are known (see the module
    docstring). Use as a context manager: leaving it without :meth:`finish` cancels it."""

    def __init__(
        self,
        playbook: Path,
        *,
        inventory: str,
        content_dir: Path,
        forks: int = 50,
        connect_timeout: float = 10.0,
    ) -> None:
        #: What the run was started with (a caller checks it is the run it wants).
        self.inventory = inventory
        self.connect_timeout = connect_timeout
        become_subreaper()  # before the process exists: whatever it orphans is adopted
        self._scratch: Path | None = Path(tempfile.mkdtemp(prefix="wrk-run-"))
        self._fifo = self._scratch / "vars.yml"
        os.mkfifo(self._fifo, 0o600)
        self._events_read, events_write = os.pipe()
        # closed by _close(), which every way out of a run reaches
        self._output: IO[bytes] = tempfile.TemporaryFile(prefix="wrk-playbook-")  # noqa: SIM115
        env = dict(os.environ)
        env.update(_environment(content_dir, connect_timeout))
        env.update({"ANSIBLE_STDOUT_CALLBACK": EVENTS_CALLBACK, EVENTS_FD_ENV: str(events_write)})
        argv = [_playbook_binary(), "-i", inventory, "-f", str(forks)]
        argv += ["-e", f"@{self._fifo}", str(playbook)]
        try:
            self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
                argv,
                cwd=content_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=subprocess.STDOUT,
                pass_fds=(events_write,),
                # its own session, as ansible-runner's pty gave it: a terminal's Ctrl-C reaches
                # wrk alone, which stops the run (deferred) and so records nothing of it
                start_new_session=True,
            )
        except OSError as exc:
            self._close()
            raise WrkError(f"could not start ansible-playbook ({argv[0]}): {exc}") from None
        finally:
            os.close(events_write)

    def __enter__(self) -> PendingRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()

    def cancel(self) -> None:
        """End the process if it still runs (before :meth:`finish` it has run nothing on any
        host: it waits for its variables)."""
        self._stop()
        self._close()

    def _stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # Ansible's own "user interrupted execution"
        try:
            process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _close(self) -> None:
        if self._events_read >= 0:
            os.close(self._events_read)
            self._events_read = -1
        self._output.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def finish(
        self, extra_vars: str, *, timeout: int = 900, progress: ProgressCallback | None = None
    ) -> PlaybookRun:
        """Send the variables (YAML: wrk writes it with ``!unsafe`` strings, so data never
        becomes a template) and wait for the run to end; its result."""
        process = self._process
        if process is None or self._events_read < 0:
            raise WrkError("this playbook run was already finished or cancelled")
        events = _Events(progress)
        status = ""
        sender = threading.Thread(target=_send, args=(self._fifo, extra_vars.encode()), daemon=True)
        with deferred() as cancelled:
            sender.start()
            deadline = time.monotonic() + timeout
            reading = True
            while True:
                if reading:
                    readable, _, _ = select.select([self._events_read], [], [], PEXPECT_POLL)
                    chunk = os.read(self._events_read, 65536) if readable else b""
                    events.feed(chunk)
                    if readable and not chunk:
                        reading = False  # every writer closed: the run is ending
                    elif not readable and process.poll() is not None:
                        break  # ended; a descendant still holds the pipe open
                else:  # let it exit on its own (its last words may follow the pipe's end)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(PEXPECT_POLL)
                    if process.poll() is not None:
                        break
                if cancelled():
                    status = "canceled"
                    break
                if time.monotonic() > deadline:
                    status = "timeout"
                    break
            self._stop()
            rc = process.wait()
            _release(self._fifo, sender)
        self._output.seek(0, os.SEEK_END)
        self._output.seek(max(0, self._output.tell() - OUTPUT_TAIL))
        output = self._output.read().decode("utf-8", "replace")
        self._close()
        stats = events.stats
        return PlaybookRun(
            status=status or ("successful" if rc == 0 else "failed"),
            rc=rc,
            hosts=MappingProxyType(_outcomes(stats, events.messages)),
            custom_stats=MappingProxyType(events.custom),
            artifact_dir="",
            changed=MappingProxyType(dict(stats.get("changed") or {})),
            output=output,
        )


def run_playbook(
    playbook: Path,
    *,
    inventory: str,
    content_dir: Path,
    extra_vars: str,
    forks: int = 50,
    timeout: int = 900,
    connect_timeout: float = 10.0,
    progress: ProgressCallback | None = None,
    artifacts_dir: Path | None = None,
) -> PlaybookRun:
    """Run ``playbook`` against ``inventory`` with ``extra_vars`` (YAML) and return what
    happened: directly, or through ansible-runner keeping its artifacts in ``artifacts_dir``."""
    if artifacts_dir is not None:
        return _run_with_runner(
            playbook,
            inventory=inventory,
            content_dir=content_dir,
            extra_vars=extra_vars,
            forks=forks,
            timeout=timeout,
            connect_timeout=connect_timeout,
            progress=progress,
            work_dir=artifacts_dir,
        )
    with PendingRun(
        playbook,
        inventory=inventory,
        content_dir=content_dir,
        forks=forks,
        connect_timeout=connect_timeout,
    ) as pending:
        return pending.finish(extra_vars, timeout=timeout, progress=progress)


def _run_with_runner(
    playbook: Path,
    *,
    inventory: str,
    content_dir: Path,
    work_dir: Path,
    extra_vars: str,
    forks: int = 50,
    timeout: int = 900,
    connect_timeout: float = 10.0,
    progress: ProgressCallback | None = None,
) -> PlaybookRun:
    """Run ``playbook`` with ansible-runner, its artifacts kept in ``work_dir``."""
    import ansible_runner

    events = _Events(progress)

    def on_event(event: dict[str, Any]) -> bool:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        res = data.get("res") or {}
        if kind == "playbook_on_stats":
            events.custom.update(data.get("artifact_data") or {})
        elif kind in RUNNER_EVENTS and not (
            kind == "runner_on_failed" and data.get("ignore_errors")
        ):
            text = res.get("msg") or res.get("stderr")
            events.host(RUNNER_EVENTS[kind], data.get("host") or "", text, "ansible_stats" in res)
        return True

    work_dir.mkdir(parents=True, exist_ok=True)
    vars_file = work_dir / "wrk-extra-vars.yml"
    vars_file.write_text(extra_vars, encoding="utf-8")
    # ansible-playbook by its path (binary=): runner then takes the playbook from the command
    # line, not from playbook=.
    cmdline = shlex.join(["-e", f"@{vars_file}", str(playbook)])
    envvars = _environment(content_dir, connect_timeout)
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
        hosts=MappingProxyType(_outcomes(stats, events.messages)),
        custom_stats=MappingProxyType(events.custom),
        artifact_dir=os.fspath(result.config.artifact_dir),
        changed=MappingProxyType(dict(stats.get("changed") or {})),
    )
