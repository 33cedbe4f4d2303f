"""The probe's pure functions (plugins/module_utils/wrk_probe.py), without Ansible.

The file runs on target hosts, so it is loaded by path, exactly as a host would see it.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import datetime
import importlib.util
import json
import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE_FILE = REPO_ROOT / "plugins" / "module_utils" / "wrk_probe.py"
LICENSES = REPO_ROOT / "tests" / "fixtures" / "licenses"
TODAY = datetime.date(2026, 1, 15)
CANARY_NAME = "{{ lookup('pipe','touch %s') }}"


@pytest.fixture(scope="module")
def probe() -> ModuleType:
    """The module_utils file imported by path, as a plain module (no Ansible involved)."""
    spec = importlib.util.spec_from_file_location("wrk_probe_under_test", PROBE_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert "ansible" not in getattr(module, "__dict__", {})
    return module


def write_tool(directory: Path, name: str, output: str, rc: int = 0) -> Path:
    """An executable that prints ``output`` whatever its arguments."""
    path = directory / name
    path.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\nexit {rc}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def tool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on PATH (and only it, plus /bin for sh) holding fake tools."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", os.pathsep.join([str(bindir), "/bin", "/usr/bin"]))
    return bindir


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A loopback port that accepts connections."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


# ------------------------------------------------------------------------------------------
# The file itself: Python 3.8, standard library only, no POSIX-only calls
# ------------------------------------------------------------------------------------------


def test_source_parses_as_python_38() -> None:
    ast.parse(PROBE_FILE.read_text(encoding="utf-8"), feature_version=(3, 8))


def test_imports_only_the_standard_library() -> None:
    tree = ast.parse(PROBE_FILE.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert imported, "no imports found: the parse is wrong"
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


@pytest.mark.parametrize(
    "forbidden",
    ["statvfs", "fcntl", "import pwd", "import grp", "SIGALRM", "shell=True", "os.fork", "termios"],
)
def test_no_posix_only_calls(forbidden: str) -> None:
    assert forbidden not in PROBE_FILE.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------
# Versions
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("20.10", "9.1", 1),
        ("0.10", "20.10", -1),
        ("9.1", "20.10", -1),
        ("1.10", "1.9", 1),
        ("1.2", "1.2.0", 0),
        ("1.2.0", "1.2", 0),
        ("2.39.5", "2.30", 1),
        ("2.30", "2.30", 0),
        ("1.0rc1", "1.0", -1),
        ("1.0.1", "1.0rc1", 1),
        ("1.0a1", "1.0b1", -1),
        ("9.2p1", "9.1", 1),
        ("v3.11.7", "3.8", 1),
        ("2024.0630", "2024.1", 1),
    ],
)
def test_compare_versions(probe: ModuleType, left: str, right: str, expected: int) -> None:
    assert probe.compare_versions(left, right) == expected
    assert probe.compare_versions(right, left) == -expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        # Letter runs other than the pre-release markers are post-release suffixes: they sort
        # above the bare release and below its next number, so a requirement ">= 9.2" holds on
        # OpenSSH's portable release 9.2p1, and OrcaFlex patch letters and ANSYS releases are
        # later releases (issue 13 item 1).
        ("9.2p1", "9.2", 1),
        ("9.2p1", "9.2.1", -1),
        ("11.6c", "11.6", 1),
        ("2024R1", "2024", 1),
        ("2024R1", "2025", -1),
        # Suffixes compare alphabetically (any case) against suffixes, numbers as integers.
        ("2024R1", "2023R2", 1),
        ("2024R1", "2024R2", -1),
        ("2024R1", "2024r1", 0),
        ("11.6c", "11.6b", 1),
        ("9.2p1", "9.2p2", -1),
        # Pre-release markers still sort below the release.
        ("3.11.0rc2", "3.11.0", -1),
        ("1.0b3", "1.0rc1", -1),
    ],
)
def test_compare_versions_with_letters_as_the_grammar_defines(
    probe: ModuleType, left: str, right: str, expected: int
) -> None:
    assert probe.compare_versions(left, right) == expected
    assert probe.compare_versions(right, left) == -expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # (rank, number, letters): rank 0 pre-release, 1 zero, 2 post-release, 3 number >= 1.
        ("9.2p1", [(3, 9, ""), (3, 2, ""), (2, 0, "p"), (3, 1, "")]),
        ("11.6c", [(3, 11, ""), (3, 6, ""), (2, 0, "c")]),
        ("2024R1", [(3, 2024, ""), (2, 0, "r"), (3, 1, "")]),
        ("v3.11", [(3, 3, ""), (3, 11, "")]),
        ("1.0rc1", [(3, 1, ""), (1, 0, ""), (0, 4, ""), (3, 1, "")]),
        ("1.0a1", [(3, 1, ""), (1, 0, ""), (0, 1, ""), (3, 1, "")]),
        ("11.6a", [(3, 11, ""), (3, 6, ""), (2, 0, "a")]),
    ],
)
def test_version_key_ranks_letter_runs(probe: ModuleType, text: str, key: list[Any]) -> None:
    assert probe.version_key(text) == key


@pytest.mark.parametrize("bad", ["", "---", "   "])
def test_compare_versions_refuses_non_versions(probe: ModuleType, bad: str) -> None:
    with pytest.raises(ValueError, match="not a version"):
        probe.compare_versions(bad, "1.0")


@pytest.mark.parametrize(
    ("output", "pattern", "expected"),
    [
        ("git version 2.39.2", None, "2.39.2"),
        ("GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)", None, "5.2.15"),
        ("OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15", None, "9.2p1"),
        ("Python 3.11.7", None, "3.11.7"),
        ("uv 0.4.18 (7b55e9790 2024-10-01)", None, "0.4.18"),
        ("tool build 7", None, "7"),
        ("OrcaFlex 11.4c (build 2024-03-01)", r"OrcaFlex (\S+)", "11.4c"),
        ("OrcaFlex 11.6c", None, "11.6c"),
        ("ANSYS 2024R1", None, "2024R1"),
        ("ANSYS Mechanical 2023 r2", None, "2023"),  # with a space: the year only
        ("Python 3.11.0rc2", None, "3.11.0rc2"),
        ("no digits here", None, None),
    ],
)
def test_extract_version(
    probe: ModuleType, output: str, pattern: str | None, expected: str | None
) -> None:
    assert probe.extract_version(output, pattern) == expected


# ------------------------------------------------------------------------------------------
# Tools
# ------------------------------------------------------------------------------------------


def test_tool_on_path_meets_min_version(probe: ModuleType, tool_dir: Path) -> None:
    write_tool(tool_dir, "faketool", "faketool version 20.10.3")
    check = probe.check_tool({"name": "faketool", "min_version": "9.1"}, timeout=30)
    assert check["ok"] is True, check
    assert check["required"] == ">= 9.1"
    assert check["found"].startswith("20.10.3 at ")
    assert set(check) == {"name", "kind", "required", "found", "ok", "reason", "spec", "data"}
    assert check["spec"] == {"name": "faketool", "min_version": "9.1"}
    assert check["data"] == {"version": "20.10.3", "path": str(tool_dir / "faketool")}


def test_tool_too_old_says_found_and_required(probe: ModuleType, tool_dir: Path) -> None:
    write_tool(tool_dir, "faketool", "faketool version 0.10")
    check = probe.check_tool({"name": "faketool", "min_version": "20.10"}, timeout=30)
    assert check["ok"] is False
    assert "0.10" in check["reason"]
    assert "20.10" in check["reason"]
    assert check["spec"] == {"name": "faketool", "min_version": "20.10"}
    assert check["data"] == {"version": "0.10", "path": str(tool_dir / "faketool")}


def test_tool_missing(probe: ModuleType, tool_dir: Path) -> None:
    check = probe.check_tool({"name": "wrk-no-such-tool"}, timeout=30)
    assert check == {
        "name": "wrk-no-such-tool",
        "kind": "tool",
        "required": "present",
        "found": None,
        "ok": False,
        "reason": "not found on PATH",
        "spec": {"name": "wrk-no-such-tool", "min_version": None},
        "data": {"version": None, "path": None},
    }


def test_tool_without_min_version_is_not_run(probe: ModuleType, tool_dir: Path) -> None:
    write_tool(tool_dir, "guitool", "never printed")

    def runner(argv: Sequence[str], timeout: float) -> tuple[int, str]:
        raise AssertionError(f"ran {argv}")

    check = probe.check_tool({"name": "guitool"}, runner=runner)
    assert check["ok"] is True
    assert check["found"] == str(tool_dir / "guitool")
    assert check["spec"] == {"name": "guitool", "min_version": None}
    assert check["data"] == {"version": None, "path": str(tool_dir / "guitool")}  # not asked
    assert probe.check_tool({"name": "guitool", "min_version": ""}, runner=runner) == check


def test_tool_at_declared_path(probe: ModuleType, tmp_path: Path, tool_dir: Path) -> None:
    elsewhere = tmp_path / "opt"
    elsewhere.mkdir()
    path = write_tool(elsewhere, "solver", "Solver 2024.1")
    check = probe.check_tool(
        {"name": "solver", "min_version": "2023"}, {"name": "solver", "path": str(path)}, 30
    )
    assert check["ok"] is True, check
    assert "declared path" in check["reason"] or "meets" in check["reason"]
    assert check["found"] == f"2024.1 at {path}"
    assert check["data"] == {"version": "2024.1", "path": str(path)}


def test_tool_declared_path_missing(probe: ModuleType, tmp_path: Path, tool_dir: Path) -> None:
    check = probe.check_tool({"name": "solver"}, {"path": str(tmp_path / "nope" / "solver")})
    assert check["ok"] is False
    assert "declared path" in check["reason"]


def test_tool_declared_version_command_and_regex(probe: ModuleType, tool_dir: Path) -> None:
    write_tool(tool_dir, "orcaflex", "ignored")
    calls: list[list[str]] = []

    def runner(argv: Sequence[str], timeout: float) -> tuple[int, str]:
        calls.append(list(argv))
        return 0, "OrcaFlex 11.4c"

    declared = {
        "name": "orcaflex",
        "version_command": ["orcaflex", "/v"],
        "version_regex": r"OrcaFlex (\S+)",
    }
    check = probe.check_tool({"name": "orcaflex", "min_version": "11.2"}, declared, 5, runner)
    assert calls == [["orcaflex", "/v"]]
    assert check["ok"] is True
    assert check["found"].startswith("11.4c at ")
    assert check["spec"] == {"name": "orcaflex", "min_version": "11.2"}
    assert check["data"] == {"version": "11.4c", "path": str(tool_dir / "orcaflex")}


@pytest.mark.parametrize(
    ("output", "min_version", "ok"),
    [
        ("OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.11", "9.2", True),
        ("OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.11", "9.2.1", False),
        ("ANSYS 2024R1", "2024", True),
        ("ANSYS 2024R1", "2024R2", False),
        ("Python 3.11.0rc2", "3.11", False),
    ],
)
def test_tool_post_release_suffix_meets_the_bare_release(
    probe: ModuleType, tool_dir: Path, output: str, min_version: str, ok: bool
) -> None:
    write_tool(tool_dir, "ssh", output)
    check = probe.check_tool({"name": "ssh", "min_version": min_version}, timeout=30)
    assert check["ok"] is ok, check


def test_tool_version_timeout_is_unknown(probe: ModuleType, tool_dir: Path) -> None:
    write_tool(tool_dir, "slow", "1.0")

    def runner(argv: Sequence[str], timeout: float) -> tuple[int, str]:
        raise subprocess.TimeoutExpired(list(argv), timeout)

    check = probe.check_tool({"name": "slow", "min_version": "1"}, timeout=0.5, runner=runner)
    assert check["ok"] is None
    assert "timed out" in check["reason"]
    assert check["spec"] == {"name": "slow", "min_version": "1"}
    assert check["data"] == {"version": None, "path": str(tool_dir / "slow")}


def test_real_version_command_times_out(probe: ModuleType, tool_dir: Path) -> None:
    path = tool_dir / "hangs"
    path.write_text("#!/bin/sh\nexec sleep 30\n", encoding="utf-8")
    path.chmod(0o755)
    check = probe.check_tool({"name": "hangs", "min_version": "1"}, timeout=0.5)
    assert check["ok"] is None
    assert "timed out after 0.5s" in check["reason"]


def test_timeout_does_not_wait_for_grandchildren(tmp_path: Path) -> None:
    """A wrapper whose child keeps stdout open must not hold the probe past its timeout.

    Run in a subprocess with a generous limit: a hang fails the test instead of stalling it.
    """
    pidfile = tmp_path / "grandchild.pid"
    wrapper = tmp_path / "wrapper"
    wrapper.write_text(f"#!/bin/sh\nsleep 600 &\necho $! > {pidfile}\nexec sleep 600\n")
    wrapper.chmod(0o755)
    code = (
        "import importlib.util, subprocess, sys\n"
        f"spec = importlib.util.spec_from_file_location('p', {str(PROBE_FILE)!r})\n"
        "p = importlib.util.module_from_spec(spec); spec.loader.exec_module(p)\n"
        "try:\n"
        f"    p.run_command([{str(wrapper)!r}], 0.5)\n"
        "except subprocess.TimeoutExpired:\n"
        "    print('timed out')\n"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
        assert proc.stdout.strip() == "timed out", proc.stderr
    finally:
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)


def test_tool_without_version_output_is_unknown(probe: ModuleType, tool_dir: Path) -> None:
    write_tool(tool_dir, "quiet", "usage: quiet [options]", rc=1)
    check = probe.check_tool({"name": "quiet", "min_version": "1.0"}, timeout=30)
    assert check["ok"] is None
    assert "no version" in check["reason"]
    assert check["data"] == {"version": None, "path": str(tool_dir / "quiet")}


@pytest.mark.parametrize(
    "name", ["../../bin/sh", "/bin/sh", "a b", "{{ x }}", "$(touch x)", "", "-rf"]
)
def test_tool_names_are_bare_program_names(probe: ModuleType, name: str) -> None:
    if not name:
        with pytest.raises(probe.ProbeInputError):
            probe.run_probe({"tools": [{"name": name}]}, {})
        return
    check = probe.check_tool({"name": name, "min_version": "1"})
    assert check["ok"] is False
    assert "invalid tool name" in check["reason"]
    assert check["spec"] == {"name": name, "min_version": "1"}
    assert check["data"] == {"version": None, "path": None}


def test_canary_tool_name_is_data(probe: ModuleType, tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    result = probe.run_probe({"tools": [{"name": CANARY_NAME % canary}]}, {}, 5)
    assert not canary.exists()
    assert result["ready"] is False
    assert result["checks"][0]["name"] == CANARY_NAME % canary


# ------------------------------------------------------------------------------------------
# License usage output (lmstat / rlmstat)
# ------------------------------------------------------------------------------------------


def fixture_text(name: str) -> str:
    return (LICENSES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fixture", "feature", "expected"),
    [
        ("lmstat_available.txt", "aqwa", {"issued": 10, "used": 3}),
        ("lmstat_exhausted.txt", "OrcaFlex", {"issued": 1, "used": 1}),
        ("lmstat_exhausted.txt", "OrcaWave", {"issued": 2, "used": 0}),
        ("lmstat_uncounted.txt", "MATLAB", {"issued": None, "used": 0}),
        ("rlmstat_pool.txt", "rlm_demo", {"issued": 5, "used": 2}),
        ("rlmstat_pool.txt", "gmsh_pro", {"issued": 2, "used": 2}),
        ("lmstat_available.txt", "fluent", None),
        ("lmstat_down.txt", "aqwa", None),
        ("lmstat_exhausted.txt", "Orca", None),
    ],
)
def test_parse_license_usage(
    probe: ModuleType, fixture: str, feature: str, expected: dict[str, Any] | None
) -> None:
    assert probe.parse_license_usage(fixture_text(fixture), feature) == expected


# ------------------------------------------------------------------------------------------
# License files
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31-dec-2030", datetime.date(2030, 12, 31)),
        ("31-DEC-2030", datetime.date(2030, 12, 31)),
        ("1-jan-2020", datetime.date(2020, 1, 1)),
        ("permanent", None),
        ("1-jan-0", None),
        ("1-jan-0000", None),
        ("0", None),
    ],
)
def test_parse_license_date(probe: ModuleType, text: str, expected: datetime.date | None) -> None:
    assert probe.parse_license_date(text) == expected


@pytest.mark.parametrize("bad", ["2030-12-31", "31-foo-2030", "tomorrow", "31-dec-20x0"])
def test_parse_license_date_refuses(probe: ModuleType, bad: str) -> None:
    with pytest.raises(ValueError, match="not a license date"):
        probe.parse_license_date(bad)


def test_parse_flexlm_file(probe: ModuleType) -> None:
    entries = probe.parse_license_file(fixture_text("flexlm.lic"))
    assert entries == [
        {"feature": "aqwa", "expires": datetime.date(2030, 12, 31), "seats": 4},
        {"feature": "aqwa", "expires": datetime.date(2026, 6, 30), "seats": 2},
        {"feature": "OrcaFlex", "expires": None, "seats": 1},
        {"feature": "oldsolver", "expires": datetime.date(2020, 1, 1), "seats": 8},
        {"feature": "nodelocked", "expires": None, "seats": None},
    ]


def test_parse_rlm_file(probe: ModuleType) -> None:
    assert probe.parse_license_file(fixture_text("rlm.lic")) == [
        {"feature": "rlm_demo", "expires": datetime.date(2030, 12, 31), "seats": 5},
        {"feature": "gmsh_pro", "expires": None, "seats": None},
    ]


def file_decl(feature: str, name: str = "flexlm.lic") -> dict[str, Any]:
    return {"feature": feature, "kind": "file", "path": str(LICENSES / name)}


@pytest.mark.parametrize(
    ("feature", "seats", "today", "ok", "in_reason"),
    [
        ("aqwa", 6, TODAY, True, "valid license"),  # 4 + 2 seats while both lines are valid
        ("aqwa", 7, TODAY, False, "grants 6 seats, 7 required"),
        ("aqwa", 5, datetime.date(2027, 1, 1), False, "grants 4 seats, 5 required"),
        ("OrcaFlex", 1, TODAY, True, "valid license"),
        ("oldsolver", 1, TODAY, False, "expired on 2020-01-01"),
        ("nodelocked", 50, TODAY, True, "uncounted"),
        ("missing", 1, TODAY, False, "no FEATURE line for missing"),
    ],
)
def test_check_license_file(  # noqa: PLR0917 - one argument per parameter column
    probe: ModuleType, feature: str, seats: int, today: datetime.date, ok: bool, in_reason: str
) -> None:
    check = probe.check_license_file(feature, seats, file_decl(feature), today=today)
    assert check["ok"] is ok, check
    assert in_reason in check["reason"]
    assert check["kind"] == "license"


def test_license_expiry_is_inclusive(probe: ModuleType) -> None:
    last_day = datetime.date(2030, 12, 31)
    check = probe.check_license_file("rlm_demo", 5, file_decl("rlm_demo", "rlm.lic"), last_day)
    assert check["ok"] is True
    assert check["found"] == "5 seats granted, until 2030-12-31"
    day_after = last_day + datetime.timedelta(days=1)
    check = probe.check_license_file("rlm_demo", 5, file_decl("rlm_demo", "rlm.lic"), day_after)
    assert check["ok"] is False


def file_data(**observed: Any) -> dict[str, Any]:
    """A license file check's data: the observed keys, the rest as a file leaves them."""
    data = {
        "license_kind": "file",
        "issued_seats": None,
        "used_seats": None,
        "free_seats": None,
        "uncounted": False,
        "expires": None,
        "server": None,
    }
    data.update(observed)
    return data


@pytest.mark.parametrize(
    ("feature", "seats", "today", "ok", "data"),
    [
        ("aqwa", 6, TODAY, True, file_data(issued_seats=6, expires="2030-12-31")),
        ("aqwa", 7, TODAY, False, file_data(issued_seats=6, expires="2030-12-31")),
        (
            "aqwa",
            5,
            datetime.date(2027, 1, 1),
            False,
            file_data(issued_seats=4, expires="2030-12-31"),
        ),
        ("OrcaFlex", 1, TODAY, True, file_data(issued_seats=1, expires="permanent")),
        ("oldsolver", 1, TODAY, False, file_data(issued_seats=0, expires="2020-01-01")),
        ("nodelocked", 50, TODAY, True, file_data(uncounted=True, expires="permanent")),
        ("missing", 1, TODAY, False, file_data(issued_seats=0)),
    ],
)
def test_license_file_spec_and_data(  # noqa: PLR0917 - one argument per parameter column
    probe: ModuleType,
    feature: str,
    seats: int,
    today: datetime.date,
    ok: bool,
    data: dict[str, Any],
) -> None:
    check = probe.check_license(
        {"feature": feature, "seats": seats}, [file_decl(feature)], today=today
    )
    assert check["ok"] is ok, check
    assert check["spec"] == {"feature": feature, "seats": seats}
    assert check["data"] == data


def test_license_file_unreadable_data_is_unknown(probe: ModuleType, tmp_path: Path) -> None:
    decl = {"feature": "aqwa", "kind": "file", "path": str(tmp_path / "absent.lic")}
    check = probe.check_license({"feature": "aqwa", "seats": "2"}, [decl])
    assert check["ok"] is False
    assert check["spec"] == {"feature": "aqwa", "seats": 2}
    assert check["data"] == file_data()


def test_license_file_missing(probe: ModuleType, tmp_path: Path) -> None:
    decl = {"feature": "aqwa", "kind": "file", "path": str(tmp_path / "absent.lic")}
    check = probe.check_license_file("aqwa", 1, decl)
    assert check["ok"] is False
    assert "cannot be read" in check["reason"]


def test_license_not_declared(probe: ModuleType) -> None:
    check = probe.check_license({"feature": "ansys", "seats": 2}, [file_decl("aqwa")])
    assert check["ok"] is False
    assert check["reason"] == "host declares no license for ansys"
    assert check["required"] == "2 seats"
    assert check["spec"] == {"feature": "ansys", "seats": 2}
    assert check["data"] == file_data(license_kind=None)


def test_license_unknown_kind_fails_the_check(probe: ModuleType) -> None:
    check = probe.check_license({"feature": "x"}, [{"feature": "x", "kind": "dongle"}])
    assert check["ok"] is False
    assert "unknown kind" in check["reason"]
    assert check["spec"] == {"feature": "x", "seats": 1}
    assert check["data"] == file_data(license_kind=None)


# ------------------------------------------------------------------------------------------
# License servers
# ------------------------------------------------------------------------------------------


def server_data(license_kind: str, **observed: Any) -> dict[str, Any]:
    """A license server check's data: the observed keys, the rest null (uncounted false)."""
    return {**file_data(license_kind=license_kind), **observed}


def test_license_server_closed_port(probe: ModuleType, closed_port: int) -> None:
    decl = {"feature": "aqwa", "kind": "flexlm", "server": f"{closed_port}@127.0.0.1"}
    check = probe.check_license({"feature": "aqwa"}, [decl], timeout=1.0)
    assert check["ok"] is False
    assert "not reachable" in check["reason"]
    assert check["spec"] == {"feature": "aqwa", "seats": 1}
    assert check["data"] == server_data("flexlm")


def test_license_server_without_utility_is_unknown(
    probe: ModuleType, listening_port: int, tool_dir: Path
) -> None:
    decl = {"feature": "aqwa", "kind": "flexlm", "server": f"{listening_port}@127.0.0.1"}
    check = probe.check_license({"feature": "aqwa"}, [decl], timeout=5)
    assert check["ok"] is None
    assert "lmutil is not on PATH" in check["reason"]
    assert check["data"] == server_data("flexlm", server=f"{listening_port}@127.0.0.1")


@pytest.mark.parametrize(
    ("kind", "utility", "fixture", "feature", "seats", "ok", "found"),
    [
        ("flexlm", "lmutil", "lmstat_available.txt", "aqwa", 7, True, "7 free of 10"),
        ("flexlm", "lmutil", "lmstat_available.txt", "aqwa", 8, False, "7 free of 10"),
        ("flexlm", "lmutil", "lmstat_exhausted.txt", "OrcaFlex", 1, False, "0 free of 1"),
        ("flexlm", "lmutil", "lmstat_uncounted.txt", "MATLAB", 3, True, "uncounted"),
        ("flexlm", "lmutil", "lmstat_down.txt", "aqwa", 1, None, "up"),
        ("rlm", "rlmutil", "rlmstat_pool.txt", "rlm_demo", 3, True, "3 free of 5"),
        ("rlm", "rlmutil", "rlmstat_pool.txt", "gmsh_pro", 1, False, "0 free of 2"),
    ],
)
def test_license_server_seats_from_a_real_utility(  # noqa: PLR0917 - parameter columns
    probe: ModuleType,
    listening_port: int,
    tool_dir: Path,
    kind: str,
    utility: str,
    fixture: str,
    feature: str,
    seats: int,
    ok: bool | None,
    found: str,
) -> None:
    write_tool(tool_dir, utility, fixture_text(fixture))
    decl = {"feature": feature, "kind": kind, "server": f"{listening_port}@127.0.0.1"}
    check = probe.check_license({"feature": feature, "seats": seats}, [decl], timeout=30)
    assert check["ok"] is ok, check
    assert found in check["found"]


def test_license_server_command_line(probe: ModuleType, listening_port: int) -> None:
    calls: list[list[str]] = []

    def runner(argv: Sequence[str], timeout: float) -> tuple[int, str]:
        calls.append(list(argv))
        return 0, fixture_text("lmstat_available.txt")

    decl = {
        "feature": "aqwa",
        "kind": "flexlm",
        "server": f"1@127.0.0.2,{listening_port}@127.0.0.1",
        "utility": "/opt/flexlm/lmutil",
    }
    check = probe.check_license({"feature": "aqwa", "seats": 1}, [decl], 2, runner)
    assert check["ok"] is True
    assert calls == [
        ["/opt/flexlm/lmutil", "lmstat", "-a", "-c", f"{listening_port}@127.0.0.1", "-f", "aqwa"]
    ]


@pytest.mark.parametrize("server", ["licsrv", "27000", "port@host", "99999@host", ""])
def test_license_server_spec_invalid(probe: ModuleType, server: str) -> None:
    check = probe.check_license(
        {"feature": "x"}, [{"feature": "x", "kind": "rlm", "server": server}]
    )
    assert check["ok"] is False
    assert "PORT@HOST" in check["reason"]
    assert check["data"] == server_data("rlm")


@pytest.mark.parametrize(
    ("kind", "fixture", "feature", "seats", "ok", "counts"),
    [
        ("flexlm", "lmstat_available.txt", "aqwa", 7, True, (10, 3, 7)),
        ("flexlm", "lmstat_available.txt", "aqwa", 8, False, (10, 3, 7)),
        ("flexlm", "lmstat_exhausted.txt", "OrcaFlex", 1, False, (1, 1, 0)),
        ("flexlm", "lmstat_exhausted.txt", "OrcaWave", 2, True, (2, 0, 2)),
        ("rlm", "rlmstat_pool.txt", "rlm_demo", 3, True, (5, 2, 3)),
        ("rlm", "rlmstat_pool.txt", "gmsh_pro", 1, False, (2, 2, 0)),
    ],
)
def test_license_server_counts_from_fake_output(  # noqa: PLR0917 - parameter columns
    probe: ModuleType,
    listening_port: int,
    kind: str,
    fixture: str,
    feature: str,
    seats: int,
    ok: bool,
    counts: tuple[int, int, int],
) -> None:
    def runner(argv: Sequence[str], timeout: float) -> tuple[int, str]:
        return 0, fixture_text(fixture)

    server = f"{listening_port}@127.0.0.1"
    decl = {"feature": feature, "kind": kind, "server": server, "utility": "/opt/lic/util"}
    check = probe.check_license({"feature": feature, "seats": seats}, [decl], 5, runner)
    assert check["ok"] is ok, check
    assert check["spec"] == {"feature": feature, "seats": seats}
    issued, used, free = counts
    assert check["data"] == server_data(
        kind, issued_seats=issued, used_seats=used, free_seats=free, server=server
    )
    assert check["found"] == f"{free} free of {issued} on {server}"  # the text is unchanged


@pytest.mark.parametrize(
    ("fixture", "feature", "error", "ok", "uncounted"),
    [
        ("lmstat_uncounted.txt", "MATLAB", None, True, True),
        ("lmstat_down.txt", "aqwa", None, None, False),
        ("lmstat_available.txt", "fluent", None, None, False),
        ("lmstat_available.txt", "aqwa", subprocess.TimeoutExpired(["lmutil"], 5), None, False),
        ("lmstat_available.txt", "aqwa", OSError("Exec format error"), None, False),
    ],
)
def test_license_server_without_counts(  # noqa: PLR0917 - parameter columns
    probe: ModuleType,
    listening_port: int,
    fixture: str,
    feature: str,
    error: Exception | None,
    ok: bool | None,
    uncounted: bool,
) -> None:
    """Uncounted, or usage unknown: the server that answered, the seat numbers null."""

    def runner(argv: Sequence[str], timeout: float) -> tuple[int, str]:
        if error is not None:
            raise error
        return 0, fixture_text(fixture)

    server = f"{listening_port}@127.0.0.1"
    decl = {"feature": feature, "kind": "flexlm", "server": server, "utility": "/opt/lmutil"}
    check = probe.check_license({"feature": feature, "seats": 3}, [decl], 5, runner)
    assert check["ok"] is ok, check
    assert check["data"] == server_data("flexlm", uncounted=uncounted, server=server)


# ------------------------------------------------------------------------------------------
# Disk and network
# ------------------------------------------------------------------------------------------


def test_disk_missing_path_fails_without_raising(probe: ModuleType, tmp_path: Path) -> None:
    check = probe.check_disk(str(tmp_path / "not" / "there"), 1)
    assert check["ok"] is False
    assert check["reason"] == "path does not exist"
    assert check["spec"] == {"path": str(tmp_path / "not" / "there"), "free_gb": 1.0}
    assert check["data"] == {"free_bytes": None}


def test_disk_enough_and_not_enough(probe: ModuleType, tmp_path: Path) -> None:
    enough = probe.check_disk(str(tmp_path), 0.001)
    assert enough["ok"] is True
    assert enough["spec"] == {"path": str(tmp_path), "free_gb": 0.001}
    check = probe.check_disk(str(tmp_path), 10_000_000)
    assert check["ok"] is False
    assert "GiB free" in check["found"]
    assert "10000000 GiB required" in check["reason"]
    assert check["spec"] == {"path": str(tmp_path), "free_gb": 10_000_000.0}
    for measured in (enough, check):
        free = measured["data"]["free_bytes"]
        assert isinstance(free, int)
        assert 0 < free < 10_000_000 * probe.GIB
        assert measured["found"] == "%.1f GiB free" % (free / probe.GIB)  # the same reading


def test_disk_exists_only(probe: ModuleType, tmp_path: Path) -> None:
    check = probe.check_disk(str(tmp_path), None)
    assert check["ok"] is True
    assert check["required"] == "exists"
    assert check["spec"] == {"path": str(tmp_path), "free_gb": None}
    assert isinstance(check["data"]["free_bytes"], int)


def test_disk_unmeasurable_is_unknown(
    probe: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(probe.shutil, "disk_usage", refuse)
    check = probe.check_disk(str(tmp_path), 1)
    assert check["ok"] is None
    assert check["data"] == {"free_bytes": None}


def test_disk_expands_the_home_directory(
    probe: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))  # what expanduser reads on Windows
    check = probe.check_disk("~", 0.001)
    assert check["ok"] is True, check
    assert check["name"] == "~"  # reported as required, measured where it points
    missing = probe.check_disk("~/not-there", 0.001)
    assert missing["ok"] is False
    assert missing["reason"] == f"path does not exist ({home / 'not-there'})"


def test_network_closed_port_short_timeout(probe: ModuleType, closed_port: int) -> None:
    check = probe.check_network("127.0.0.1", closed_port, timeout=0.5)
    assert check["ok"] is False
    assert check["name"] == f"127.0.0.1:{closed_port}"
    assert check["found"] == "unreachable"
    assert check["spec"] == {"host": "127.0.0.1", "port": closed_port}
    assert check["data"] == {"reachable": False}


def test_network_open_port(probe: ModuleType, listening_port: int) -> None:
    check = probe.check_network("127.0.0.1", listening_port, timeout=5)
    assert check["ok"] is True
    assert check["found"] == "reachable"
    assert check["spec"] == {"host": "127.0.0.1", "port": listening_port}
    assert check["data"] == {"reachable": True}


def test_network_unresolvable_host(probe: ModuleType) -> None:
    check = probe.check_network("no-such-host.invalid", 22, timeout=2)
    assert check["ok"] is False
    assert check["data"] == {"reachable": False}


# ------------------------------------------------------------------------------------------
# The whole probe
# ------------------------------------------------------------------------------------------


def test_run_probe_requirements(
    probe: ModuleType, tmp_path: Path, tool_dir: Path, listening_port: int
) -> None:
    write_tool(tool_dir, "git", "git version 2.39.2")
    result = probe.run_probe(
        {
            "tools": [{"name": "git", "min_version": "2.30"}, "faketool"],
            "licenses": [{"feature": "OrcaFlex", "seats": 1}],
            "disk": [{"path": str(tmp_path), "free_gb": 0.001}],
            "network": [{"host": "127.0.0.1", "port": listening_port}],
        },
        {"licenses": [file_decl("OrcaFlex")], "tools": ["git"]},
        10,
    )
    assert result["mode"] == "requirements"
    assert [c["name"] for c in result["checks"]] == [
        "git",
        "faketool",
        "OrcaFlex",
        str(tmp_path),
        f"127.0.0.1:{listening_port}",
    ]
    assert [c["ok"] for c in result["checks"]] == [True, False, True, True, True]
    assert result["ready"] is False
    assert set(result["facts"]) >= {"os", "hostname", "python"}
    assert result["schema_version"] == 2
    assert result["facts"]["probe_version"] == "2"
    assert [c["spec"] for c in result["checks"]] == [
        {"name": "git", "min_version": "2.30"},
        {"name": "faketool", "min_version": None},
        {"feature": "OrcaFlex", "seats": 1},
        {"path": str(tmp_path), "free_gb": 0.001},
        {"host": "127.0.0.1", "port": listening_port},
    ]
    assert result["checks"][0]["data"] == {"version": "2.39.2", "path": str(tool_dir / "git")}
    assert result["checks"][4]["data"] == {"reachable": True}
    json.dumps(result)  # plain data only


def test_run_probe_declared_mode(probe: ModuleType, tmp_path: Path, tool_dir: Path) -> None:
    write_tool(tool_dir, "uv", "uv 0.4.18")
    result = probe.run_probe(
        {},
        {
            "tools": [{"name": "uv"}],
            "licenses": [file_decl("OrcaFlex")],
            "storage": [{"path": str(tmp_path), "purpose": "work"}],
        },
    )
    assert result["mode"] == "declared"
    assert [c["kind"] for c in result["checks"]] == ["tool", "license", "disk"]
    assert result["ready"] is True
    assert [c["spec"] for c in result["checks"]] == [
        {"name": "uv", "min_version": None},
        {"feature": "OrcaFlex", "seats": 1},
        {"path": str(tmp_path), "free_gb": None},
    ]


def test_unknown_makes_the_host_not_ready(probe: ModuleType, tool_dir: Path) -> None:
    write_tool(tool_dir, "quiet", "no version here")
    result = probe.run_probe({"tools": [{"name": "quiet", "min_version": "1"}]}, {}, 30)
    assert result["checks"][0]["ok"] is None
    assert result["ready"] is False


def test_nothing_to_check_is_ready(probe: ModuleType) -> None:
    result = probe.run_probe(None, None)
    assert result["checks"] == []
    assert result["ready"] is True


@pytest.mark.parametrize(
    ("requirements", "declared", "timeout", "message"),
    [
        ({"tools": "git"}, {}, 5, "must be a list"),
        ({"tools": [{"min_version": "1"}]}, {}, 5, "'name'"),
        ({"tools": [{"name": "git", "min_version": "2.x"}]}, {}, 5, "'2.x' is not a version"),
        ({"gpus": [{}]}, {}, 5, "unknown requirement kinds: gpus"),
        ({"disk": [{"path": "/", "free_gb": "lots"}]}, {}, 5, "must be a number"),
        ({"network": [{"host": "h", "port": 70000}]}, {}, 5, "1-65535"),
        ({"network": [{"host": "h", "port": True}]}, {}, 5, "must be a number"),
        ({}, {"licenses": [{"kind": "file"}]}, 5, "'feature'"),
        ({}, {}, 0, "timeout"),
        ({}, {}, "soon", "timeout"),
        ([], {}, 5, "mappings"),
    ],
)
def test_run_probe_bad_input(
    probe: ModuleType, requirements: Any, declared: Any, timeout: Any, message: str
) -> None:
    with pytest.raises(probe.ProbeInputError, match=message):
        probe.run_probe(requirements, declared, timeout)


# ------------------------------------------------------------------------------------------
# Script mode (the raw path for Windows hosts)
# ------------------------------------------------------------------------------------------


def run_script(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROBE_FILE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_script_reads_stdin(tmp_path: Path) -> None:
    request = {"requirements": {"disk": [{"path": str(tmp_path), "free_gb": 0.001}]}}
    proc = run_script(stdin=json.dumps(request))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["ready"] is True
    assert result["checks"][0]["kind"] == "disk"


def test_script_reads_base64_argument(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    request = {"requirements": {"tools": [{"name": CANARY_NAME % canary}]}, "timeout": 2}
    encoded = base64.b64encode(json.dumps(request).encode()).decode()
    proc = run_script("--request-b64", encoded)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ready"] is False
    assert not canary.exists()


@pytest.mark.parametrize("stdin", ["[1, 2]", "{not json", '{"requirements": {"tools": 3}}'])
def test_script_bad_request(stdin: str) -> None:
    proc = run_script(stdin=stdin)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["failed"] is True


def test_script_compressed_like_the_raw_task(tmp_path: Path) -> None:
    """The exact bootstrap the role sends through ansible.builtin.raw."""
    import zlib

    payload = base64.b64encode(zlib.compress(PROBE_FILE.read_bytes(), 9)).decode()
    request = base64.b64encode(
        json.dumps({"requirements": {"disk": [{"path": str(tmp_path), "free_gb": 1e-3}]}}).encode()
    ).decode()
    code = (
        "import base64,zlib;exec(compile(zlib.decompress(base64.b64decode("
        f"'{payload}')),'wrk_probe.py','exec'))"
    )
    assert len(code) < 32_000, "the Windows command line would be too long"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--request-b64", request],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ready"] is True


def test_license_declaration_matches_case_insensitively(probe: ModuleType) -> None:
    check = probe.check_license({"feature": "orcaflex"}, [file_decl("OrcaFlex")], today=TODAY)
    assert check["ok"] is True, check
    assert check["name"] == "OrcaFlex"  # the declared spelling, as before
    assert check["spec"] == {"feature": "orcaflex", "seats": 1}  # as requested


def test_a_probe_over_many_slow_checks_ends_within_its_time_budget(
    probe: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each check has its timeout; the whole probe has a budget, after which the rest are
    unknown with a reason (never silently passed)."""
    clock = [0.0]

    def slow_network(host: str, port: int, timeout: float) -> dict[str, object]:
        clock[0] += timeout  # as if every endpoint blackholed until its timeout
        return probe.make_check(
            f"{host}:{port}",
            "network",
            "reachable",
            None,
            False,
            "timed out",
            spec=probe.network_spec(host, port),
            data=probe.network_data(reachable=False),
        )

    monkeypatch.setattr(probe, "check_network", slow_network)
    monkeypatch.setattr(probe.time, "monotonic", lambda: clock[0])
    requirements = {"network": [{"host": "192.0.2.1", "port": 1000 + n} for n in range(10)]}
    result = probe.run_probe(requirements, {}, timeout=5)
    budget = probe.time_budget(5)
    ran = [c for c in result["checks"] if c["ok"] is False]
    skipped = [c for c in result["checks"] if c["ok"] is None]
    assert len(ran) + len(skipped) == 10
    assert len(ran) == int(budget // 5) + 1
    assert all("time budget" in c["reason"] for c in skipped)
    first_skipped = 1000 + len(ran)
    assert [c["spec"] for c in skipped] == [
        {"host": "192.0.2.1", "port": first_skipped + n} for n in range(len(skipped))
    ]
    assert all(c["data"] == {} for c in skipped)
    assert all(c["required"] is None and c["found"] is None for c in skipped)
    assert all(c["data"] == {"reachable": False} for c in ran)
    assert result["ready"] is False


# ------------------------------------------------------------------------------------------
# The output schema (docs/probe-output.schema.json) against real probe runs
# ------------------------------------------------------------------------------------------

SCHEMA_FILE = REPO_ROOT / "docs" / "probe-output.schema.json"


@pytest.fixture(scope="module")
def output_validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid(validator: Any, result: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(result)]
    assert errors == [], errors


@pytest.fixture
def probed(
    probe: ModuleType, tmp_path: Path, tool_dir: Path, listening_port: int, closed_port: int
) -> dict[str, dict[str, Any]]:
    """Real run_probe results, named, covering every kind's pass, fail and unknown."""
    write_tool(tool_dir, "git", "git version 2.39.2")
    write_tool(tool_dir, "quiet", "usage: quiet")
    write_tool(tool_dir, "lmutil", fixture_text("lmstat_available.txt"))
    server = f"{listening_port}@127.0.0.1"
    declared = {
        "tools": ["git"],
        "licenses": [
            file_decl("OrcaFlex"),
            file_decl("nodelocked"),
            file_decl("oldsolver"),
            {"feature": "aqwa", "kind": "flexlm", "server": server},
            {"feature": "gone", "kind": "rlm", "server": f"{closed_port}@127.0.0.1"},
        ],
        "storage": [str(tmp_path), {"path": str(tmp_path / "absent"), "free_gb": 1}],
    }
    requirements = {
        "tools": [{"name": "git", "min_version": "2.30"}, "quiet", "wrk-absent", "../x"],
        "licenses": [
            {"feature": "orcaflex", "seats": 1},
            {"feature": "nodelocked", "seats": 9},
            {"feature": "oldsolver"},
            {"feature": "aqwa", "seats": 8},
            {"feature": "gone"},
            {"feature": "undeclared"},
        ],
        "disk": [
            {"path": str(tmp_path), "free_gb": 0.001},
            {"path": str(tmp_path / "absent"), "free_gb": 1},
        ],
        "network": [
            {"host": "127.0.0.1", "port": listening_port},
            {"host": "127.0.0.1", "port": closed_port},
        ],
    }
    with_unknown = {"tools": [{"name": "quiet", "min_version": "1"}]}
    return {
        "requirements": probe.run_probe(requirements, declared, 5),
        "declared": probe.run_probe({}, declared, 5),
        "unknown": probe.run_probe(with_unknown, {}, 5),
        "nothing": probe.run_probe(None, None),
    }


def test_real_outputs_match_the_schema(
    output_validator: Any, probed: dict[str, dict[str, Any]]
) -> None:
    kinds = set()
    outcomes = set()
    for result in probed.values():
        assert_valid(output_validator, json.loads(json.dumps(result)))
        kinds.update(c["kind"] for c in result["checks"])
        outcomes.update((c["kind"], c["ok"]) for c in result["checks"])
    assert probed["declared"]["mode"] == "declared"
    assert kinds == {"tool", "license", "disk", "network"}
    assert {("tool", None), ("license", True), ("license", False), ("disk", False)} <= outcomes


def test_budget_spent_output_matches_the_schema(
    probe: ModuleType, output_validator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(probe, "time_budget", lambda timeout: -1.0)  # spent before the first
    requirements = {
        "tools": [{"name": "git", "min_version": "2"}],
        "licenses": [{"feature": "aqwa", "seats": 3}],
        "disk": [{"path": str(tmp_path), "free_gb": 2}],
        "network": [{"host": "192.0.2.1", "port": 443}],
    }
    result = probe.run_probe(requirements, {}, 5)
    assert [(c["ok"], c["data"]) for c in result["checks"]] == [(None, {})] * 4
    assert [c["spec"] for c in result["checks"]] == [
        {"name": "git", "min_version": "2"},
        {"feature": "aqwa", "seats": 3},
        {"path": str(tmp_path), "free_gb": 2.0},
        {"host": "192.0.2.1", "port": 443},
    ]
    assert_valid(output_validator, result)


def test_script_output_matches_the_schema(output_validator: Any, tmp_path: Path) -> None:
    request = {
        "requirements": {"disk": [{"path": str(tmp_path), "free_gb": 0.001}]},
        "declared": {},
    }
    proc = run_script(stdin=json.dumps(request))
    assert proc.returncode == 0, proc.stderr
    assert_valid(output_validator, json.loads(proc.stdout))


@pytest.mark.parametrize(
    "breakage",
    [
        "schema_version 1",
        "check without data",
        "unknown check key",
        "tool with a license spec",
        "license data key missing",
        "license kind unknown",
        "not run but passed",
        "disk free_bytes as text",
        "network port out of range",
    ],
)
def test_schema_rejects_what_the_probe_never_says(
    output_validator: Any, probed: dict[str, dict[str, Any]], breakage: str
) -> None:
    result = json.loads(json.dumps(probed["requirements"]))
    by_kind = {c["kind"]: c for c in reversed(result["checks"])}
    tool, lic, disk, net = (by_kind[k] for k in ("tool", "license", "disk", "network"))
    if breakage == "schema_version 1":
        result["schema_version"] = 1
    elif breakage == "check without data":
        del tool["data"]
    elif breakage == "unknown check key":
        disk["free_gb"] = 1
    elif breakage == "tool with a license spec":
        tool["spec"] = dict(lic["spec"])
    elif breakage == "license data key missing":
        del lic["data"]["free_seats"]
    elif breakage == "license kind unknown":
        lic["data"]["license_kind"] = "dongle"
    elif breakage == "not run but passed":
        net["data"] = {}
    elif breakage == "disk free_bytes as text":
        disk["data"]["free_bytes"] = "79.2 GiB"
    elif breakage == "network port out of range":
        net["spec"]["port"] = 70000
    assert_valid(output_validator, probed["requirements"])  # the original stays valid
    assert not output_validator.is_valid(result), breakage
