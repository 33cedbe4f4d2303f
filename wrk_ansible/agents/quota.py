"""Quota snapshots: what share of its quota each agent has used, as evidence records.

A snapshot is a record of kind ``quota`` in a ``_quota`` chain per writing host, holding one
reading per agent. ``wrk quota record`` writes one reading; ``wrk quota import`` reads the team's
own snapshot file (``agent-quota-latest.json``), whose fields drifted over time: ``week_pct``
(used) in the oldest, ``pct_remaining`` later, message counts against a limit, nulls and
``source: unavailable`` when a number could not be read. An agent without usable numbers is
recorded as unknown (``used_pct: null`` with the reason), never as 0% used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeGuard

from wrk_ansible import clock
from wrk_ansible.errors import InputError
from wrk_ansible.evidence.ledger import Ledger, Record
from wrk_ansible.evidence.query import select
from wrk_ansible.evidence.records import QuotaBody, QuotaOrigin, QuotaReading, newest_key

CHAIN: Final = "_quota"
KIND: Final = QuotaBody.KIND
SCHEMA_VERSION: Final = 1
UNAVAILABLE: Final = "unavailable"


@dataclass(frozen=True)
class Reading:
    """One agent's quota use at one time; ``used_pct`` None means unknown (see ``why``)."""

    agent: str
    window: str
    used_pct: float | None
    resets_at: datetime | None
    captured_at: datetime | None
    source: str | None = None
    why: str | None = None

    @property
    def known(self) -> bool:
        return self.used_pct is not None

    def entry(self) -> QuotaReading:
        """The reading as a quota record stores it."""
        return QuotaReading(
            agent=self.agent,
            window=self.window,
            used_pct=self.used_pct,
            resets_at=_iso(self.resets_at),
            captured_at=_iso(self.captured_at),
            source=self.source,
            why=self.why,
        )

    def as_dict(self) -> dict[str, Any]:
        return self.entry().model_dump(mode="json")

    @classmethod
    def of(cls, entry: QuotaReading) -> Reading:
        """A reading as stored in a record (a time that does not parse is unknown)."""
        return cls(
            agent=entry.agent,
            window=entry.window or "weekly",
            used_pct=entry.used_pct,
            resets_at=_parse_time(entry.resets_at),
            captured_at=_parse_time(entry.captured_at),
            source=entry.source,
            why=entry.why,
        )


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z") if when else None


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def parse_time(value: str, *, path: str | None = None, field: str | None = None) -> datetime:
    """An ISO 8601 time with its offset; InputError naming the field otherwise."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{value!r} is not an ISO 8601 time", path=path, field=field) from None
    if parsed.tzinfo is None:
        raise InputError(
            f"{value!r} has no UTC offset (write e.g. 2026-03-06T03:00:00-06:00 or ...Z)",
            path=path,
            field=field,
        )
    return parsed


def _pct(entry: Mapping[str, Any], key: str, path: str, where: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if not _number(value):
        raise InputError(f"expected a number or null, found {value!r}", path=path, field=where)
    pct = float(value)
    if not 0 <= pct <= 100:
        raise InputError(f"{value} is not a percentage (0-100)", path=path, field=where)
    return pct


def _ratio(entry: Mapping[str, Any], used: str, limit: str) -> float | None:
    count, total = entry.get(used), entry.get(limit)
    if not (_number(count) and _number(total)):
        return None
    count, total = float(count), float(total)
    return 100.0 * count / total if total > 0 and 0 <= count <= total else None


def _reading(entry: Any, index: int, taken: datetime | None, path: str) -> Reading:
    where = f"agents[{index}]"
    if not isinstance(entry, Mapping):
        raise InputError("expected an object per agent", path=path, field=where)
    agent = entry.get("provider", entry.get("agent"))
    if not isinstance(agent, str) or not agent.strip():
        raise InputError("missing the agent's name", path=path, field=f"{where}.provider")
    captured = _parse_time(entry.get("captured_at")) or taken
    source = entry.get("source")
    daily = "daily_limit" in entry and not any(
        k in entry for k in ("week_pct", "weekly_limit", "week_messages")
    )
    window = "daily" if daily else "weekly"
    resets = _parse_time(entry.get("resets_at"))
    hours = entry.get("hours_to_reset")
    if resets is None and _number(hours) and captured is not None:
        resets = captured + timedelta(hours=float(hours))
    week = _pct(entry, "week_pct", path, f"{where}.week_pct")
    remaining = _pct(entry, "pct_remaining", path, f"{where}.pct_remaining")
    used: float | None
    if source == UNAVAILABLE:
        used, why = None, "source: unavailable (the numbers could not be read)"
    elif week is not None:
        used, why = week, None
    elif remaining is not None:
        used, why = 100.0 - remaining, None
    else:
        used = _ratio(entry, "week_messages", "weekly_limit") or _ratio(
            entry, "today_messages", "daily_limit"
        )
        why = None if used is not None else "no usable numbers (week_pct, pct_remaining are null)"
    return Reading(
        agent=agent.strip(),
        window=window,
        used_pct=used,
        resets_at=resets,
        captured_at=captured,
        source=None if source is None else str(source),
        why=why,
    )


def readings_from_file(data: Any, *, path: str) -> tuple[Reading, ...]:
    """The readings of one team snapshot file (parsed JSON); InputError naming file and field."""
    if not isinstance(data, Mapping):
        raise InputError("expected a JSON object with an 'agents' list", path=path)
    agents = data.get("agents")
    if not isinstance(agents, list) or not agents:
        raise InputError("expected a non-empty list of agents", path=path, field="agents")
    taken = _parse_time(data.get("timestamp"))
    if data.get("timestamp") not in (None, "") and taken is None:
        raise InputError(
            f"{data.get('timestamp')!r} is not an ISO 8601 time with an offset",
            path=path,
            field="timestamp",
        )
    readings = tuple(_reading(entry, i, taken, path) for i, entry in enumerate(agents))
    names = [r.agent for r in readings]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InputError(f"agent {name!r} appears twice", path=path, field=f"agents[{i}]")
    return readings


def snapshot_body(readings: Sequence[Reading], origin: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a ``quota`` evidence record (:class:`~wrk_ansible.evidence.records.QuotaBody`
    dumped)."""
    return QuotaBody(
        schema_version=SCHEMA_VERSION,
        origin=QuotaOrigin.model_validate(origin),
        readings=tuple(r.entry() for r in readings),
    ).dump()


@dataclass(frozen=True)
class Used:
    """A reading with the record it came from."""

    reading: Reading
    record_id: str
    record_sha256: str
    recorded_at: datetime | None

    @property
    def taken(self) -> datetime | None:
        """When the numbers were read (the record's time when the reading does not say)."""
        return self.reading.captured_at or self.recorded_at

    def age(self, now: datetime) -> timedelta | None:
        return None if self.taken is None else now - self.taken

    def fresh(self, now: datetime, hours: float) -> bool:
        age = self.age(now)
        return age is not None and age <= timedelta(hours=hours)


def latest_readings(records: Iterable[Record]) -> dict[str, Used]:
    """The newest reading of each agent across ``quota`` records: newest by when it was read,
    then by the record's own order (time, then id). A record whose body does not validate is
    left out."""
    best: dict[str, tuple[tuple[datetime, datetime, str], Used]] = {}
    for record in select(records, QuotaBody):
        recorded, record_id = newest_key(record.time, record.id)
        for entry in record.body.readings:
            reading = Reading.of(entry)
            used = Used(reading, record.id, record.sha256, clock.parse(record.time))
            order = (used.taken or _EPOCH, recorded, record_id)
            old = best.get(reading.agent)
            if old is None or order > old[0]:
                best[reading.agent] = (order, used)
    return {agent: used for agent, (_, used) in best.items()}


_EPOCH: Final = datetime.min.replace(tzinfo=UTC)


def quota_records(ledger: Ledger) -> list[Record]:
    """Every record of every ``_quota`` chain."""
    return [r for _, writer in ledger.chains(CHAIN) for r in ledger.records(CHAIN, writer)]
