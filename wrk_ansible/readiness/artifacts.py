"""Readiness from an ansible-runner artifact directory written elsewhere (AWX, ``ansible-runner
run``): ``job_events/*.json``, ``status``, ``rc``.

The directory is untrusted input. Nothing in it is templated or executed: it is read as JSON
and checked. Every file read is a regular file (no symlink, no device) under a size cap; every
event must be a JSON object whose keys have the documented types; host names must look like
inventory names. Any violation refuses the whole directory with one :class:`ArtifactError`
naming the file and the field (exit 1): a run with one bad event cannot be trusted to be
complete, and a skipped event could be the one saying a host was unreachable.

What is taken from it, per host: the probe result the readiness role published with set_stats
(``playbook_on_stats`` -> ``artifact_data.wrk_readiness``), else the probe task's own result
(``runner_on_ok``/``runner_on_failed`` with ``checks``), else ``runner_on_unreachable``.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from wrk_ansible import clock
from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.errors import InputError
from wrk_ansible.readiness.results import (
    Observation,
    ProbeOutputError,
    answers,
    parse_probe_result,
    unreachable,
)
from wrk_ansible.safeyaml import json_key_lines

STATS_KEY: Final = "wrk_readiness"
MAX_EVENT_BYTES: Final = 4 * 1024 * 1024
MAX_EVENTS: Final = 20_000
MAX_TOTAL_BYTES: Final = 128 * 1024 * 1024
MAX_SMALL_FILE: Final = 256  # status, rc
MAX_HOSTS: Final = 10_000
HOST_RE: Final = re.compile(r"^[A-Za-z0-9_.:\-\[\]@]{1,255}$")
EVENT_RE: Final = re.compile(r"^[a-z_]{1,64}$")
PROBE_ACTIONS: Final = frozenset({"wrkansible.wrk.wrk_probe", "wrk_probe"})
SOURCE: Final = "artifacts"


#: Where a host's result was read: the event file, its bytes, the key path of the result.
_From = tuple[str, bytes, tuple[str, ...]]


class ArtifactError(InputError):
    """An artifact directory that cannot be used: names the file (under the directory given)
    and, for an event, the line (exit 1)."""

    def __init__(
        self,
        where: str,
        detail: str,
        *,
        line: int | None = None,
        key: tuple[str, ...] = (),
    ) -> None:
        super().__init__(detail, path=where, line=line)
        #: The event's field the error is about (its line is looked up when the file is known).
        self.key = key


@dataclass(frozen=True)
class ArtifactRun:
    """What one run's artifacts say about readiness, host by host."""

    directory: str
    status: str | None
    rc: int | None
    observations: Mapping[str, Observation]

    def unusable(
        self,
        host: str,
        requirements: StageRequirements | None,
        max_age_hours: float,
        now: datetime | None = None,
    ) -> str | None:
        """Why ``host``'s observation cannot stand for this stage (None: it can, or there is
        none): the run checked other requirements, or it is older than ``max_age_hours``."""
        obs = self.observations.get(host)
        if obs is None:
            return None
        when = clock.parse(obs.observed_at)
        if when is None:
            return "the run's events carry no time"
        age = ((now or datetime.now(UTC)) - when).total_seconds() / 3600
        if age > max_age_hours:
            return f"observed {age:.1f} hours ago, more than {max_age_hours:g}"
        return self.mismatch(host, requirements)

    def mismatch(self, host: str, requirements: StageRequirements | None) -> str | None:
        """Why ``host``'s observation does not answer ``requirements`` (None: it does)."""
        obs = self.observations.get(host)
        return None if obs is None else answers(obs, requirements)


def _read(path: Path, cap: int) -> bytes:
    """A regular file's bytes, at most ``cap`` (a bigger file is refused, never read whole)."""
    name = str(path)
    try:
        info = path.lstat()
    except OSError as exc:
        raise ArtifactError(name, f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ArtifactError(name, "not a regular file (symlinks and devices are refused)")
    if info.st_size > cap:
        raise ArtifactError(name, f"{info.st_size} bytes, more than the {cap} allowed")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ArtifactError(name, f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise ArtifactError(name, f"more than the {cap} bytes allowed")
    return data


def find_run_dir(directory: Path) -> Path:
    """The run's folder: DIR itself, or the one run in DIR/ or DIR/artifacts/."""
    if not directory.is_dir():
        raise ArtifactError(str(directory), "not a directory")
    for base in (directory, directory / "artifacts"):
        if (base / "job_events").is_dir():
            return base
        if base.is_dir():
            runs = sorted(p for p in base.iterdir() if (p / "job_events").is_dir())
            if len(runs) == 1:
                return runs[0]
            if len(runs) > 1:
                names = ", ".join(p.name for p in runs[:10])
                raise ArtifactError(str(base), f"holds {len(runs)} runs ({names}): name one")
    raise ArtifactError(
        str(directory), "no job_events/ folder (not an ansible-runner artifact dir)"
    )


def _small(run: Path, name: str) -> str | None:
    path = run / name
    if not path.exists() and not path.is_symlink():
        return None
    text = _read(path, MAX_SMALL_FILE).decode("utf-8", "replace").strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{0,32}", text):
        raise ArtifactError(str(path), "unexpected content", line=1)
    return text


def _field(
    event: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, *at: str
) -> Any:
    value = event.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ArtifactError(
            where, f"field {key} must be {expected}, got {type(value).__name__}", key=(*at, key)
        )
    return value


def _host(value: Any, where: str, key: str, at: tuple[str, ...] = ()) -> str:
    if not isinstance(value, str) or not HOST_RE.match(value):
        raise ArtifactError(
            where, f"{key} {str(value)[:80]!r} is not an inventory host name", key=at
        )
    return value


def _lines(raw: bytes, where: str) -> Any:
    """Where each key of an event file was written (ansible-runner writes one line per event,
    so mostly line 1), for errors about its fields."""
    return json_key_lines(raw.decode("utf-8", "replace"), where)


def _at_line(exc: ArtifactError, raw: bytes, where: str) -> ArtifactError:
    """``exc`` at the line of the field it is about (the event's first line when unknown)."""
    parsed = _lines(raw, where)
    line = parsed.line_of(exc.key) if parsed is not None and exc.key else None
    return ArtifactError(exc.path or where, exc.detail, line=line or 1, key=exc.key)


def _load_event(path: Path) -> tuple[dict[str, Any], bytes]:
    """One event, checked, and its bytes (for the lines of later errors)."""
    where = str(path)
    raw = _read(path, MAX_EVENT_BYTES)
    try:
        event = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        detail = f"not JSON: not valid UTF-8 (byte {exc.start})"
        raise ArtifactError(where, detail, line=line) from None
    except json.JSONDecodeError as exc:
        detail = f"not JSON ({exc.msg}, column {exc.colno})"
        raise ArtifactError(where, detail, line=exc.lineno) from None
    if not isinstance(event, dict):
        raise ArtifactError(where, "an event must be a JSON object", line=1)
    try:
        kind = event.get("event")
        if not isinstance(kind, str) or not EVENT_RE.match(kind):
            raise ArtifactError(where, "field event must be an event name", key=("event",))
        _field(event, "counter", int, where)
        _field(event, "created", str, where)
        data = _field(event, "event_data", dict, where) or {}
        for key in ("host", "task_action", "task"):
            _field(data, key, str, where, "event_data")
        if data.get("host") is not None:
            _host(data["host"], where, "event_data.host", ("event_data", "host"))
        _field(data, "res", dict, where, "event_data")
        _field(data, "artifact_data", dict, where, "event_data")
    except ArtifactError as exc:
        raise _at_line(exc, raw, where) from None
    return event, raw


def _when(event: Mapping[str, Any]) -> str | None:
    """The event's ``created`` time (ansible-runner writes UTC without a zone), as wrk does."""
    moment = clock.parse(event.get("created"))
    return clock.stamp(moment) if moment else None


def _message(event: Mapping[str, Any]) -> str:
    res = event.get("event_data", {}).get("res") or {}
    text = res.get("msg") or res.get("stderr") or "unreachable"
    return " ".join(str(text).split())[:500]


def read_artifacts(directory: Path) -> ArtifactRun:
    """Parse an artifact directory into per-host observations, or refuse it whole."""
    run = find_run_dir(directory)
    events_dir = run / "job_events"
    files = sorted(p for p in events_dir.iterdir() if p.suffix == ".json")
    if len(files) > MAX_EVENTS:
        raise ArtifactError(str(events_dir), f"{len(files)} events, over {MAX_EVENTS}")
    total = 0
    # host -> (its probe result, when, and the event it came from: file, bytes, the key path)
    published: dict[str, tuple[Any, str | None, _From]] = {}
    probed: dict[str, tuple[Any, str | None, _From]] = {}
    down: dict[str, tuple[str, str | None]] = {}
    stats_at = ("event_data", "artifact_data", STATS_KEY)
    for path in files:
        event, raw = _load_event(path)
        total += path.lstat().st_size
        if total > MAX_TOTAL_BYTES:
            raise ArtifactError(str(events_dir), f"more than {MAX_TOTAL_BYTES} bytes")
        where, kind, data = str(path), event["event"], event.get("event_data") or {}
        if kind == "playbook_on_stats":
            stats = (data.get("artifact_data") or {}).get(STATS_KEY)
            if stats is None:
                continue
            try:
                if not isinstance(stats, dict) or len(stats) > MAX_HOSTS:
                    what = f"artifact_data.{STATS_KEY} must map hosts to results"
                    raise ArtifactError(where, what, key=stats_at)
                for host, result in stats.items():
                    name = _host(host, where, f"artifact_data.{STATS_KEY} key", stats_at)
                    published[name] = (result, _when(event), (where, raw, (*stats_at, name)))
            except ArtifactError as exc:
                raise _at_line(exc, raw, where) from None
        elif kind in ("runner_on_ok", "runner_on_failed") and data.get("host"):
            res = data.get("res") or {}
            if data.get("task_action") in PROBE_ACTIONS and "checks" in res:
                probed[data["host"]] = (res, _when(event), (where, raw, ("event_data", "res")))
        elif kind == "runner_on_unreachable" and data.get("host"):
            down[data["host"]] = (_message(event), _when(event))
    observations: dict[str, Observation] = {}
    source = f"{SOURCE} {run}"
    for host, (result, when, (where, raw, key)) in {**probed, **published}.items():
        try:
            observations[host] = parse_probe_result(host, result, source=source, observed_at=when)
        except ProbeOutputError as exc:
            raise _at_line(ArtifactError(where, str(exc), key=key), raw, where) from None
    for host, (message, when) in down.items():
        if host not in observations:
            observations[host] = unreachable(
                host, f"unreachable: {message}", source=source, observed_at=when
            )
    rc_text = _small(run, "rc")
    return ArtifactRun(
        directory=str(run),
        status=_small(run, "status"),
        rc=int(rc_text) if rc_text and rc_text.lstrip("-").isdigit() else None,
        observations=observations,
    )
