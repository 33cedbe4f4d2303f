"""The review page's data, built from plain facts (no files, no registry, no browser)."""

from __future__ import annotations

from wrk_ansible.contract.stages import STAGE_IDS
from wrk_ansible.report.data import build_report, latest_gates, short_time
from wrk_ansible.report.facts import (
    ChainFact,
    GapFact,
    GateFact,
    HandoffFact,
    HostFact,
    IssueFact,
    ItemFacts,
    RowFacts,
)
from wrk_ansible.report.queue import IMPACTS_SHOWN
from wrk_ansible.report.render import render
from wrk_ansible.report.whatif import Forecast, RowImpact, Scenario


def rows(
    *, on: str = "dev-primary", explicit: bool = True, **execute: object
) -> tuple[RowFacts, ...]:
    """Seven rows on one machine; ``execute`` overrides fields of the execute row."""
    out = []
    for stage in STAGE_IDS:
        row = RowFacts(
            stage, ("claude",), ("codex",), assigned=(on,), gates=("g",), explicit=explicit
        )
        if stage == "execute":
            row = RowFacts(**{**row.__dict__, **execute})
        out.append(row)
    return tuple(out)


def gate(stage: str, verdict: str, time: str, seq: int = 1, **kw: object) -> GateFact:
    return GateFact(stage, verdict, time, f"W/h/{seq:06d}", **kw)  # type: ignore[arg-type]


PAUSED = gate(
    "execute",
    "pause",
    "2026-03-02T10:00:00.000000Z",
    2,
    reason="nothing ready for execute",
    gaps=(GapFact("P1", "WRK-20 execute: no ready machine (ace-win-1: down)", ("assign x",)),),
)


def queue() -> list[ItemFacts]:
    return [
        ItemFacts(
            "q/WRK-100.md", "WRK-100", "legacy", "done", derived=True, rows=rows(explicit=False)
        ),
        ItemFacts(
            "q/WRK-20.md",
            "WRK-20",
            "paused",
            "working",
            rows=rows(assigned=("ace-win-1",), fallback=("ace-win-2",)),
            gates=(gate("execute", "pass", "2026-03-01T09:00:00.000000Z", 1), PAUSED),
        ),
        ItemFacts(
            "q/WRK-3.md",
            "WRK-3",
            None,
            None,
            errors=(IssueFact("stage_assignments", "expected a mapping", 4),),
        ),
        ItemFacts(
            "q/WRK-9.md",
            "WRK-9",
            "<script>alert(1)</script>",
            "pending",
            errors=(
                IssueFact(
                    "computer",
                    "unknown machine 'nosuch' (not in the inventory)",
                    unknown_machine="nosuch",
                ),
            ),
            rows=rows(on="nosuch"),
        ),
        ItemFacts(
            "q/WRK-1.md",
            "WRK-1",
            "failed",
            "pending",
            rows=rows(group="ai_capable", assigned=()),
            gates=(gate("claim", "fail", "2026-03-01T08:00:00.000000Z", reason="policy"),),
        ),
    ]


HOSTS = [
    HostFact("dev-primary"),
    HostFact("ace-win-1", licensed=True),
    HostFact("ace-win-2", "drained", "repairs", licensed=True),
]


def test_gaps_p1_first_then_fail_errors_unknown_machines_derived() -> None:
    report = build_report(queue(), HOSTS)
    kinds = [g.kind for g in report.gaps]
    assert kinds == ["p1", "fail", "error", "unknown-machine", "derived"]
    assert [g.rank for g in report.gaps] == sorted(g.rank for g in report.gaps)
    p1 = report.gaps[0]
    assert (p1.wrk_id, p1.stage, p1.proposals) == ("WRK-20", "execute", ("assign x",))
    assert p1.summary == "no ready machine (ace-win-1: down)"  # the page shows WRK and stage
    assert p1.anchor == "wrk-WRK-20"
    assert report.gaps[-1].proposals == ("wrk contract migrate q/WRK-100.md",)


def test_gaps_of_one_kind_sort_by_wrk_number() -> None:
    items = [
        ItemFacts(f"q/WRK-{n}.md", f"WRK-{n}", derived=True, rows=rows(explicit=False))
        for n in (100, 9, 20)
    ]
    assert [g.wrk_id for g in build_report(items, None).gaps] == ["WRK-9", "WRK-20", "WRK-100"]


def test_only_the_latest_gate_counts() -> None:
    assert latest_gates([PAUSED, gate("execute", "pass", "2026-03-01T00:00:00.000000Z")]) == {
        "execute": PAUSED
    }
    later = gate("execute", "pass", "2026-03-03T00:00:00.000000Z", 3)
    item = ItemFacts("q/WRK-20.md", "WRK-20", rows=rows(), gates=(PAUSED, later))
    report = build_report([item], HOSTS)
    assert not report.gaps  # the pause was superseded by a pass
    execute = report.items[0].rows[STAGE_IDS.index("execute")]
    assert (execute.state, execute.label, execute.when) == ("pass", "pass", "2026-03-03 00:00Z")


def test_every_item_has_seven_rows_in_matrix_order() -> None:
    report = build_report(queue(), HOSTS)
    for item in report.items:
        assert [r.stage for r in item.rows] == list(STAGE_IDS)
    invalid = next(i for i in report.items if i.wrk_id == "WRK-3")
    assert not invalid.valid
    assert {r.state for r in invalid.rows} == {"not-run"}
    assert invalid.errors == ("stage_assignments (line 4): expected a mapping",)


def test_items_in_natural_wrk_order_with_states() -> None:
    report = build_report(queue(), HOSTS)
    assert [i.wrk_id for i in report.items] == ["WRK-1", "WRK-3", "WRK-9", "WRK-20", "WRK-100"]
    assert [i.order for i in report.items] == [0, 1, 2, 3, 4]
    by_id = {i.wrk_id: i for i in report.items}
    assert by_id["WRK-20"].worst == "pause"
    assert by_id["WRK-20"].states == ("pause", "not-run")
    assert by_id["WRK-1"].worst == "fail"
    assert by_id["WRK-100"].worst == "not-run"
    assert by_id["WRK-20"].machines == ("dev-primary", "ace-win-1", "ace-win-2")
    assert by_id["WRK-20"].gaps == 1


def test_derived_flags() -> None:
    report = build_report(queue(), HOSTS)
    by_id = {i.wrk_id: i for i in report.items}
    legacy = by_id["WRK-100"]
    assert legacy.derived
    assert all(r.derived for r in legacy.rows)
    assert not any(r.derived for r in by_id["WRK-20"].rows)


def test_counts_per_status_and_verdict() -> None:
    report = build_report(queue(), HOSTS)
    assert report.statuses == (("pending", 2), ("working", 1), ("done", 1), ("(none)", 1))
    verdicts = dict(report.verdicts)
    assert verdicts == {"fail": 1, "pause": 1, "fallback": 0, "not-run": 33, "pass": 0}
    assert sum(verdicts.values()) == 7 * len(report.items)
    assert report.error_items == 2


def test_load_matrix_per_machine_and_row() -> None:
    report = build_report(queue(), HOSTS)
    loads = {m.name: m for m in report.machines}
    assert [m.name for m in report.machines] == [
        "dev-primary",
        "ace-win-1",
        "ace-win-2",
        "nosuch",
        "any of ai_capable",
    ]
    execute = STAGE_IDS.index("execute")
    primary = loads["dev-primary"]
    # WRK-100 all seven rows, WRK-20 and WRK-1 all but execute
    assert primary.per_stage[execute] == 1
    assert primary.rows == 19
    assert primary.items == 3
    assert loads["ace-win-1"].per_stage[execute] == 1
    assert loads["ace-win-1"].note == "licensed"
    assert (loads["ace-win-2"].fallback, loads["ace-win-2"].rows, loads["ace-win-2"].items) == (
        1,
        0,
        1,
    )
    assert loads["ace-win-2"].state == "drained"
    assert loads["ace-win-2"].note == "licensed; repairs"
    assert (loads["nosuch"].kind, loads["nosuch"].state, loads["nosuch"].rows) == (
        "unknown",
        "unknown",
        7,
    )
    assert loads["any of ai_capable"].kind == "group"
    assert loads["any of ai_capable"].per_stage[execute] == 1


def test_chain_and_handoffs() -> None:
    handoff = HandoffFact("W/h/000002", "2026-03-01T10:00:00.0Z", "a", "b", "execute", 2, "n")
    items = [
        ItemFacts("a.md", "WRK-1", rows=rows(), chain=ChainFact(2, 5, 5), handoffs=(handoff,)),
        ItemFacts("b.md", "WRK-2", rows=rows(), chain=ChainFact(1, 2, 0, ("W/h/000001: edited",))),
        ItemFacts("c.md", "WRK-3", rows=rows()),
    ]
    ok, broken, none = build_report(items, None).items
    assert (ok.chain_state, broken.chain_state, none.chain_state) == ("ok", "broken", "none")
    assert "5 record(s) in 2 chain(s), 5 signed" in ok.chain_text
    assert broken.chain_text == "W/h/000001: edited"
    assert ok.handoffs == ("2026-03-01 10:00Z a -> b for execute, 2 artifact(s): n (W/h/000002)",)


def test_duplicate_and_hostile_ids_get_unique_safe_anchors() -> None:
    items = [ItemFacts(f"{d}/WRK-1.md", "WRK-1", rows=rows()) for d in "ab"]
    items.append(ItemFacts("c.md", '"><x y="', rows=rows()))
    anchors = [i.anchor for i in build_report(items, None).items]
    assert len(set(anchors)) == 3
    assert all(a.replace("-", "").replace("_", "").isalnum() for a in anchors)


def test_no_inventory_is_said() -> None:
    report = build_report(queue(), None)
    assert any("no inventory" in n for n in report.notes)
    loads = [(m.name, m.kind, m.state) for m in report.machines]
    # as first met in WRK order (WRK-1, WRK-3, WRK-9, WRK-20, ...): nothing to check them against
    assert loads == [
        ("dev-primary", "unchecked", "unchecked"),
        ("nosuch", "unchecked", "unchecked"),
        ("ace-win-1", "unchecked", "unchecked"),
        ("ace-win-2", "unchecked", "unchecked"),
        ("any of ai_capable", "group", "-"),
    ]


def _impact(wrk: str, stage: str, after: str) -> RowImpact:
    before = Forecast("pass", ("h",), (), "", (), ())
    return RowImpact(
        wrk, f"q/{wrk}.md", None, stage, ("h",), before, Forecast(after, (), (), "", (), ())
    )


def test_capacity_worst_scenario_first_and_rows_worst_first() -> None:
    mild = Scenario(("mild",), (_impact("WRK-1", "execute", "fallback"),), 2)
    many = tuple(_impact(f"WRK-{n}", "close", "pass") for n in range(IMPACTS_SHOWN + 5))
    bad = Scenario(("bad",), (*many, _impact("WRK-7", "claim", "pause")), 2)
    report = build_report(queue(), HOSTS, [mild, bad])
    first, second = report.capacity
    assert (first.drained, second.drained) == ("bad", "mild")
    assert first.impacts[0].after == "pause"
    assert len(first.impacts) == IMPACTS_SHOWN
    assert first.more == 6
    assert dict(first.counts) == {"fail": 0, "pause": 1, "fallback": 0, "pass": IMPACTS_SHOWN + 5}
    assert first.stops == 1


def test_short_time() -> None:
    assert short_time("2026-03-19T12:34:56.789Z") == "2026-03-19 12:34Z"
    assert short_time("yesterday") == "yesterday"
    assert short_time(None) is None


def test_the_template_escapes_what_the_data_keeps() -> None:
    report = build_report(queue(), HOSTS)
    assert next(i for i in report.items if i.wrk_id == "WRK-9").title == "<script>alert(1)</script>"
    html = render(report)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert html.count("<script>") == 1  # the page's own
    # an item whose contract could not be built draws no placeholder rows
    assert html.count('<tr data-stage="') == 7 * sum(i.has_rows for i in report.items)
    for external in ("http://", "https://", "src=", "@import", "url("):
        assert external not in html, external


def test_a_gate_gap_shared_by_two_files_of_one_wrk_is_listed_once() -> None:
    items = [
        ItemFacts(f"{d}/WRK-20.md", "WRK-20", rows=rows(), gates=(PAUSED,)) for d in ("a", "b")
    ]
    report = build_report(items, HOSTS)
    assert [(g.kind, g.anchor) for g in report.gaps] == [("p1", "wrk-WRK-20")]
    assert [i.gaps for i in report.items] == [1, 1]


def test_equal_ungated_rows_share_one_view_and_gated_rows_keep_their_own() -> None:
    """Rows no gate ran for are drawn once per distinct row; each item's view is what it is
    drawn alone (a gated row carries its own verdict)."""
    from wrk_ansible.report.data import RowView, item_view

    items = [ItemFacts(f"q/WRK-{n}.md", f"WRK-{n}", "t", "pending", rows=rows()) for n in (1, 2)]
    gated = ItemFacts(
        "q/WRK-3.md",
        "WRK-3",
        "t",
        "working",
        rows=rows(),
        gates=(gate("execute", "pass", "2026-03-01T09:00:00.000000Z"),),
    )
    shared: dict[RowFacts, RowView] = {}
    views = [item_view(i, f"a{n}", shared) for n, i in enumerate([*items, gated])]
    assert views == [item_view(i, f"a{n}") for n, i in enumerate([*items, gated])]
    first, second, third = (v.rows for v in views)
    assert all(a is b for a, b in zip(first, second, strict=True))  # one view per row
    execute = STAGE_IDS.index("execute")
    assert third[execute].state == "pass"
    assert first[execute].state == "not-run"
    assert third[execute] is not first[execute]
    assert len(shared) == len(STAGE_IDS)
