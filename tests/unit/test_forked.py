"""forked.call: the answer, the error and the output of a call run in a forked child come back
as if it had run here; what it imported stays in the child; an interrupt here ends the child."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import pytest

from wrk_ansible import forked
from wrk_ansible.errors import InputError, WrkError


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def _raise_input_error() -> None:
    raise InputError("no such host", path="inventory/hosts.yml", field="wrk_tools", line=7)


def _raise_bug() -> None:
    {}["missing"]  # the KeyError of a bug


def _speak() -> str:
    print("to stdout")
    print("to stderr", file=sys.stderr)
    return "answered"


def _import_something() -> bool:
    import xml.dom.minidom  # noqa: F401  # a module this process has not imported

    return "xml.dom.minidom" in sys.modules


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _unpicklable() -> object:
    return lambda: None


def _sleep_after_writing_pid(where: str) -> None:
    Path(where).write_text(str(os.getpid()), "utf-8")
    time.sleep(30)


def test_the_answer_comes_from_another_process() -> None:
    pid, value = forked.call("doubling", _pid_and, 21)
    assert value == 42
    assert pid != os.getpid()


def test_an_input_error_keeps_its_file_line_and_field() -> None:
    with pytest.raises(InputError) as raised:
        forked.call("reading", _raise_input_error)
    error = raised.value
    assert (error.path, error.line, error.field) == ("inventory/hosts.yml", 7, "wrk_tools")
    assert str(error) == "inventory/hosts.yml:7 [wrk_tools]: no such host"
    assert error.exit_code == InputError("x").exit_code


def test_a_bug_in_the_child_keeps_where_it_happened() -> None:
    with pytest.raises(KeyError) as raised:
        forked.call("reading", _raise_bug)
    notes = "\n".join(getattr(raised.value, "__notes__", []))
    assert "_raise_bug" in notes
    assert "Traceback" in notes


def test_what_the_call_prints_is_written_here(capsys: pytest.CaptureFixture[str]) -> None:
    assert forked.call("speaking", _speak) == "answered"
    out, err = capsys.readouterr()
    assert out == "to stdout\n"
    assert err == "to stderr\n"


def test_what_the_child_imports_stays_in_the_child() -> None:
    sys.modules.pop("xml.dom.minidom", None)
    assert forked.call("importing", _import_something) is True
    assert "xml.dom.minidom" not in sys.modules


def test_a_child_killed_before_answering_is_an_error_naming_the_work() -> None:
    ended = r"^reading the inventory stopped: its process was ended by signal 9 before it answered"
    with pytest.raises(WrkError, match=ended):
        forked.call("reading the inventory", _killed)


def test_an_answer_that_does_not_pickle_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        forked.call("answering", _unpicklable)


def test_an_interrupt_here_ends_and_reaps_the_child(tmp_path: Path) -> None:
    where = tmp_path / "pid"

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)  # timers are not inherited: only we get it
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            forked.call("sleeping", _sleep_after_writing_pid, str(where))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
    assert time.monotonic() - started < 20  # not the child's 30 s
    child = int(where.read_text("utf-8"))
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # reaped: no zombie left
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
