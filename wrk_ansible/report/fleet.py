"""The fleet section (and ``wrk report --fleet``): every machine by dimension, coloured by
grade; tool-version drift; each host's evidence age; 30 days of history. Pure, no I/O.

Built from :class:`FleetFacts` (the hosts, their baselines, their observations, a moment).
A host without a baseline is listed with its evidence age and history but no grades per
dimension. History: per day, ``pass`` when every observation that day graded ok, ``fail``
when one graded below-baseline or unreachable, ``none`` without one (drawn as inline SVG by
the template). Drift: a tool seen at more than one version across the hosts' newest probe
records; the versions held by fewer hosts than the most common one are the odd ones out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from wrk_ansible.fleet.grade import DIMENSIONS, Grade, Observed, current, grade
from wrk_ansible.fleet.model import Baseline

DAYS: Final = 30


@dataclass(frozen=True)
class FleetFacts:
    """The hosts (name -> state), their baselines, their observations (oldest first), the
    freshness window and the moment the page is made."""

    hosts: Mapping[str, str]
    baselines: Mapping[str, Baseline]
    observations: Mapping[str, Sequence[Observed]]
    now: datetime
    fresh_hours: float


@dataclass(frozen=True)
class Cell:
    grade: str
    text: str


@dataclass(frozen=True)
class HostRow:
    host: str
    state: str
    grade: str
    summary: str
    cells: tuple[Cell, ...]
    age: str
    source: str | None
    imported: bool
    history: tuple[tuple[str, str], ...]

    @property
    def passes(self) -> int:
        return sum(state == "pass" for _, state in self.history)

    @property
    def fails(self) -> int:
        return sum(state == "fail" for _, state in self.history)


@dataclass(frozen=True)
class Drift:
    tool: str
    #: (host, version, odd one out), by host.
    versions: tuple[tuple[str, str, bool], ...]


@dataclass(frozen=True)
class FleetView:
    rows: tuple[HostRow, ...] = ()
    drift: tuple[Drift, ...] = ()
    dimensions: tuple[str, ...] = DIMENSIONS
    days: int = DAYS
    counts: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimensions": list(self.dimensions),
            "counts": dict(self.counts),
            "hosts": [
                {
                    "host": r.host,
                    "state": r.state,
                    "grade": r.grade,
                    "summary": r.summary,
                    "dimensions": {
                        d: {"grade": c.grade, "text": c.text}
                        for d, c in zip(self.dimensions, r.cells, strict=True)
                    },
                    "evidence_age": r.age,
                    "source": r.source,
                    "imported": r.imported,
                    "history": [{"day": day, "state": state} for day, state in r.history],
                }
                for r in self.rows
            ],
            "drift": [
                {
                    "tool": d.tool,
                    "versions": [{"host": h, "version": v, "odd": odd} for h, v, odd in d.versions],
                }
                for d in self.drift
            ],
        }


def _age(now: datetime, at: datetime | None) -> str:
    if at is None:
        return "no evidence"
    hours = (now - at).total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.0f} d"


def _history(
    host: str, base: Baseline, seen: Sequence[Observed], now: datetime
) -> tuple[tuple[str, str], ...]:
    by_day: dict[str, list[Grade]] = {}
    for obs in seen:
        graded = grade(host, base, obs, obs.at, 1e9)
        by_day.setdefault(obs.at.date().isoformat(), []).append(graded.grade)
    out = []
    for back in range(DAYS - 1, -1, -1):
        day = (now - timedelta(days=back)).date().isoformat()
        grades = by_day.get(day, [])
        if any(g in (Grade.BELOW, Grade.UNREACHABLE) for g in grades):
            out.append((day, "fail"))
        elif any(g is Grade.OK for g in grades):
            out.append((day, "pass"))
        else:
            out.append((day, "none"))
    return tuple(out)


def _drift(newest: Mapping[str, Observed | None]) -> tuple[Drift, ...]:
    tools: dict[str, dict[str, str]] = {}
    for host, obs in newest.items():
        for tool, version in (obs.versions if obs is not None else {}).items():
            tools.setdefault(tool, {})[host] = version
    out = []
    for tool, versions in sorted(tools.items()):
        if len(set(versions.values())) < 2:
            continue
        counts = Counter(versions.values())
        most = max(counts.values())
        out.append(
            Drift(
                tool,
                tuple((h, v, counts[v] < most) for h, v in sorted(versions.items())),
            )
        )
    return tuple(out)


def fleet_view(facts: FleetFacts) -> FleetView:
    rows = []
    newest: dict[str, Observed | None] = {}
    for host, state in facts.hosts.items():
        seen = [o for o in facts.observations.get(host, ()) if o.at <= facts.now]
        latest = current(seen, facts.now)
        newest[host] = next((o for o in reversed(seen) if o.versions), None)
        base = facts.baselines.get(host)
        if base is None:
            cells = tuple(Cell("-", "no baseline") for _ in DIMENSIONS)
            overall, summary = "-", "no baseline"
            history: tuple[tuple[str, str], ...] = tuple(
                ((facts.now - timedelta(days=b)).date().isoformat(), "none")
                for b in range(DAYS - 1, -1, -1)
            )
        else:
            graded = grade(host, base, latest, facts.now, facts.fresh_hours)
            by_name = {d.name: d for d in graded.dimensions}
            cells = tuple(
                Cell(by_name[d].grade.value, by_name[d].text)
                if d in by_name
                else Cell(graded.grade.value, graded.why)  # the host as a whole: stale, ...
                if base.asks(d)
                else Cell("-", "not in its baseline")
                for d in DIMENSIONS
            )
            overall, summary = graded.grade.value, graded.summary
            history = _history(host, base, seen, facts.now)
        rows.append(
            HostRow(
                host=host,
                state=state,
                grade=overall,
                summary=summary,
                cells=cells,
                age=_age(facts.now, latest.at if latest else None),
                source=latest.source if latest else None,
                imported=bool(latest and latest.imported),
                history=history,
            )
        )
    counts = Counter(r.grade for r in rows)
    return FleetView(tuple(rows), _drift(newest), counts=tuple(sorted(counts.items())))
