# Copyright: wrk-ansible contributors
# MIT License (see the project's pyproject.toml)
"""Readiness probe of a workstation: pure check functions, one source for every caller.

Used three ways: as Ansible module_utils (the ``wrk_probe`` module), in process by
``wrk readiness --local``, and as a stand-alone script (``python3 wrk_probe.py`` reads a JSON
request on stdin, or ``--request-b64 DATA``, and prints the JSON result) for Windows hosts
probed through ``ansible.builtin.raw``.  It therefore runs on the *target* host: standard
library only, Python 3.8+, no POSIX-only calls, every subprocess and socket has a timeout and
no subprocess goes through a shell.

Every check returns ``{name, kind, required, found, ok, reason, spec, data}``: ``ok`` is True
(passed), False (failed) or None (unknown: could not be decided, with the reason; never a silent
pass); ``required``/``found``/``reason`` are text for people, ``spec`` (what was asked) and
``data`` (what was observed, null where unknown) are typed values for programs.  Beside the
checks, ``dimensions`` reports facts of the host for grading it against a baseline (compute,
disk, solvers, agents, checkout), never for its readiness.  The shape of the whole result is
``docs/probe-output.schema.json`` (``schema_version`` 2; ``dimensions`` is an optional key
older readers ignore).
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

PROBE_VERSION = "2"
#: The shape of run_probe's result: docs/probe-output.schema.json.
SCHEMA_VERSION = 2
GIB = 1024**3
DEFAULT_TIMEOUT = 5.0
#: Bytes of command output read; version and lmstat output is far smaller.
MAX_OUTPUT = 1024 * 1024
#: A tool name from requirements is data: a bare program name, never a path or a template.
TOOL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$")
#: The version in ``--version`` output: the first dotted one with any attached suffix
#: ("git version 2.39.2", "OpenSSH_9.2p1", "11.6c"), else an ANSYS release ("2024R1"), else
#: a bare number ("build 7").
DEFAULT_VERSION_RE = r"(\d+(?:\.\d+)+(?:[A-Za-z]+\d*)?|\d+[Rr]\d+|\d+)"
#: Utilities that report license usage, by license kind.
LICENSE_UTILITIES = {"flexlm": ("lmutil",), "rlm": ("rlmutil",)}

Check = Dict[str, Any]
Runner = Callable[[Sequence[str], float], Tuple[int, str]]


class ProbeInputError(ValueError):
    """The request is malformed (wrong types, missing keys): a caller error, not a failed check."""


# --------------------------------------------------------------------------------------------
# Version comparison.
#
# Implemented here rather than importing ``packaging`` (absent on target hosts) or
# ``ansible.module_utils.compat.version.LooseVersion``: this file must also run without Ansible
# (the raw path on Windows, ``wrk readiness --local``), and LooseVersion raises TypeError on
# Python 3 when a number meets a letter at the same position ("1.0.1" vs "1.0rc1").
#
# The grammar (the one version comparison of the product, the controller's too):
# - A version is a run of tokens: numbers and letter runs; anything else only separates
#   ("1.2-3" == "1.2.3").  Letters before the first number are a prefix and ignored
#   ("v3.11" == "3.11").
# - A letter run is a PRE-release marker when it is ``dev``, ``alpha``, ``beta``, ``pre``,
#   ``preview`` or ``rc`` (any case), or a single ``a``/``b`` immediately followed by a number
#   (PEP 440 style "1.0a1", "2.0b3").  Every other letter run is a POST-release suffix: ``p1``
#   (OpenSSH "9.2p1"), ``c`` (OrcaFlex "11.6c"), ``R1`` (ANSYS "2024R1"), ``a``/``b`` with no
#   number after ("11.6a"), ``patch``.
# - Missing trailing tokens are the number 0 ("1.2" == "1.2.0").
# - Tokens compare position by position: pre-release < number 0 (or missing) < post-release
#   suffix < any number >= 1.  Numbers compare by value ("20.10" > "9.1"); pre-release markers
#   by stage, dev < alpha = a < beta = b < pre = preview < rc (the number after is its own
#   token); post-release suffixes alphabetically, ignoring case.
# - So "1.0rc1" < "1.0" == "1.0.0" < "1.0p1" < "1.0.1"; "9.2" < "9.2p1" < "9.2.1";
#   "11.6" < "11.6a" < "11.6b" < "11.6c"; "2024" < "2024R1" < "2024R2" < "2025";
#   "1.0a1" < "1.0b1" < "1.0rc1" < "1.0".
# - What a person may write as a version (a contract's ``min_version``) is stricter than what
#   compares: the shapes DEFAULT_VERSION_RE finds in output (a dotted version with any suffix
#   attached, "9.2p1", "11.6c", "3.11.0rc2"; an ANSYS release "2024R1"; a bare number), with an
#   optional leading ``v`` and an optional pre-release marker after a separator ("1.2.3-rc1",
#   "1.0.dev1").  So "2.x", "1e3" and "banana" are not versions, though "1e3" would compare.
#   Every text is_version accepts compares without error.
# --------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\d+|[A-Za-z]+")
#: :func:`is_version` as a regular expression (also valid in JSON Schema).
VERSION_TEXT_PATTERN = (
    r"^[vV]?(?:\d+(?:\.\d+)+(?:[A-Za-z]+\d*)?|\d+[Rr]\d+|\d+)"
    r"(?:[-_.+]?(?:dev|alpha|beta|pre|preview|rc|DEV|ALPHA|BETA|PRE|PREVIEW|RC)\d*)?$"
)
_VERSION_TEXT_RE = re.compile(VERSION_TEXT_PATTERN)
#: How a valid version looks, for messages refusing one.
VERSION_EXAMPLE = "3.11 or 9.2p1"
#: Longest version text accepted.
MAX_VERSION_LENGTH = 64
#: Pre-release markers by stage; ``a`` and ``b`` count only when a number follows at once.
_PRE_RELEASE = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "pre": 3, "preview": 3, "rc": 4}
# Ranks of a token, lowest first: pre-release < 0 (and missing) < post-release < number >= 1.
_PRE, _ZERO, _POST, _NUMBER = 0, 1, 2, 3

VersionToken = Tuple[int, int, str]


def version_key(text: str) -> List[VersionToken]:
    """Split a version into comparable tokens ``(rank, number, letters)``.

    ``rank`` orders the kinds at one position: 0 pre-release marker (``number`` its stage:
    dev 0, alpha/a 1, beta/b 2, pre/preview 3, rc 4), 1 the number 0, 2 post-release suffix
    (``letters`` lowercased), 3 a number >= 1 (``number`` its value).  A leading letter prefix
    is dropped; an empty list means ``text`` holds no version.
    """
    text = str(text)
    key: List[VersionToken] = []
    for match in _TOKEN_RE.finditer(text):
        token = match.group(0)
        if token.isdigit():
            value = int(token)
            key.append((_NUMBER, value, "") if value else (_ZERO, 0, ""))
            continue
        if not key:
            continue  # a prefix such as "v" in "v3.11.7"
        letters = token.lower()
        number_follows = text[match.end() : match.end() + 1].isdigit()
        if letters in _PRE_RELEASE and (len(letters) > 1 or number_follows):
            key.append((_PRE, _PRE_RELEASE[letters], ""))
        else:
            key.append((_POST, 0, letters))
    return key


def is_version(text: Any) -> bool:
    """True when ``text`` is a version as a person writes one (the strict grammar above):
    "3.10", "9.2p1", "11.6c", "2024R1", "1.2.3-rc1", "v3.11"; not "2.x", "1e3", "banana", ""."""
    return (
        isinstance(text, str)
        and len(text) <= MAX_VERSION_LENGTH
        and _VERSION_TEXT_RE.match(text) is not None
        and text == text.strip()
    )


def not_a_version(what: str, text: Any) -> str:
    """The one message refusing ``text`` as the version ``what`` (a field name)."""
    return "%s %r is not a version; write it like %s" % (what, text, VERSION_EXAMPLE)


def compare_versions(left: str, right: str) -> int:
    """Return -1, 0 or 1 as ``left`` is older than, equal to or newer than ``right``.

    By the grammar above: "9.2p1" > "9.2", "11.6c" > "11.6", "2024R1" > "2024",
    "1.0rc1" < "1.0" == "1.0.0".  Raises ValueError when either side holds no number.
    """
    a, b = version_key(left), version_key(right)
    if not a or not b:
        raise ValueError("not a version: %r" % (left if not a else right))
    length = max(len(a), len(b))
    pad: VersionToken = (_ZERO, 0, "")
    a += [pad] * (length - len(a))
    b += [pad] * (length - len(b))
    for x, y in zip(a, b):
        if x != y:
            return -1 if x < y else 1
    return 0


def extract_version(output: str, pattern: str | None = None) -> str | None:
    """The version found in a command's output: group 1 of ``pattern`` (or the whole match).

    The default, :data:`DEFAULT_VERSION_RE`, takes the first dotted version with any suffix
    attached ("9.2p1", "11.6c", "3.11.0rc2"), else an ANSYS-style release ("2024R1"), else a
    bare number.
    """
    match = re.search(pattern or DEFAULT_VERSION_RE, output or "")
    if not match:
        return None
    return match.group(1) if match.groups() else match.group(0)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def make_check(
    name: str,
    kind: str,
    required: str | None,
    found: str | None,
    ok: bool | None,
    reason: str,
    *,
    spec: Dict[str, Any],
    data: Dict[str, Any],
) -> Check:
    """One check result, the single shape every check returns.

    ``spec`` is what was asked and ``data`` what was observed, both typed (the ``*_spec`` and
    ``*_data`` builders below, one pair per kind); the other fields are text for people.
    """
    return {
        "name": name,
        "kind": kind,
        "required": required,
        "found": found,
        "ok": ok,
        "reason": reason,
        "spec": spec,
        "data": data,
    }


# What each kind asks (spec) and observes (data): every key is always present, null when
# unknown; docs/probe-output.schema.json is the same list.  A check the time budget left unrun
# has its spec and an empty data mapping.


def tool_spec(requirement: Dict[str, Any]) -> Dict[str, Any]:
    """What a tool requirement asks; ProbeInputError when its ``min_version`` (absent or empty:
    none) is not a version by :func:`is_version`."""
    min_version = requirement.get("min_version")
    if min_version in (None, ""):
        min_version = None
    elif isinstance(min_version, int) and not isinstance(min_version, bool):
        min_version = str(min_version)  # a bare number, as YAML reads ``min_version: 3``
    elif not is_version(min_version):
        what = "min_version of tool %s:" % requirement["name"]
        raise ProbeInputError(not_a_version(what, min_version))
    return {"name": requirement["name"], "min_version": min_version}


def tool_data(version: str | None = None, path: str | None = None) -> Dict[str, Any]:
    return {"version": version, "path": path}


def license_spec(requirement: Dict[str, Any]) -> Dict[str, Any]:
    """The feature as requested (the declaration's spelling may differ in case) and seats."""
    feature = requirement["feature"]
    seats = int(_number(requirement.get("seats", 1), "seats of license %s" % feature))
    return {"feature": feature, "seats": seats}


def license_data(
    license_kind: str | None,
    issued_seats: int | None = None,
    used_seats: int | None = None,
    free_seats: int | None = None,
    uncounted: bool = False,
    expires: str | None = None,
    server: str | None = None,
) -> Dict[str, Any]:
    """``license_kind`` file, flexlm, rlm (None: not declared, or an unknown kind);
    ``expires`` ``YYYY-MM-DD`` or ``permanent``; ``server`` the ``PORT@HOST`` that answered."""
    return {
        "license_kind": license_kind,
        "issued_seats": issued_seats,
        "used_seats": used_seats,
        "free_seats": free_seats,
        "uncounted": uncounted,
        "expires": expires,
        "server": server,
    }


def disk_spec(path: str, free_gb: float | None) -> Dict[str, Any]:
    return {"path": path, "free_gb": None if free_gb is None else float(free_gb)}


def disk_data(free_bytes: int | None = None) -> Dict[str, Any]:
    return {"free_bytes": free_bytes}


def network_spec(host: str, port: int) -> Dict[str, Any]:
    return {"host": host, "port": int(port)}


def network_data(reachable: bool | None = None) -> Dict[str, Any]:
    return {"reachable": reachable}


def run_command(
    argv: Sequence[str], timeout: float, env: Dict[str, str] | None = None
) -> tuple[int, str]:
    """Run ``argv`` without a shell; return (rc, stdout+stderr). Raises OSError/TimeoutExpired.

    Output goes to a temporary file, not a pipe: a grandchild that keeps the pipe open (a
    ``.cmd`` wrapper's real program, a daemonising tool) would otherwise block the read after
    the timeout killed the child.  ``env`` replaces the environment when given.
    """
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(  # an argv list, never a shell
            list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env
        )
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        out.seek(0)
        return rc, out.read(MAX_OUTPUT).decode("utf-8", "replace")


def _as_list(value: Any, what: str) -> List[Any]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise ProbeInputError("%s must be a list, got %s" % (what, type(value).__name__))
    return list(value)


def _entry(value: Any, what: str, key: str, shorthand: bool = False) -> Dict[str, Any]:
    """A request entry as a dict; a bare string is shorthand for ``{key: value}`` if allowed."""
    if shorthand and isinstance(value, str):
        value = {key: value}
    if not isinstance(value, dict):
        raise ProbeInputError("%s entries must be mappings, got %s" % (what, type(value).__name__))
    if not isinstance(value.get(key), str) or not value[key]:
        raise ProbeInputError("%s entry needs a non-empty string %r: %r" % (what, key, value))
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProbeInputError("%s must be a number, got %r" % (what, value))
    try:
        return float(value)
    except ValueError:
        raise ProbeInputError("%s must be a number, got %r" % (what, value)) from None


def _num(value: float) -> str:
    """A number without an exponent or trailing zeros: 10000, 0.5, 0.001."""
    return ("%.6f" % value).rstrip("0").rstrip(".")


def _gib(n_bytes: float) -> str:
    return "%.1f GiB free" % (n_bytes / GIB)


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------


def locate_tool(name: str, declared_path: str | None = None) -> Tuple[str | None, str]:
    """Where the tool is: (path or None, how it was found or why not)."""
    if declared_path:
        if os.path.isfile(declared_path):
            return declared_path, "at its declared path"
        on_path = shutil.which(name)
        if on_path:
            return on_path, "on PATH (declared path %s does not exist)" % declared_path
        return None, "not at its declared path %s and not on PATH" % declared_path
    on_path = shutil.which(name)
    if on_path:
        return on_path, "on PATH"
    return None, "not found on PATH"


def check_tool(
    requirement: Dict[str, Any],
    declared: Dict[str, Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    runner: Runner = run_command,
) -> Check:
    """A tool is present (PATH or declared path) and, if ``min_version`` is set, new enough.

    The version comes from ``<tool> --version`` or the declared ``version_command`` (argv list
    or string) and ``version_regex``; it is only run when a version is needed, so GUI-only
    programs are never started just to be listed.
    """
    spec = tool_spec(requirement)
    name, min_version = spec["name"], spec["min_version"]
    required = ">= %s" % min_version if min_version else "present"

    def result(
        found: str | None,
        ok: bool | None,
        reason: str,
        path: str | None = None,
        version: str | None = None,
    ) -> Check:
        data = tool_data(version=version, path=path)
        return make_check(name, "tool", required, found, ok, reason, spec=spec, data=data)

    if not TOOL_NAME_RE.match(name):
        return result(None, False, "invalid tool name (a bare program name is expected)")
    declared = declared or {}
    path, where = locate_tool(name, declared.get("path"))
    if path is None:
        return result(None, False, where)
    command = declared.get("version_command")
    if not min_version and not command:
        return result(path, True, "found " + where, path)
    if command:
        argv = (
            shlex.split(command, posix=os.name != "nt")
            if isinstance(command, str)
            else [str(part) for part in command]
        )
        if not argv:
            raise ProbeInputError("version_command of tool %s is empty" % name)
    else:
        argv = [path, "--version"]
    try:
        rc, output = runner(argv, timeout)
    except subprocess.TimeoutExpired:
        return result(path, None, "version command timed out after %gs" % timeout, path)
    except OSError as exc:
        return result(path, None, "version command could not run: %s" % exc, path)
    version = extract_version(output, declared.get("version_regex"))
    if version is None:
        first = output.strip().splitlines()[0][:120] if output.strip() else "no output"
        reason = "no version in output of %s (rc %d): %s" % (argv[0], rc, first)
        return result(path, None, reason, path)
    found = "%s at %s" % (version, path)
    if not min_version:
        return result(found, True, "found " + where, path, version)
    try:
        order = compare_versions(version, min_version)
    except ValueError as exc:
        return result(found, None, str(exc), path, version)
    if order < 0:
        reason = "version %s is older than the required %s" % (version, min_version)
        return result(found, False, reason, path, version)
    reason = "version %s meets >= %s" % (version, min_version)
    return result(found, True, reason, path, version)


# --------------------------------------------------------------------------------------------
# Licenses
# --------------------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_USERS_OF_RE = re.compile(
    r"Users of (?P<feature>[^:\s]+):\s*\(Total of (?P<issued>\d+) licenses? issued;"
    r"\s*Total of (?P<used>\d+) licenses? in use\)",
    re.IGNORECASE,
)
_UNCOUNTED_RE = re.compile(r"Users of (?P<feature>[^:\s]+):\s*\(Uncounted", re.IGNORECASE)
_RLM_POOL_RE = re.compile(
    r"^\s*(?P<feature>\S+) v[\w.]+\s*\n\s*count:\s*(?P<issued>\d+),.*?inuse:\s*(?P<used>\d+)",
    re.MULTILINE,
)


def parse_license_date(text: str) -> datetime.date | None:
    """A FlexLM/RLM expiry: ``31-dec-2030`` -> date; ``permanent``, year 0 -> None (never).

    Month names are matched here, not by strptime's locale-dependent ``%b``.
    Raises ValueError for anything else.
    """
    value = text.strip().lower()
    if value in ("permanent", "0"):
        return None
    parts = value.split("-")
    if len(parts) != 3 or parts[1] not in _MONTHS or not (parts[0] + parts[2]).isdigit():
        raise ValueError("not a license date: %r" % text)
    year = int(parts[2])
    if year == 0:
        return None
    return datetime.date(year, _MONTHS[parts[1]], int(parts[0]))


def parse_license_file(text: str) -> List[Dict[str, Any]]:
    """FEATURE/INCREMENT (FlexLM) and LICENSE (RLM) lines: feature, expiry, seats.

    ``seats`` is None for uncounted licenses (count 0 or ``uncounted``); ``expires`` is None
    for permanent ones.  Lines continued with a trailing backslash are joined.
    """
    joined = re.sub(r"\\\r?\n", " ", text)
    entries: List[Dict[str, Any]] = []
    for line in joined.splitlines():
        words = line.split()
        if len(words) < 6:
            continue
        head = words[0].upper()
        if head in ("FEATURE", "INCREMENT"):
            feature, expiry, count = words[1], words[4], words[5]
        elif head == "LICENSE":  # RLM: LICENSE isv product version exp-date count
            feature, expiry, count = words[2], words[4], words[5]
        else:
            continue
        try:
            expires = parse_license_date(expiry)
        except ValueError:
            continue
        seats: int | None
        if count.isdigit():
            seats = int(count) or None
        elif count.lower() == "uncounted":
            seats = None
        else:
            continue
        entries.append({"feature": feature, "expires": expires, "seats": seats})
    return entries


def parse_license_usage(output: str, feature: str) -> Dict[str, int | None] | None:
    """Issued and in-use seats of ``feature`` from ``lmutil lmstat`` or ``rlmutil rlmstat``.

    Returns {"issued", "used"} (issued None when uncounted) or None when the output has no line
    for the feature.
    """
    for match in _USERS_OF_RE.finditer(output):
        if match.group("feature") == feature:
            return {"issued": int(match.group("issued")), "used": int(match.group("used"))}
    for match in _UNCOUNTED_RE.finditer(output):
        if match.group("feature") == feature:
            return {"issued": None, "used": 0}
    issued = used = 0
    seen = False
    for match in _RLM_POOL_RE.finditer(output):  # RLM may list a product in several pools
        if match.group("feature") == feature:
            seen = True
            issued += int(match.group("issued"))
            used += int(match.group("used"))
    if seen:
        return {"issued": issued or None, "used": used}
    return None


def parse_server(spec: str) -> List[Tuple[str, int]]:
    """``PORT@HOST`` (several separated by ``,`` or ``;``) -> [(host, port)]."""
    servers = []
    for part in re.split(r"[,;]", spec or ""):
        match = re.match(r"^(\d{1,5})@(\[[^\]]+\]|[^@\s]+)$", part.strip())
        if not match or not 0 < int(match.group(1)) < 65536:
            raise ProbeInputError("license server must be PORT@HOST, got %r" % spec)
        servers.append((match.group(2).strip("[]"), int(match.group(1))))
    return servers


def _find_declaration(feature: str, declared: Sequence[Dict[str, Any]]) -> Dict[str, Any] | None:
    for decl in declared:
        if decl.get("feature") == feature:
            return decl
    for decl in declared:
        if str(decl.get("feature", "")).lower() == feature.lower():
            return decl
    return None


def _seats(n: int) -> str:
    return "%d seat%s" % (n, "" if n == 1 else "s")


def _license_result(
    name: str, required: str | None, spec: Dict[str, Any], license_kind: str | None
) -> Callable[..., Check]:
    """``result(found, ok, reason, **observed)`` for one license check; ``observed`` are
    license_data's keywords (issued_seats, used_seats, ...), the rest of its data is null."""

    def result(found: str | None, ok: bool | None, reason: str, **observed: Any) -> Check:
        data = license_data(license_kind, **observed)
        return make_check(name, "license", required, found, ok, reason, spec=spec, data=data)

    return result


def check_license_file(
    feature: str,
    seats: int,
    decl: Dict[str, Any],
    today: datetime.date | None = None,
    requested: str | None = None,
) -> Check:
    """A license file holds an unexpired FEATURE line granting at least ``seats`` seats.

    ``feature`` is the declared spelling (the one the file uses), ``requested`` the
    requirement's if it differs (it goes into ``spec``).  Once the file is read,
    ``issued_seats`` is the sum over its unexpired lines (0 when none is); a file cannot say
    how many seats are in use, so ``used_seats``/``free_seats`` stay null.
    """
    spec = license_spec({"feature": requested or feature, "seats": seats})
    result = _license_result(feature, _seats(seats), spec, "file")
    path = decl.get("path")
    if not path:
        return result(None, False, "license of kind file declares no path")
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(4 * 1024 * 1024)
    except OSError as exc:
        reason = "license file %s cannot be read: %s" % (path, exc.strerror or exc)
        return result(None, False, reason)
    today = today or datetime.date.today()
    lines = [e for e in parse_license_file(text) if e["feature"] == feature]
    if not lines:
        return result(None, False, "no FEATURE line for %s in %s" % (feature, path), issued_seats=0)
    valid = [e for e in lines if e["expires"] is None or e["expires"] >= today]
    if not valid:
        last = max(e["expires"] for e in lines).isoformat()
        reason = "license for %s in %s expired on %s" % (feature, path, last)
        return result("expired %s" % last, False, reason, issued_seats=0, expires=last)
    expires = (
        "permanent"
        if any(e["expires"] is None for e in valid)
        else max(e["expires"] for e in valid).isoformat()
    )
    expiry = expires if expires == "permanent" else "until " + expires
    if any(e["seats"] is None for e in valid):
        reason = "uncounted license in %s" % path
        return result("uncounted, " + expiry, True, reason, uncounted=True, expires=expires)
    granted = sum(e["seats"] for e in valid)
    found = "%s granted, %s" % (_seats(granted), expiry)
    if granted < seats:
        reason = "%s grants %d seats, %d required" % (path, granted, seats)
        return result(found, False, reason, issued_seats=granted, expires=expires)
    return result(found, True, "valid license in %s" % path, issued_seats=granted, expires=expires)


def check_license_server(
    feature: str,
    seats: int,
    decl: Dict[str, Any],
    timeout: float = DEFAULT_TIMEOUT,
    runner: Runner = run_command,
    requested: str | None = None,
) -> Check:
    """The license server answers on TCP; free seats come from lmstat/rlmstat when present.

    ``data.server`` is the ``PORT@HOST`` that answered; the seat numbers are known only from
    the utility's output (and stay null for an uncounted license).
    """
    kind = decl.get("kind")
    spec = license_spec({"feature": requested or feature, "seats": seats})
    required = "%d free seat%s" % (seats, "" if seats == 1 else "s")
    result = _license_result(feature, required, spec, kind if kind in ("flexlm", "rlm") else None)
    try:
        servers = parse_server(decl.get("server") or "")
    except ProbeInputError as exc:
        return result(None, False, str(exc))
    reachable = None
    errors = []
    for host, port in servers:
        error = tcp_connect(host, port, timeout)
        if error is None:
            reachable = (host, port)
            break
        errors.append("%d@%s: %s" % (port, host, error))
    if reachable is None:
        reason = "license server not reachable: " + "; ".join(errors)
        return result("server unreachable", False, reason)
    server = "%d@%s" % (reachable[1], reachable[0])
    up = "server %s up" % server
    utility = decl.get("utility")
    if not utility:
        for candidate in LICENSE_UTILITIES.get(str(kind), ()):
            utility = shutil.which(candidate)
            if utility:
                break
    if not utility:
        reason = "server reachable, but %s is not on PATH: free seats unknown" % "/".join(
            LICENSE_UTILITIES.get(str(kind), ("a license utility",))
        )
        return result(up, None, reason, server=server)
    if kind == "rlm":
        argv = [utility, "rlmstat", "-a", "-c", server]
    else:
        argv = [utility, "lmstat", "-a", "-c", server, "-f", feature]
    try:
        rc, output = runner(argv, timeout)
    except subprocess.TimeoutExpired:
        return result(up, None, "%s timed out after %gs" % (argv[1], timeout), server=server)
    except OSError as exc:
        return result(up, None, "%s could not run: %s" % (utility, exc), server=server)
    usage = parse_license_usage(output, feature)
    if usage is None:
        reason = "%s output (rc %d) has no usage line for %s" % (argv[1], rc, feature)
        return result(up, None, reason, server=server)
    issued = usage["issued"]
    if issued is None:
        reason = "uncounted license served by %s" % server
        return result("uncounted on %s" % server, True, reason, uncounted=True, server=server)
    used = usage["used"] or 0
    free = max(issued - used, 0)
    counts = {"issued_seats": issued, "used_seats": used, "free_seats": free, "server": server}
    found = "%d free of %d on %s" % (free, issued, server)
    if free < seats:
        return result(found, False, "%d seats free, %d required" % (free, seats), **counts)
    return result(found, True, "%d seats free on %s" % (free, server), **counts)


def check_license(
    requirement: Dict[str, Any],
    declared: Sequence[Dict[str, Any]],
    timeout: float = DEFAULT_TIMEOUT,
    runner: Runner = run_command,
    today: datetime.date | None = None,
) -> Check:
    """A license requirement, checked only against a license the host declares."""
    spec = license_spec(requirement)
    requested, seats = spec["feature"], spec["seats"]
    decl = _find_declaration(requested, declared)
    if decl is None:
        result = _license_result(requested, _seats(seats), spec, None)
        return result(None, False, "host declares no license for %s" % requested)
    kind = decl.get("kind")
    feature = decl["feature"]  # the declared spelling is the one the license files use
    if kind == "file":
        return check_license_file(feature, seats, decl, today=today, requested=requested)
    if kind in ("flexlm", "rlm"):
        return check_license_server(
            feature, seats, decl, timeout=timeout, runner=runner, requested=requested
        )
    result = _license_result(feature, None, spec, None)
    return result(
        None, False, "license declaration has unknown kind %r (file, flexlm, rlm)" % (kind,)
    )


# --------------------------------------------------------------------------------------------
# Disk and network
# --------------------------------------------------------------------------------------------


def check_disk(path: str, free_gb: float | None) -> Check:
    """Free GiB at ``path``; a missing path fails the check (never raises).

    ``~`` and ``~user`` are expanded on the host that runs the probe, so a requirement can
    name the home directory of whoever the probe runs as.
    """
    spec = disk_spec(path, free_gb)
    required = "%s GiB free" % _num(free_gb) if free_gb is not None else "exists"

    def result(found: str | None, ok: bool | None, reason: str, free: int | None = None) -> Check:
        data = disk_data(free_bytes=free)
        return make_check(path, "disk", required, found, ok, reason, spec=spec, data=data)

    local = os.path.expanduser(path)
    if not os.path.exists(local):
        where = "" if local == path else " (%s)" % local
        return result(None, False, "path does not exist" + where)
    try:
        usage = shutil.disk_usage(local)
    except OSError as exc:
        return result(None, None, "free space unknown: %s" % (exc.strerror or exc))
    found = _gib(usage.free)
    if free_gb is None:
        return result(found, True, "path exists", usage.free)
    if usage.free < free_gb * GIB:
        return result(found, False, "%s, %s GiB required" % (found, _num(free_gb)), usage.free)
    return result(found, True, "enough free space", usage.free)


def tcp_connect(host: str, port: int, timeout: float) -> str | None:
    """None when ``host:port`` accepts a TCP connection within ``timeout``, else the error."""
    try:
        conn = socket.create_connection((host, port), timeout=timeout)
    except socket.timeout:
        return "timed out after %gs" % timeout
    except OSError as exc:
        return str(exc.strerror or exc)
    conn.close()
    return None


def check_network(host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> Check:
    """``host:port`` accepts a TCP connection within ``timeout``."""
    name = "%s:%d" % (host, port)
    spec = network_spec(host, port)
    error = tcp_connect(host, port, timeout)
    if error is None:
        reason, found = "TCP connect succeeded", "reachable"
    else:
        reason, found = error, "unreachable"
    data = network_data(reachable=error is None)
    return make_check(
        name, "network", "reachable", found, error is None, reason, spec=spec, data=data
    )


# --------------------------------------------------------------------------------------------
# Dimensions: facts of the host for grading it against a baseline (never for the verdict)
#
# The shape is wrk_ansible.fleet.model.Dimensions dumped to JSON.  Each dimension is read on
# its own; one whose facts cannot be read is null, never an error that fails the probe.
# Disk and RAM are in GiB (1024**3 bytes), as the disk check's ``free_gb`` is.
# --------------------------------------------------------------------------------------------

#: Variables that would point git at another repository than the one asked about (wrk may run
#: inside a git hook, where git sets them for its own repository).
_GIT_REPOSITORY_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
_MEMTOTAL_RE = re.compile(r"^MemTotal:\s+(\d+)\s*kB\s*$", re.MULTILINE)
#: One ``git status --porcelain`` (v1) entry: two status letters, a space, a path.
_PORCELAIN_RE = re.compile(r"^[ MTADRCU?!]{2} .")
_COUNTS_RE = re.compile(r"^\s*(\d+)\s+(\d+)\s*$")
_REVISION_RE = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
#: Order of the solver states: absent < present (installed) < licensed.
_SOLVER_RANK = {"absent": 0, "present": 1, "licensed": 2}


def parse_meminfo(text: str) -> int | None:
    """Total RAM in bytes from ``/proc/meminfo`` (its ``MemTotal: N kB`` line); None without."""
    match = _MEMTOTAL_RE.search(text or "")
    return int(match.group(1)) * 1024 if match else None


def _windows_ram_bytes() -> int | None:
    """Total physical memory from GlobalMemoryStatusEx (Windows only)."""
    if sys.platform != "win32":  # also tells mypy that ctypes.windll is there below
        return None
    import ctypes  # pylint: disable=import-outside-toplevel

    class MemoryStatusEx(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return None
    return int(status.ullTotalPhys)


def ram_bytes(
    system: str,
    timeout: float = DEFAULT_TIMEOUT,
    runner: Runner = run_command,
    meminfo: str = "/proc/meminfo",
) -> int | None:
    """Total RAM in bytes on ``system`` (platform.system() lowercased); None when unknown.

    Linux: ``MemTotal`` of ``meminfo``; macOS: ``sysctl -n hw.memsize``; Windows:
    GlobalMemoryStatusEx.  Raises OSError/ValueError/TimeoutExpired when the source fails.
    """
    if system == "linux":
        with open(meminfo, encoding="ascii", errors="replace") as handle:
            return parse_meminfo(handle.read(64 * 1024))
    if system == "darwin":
        rc, output = runner(["sysctl", "-n", "hw.memsize"], timeout)
        return int(output.strip()) if rc == 0 else None
    if system == "windows":
        return _windows_ram_bytes()
    return None


def read_compute(timeout: float = DEFAULT_TIMEOUT, runner: Runner = run_command) -> Dict[str, Any]:
    """``{cores, ram_gib}``: os.cpu_count() and total RAM in GiB (each null when unknown)."""
    try:
        total = ram_bytes(platform.system().lower(), timeout, runner)
    except (OSError, ValueError, AttributeError, subprocess.TimeoutExpired):
        total = None
    return {"cores": os.cpu_count(), "ram_gib": None if total is None else round(total / GIB, 2)}


def read_disk(storage: Sequence[str], checks: Sequence[Check]) -> List[Dict[str, Any]]:
    """``[{path, free_gb}]`` (GiB) of each declared storage root that exists, as declared.

    A disk check of the same path already measured it: its ``free_bytes`` is reused.
    Raises OSError when an existing root cannot be measured (the dimension is then null).
    """
    measured = {
        c["spec"].get("path"): c["data"].get("free_bytes")
        for c in checks
        if c.get("kind") == "disk" and c.get("data")
    }
    out: List[Dict[str, Any]] = []
    for path in storage:
        if any(seen["path"] == path for seen in out):
            continue
        free = measured.get(path)
        if free is None:
            local = os.path.expanduser(path)
            if not os.path.exists(local):
                continue
            free = shutil.disk_usage(local).free
        out.append({"path": path, "free_gb": round(free / GIB, 3)})
    return out


def tool_state(check: Check | None, tool: Dict[str, Any]) -> str:
    """``present`` or ``absent``: the tool check's path when it ran, else where the tool is."""
    data = (check or {}).get("data") or {}
    if "path" in data:
        return "present" if data["path"] else "absent"
    if not TOOL_NAME_RE.match(tool["name"]):
        return "absent"
    return "present" if locate_tool(tool["name"], tool.get("path"))[0] else "absent"


def license_state(check: Check | None, decl: Dict[str, Any]) -> str | None:
    """``absent``, ``present`` or ``licensed`` from the license check (None: unknown).

    A file license is ``present`` once its file is read; a server license is ``present`` when
    its server answered and ``licensed`` when it reported free seats (or an uncounted
    license).  Without a check that ran, a file license is ``present`` when its file is
    readable, and a server license is unknown: the probe does not ask a server a second time
    or for a feature it was not asked to check.
    """
    data = (check or {}).get("data") or {}
    kind = decl.get("kind")
    if not data:
        if kind == "file":
            path = str(decl.get("path") or "")
            readable = bool(path) and os.path.isfile(path) and os.access(path, os.R_OK)
            return "present" if readable else "absent"
        return None
    if data.get("license_kind") == "file":
        return (
            "present" if data.get("issued_seats") is not None or data.get("uncounted") else "absent"
        )
    if data.get("license_kind") in ("flexlm", "rlm"):
        if not data.get("server"):
            return "absent"
        if data.get("uncounted") or (data.get("free_seats") or 0) > 0:
            return "licensed"
        return "present"
    return "absent"


def solver_states(
    tools: Sequence[Dict[str, Any]],
    licenses: Sequence[Dict[str, Any]],
    checks: Sequence[Check],
) -> Dict[str, str] | None:
    """Each declared tool and license feature: ``absent``, ``present`` or ``licensed``.

    Read from the checks the probe made where it made them.  A tool and a license of the same
    name (case-insensitively) are one solver: absent when the tool is, else licensed when the
    license is, else present.  None when a declared license's state is unknown.
    """
    ran_tools = {c["spec"].get("name"): c for c in checks if c.get("kind") == "tool"}
    ran_licenses = {
        (c["name"], c["data"].get("license_kind")): c
        for c in checks
        if c.get("kind") == "license" and c.get("data")
    }
    names: Dict[str, str] = {}  # folded name -> its spelling shown (the first declared)
    of_tools: Dict[str, str] = {}
    of_licenses: Dict[str, str] = {}
    for tool in tools:
        folded = tool["name"].casefold()
        names.setdefault(folded, tool["name"])
        state = tool_state(ran_tools.get(tool["name"]), tool)
        of_tools[folded] = _higher(state, of_tools.get(folded, "absent"))
    for decl in licenses:
        folded = decl["feature"].casefold()
        names.setdefault(folded, decl["feature"])
        found = license_state(ran_licenses.get((decl["feature"], decl.get("kind"))), decl)
        if found is None:
            return None
        of_licenses[folded] = _higher(found, of_licenses.get(folded, "absent"))
    out: Dict[str, str] = {}
    for folded, name in names.items():
        installed, licensed = of_tools.get(folded), of_licenses.get(folded)
        if installed is not None and licensed is not None:
            both = "absent" if installed == "absent" else _higher(licensed, "present")
            out[name] = both
        else:
            out[name] = installed or licensed or "absent"
    return out


def _higher(a: str, b: str) -> str:
    """The higher of two solver states (absent < present < licensed)."""
    return a if _SOLVER_RANK[a] >= _SOLVER_RANK[b] else b


def agent_states(
    agents: Sequence[Dict[str, Any]], which: Callable[[str], str | None] = shutil.which
) -> Dict[str, str]:
    """Each declared agent: ``present`` when its CLI (``cli``, else its name) is on PATH."""
    out: Dict[str, str] = {}
    for agent in agents:
        cli = agent.get("cli") or agent["name"]
        found = isinstance(cli, str) and TOOL_NAME_RE.match(cli) and which(cli)
        out[agent["name"]] = "present" if found else "absent"
    return out


def parse_porcelain(output: str) -> bool:
    """True when ``git status --porcelain`` lists any change (untracked files included)."""
    return any(_PORCELAIN_RE.match(line) for line in (output or "").splitlines())


def parse_left_right(output: str) -> Tuple[int, int] | None:
    """``(ahead, behind)`` from ``git rev-list --left-right --count HEAD...@{upstream}``
    (left: commits only in HEAD, right: only in the upstream); None without such a line."""
    for line in reversed((output or "").splitlines()):
        match = _COUNTS_RE.match(line)
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


def git_environment() -> Dict[str, str]:
    """This environment without what points git elsewhere; no optional locks, C messages."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_REPOSITORY_VARS}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # a reader must not take the index lock
    env["LC_ALL"] = "C"  # "not a git repository" is matched below
    return env


def read_checkout(
    path: str, timeout: float = DEFAULT_TIMEOUT, runner: Runner | None = None
) -> Dict[str, Any] | None:
    """``{present, dirty, behind, ahead, revision}`` of the git work tree at ``path``.

    ``{present: false}`` when ``path`` is not in a work tree; ``behind``/``ahead`` null without
    an upstream, ``revision`` null before the first commit; None when git cannot tell (not
    installed, timed out, refusing the repository).  Raises OSError/TimeoutExpired from git.
    """
    if runner is None:
        runner = functools.partial(run_command, env=git_environment())
    local = os.path.expanduser(path)
    if not os.path.isdir(local):
        return {"present": False}

    def git(*args: str) -> Tuple[int, str]:
        return runner(["git", "-C", local, *args], timeout)

    rc, output = git("rev-parse", "--is-inside-work-tree")
    if rc != 0:
        return {"present": False} if "not a git repository" in output.lower() else None
    if output.strip().splitlines()[-1:] != ["true"]:
        return {"present": False}  # inside a .git folder or a bare repository
    rc, output = git("rev-parse", "--verify", "--quiet", "HEAD")
    revision = output.strip() if rc == 0 and _REVISION_RE.match(output.strip()) else None
    rc, output = git("status", "--porcelain")
    dirty = parse_porcelain(output) if rc == 0 else None
    rc, output = git("rev-list", "--left-right", "--count", "HEAD...@{upstream}")
    counts = parse_left_right(output) if rc == 0 else None
    ahead, behind = counts if counts is not None else (None, None)
    return {"present": True, "dirty": dirty, "behind": behind, "ahead": ahead, "revision": revision}


def read_dimensions(
    declared: Dict[str, Any],
    checks: Sequence[Check],
    repository: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    runner: Runner = run_command,
) -> Dict[str, Any]:
    """``{compute, disk, solvers, agents[, checkout]}`` of this host (checkout only with a
    ``repository`` path); a dimension that cannot be read is null."""

    def entries(key: str, what: str, field: str, shorthand: bool = True) -> List[Dict[str, Any]]:
        return [_entry(e, what, field, shorthand) for e in _as_list(declared.get(key), what)]

    def disk() -> List[Dict[str, Any]]:
        return read_disk([s["path"] for s in entries("storage", "wrk_storage", "path")], checks)

    def solvers() -> Dict[str, str] | None:
        tools = entries("tools", "wrk_tools", "name")
        licenses = entries("licenses", "wrk_licenses", "feature", shorthand=False)
        return solver_states(tools, licenses, checks)

    readers: List[Tuple[str, Callable[[], Any]]] = [
        ("compute", lambda: read_compute(timeout, runner)),
        ("disk", disk),
        ("solvers", solvers),
        ("agents", lambda: agent_states(entries("agents", "wrk_agents", "name"))),
    ]
    if repository is not None:
        readers.append(("checkout", lambda: read_checkout(repository, timeout)))
    out: Dict[str, Any] = {}
    for key, read in readers:
        try:
            out[key] = read()
        except Exception:  # a fact that cannot be read is null; the probe still reports
            out[key] = None
    return out


# --------------------------------------------------------------------------------------------
# Facts and the whole probe
# --------------------------------------------------------------------------------------------


def gather_facts() -> Dict[str, str]:
    """Basic facts: os (linux, windows, macos, ...), hostname, python version."""
    system = platform.system().lower()
    return {
        "os": {"darwin": "macos"}.get(system, system),
        "hostname": socket.gethostname(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "probe_version": PROBE_VERSION,
    }


#: A check to run: (name, kind, spec, run), run() returning the check with this spec.
Planned = Tuple[str, str, Dict[str, Any], Callable[[], Check]]


def _requirement_checks(
    requirements: Dict[str, Any],
    declared: Dict[str, Any],
    timeout: float,
    runner: Runner,
) -> List[Planned]:
    """The checks the requirements ask for, validated now, run later (see _run_planned)."""
    declared_tools = {
        entry["name"]: entry
        for entry in (
            _entry(t, "wrk_tools", "name", True)
            for t in _as_list(declared.get("tools"), "wrk_tools")
        )
    }
    declared_licenses = [
        _entry(lic, "wrk_licenses", "feature")
        for lic in _as_list(declared.get("licenses"), "wrk_licenses")
    ]
    planned: List[Planned] = []
    for item in _as_list(requirements.get("tools"), "requirements.tools"):
        tool = _entry(item, "requirements.tools", "name", True)
        decl = declared_tools.get(tool["name"])
        run = functools.partial(check_tool, tool, decl, timeout, runner)
        planned.append((tool["name"], "tool", tool_spec(tool), run))
    for item in _as_list(requirements.get("licenses"), "requirements.licenses"):
        lic = _entry(item, "requirements.licenses", "feature")
        run = functools.partial(check_license, lic, declared_licenses, timeout, runner)
        planned.append((lic["feature"], "license", license_spec(lic), run))
    for item in _as_list(requirements.get("disk"), "requirements.disk"):
        disk = _entry(item, "requirements.disk", "path")
        free = _number(disk.get("free_gb"), "disk free_gb")
        run = functools.partial(check_disk, disk["path"], free)
        planned.append((disk["path"], "disk", disk_spec(disk["path"], free), run))
    for item in _as_list(requirements.get("network"), "requirements.network"):
        net = _entry(item, "requirements.network", "host")
        port = _number(net.get("port"), "network port")
        if port != int(port) or not 0 < port < 65536:
            raise ProbeInputError("network port must be 1-65535, got %r" % net.get("port"))
        host, number = net["host"], int(port)
        run = functools.partial(check_network, host, number, timeout)
        planned.append(("%s:%d" % (host, number), "network", network_spec(host, number), run))
    return planned


def _declared_checks(declared: Dict[str, Any], timeout: float, runner: Runner) -> List[Planned]:
    """The checks of what the host declares, validated now, run later."""
    planned: List[Planned] = []
    for item in _as_list(declared.get("tools"), "wrk_tools"):
        tool = _entry(item, "wrk_tools", "name", True)
        run = functools.partial(check_tool, tool, tool, timeout, runner)
        planned.append((tool["name"], "tool", tool_spec(tool), run))
    licenses = [
        _entry(lic, "wrk_licenses", "feature")
        for lic in _as_list(declared.get("licenses"), "wrk_licenses")
    ]
    for lic in licenses:
        need = {"feature": lic["feature"], "seats": lic.get("seats") or 1}
        run = functools.partial(check_license, need, [lic], timeout, runner)
        planned.append((lic["feature"], "license", license_spec(need), run))
    for item in _as_list(declared.get("storage"), "wrk_storage"):
        storage = _entry(item, "wrk_storage", "path", True)
        free_gb = storage.get("free_gb")
        free = None if free_gb is None else _number(free_gb, "free_gb")
        run = functools.partial(check_disk, storage["path"], free)
        planned.append((storage["path"], "disk", disk_spec(storage["path"], free), run))
    return planned


def time_budget(timeout: float) -> float:
    """How long one probe may take in all: every check has ``timeout``, the whole probe this."""
    return max(30.0, 3 * timeout)


def _run_planned(planned: List[Planned], budget: float) -> List[Check]:
    """Run the checks in order; once ``budget`` seconds are spent, the rest are unknown (not
    run, with the reason), so a probe over many slow endpoints still ends in bounded time."""
    deadline = time.monotonic() + budget
    checks: List[Check] = []
    for name, kind, spec, run in planned:
        if time.monotonic() > deadline:
            reason = "not run: the probe's time budget of %gs was spent" % budget
            checks.append(make_check(name, kind, None, None, None, reason, spec=spec, data={}))
        else:
            checks.append(run())
    return checks


def run_probe(
    requirements: Dict[str, Any] | None,
    declared: Dict[str, Any] | None,
    timeout: float = DEFAULT_TIMEOUT,
    runner: Runner = run_command,
    repository: str | None = None,
) -> Dict[str, Any]:
    """Probe this host: {schema_version, facts, mode, checks, ready, dimensions}.

    ``requirements`` has the shape of a stage's machine_capability_requirements (tools,
    licenses, disk, network); when it lists nothing, the host's own declarations (``declared``:
    tools, licenses, storage, i.e. wrk_tools/wrk_licenses/wrk_storage) are checked instead.
    ``ready`` is true only when every check passed (an unknown check is not a pass).
    ``dimensions`` are facts for grading the host (see read_dimensions: the declared tools,
    licenses, storage and ``agents``; the git work tree at ``repository`` when given); they
    never change ``ready``.  Raises ProbeInputError on a malformed request.
    """
    requirements = {} if requirements is None else requirements
    declared = {} if declared is None else declared
    if not isinstance(requirements, dict) or not isinstance(declared, dict):
        raise ProbeInputError("requirements and declared must be mappings")
    unknown = set(requirements) - {"tools", "licenses", "disk", "network"}
    if unknown:
        raise ProbeInputError("unknown requirement kinds: %s" % ", ".join(sorted(unknown)))
    if repository is not None and (not isinstance(repository, str) or not repository):
        raise ProbeInputError("repository must be a non-empty path, got %r" % (repository,))
    timeout = _number(timeout, "timeout")
    if not 0 < timeout <= 3600:
        raise ProbeInputError("timeout must be between 0 and 3600 seconds, got %r" % timeout)
    if any(requirements.get(k) for k in ("tools", "licenses", "disk", "network")):
        mode = "requirements"
        planned = _requirement_checks(requirements, declared, timeout, runner)
    else:
        mode = "declared"
        planned = _declared_checks(declared, timeout, runner)
    checks = _run_planned(planned, time_budget(timeout))
    return {
        "schema_version": SCHEMA_VERSION,
        "facts": gather_facts(),
        "mode": mode,
        "checks": checks,
        "ready": all(check["ok"] is True for check in checks),
        "dimensions": read_dimensions(declared, checks, repository, timeout, runner),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Script entry: JSON request {requirements, declared, timeout, repository} on stdin (or
    --request-b64).

    Prints the JSON result; exit 0 when it ran (ready or not), 2 on a malformed request.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if len(args) == 2 and args[0] == "--request-b64":
            raw = base64.b64decode(args[1]).decode("utf-8")
        elif not args:
            raw = sys.stdin.read()
        else:
            raise ProbeInputError("usage: wrk_probe.py [--request-b64 DATA] < request.json")
        request = json.loads(raw or "{}")
        if not isinstance(request, dict):
            raise ProbeInputError("the request must be a JSON object")
        result = run_probe(
            request.get("requirements"),
            request.get("declared"),
            request.get("timeout", DEFAULT_TIMEOUT),
            repository=request.get("repository"),
        )
    except (ProbeInputError, ValueError) as exc:
        sys.stdout.write(json.dumps({"failed": True, "msg": str(exc)}) + "\n")
        return 2
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    # Run as a script on the host (the action's transport), not as a module: no exit_json here.
    sys.exit(main())  # pylint: disable=ansible-bad-function
