"""Run one call in a forked child of this process and bring its answer back.

What the call imports and allocates ends with the child, so the caller's peak memory is not
raised by it: wrk reads the inventory this way (Ansible's modules and the inventory's heap are
about 20 MB that the rest of a gate or report never needs). The child is a fork, not a new
interpreter: it starts in a few milliseconds with everything already imported.

The answer, or the exception the call raised, travels back pickled over a pipe, with what the
call printed: it is captured in the child and written here to ``sys.stdout`` and ``sys.stderr``
(whatever they are in this process: a terminal, a file, a test's capture) once the child is
done. The capture is a real text stream over bytes, so a library that reconfigures the
standard streams on import (Ansible's Display does) finds what it expects. The child never
runs this process's exit handlers.

An interrupt (SIGINT or SIGTERM, delivered to the whole process group by a terminal or to
this process alone) stops the child too and is raised here as it would have been from the
call itself; what the child had started (an inventory script) is stopped with it, through
:mod:`wrk_ansible.interrupts`.

Hand-written rather than ``multiprocessing``: one call, no pool, no re-import of ``__main__``,
and the caller's own signal handling and exit codes are kept (``multiprocessing`` would add
its own), in about eighty lines.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar, cast

from wrk_ansible import interrupts
from wrk_ansible.errors import WrkError

T = TypeVar("T")


def available() -> bool:
    """Whether this platform can fork (POSIX)."""
    return hasattr(os, "fork")


def call(what: str, function: Callable[..., T], *args: Any) -> T:
    """``function(*args)``, run in a forked child; its return value (which must pickle) or
    its exception. ``what`` names the work in the one error of its own (the child ended
    without an answer: killed, out of memory). Where fork is not available, run here."""
    if not available():
        return function(*args)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()  # nothing buffered here is written twice
    interrupts.become_subreaper()  # so what the child starts is ours to stop if it is cut off
    keep = interrupts.children()
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(readable)
        _child(writable, function, args)
    os.close(writable)
    try:
        with os.fdopen(readable, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    except BaseException:  # interrupted while the child ran: it ends too, then ours is raised
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
        interrupts.stop_orphans(keep)
        raise
    if not data:
        raise WrkError(f"{what} stopped: its process {_ended(status)}")
    kind, value, out, err = pickle.loads(data)
    sys.stdout.write(out)
    sys.stderr.write(err)
    if kind == "value":
        return value  # type: ignore[no-any-return]
    raise value


def _child(pipe: int, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    code = 0
    try:
        out, err = _capture(), _capture()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                answer: tuple[str, Any] = ("value", function(*args))
        except Exception as exc:
            if not isinstance(exc, WrkError):  # a bug: keep where it happened
                exc.add_note("".join(traceback.format_exception(exc)).rstrip())
            answer = ("error", exc)
        try:
            data = pickle.dumps((*answer, _text(out), _text(err)))
        except Exception as exc:  # an answer that does not pickle is a bug of the caller
            name = getattr(function, "__qualname__", repr(function))
            failure = TypeError(f"{name} answered what cannot be pickled: {exc}")
            data = pickle.dumps(("error", failure, _text(out), _text(err)))
        with os.fdopen(pipe, "wb") as stream:
            stream.write(data)
    except BaseException:  # interrupted (the caller was too, or is told by the empty pipe)
        code = 1
    finally:
        os._exit(code)


def _capture() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return cast(io.BytesIO, stream.buffer).getvalue().decode("utf-8")


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was ended by signal {os.WTERMSIG(status)} before it answered"
    return f"exited with status {os.waitstatus_to_exitcode(status)} before it answered"
