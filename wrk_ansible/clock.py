"""The one timestamp format wrk writes and reads: UTC, microseconds, ``Z``.

``2026-12-01T19:40:50.123456Z``. Records compare their ``time`` as text, which is only sound
when every writer uses this one format; :func:`parse` also reads the ISO forms others write
(ansible-runner's zone-less UTC ``created``, ``+00:00`` offsets).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(moment: datetime) -> str:
    """``moment`` in the one format (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(FORMAT)


def utc_now() -> str:
    """Now, in the one format."""
    return stamp(datetime.now(UTC))


def later(hours: float, *, now: datetime | None = None) -> str:
    """``hours`` from ``now`` (default: now), in the one format."""
    return stamp((now or datetime.now(UTC)) + timedelta(hours=hours))


def parse(text: object) -> datetime | None:
    """A timestamp as an aware UTC datetime; None when ``text`` is not one."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
