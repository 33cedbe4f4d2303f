"""The ``wrk`` command line: parse arguments, call one function, print.

Building the parser imports only the standard library, so ``wrk --help`` stays fast; each verb
group's module imports what it needs when its command actually runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from wrk_ansible import __version__
from wrk_ansible.errors import ExitCode, UsageError, WrkError


class WrkArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error raises :class:`UsageError` (exit 64), never exits 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> WrkArgumentParser:
    """The whole command tree. Verb groups register themselves; nothing heavy is imported."""
    from wrk_ansible.cli import config as config_cli
    from wrk_ansible.cli import (
        contract,
        evidence,
        gate,
        health,
        heartbeat,
        outcome,
        quota,
        readiness,
        review,
    )
    from wrk_ansible.cli import init as init_cli
    from wrk_ansible.cli import inventory as inventory_cli
    from wrk_ansible.cli import report as report_cli
    from wrk_ansible.cli import route as route_cli

    parser = WrkArgumentParser(
        prog="wrk",
        description="Per-stage execution contracts, readiness gates and handoff evidence "
        "for work items (WRKs).",
        epilog="Exit codes: 0 ok/pass, 1 error/fail, 2 pause, 3 fallback, 64 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"wrk {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="the team's configuration (default: $WRK_CONFIG, else the nearest wrk.yml in "
        "this folder or above)",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=WrkArgumentParser
    )
    init_cli.register(commands)
    config_cli.register(commands)
    contract.register(commands)
    inventory_cli.register(commands)
    readiness.register(commands)
    gate.register(commands)
    evidence.register(commands)
    report_cli.register(commands)
    route_cli.register(commands)
    quota.register(commands)
    review.register(commands)
    outcome.register(commands)
    heartbeat.register(commands)
    health.register(commands)
    return parser


def _error_json(exc: WrkError) -> None:
    """With ``--json``, a user error is one object on stdout: ``{"error": {...}}``."""
    import json

    detail = {
        "file": getattr(exc, "path", None),
        "line": getattr(exc, "line", None),
        "field": getattr(exc, "field", None),
        "message": getattr(exc, "detail", None) or exc.message,
        "exit_code": int(exc.exit_code),
    }
    json.dump({"error": detail}, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def run() -> int:
    """The ``wrk`` executable (and ``python -m wrk_ansible``): :func:`main`, then an exit that
    skips the garbage collector's last passes over the heap.

    Finalizing the interpreter runs the collector over every object the imports made (pydantic
    schemas, typing objects, dataclasses): 50-100 ms of a 0.3 s gate, for memory the process
    is about to give back anyway. ``gc.freeze()`` moves those objects out of the collector's
    reach; everything else of a normal exit still happens (atexit handlers, flushed streams,
    closed files). Not in :func:`main`, which tests call in one long-lived process.
    """
    code = main()
    import gc

    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``wrk``; returns the process exit code. Errors become one line on stderr (and, with
    ``--json``, one ``{"error": ...}`` object on stdout, so a script never reads nothing)."""
    from wrk_ansible.interrupts import Terminated, install

    given = list(sys.argv[1:] if argv is None else argv)
    wants_json = "--json" in given
    install()
    try:
        parser = build_parser()
        args = parser.parse_args(given)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(sys.stderr)
            return int(ExitCode.USAGE)
        return int(handler(args))
    except WrkError as exc:
        print(f"wrk: error: {exc}", file=sys.stderr)
        if wants_json:
            _error_json(exc)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print(
            "wrk: interrupted (SIGINT): nothing of the interrupted step was recorded",
            file=sys.stderr,
        )
        return int(ExitCode.INTERRUPTED)
    except Terminated:
        print(
            "wrk: terminated (SIGTERM): nothing of the interrupted step was recorded",
            file=sys.stderr,
        )
        return int(ExitCode.TERMINATED)
    except BrokenPipeError:
        # stdout closed early (``wrk ... | head``): not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as exc:  # a bug in wrk, not bad input: say so, keep the trace optional
        if os.environ.get("WRK_DEBUG"):
            raise
        print(
            f"wrk: internal error: {type(exc).__name__}: {exc} "
            "(set WRK_DEBUG=1 for a traceback, and please report it)",
            file=sys.stderr,
        )
        return int(ExitCode.SOFTWARE)
