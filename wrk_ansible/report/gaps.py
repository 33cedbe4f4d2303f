"""The top gaps: what blocks work, worst first, each linking to its WRK. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from wrk_ansible.contract.stages import STAGE_IDS
from wrk_ansible.evidence.records import newest_key
from wrk_ansible.issues.contract import CONTRADICTION
from wrk_ansible.report.facts import GateFact, ItemFacts
from wrk_ansible.report.queue import natural_key

#: Gap kinds in the order the page lists them (P1 first).
GAP_KINDS: Final = (
    ("p1", "P1 gap"),
    ("fail", "gate failed"),
    ("stale", "stale lease"),
    ("labels", "label contradiction"),
    ("error", "contract error"),
    ("unknown-machine", "unknown machine"),
    ("derived", "derived contract"),
)
_GAP_RANK: Final = {kind: rank for rank, (kind, _) in enumerate(GAP_KINDS)}
_STAGE_RANK: Final = {stage: rank for rank, stage in enumerate(STAGE_IDS)}


def short_time(stamp: str | None) -> str | None:
    """``2026-03-19T12:00:01.5Z`` -> ``2026-03-19 12:00Z`` (anything else as given)."""
    if stamp and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d", stamp):
        return f"{stamp[:10]} {stamp[11:16]}Z"
    return stamp


def latest_gates(gates: Iterable[GateFact]) -> dict[str, GateFact]:
    """The newest gate record of each stage: by time, then record id, the one order of
    "newest" (:func:`wrk_ansible.evidence.records.newest_key`)."""
    latest: dict[str, GateFact] = {}
    for gate in gates:
        seen = latest.get(gate.stage)
        if seen is None or newest_key(gate.time, gate.record) > newest_key(seen.time, seen.record):
            latest[gate.stage] = gate
    return latest


@dataclass(frozen=True)
class GapView:
    """One entry of the top-gaps list, linking to its WRK."""

    kind: str
    wrk_id: str
    anchor: str
    summary: str
    stage: str | None = None
    proposals: tuple[str, ...] = ()
    when: str | None = None

    @property
    def label(self) -> str:
        return dict(GAP_KINDS)[self.kind]

    @property
    def rank(self) -> int:
        return _GAP_RANK[self.kind]


def issue_text(field: str | None, message: str, line: int | None, file: str | None) -> str:
    where = (f"{file}: " if file else "") + (field or "-")
    return f"{where}{f' (line {line})' if line else ''}: {message}"


def _strip(summary: str, wrk: str, stage: str | None) -> str:
    """A gate's gap summary without the ``WRK-1 execute:`` the page already shows."""
    for prefix in (f"{wrk} {stage}: ", f"{wrk}: ", f"{wrk} "):
        if summary.startswith(prefix):
            return summary[len(prefix) :]
    return summary


def item_gaps(item: ItemFacts, anchor: str) -> list[GapView]:
    """The gaps one WRK contributes, every kind."""
    gaps: list[GapView] = []
    wrk = item.wrk_id
    latest = sorted(latest_gates(item.gates).items(), key=lambda kv: _STAGE_RANK.get(kv[0], 99))
    for stage, gate in latest:
        when = short_time(gate.time)
        if gate.verdict == "pause":
            found = [g for g in gate.gaps if g.priority == "P1"]
            if not found:
                gaps.append(GapView("p1", wrk, anchor, gate.reason or "paused", stage, (), when))
            for gap in found:
                text = _strip(gap.summary, wrk, stage)
                gaps.append(GapView("p1", wrk, anchor, text, stage, gap.proposals, when))
        elif gate.verdict == "fail":
            gaps.append(GapView("fail", wrk, anchor, gate.reason or "failed", stage, (), when))
    for issue in item.errors:
        text = issue_text(issue.field, issue.message, issue.line, issue.file)
        kind = "unknown-machine" if issue.unknown_machine else "error"
        if issue.kind == CONTRADICTION:
            kind = "labels"
        gaps.append(GapView(kind, wrk, anchor, text))
    if item.derived and item.rows and not item.is_issue:  # an issue's labels are its contract
        gaps.append(
            GapView(
                "derived",
                wrk,
                anchor,
                "contract derived from legacy fields",
                None,
                (f"wrk contract migrate {item.path}",),
            )
        )
    return gaps


def sort_gaps(gaps: Iterable[GapView]) -> tuple[GapView, ...]:
    """P1 first, then failed gates, contract errors, unknown machines, derived contracts.

    Evidence is kept per WRK id, so two files of one WRK (a legacy item and its migrated copy)
    share gate records: a gate's gap is listed once, linking to the first of them.
    """
    seen: set[tuple[str, str, str | None, str, str | None]] = set()
    unique = []
    for gap in gaps:
        key = (gap.kind, gap.wrk_id, gap.stage, gap.summary, gap.when)
        if gap.kind in ("p1", "fail") and key in seen:
            continue
        seen.add(key)
        unique.append(gap)
    return tuple(
        sorted(
            unique,
            key=lambda g: (g.rank, natural_key(g.wrk_id), _STAGE_RANK.get(g.stage or "", -1)),
        )
    )
