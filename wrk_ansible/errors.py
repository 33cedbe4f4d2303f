"""The error hierarchy and the exit codes every ``wrk`` command shares.

A failed gate is a result, not an exception: these errors are for input that cannot be
processed at all. ``main()`` turns any :class:`WrkError` into one line on stderr and its code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes. 2 and 3 belong to the gate verdicts, so usage errors use 64."""

    OK = 0
    ERROR = 1
    PAUSE = 2
    FALLBACK = 3
    USAGE = 64  # EX_USAGE from sysexits.h; argparse's own 2 would read as "pause"
    SOFTWARE = 70  # EX_SOFTWARE: a bug in wrk itself, never bad input
    INTERRUPTED = 130  # 128 + SIGINT
    TERMINATED = 143  # 128 + SIGTERM


class WrkError(Exception):
    """Root of every error ``wrk`` raises on purpose. Carries its exit code."""

    exit_code: int = ExitCode.ERROR

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class UsageError(WrkError):
    """The command line itself is wrong (unknown option, missing argument)."""

    exit_code = ExitCode.USAGE


class InputError(WrkError):
    """A file or value given to ``wrk`` cannot be used. Names the file and the field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = path
        self.field = field
        self.line = line
        where = ""
        if path:
            where = path + (f":{line}" if line else "")
        if field:
            where = f"{where} [{field}]" if where else f"[{field}]"
        super().__init__(f"{where}: {message}" if where else message)
        self.detail = message
