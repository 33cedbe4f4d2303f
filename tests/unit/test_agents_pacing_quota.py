"""Agents as resources, the pure parts: pacing curves, the team's quota files, choose_agents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from _gatekit import NOW, registry, write_wrk

from wrk_ansible.agents.catalog import (
    AgentCatalog,
    catalog_of,
    fresh_hours_of,
    pacing_of,
    parse_catalog,
)
from wrk_ansible.agents.pacing import (
    DAILY_CURVE,
    WEEKLY_CURVE,
    Pacing,
    allowed_at,
    check_curve,
    elapsed_fraction,
    pace,
)
from wrk_ansible.agents.quota import Reading, latest_readings, readings_from_file, snapshot_body
from wrk_ansible.agents.routing import choose_agents
from wrk_ansible.errors import InputError
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.names import check_against

QUOTA = Path(__file__).parents[1] / "fixtures" / "quota"
DAY = 1 / 7


# --- pacing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(0, 0.0), (1, 18.0), (2.5, 45.0), (5, 90.0), (6, 95.0), (7, 100.0), (9, 100.0), (-1, 0.0)],
)
def test_weekly_curve_is_90_percent_by_day_5_then_the_reserve(day: float, allowed: float) -> None:
    assert allowed_at(WEEKLY_CURVE, day * DAY) == pytest.approx(allowed)


def test_daily_curve_is_linear() -> None:
    assert allowed_at(DAILY_CURVE, 0.25) == pytest.approx(25.0)


def test_past_line_is_used_above_allowed() -> None:
    resets = NOW + timedelta(days=4)  # 3 days into the week: line at 54%
    assert not pace(Pacing(), "weekly", 54.0, resets, NOW).past_line
    state = pace(Pacing(), "weekly", 54.5, resets, NOW)
    assert state.past_line
    assert state.elapsed == pytest.approx(3 / 7)
    assert "allowed 54.0%" in state.describe()


def test_unknown_reset_time_keeps_the_reserve() -> None:
    state = pace(Pacing(), "weekly", 91.0, None, NOW)
    assert state.allowed_pct == 90.0
    assert state.past_line
    assert not pace(Pacing(), "weekly", 89.0, None, NOW).past_line
    assert "reset time unknown" in state.describe()


def test_elapsed_fraction_clamps() -> None:
    assert elapsed_fraction("weekly", NOW - timedelta(days=1), NOW) == 1.0
    assert elapsed_fraction("daily", NOW + timedelta(hours=6), NOW) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("points", "why"),
    [
        (((0.0, 0.0),), "at least two"),
        (((0.1, 0.0), (1.0, 100.0)), "from elapsed fraction 0 to 1"),
        (((0.0, 0.0), (0.5, 60.0), (0.5, 70.0), (1.0, 100.0)), "must increase"),
        (((0.0, 0.0), (0.5, 60.0), (1.0, 50.0)), "must not decrease"),
        (((0.0, 0.0), (1.0, 120.0)), "between 0 and 100"),
    ],
)
def test_bad_curves_are_refused(points: tuple[tuple[float, float], ...], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_curve(points)


def test_fleet_pacing_is_configurable_in_days() -> None:
    reg = registry(wrk_quota_pacing={"weekly": [[0, 0], [6, 90], [7, 100]]})
    assert pacing_of(reg).allowed("weekly", 6 / 7) == pytest.approx(90.0)
    assert pacing_of(reg).allowed("daily", 0.5) == pytest.approx(50.0)  # default kept
    assert pacing_of(registry()).curve("weekly") == WEEKLY_CURVE


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ({"monthly": [[0, 0], [30, 100]]}, "wrk_quota_pacing.monthly", "unknown window"),
        ({"weekly": "fast"}, "wrk_quota_pacing.weekly", r"\[day, max used %\] pairs"),
        ({"weekly": [[0, 0], [5, 95], [7, 90]]}, "wrk_quota_pacing.weekly", "must not decrease"),
        ([1, 2], "wrk_quota_pacing", "mapping"),
    ],
)
def test_bad_fleet_pacing_names_the_field(value: object, field: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        pacing_of(registry(wrk_quota_pacing=value))
    assert info.value.field == field


def test_fresh_hours_default_and_bad_value() -> None:
    assert fresh_hours_of(registry()) == 24.0
    assert fresh_hours_of(registry(wrk_quota_fresh_hours=6)) == 6.0
    with pytest.raises(InputError) as info:
        fresh_hours_of(registry(wrk_quota_fresh_hours="soon"))
    assert info.value.field == "wrk_quota_fresh_hours"


# --- catalog ---------------------------------------------------------------------------------


def test_catalog_reads_the_fleet_var() -> None:
    catalog = catalog_of(registry())
    assert catalog.names == ("claude", "codex", "gemini")
    assert catalog.window("gemini") == "daily"
    assert catalog.window("unknown-agent") == "weekly"
    gemini = catalog.get("gemini")
    assert gemini is not None
    assert gemini.fits("impl_review", "review")
    assert not gemini.fits("execute", "execute")


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ([{"name": "claude"}], "wrk_agent_catalog[0].cli", "Field required"),
        (
            [{"name": "claude", "cli": "c", "kinds": ["lunch"]}],
            "wrk_agent_catalog[0].kinds",
            "kind",
        ),
        ([{"name": "claude", "cli": "c", "extra": 1}], "wrk_agent_catalog[0].extra", "Extra"),
        ([{"name": "a", "cli": "a"}, {"name": "a", "cli": "a"}], "wrk_agent_catalog", "twice"),
    ],
)
def test_bad_catalog_names_file_and_field(value: object, field: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_catalog(value, source="inv/group_vars/all")
    assert info.value.field == field
    assert info.value.path == "inv/group_vars/all"


# --- the team's quota files --------------------------------------------------------------------


def _file(name: str) -> tuple[Reading, ...]:
    path = QUOTA / f"agent-quota-{name}.json"
    return readings_from_file(json.loads(path.read_text()), path=str(path))


def test_oldest_file_reads_week_pct_as_used() -> None:
    claude, codex, gemini = _file("2026-02-22")
    assert (claude.agent, claude.used_pct, claude.window) == ("claude", 46.0, "weekly")
    assert claude.resets_at == datetime(2026, 2, 25, 2, 0, 0, 554408, tzinfo=UTC)
    assert codex.used_pct == 74.0
    assert codex.resets_at is not None
    assert codex.resets_at.utcoffset() == timedelta(hours=-6)  # "-0600" read, not dropped
    assert gemini.used_pct == 0.0
    assert gemini.source == "manual"


def test_middle_file_reads_pct_remaining_and_a_daily_window() -> None:
    claude, codex, gemini = _file("2026-03-01")
    assert claude.used_pct == 5.0
    assert codex.used_pct == 21.0  # pct_remaining 79
    assert codex.resets_at is None  # none given: the reserve line applies
    assert (gemini.window, gemini.used_pct) == ("daily", 0.0)


def test_newest_file_keeps_unknown_as_unknown_never_zero() -> None:
    claude, codex, gemini = _file("2026-08-21")
    assert claude.used_pct is None
    assert not claude.known
    assert claude.why is not None
    assert "unavailable" in claude.why
    assert claude.resets_at is None  # resets_at "" is no time
    assert codex.used_pct == 0.0
    # gemini's own captured_at wins over the file's timestamp; reset = captured + 159.5 h
    assert gemini.captured_at == datetime.fromisoformat("2026-06-14T16:32:59-05:00")
    assert gemini.resets_at == gemini.captured_at + timedelta(hours=159.5)


def test_nulls_without_source_unavailable_are_unknown() -> None:
    data = {
        "timestamp": "2026-03-01T00:00:00Z",
        "agents": [{"provider": "claude", "week_pct": None}],
    }
    [claude] = readings_from_file(data, path="q.json")
    assert claude.used_pct is None
    assert claude.why is not None
    assert "no usable numbers" in claude.why


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], None, "JSON object"),
        ({"agents": []}, "agents", "non-empty list"),
        ({"agents": ["claude"]}, "agents[0]", "object per agent"),
        ({"agents": [{"week_pct": 3}]}, "agents[0].provider", "name"),
        ({"agents": [{"provider": "claude", "week_pct": "46%"}]}, "agents[0].week_pct", "number"),
        (
            {"agents": [{"provider": "claude", "pct_remaining": 140}]},
            "agents[0].pct_remaining",
            "0-100",
        ),
        ({"agents": [{"provider": "claude", "week_pct": True}]}, "agents[0].week_pct", "number"),
        ({"timestamp": "yesterday", "agents": [{"provider": "c"}]}, "timestamp", "ISO 8601"),
        ({"agents": [{"provider": "c"}, {"provider": "c"}]}, "agents[1]", "twice"),
    ],
)
def test_bad_quota_files_name_file_and_field(data: object, field: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        readings_from_file(data, path="agent-quota.json")
    assert info.value.path == "agent-quota.json"
    assert info.value.field == field


def test_latest_reading_per_agent_is_the_newest_read(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    old = ledger.append("_quota", "dev-primary", "quota", snapshot_body(_file("2026-02-22"), {}))
    new = ledger.append("_quota", "dev-secondary", "quota", snapshot_body(_file("2026-03-01"), {}))
    records = [*ledger.records("_quota")]
    latest = latest_readings(records)
    assert latest["claude"].reading.used_pct == 5.0
    assert latest["claude"].record_id == new.id
    assert latest["claude"].record_sha256 == new.sha256
    # an older import appended later does not replace newer numbers
    ledger.append("_quota", "dev-primary", "quota", snapshot_body(_file("2026-02-22"), {}))
    assert latest_readings(ledger.records("_quota"))["codex"].record_id == new.id
    assert old.id != new.id
    assert latest["codex"].fresh(datetime(2026, 3, 1, 12, tzinfo=UTC), 24)
    assert not latest["codex"].fresh(datetime(2026, 3, 3, tzinfo=UTC), 24)


# --- choose_agents ----------------------------------------------------------------------------


def _execute_row(tmp_path: Path, front: str) -> object:
    path = write_wrk(tmp_path, front)
    checked = check_against(str(path), registry())
    assert checked.contract is not None, checked.errors
    return checked.contract.stage("execute")


def _reading(agent: str, used: float | None, resets: datetime | None = None) -> Reading:
    return Reading(agent, "weekly", used, resets or NOW + timedelta(days=4), NOW)


EXECUTE_ON = (
    "handoff_evidence_ref: ev\nstage_assignments:\n  execute:\n    agents: [{agents}]\n"
    "    workstations: [{host}]\n"
)


def test_agent_past_its_line_is_passed_over_and_the_other_picked(tmp_path: Path) -> None:
    row = _execute_row(tmp_path, EXECUTE_ON.format(agents="codex, claude", host="dev-primary"))
    reg = registry()
    snapshot = {"codex": _reading("codex", 74.0), "claude": _reading("claude", 30.0)}
    primary, secondary, reasons = choose_agents(
        row, reg.get("dev-primary"), catalog_of(reg), snapshot, Pacing(), now=NOW
    )
    assert (primary, secondary) == ("claude", None)
    assert reasons["codex"].startswith("past its weekly pacing line: used 74%, allowed 54.0%")
    assert reasons["claude"].startswith("chosen as primary: within its weekly pacing line")


def test_declared_order_wins_when_both_are_within(tmp_path: Path) -> None:
    row = _execute_row(tmp_path, EXECUTE_ON.format(agents="codex, claude", host="dev-primary"))
    reg = registry()
    snapshot = {"codex": _reading("codex", 10.0), "claude": _reading("claude", 5.0)}
    choice = choose_agents(
        row, reg.get("dev-primary"), catalog_of(reg), snapshot, Pacing(), now=NOW
    )
    assert (choice.primary, choice.secondary) == ("codex", "claude")


def test_absent_agent_is_passed_over_and_unknown_ranks_last(tmp_path: Path) -> None:
    row = _execute_row(
        tmp_path, EXECUTE_ON.format(agents="gemini, claude, codex", host="dev-primary")
    )
    reg = registry()
    snapshot = {"claude": _reading("claude", None), "codex": _reading("codex", 20.0)}
    choice = choose_agents(
        row, reg.get("dev-primary"), catalog_of(reg), snapshot, Pacing(), now=NOW
    )
    assert (choice.primary, choice.secondary) == ("codex", "claude")
    assert choice.reasons["gemini"] == "not on dev-primary (its wrk_agents: claude, codex)"
    assert "quota unknown" in choice.reasons["claude"]


def test_any_pool_uses_the_catalog_kinds(tmp_path: Path) -> None:
    path = write_wrk(tmp_path)
    checked = check_against(str(path), registry())
    assert checked.contract is not None
    row = checked.contract.stage("impl_review")  # template: agents claude, codex, gemini
    reg = registry()
    pool = row.assignment.model_copy(update={"agents": "any"})
    row = type(row)(row.stage, pool, row.requirements, row.origin, row.explicit)
    snapshot = {a: _reading(a, 1.0) for a in ("claude", "gemini")}
    choice = choose_agents(
        row, reg.get("dev-secondary"), catalog_of(reg), snapshot, Pacing(), now=NOW
    )
    assert (choice.primary, choice.secondary) == ("claude", "gemini")
    assert "codex" in choice.reasons  # fits review, not on dev-secondary


def test_nobody_left_means_no_primary(tmp_path: Path) -> None:
    row = _execute_row(tmp_path, EXECUTE_ON.format(agents="codex", host="dev-primary"))
    reg = registry()
    snapshot = {"codex": _reading("codex", 99.0)}
    choice = choose_agents(
        row, reg.get("dev-primary"), catalog_of(reg), snapshot, Pacing(), now=NOW
    )
    assert choice.primary is None
    assert "past its weekly pacing line" in choice.reasons["codex"]


def test_a_row_naming_no_agent_routes_to_the_hosts_own(tmp_path: Path) -> None:
    """A fresh repository's execute row names no agent: any agent the host runs may take it
    (as ``agents: any``); with no catalog, the host's own agents in their declared order."""
    text = (
        "handoff_evidence_ref: ev\nstage_assignments:\n  execute:\n"
        "    workstations: [dev-primary]\n"
    )
    row = _execute_row(tmp_path, text)
    assert row.agents == ()
    reg = registry()
    snapshot = {a: _reading(a, 1.0) for a in ("claude", "codex")}
    choice = choose_agents(row, reg.get("dev-primary"), AgentCatalog(), snapshot, Pacing(), now=NOW)
    assert (choice.primary, choice.secondary) == ("claude", "codex")
