"""``wrk report --json``: the data behind the page, for tests and other tools. Pure.

The same :class:`~wrk_ansible.report.data.Report` the page draws, plus each row's forecast (the
decision a gate would reach now without probing, from the one readiness source) with the
readiness of every host it considered, in the shape ``wrk gate --json`` uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from wrk_ansible.report.data import ItemView, Report, RowView
from wrk_ansible.report.facts import HostFact
from wrk_ansible.report.gaps import GapView
from wrk_ansible.report.queue import CapacityView, MachineLoad
from wrk_ansible.report.whatif import Forecast

SCHEMA_VERSION: Final = 1
#: A gap kind's priority: P1 stops work now, P2 needs fixing before it can be gated, P3 advice.
PRIORITY: Final = {
    "p1": "P1",
    "fail": "P1",
    "labels": "P2",
    "error": "P2",
    "unknown-machine": "P2",
    "derived": "P3",
}
#: (item path, row) -> its forecast.
Forecasts = Mapping[tuple[str, str], Forecast]


def forecast_dict(forecast: Forecast) -> dict[str, Any]:
    return {
        "verdict": forecast.verdict,
        "hosts": list(forecast.hosts),
        "fallback_to": list(forecast.fallback_to),
        "reason": forecast.reason,
        "proposals": list(forecast.proposals),
        "readiness": {host: seen.as_dict() for host, seen in forecast.readiness.items()},
    }


def _row(row: RowView, forecast: Forecast | None) -> dict[str, Any]:
    recorded = None
    if row.record is not None:
        recorded = {
            "verdict": row.state,
            "hosts": [h for h in row.hosts.split(", ") if h],
            "reason": row.reason,
            "when": row.when,
            "record": row.record,
        }
    return {
        "stage": row.stage,
        "phase": row.phase,
        "primary": row.primary,
        "secondary": row.secondary,
        "scope": row.scope,
        "fallback": row.fallback,
        "gates": list(row.gates),
        "derived": row.derived,
        "recorded": recorded,
        "forecast": forecast_dict(forecast) if forecast is not None else None,
    }


def _item(item: ItemView, forecasts: Forecasts) -> dict[str, Any]:
    return {
        "wrk": item.wrk_id,
        "path": item.path,
        "title": item.title,
        "status": item.status,
        "derived": item.derived,
        "valid": item.valid,
        "errors": list(item.errors),
        "warnings": list(item.warnings),
        "worst": item.worst,
        "chain": {"state": item.chain_state, "text": item.chain_text},
        "handoffs": list(item.handoffs),
        "rows": [_row(r, forecasts.get((item.path, r.stage))) for r in item.rows],
        **({"url": item.url, "routing": item.routing} if item.routing else {}),
    }


def _gap(gap: GapView) -> dict[str, Any]:
    return {
        "kind": gap.kind,
        "priority": PRIORITY[gap.kind],
        "wrk": gap.wrk_id,
        "stage": gap.stage,
        "summary": gap.summary,
        "proposals": list(gap.proposals),
        "when": gap.when,
    }


def _load(load: MachineLoad) -> dict[str, Any]:
    return {
        "name": load.name,
        "kind": load.kind,
        "state": load.state,
        "per_stage": list(load.per_stage),
        "rows": load.rows,
        "fallback": load.fallback,
        "items": load.items,
        "note": load.note,
    }


def _capacity(view: CapacityView) -> dict[str, Any]:
    return {
        "drained": view.drained,
        "counts": dict(view.counts),
        "rows": view.rows,
        "affected_items": view.affected_items,
        "impacts": [
            {
                "wrk": i.wrk_id,
                "stage": i.stage,
                "before": i.before,
                "after": i.after,
                "hosts": i.where,
                "reason": i.reason,
                "proposals": list(i.proposals),
            }
            for i in view.impacts
        ],
        "more": view.more,
    }


def report_dict(
    report: Report, forecasts: Forecasts, hosts: Sequence[HostFact] | None
) -> dict[str, Any]:
    """Everything the page shows, as plain data (``docs/report.md``)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "title": report.title,
        "generated": report.generated,
        "inventory": report.inventory,
        "evidence": report.evidence,
        "notes": list(report.notes),
        "statuses": dict(report.statuses),
        "verdicts": dict(report.verdicts),
        "hosts": [
            {
                "name": h.name,
                "state": h.state,
                "state_reason": h.state_reason,
                "groups": list(h.groups),
                "licensed": h.licensed,
            }
            for h in hosts or ()
        ],
        "gaps": [_gap(g) for g in report.gaps],
        "items": [_item(i, forecasts) for i in report.items],
        "machines": [_load(m) for m in report.machines],
        "capacity": [_capacity(c) for c in report.capacity],
        "routing": [
            {"machine": v.machine, "host": v.host, "provider": v.provider, "issues": v.items}
            for v in report.routing
        ],
        "fleet": report.fleet.as_dict() if report.fleet is not None else None,
        "leases": {
            "caps": [
                {"cap": c.cap, "limit": c.limit, "live": c.used, "items": list(c.items)}
                for c in report.leases.caps
            ],
            "leases": [
                {
                    "item": row.item,
                    "stage": row.stage,
                    "hosts": row.hosts,
                    "provider": row.provider,
                    "state": row.state,
                    "taken": row.taken,
                    "expires": row.expires,
                    "detail": row.text,
                    "record": row.record,
                }
                for row in report.leases.rows
            ],
        },
    }
