"""Signals and the processes a run starts: an interrupted command stops, leaves nothing behind.

- ``SIGINT`` raises :class:`KeyboardInterrupt` (exit 130) and ``SIGTERM`` raises
  :class:`Terminated` (exit 143), in the main thread, whether the signal went to ``wrk`` alone
  (a supervisor) or to its process group (a terminal's Ctrl-C).
- While a playbook runs, :func:`deferred` holds either signal back: ansible-runner is told to
  cancel (:func:`deferred` yields its ``cancel_callback``), and once it has stopped the signal is
  raised, so no result of an interrupted run is ever read as an observation.
- Ansible's workers and ssh run in sessions of their own (``setsid``), out of reach of a kill of
  the playbook's process group, and ssh's ControlPersist masters outlive their parent. On Linux
  ``wrk`` is their *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``): whatever the run
  orphans becomes wrk's child, and :func:`stop_orphans` ends every such process after each run.

Hand-written (ctypes, /proc) because no maintained library offers a subreaper; psutil would
list children but cannot adopt orphans.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Final

_PR_SET_CHILD_SUBREAPER: Final = 36
#: How long the orphans of a run get to exit after SIGTERM before SIGKILL.
GRACE: Final = 0.5


class Terminated(BaseException):
    """``SIGTERM`` arrived: stop, as KeyboardInterrupt does for ``SIGINT``."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def install() -> None:
    """SIGTERM raises :class:`Terminated` (SIGINT already raises KeyboardInterrupt). Cheap:
    the subreaper is set up only when a run starts (:func:`deferred`)."""
    signal.signal(signal.SIGTERM, _raise_terminated)


@functools.cache
def become_subreaper() -> bool:
    """Make this process the child subreaper of its descendants (Linux, once); True when it
    is."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # here, not at start-up: only a run that starts processes needs it

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _children(pid: int, *, zombies: bool = False) -> list[int]:
    """Child processes of ``pid``, live ones (or, with ``zombies``, the ended ones not yet
    reaped) (Linux /proc); [] elsewhere."""
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and (fields[0] == b"Z") == zombies and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _zombies(pid: int) -> list[int]:
    return _children(pid, zombies=True)


def _reap(keep: frozenset[int]) -> None:
    """Collect the exit status of the orphans that ended (never of a child in ``keep``: its
    owner waits for it)."""
    for pid in _zombies(os.getpid()):
        if pid not in keep:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def children() -> frozenset[int]:
    """This process's live children (Linux; empty elsewhere)."""
    return frozenset(_children(os.getpid()))


def stop_orphans(keep: frozenset[int] = frozenset(), deadline: float = 2.0) -> list[int]:
    """End every child of this process but ``keep`` (the children it had before a run): the
    orphans the run left (Ansible workers, ssh, ControlPersist masters). SIGTERM, then SIGKILL
    after :data:`GRACE`, reaping each, within ``deadline`` seconds. Returns the pids
    signalled."""
    if not become_subreaper():
        return []
    me = os.getpid()
    signalled: list[int] = []
    end = time.monotonic() + deadline
    sig = signal.SIGTERM
    started = time.monotonic()
    pause = 0.002  # doubled up to 50 ms: an ssh master ends within a few ms of its SIGTERM
    while time.monotonic() < end:
        _reap(keep)
        pids = [pid for pid in _children(me) if pid not in keep]
        if not pids:
            break
        if time.monotonic() - started > GRACE:
            sig = signal.SIGKILL
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
            if pid not in signalled:
                signalled.append(pid)
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    _reap(keep)
    return signalled


@contextlib.contextmanager
def deferred() -> Iterator[Callable[[], bool]]:
    """Hold SIGINT and SIGTERM back while the body runs; yield a ``cancel_callback`` that
    says whether one arrived. After the body, the orphans are stopped, then the held signal
    is raised (KeyboardInterrupt or :class:`Terminated`). Outside the main thread: nothing is
    held (Python delivers signals to the main thread only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    become_subreaper()
    keep = children()
    arrived: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        arrived.append(signum)

    before = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: bool(arrived)
    except BaseException:
        if not arrived:
            raise  # the body's own error; a held signal outranks it (raised below)
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        stop_orphans(keep)
    if arrived:
        if arrived[0] == signal.SIGTERM:
            raise Terminated()
        raise KeyboardInterrupt()
