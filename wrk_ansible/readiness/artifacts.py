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
from wrk_ansible.errors import WrkError
from wrk_ansible.readiness.results import (
    Observation,
    ProbeOutputError,
    answers,
    parse_probe_result,
    unreachable,
)

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


class ArtifactError(WrkError):
    """An artifact directory that cannot be used; the message names the file (exit 1)."""


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


def _read(path: Path, cap: int, base: Path) -> bytes:
    """A regular file's bytes, at most ``cap`` (a bigger file is refused, never read whole)."""
    name = _name(path, base)
    try:
        info = path.lstat()
    except OSError as exc:
        raise ArtifactError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ArtifactError(f"{name}: not a regular file (symlinks and devices are refused)")
    if info.st_size > cap:
        raise ArtifactError(f"{name}: {info.st_size} bytes, more than the {cap} allowed")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ArtifactError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise ArtifactError(f"{name}: more than the {cap} bytes allowed")
    return data


def _name(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def find_run_dir(directory: Path) -> Path:
    """The run's folder: DIR itself, or the one run in DIR/ or DIR/artifacts/."""
    if not directory.is_dir():
        raise ArtifactError(f"{directory}: not a directory")
    for base in (directory, directory / "artifacts"):
        if (base / "job_events").is_dir():
            return base
        if base.is_dir():
            runs = sorted(p for p in base.iterdir() if (p / "job_events").is_dir())
            if len(runs) == 1:
                return runs[0]
            if len(runs) > 1:
                names = ", ".join(p.name for p in runs[:10])
                raise ArtifactError(f"{base}: holds {len(runs)} runs ({names}): name one")
    raise ArtifactError(f"{directory}: no job_events/ folder (not an ansible-runner artifact dir)")


def _small(run: Path, name: str) -> str | None:
    path = run / name
    if not path.exists() and not path.is_symlink():
        return None
    text = _read(path, MAX_SMALL_FILE, run).decode("utf-8", "replace").strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{0,32}", text):
        raise ArtifactError(f"{_name(path, run)}: unexpected content")
    return text


def _field(event: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = event.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ArtifactError(f"{where}: field {key} must be {expected}, got {type(value).__name__}")
    return value


def _host(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not HOST_RE.match(value):
        raise ArtifactError(f"{where}: {key} {str(value)[:80]!r} is not an inventory host name")
    return value


def _load_event(path: Path, run: Path) -> dict[str, Any]:
    where = _name(path, run)
    raw = _read(path, MAX_EVENT_BYTES, run)
    try:
        event = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ArtifactError(f"{where}: not JSON ({str(exc)[:120]})") from None
    if not isinstance(event, dict):
        raise ArtifactError(f"{where}: an event must be a JSON object")
    kind = event.get("event")
    if not isinstance(kind, str) or not EVENT_RE.match(kind):
        raise ArtifactError(f"{where}: field event must be an event name")
    _field(event, "counter", int, where)
    _field(event, "created", str, where)
    data = _field(event, "event_data", dict, where) or {}
    for key in ("host", "task_action", "task"):
        _field(data, key, str, where)
    if data.get("host") is not None:
        _host(data["host"], where, "event_data.host")
    _field(data, "res", dict, where)
    _field(data, "artifact_data", dict, where)
    return event


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
        raise ArtifactError(f"{_name(events_dir, run)}: {len(files)} events, over {MAX_EVENTS}")
    total = 0
    published: dict[str, tuple[Any, str | None]] = {}
    probed: dict[str, tuple[Any, str | None]] = {}
    down: dict[str, tuple[str, str | None]] = {}
    for path in files:
        event = _load_event(path, run)
        total += path.lstat().st_size
        if total > MAX_TOTAL_BYTES:
            raise ArtifactError(f"{_name(events_dir, run)}: more than {MAX_TOTAL_BYTES} bytes")
        where, kind, data = _name(path, run), event["event"], event.get("event_data") or {}
        if kind == "playbook_on_stats":
            stats = (data.get("artifact_data") or {}).get(STATS_KEY)
            if stats is None:
                continue
            if not isinstance(stats, dict) or len(stats) > MAX_HOSTS:
                raise ArtifactError(f"{where}: artifact_data.{STATS_KEY} must map hosts to results")
            for host, result in stats.items():
                published[_host(host, where, f"artifact_data.{STATS_KEY} key")] = (
                    result,
                    _when(event),
                )
        elif kind in ("runner_on_ok", "runner_on_failed") and data.get("host"):
            res = data.get("res") or {}
            if data.get("task_action") in PROBE_ACTIONS and "checks" in res:
                probed[data["host"]] = (res, _when(event))
        elif kind == "runner_on_unreachable" and data.get("host"):
            down[data["host"]] = (_message(event), _when(event))
    observations: dict[str, Observation] = {}
    source = f"{SOURCE} {run}"
    for host, (result, when) in {**probed, **published}.items():
        try:
            observations[host] = parse_probe_result(host, result, source=source, observed_at=when)
        except ProbeOutputError as exc:
            raise ArtifactError(f"{_name(events_dir, run)}: {exc}") from None
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
