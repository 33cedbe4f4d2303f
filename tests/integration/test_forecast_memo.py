"""Equal rows decided once (``whatif.Memo``) change no forecast.

A queue of the examples and the team's work-queue fixtures, each copied under new ids (copies
differ only in their id, as template-filled rows do), with gate records and a handoff written
by the real ledger, over the examples' real inventory: every row's forecast over the registry
as it is and with each used host drained is the same with the memo as without it, word for
word (the texts naming the item included), and the memo did share decisions.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from wrk_ansible.decision.verdict import Decision, for_item
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.names import check_against
from wrk_ansible.placement import placed
from wrk_ansible.registry.inventory import load_registry
from wrk_ansible.report.build import forecast_inputs
from wrk_ansible.report.collect import collect, used_hosts
from wrk_ansible.report.whatif import Baseline, DrainedView, Memo, forecast, what_if

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "examples" / "inventory"
SAMPLES = sorted(
    [*(REPO / "tests" / "fixtures" / "work-queue").rglob("WRK-*.md"), *REPO.glob("examples/W*.md")]
)


def _queue(folder: Path, ledger: Ledger, copies: int) -> list[Path]:
    paths = []
    for n, sample in enumerate(s for s in SAMPLES for _ in range(copies)):
        wrk = f"WRK-{20000 + n}"
        text = sample.read_text(encoding="utf-8")
        text = re.sub(r"^id: .*$", f"id: {wrk}", text, count=1, flags=re.M)
        path = folder / f"{wrk}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        if n % 3 == 0:
            body = {"stage": "execute", "verdict": "pass", "reason": "t", "gaps": []}
            ledger.append(wrk, "dev-primary", "gate", {**body, "for_hosts": ["dev-primary"]})
        if n % 7 == 0:
            body = {"from": "dev-primary", "to": "ace-win-1", "for_stage": "execute"}
            ledger.append(wrk, "dev-primary", "handoff", {**body, "artifacts": []})
    return paths


def test_memo_changes_no_forecast(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "evidence")
    queue = tmp_path / "queue"
    queue.mkdir()
    registry = load_registry(str(INVENTORY))
    view = placed(registry, None, None)
    checked = [(check_against(str(p), view), None) for p in _queue(queue, ledger, 3)]
    found = collect(checked, view, ledger)
    assert len(found.contracts) == 3 * len(SAMPLES) >= 30
    memo = Memo()
    cached = replace(forecast_inputs(registry, ledger), memo=memo)
    fresh = replace(forecast_inputs(registry, ledger), memo=None)
    used = used_hosts(registry, Baseline(found.contracts, view, fresh).candidates)
    views = [view, *(DrainedView(view, [h]) for h in used)]
    assert len(views) >= 3
    compared = paused = 0
    for hosts in views:
        for contract in found.contracts:
            for row in contract.stages:
                got = forecast(contract, row, hosts, cached)
                assert got == forecast(contract, row, hosts, fresh), (contract.wrk_id, row.stage)
                assert contract.wrk_id in "".join(got.proposals) or got.verdict != "pause"
                compared += 1
                paused += got.verdict == "pause"
    assert paused > 0  # rows whose texts name the item were compared too
    assert 0 < memo.decided < compared // 2, (compared, memo.decided)
    for host in used:
        with_memo = what_if(found.contracts, view, [host], cached).as_dict()
        assert with_memo == what_if(found.contracts, view, [host], fresh).as_dict()


def test_for_item_words_a_decision_for_another_item(tmp_path: Path) -> None:
    """The decision made for one item, worded for a copy, is the copy's own decision."""
    from wrk_ansible.decision.verdict import RowInputs, decide
    from wrk_ansible.names import row_scope

    registry = load_registry(str(INVENTORY))
    view = DrainedView(placed(registry, None, None), registry.names)  # nothing is ready
    result = check_against(str(REPO / "examples" / "WRK-640.md"), view)
    assert result.contract is not None
    row = result.contract.stage("execute")

    def decided(wrk: str) -> Decision:
        scope = row_scope(row, view)
        return decide(RowInputs(wrk=wrk, row=row, scope=scope, hosts=view, readiness={}))

    made = decided("WRK-1")
    assert made.verdict.value == "pause"
    assert "WRK-1" in made.gaps[0].summary
    assert for_item(made, row, "WRK-2") == decided("WRK-2")
    assert for_item(made, row, "WRK-1") is made


def test_a_scenario_visits_every_row_that_loses_a_machine(tmp_path: Path) -> None:
    """The baseline's index of rows by host leaves out no row: each host drained alone and all
    used hosts together give the impacts a walk over every row of the queue gives, and the
    candidates are every host some row's scope holds."""
    from wrk_ansible.names import row_scope

    ledger = Ledger(tmp_path / "evidence")
    queue = tmp_path / "queue"
    queue.mkdir()
    registry = load_registry(str(INVENTORY))
    view = placed(registry, None, None)
    checked = [(check_against(str(p), view), None) for p in _queue(queue, ledger, 2)]
    contracts = collect(checked, view, ledger).contracts
    inputs = replace(forecast_inputs(registry, ledger), memo=None)
    baseline = Baseline(contracts, view, inputs)
    scopes = [(c, row, row_scope(row, view)) for c in contracts for row in c.stages]
    assert baseline.candidates == {h for _, _, s in scopes for h in (*s.assigned, *s.fallback)}
    used = used_hosts(registry, baseline.candidates)
    assert len(used) >= 3
    drained_sets = [[host] for host in used] + [used]
    compared = 0
    for drained in drained_sets:
        got = what_if(contracts, view, drained, inputs, baseline=baseline)
        walked = []
        for contract, row, scope in scopes:
            before = forecast(contract, row, view, inputs)
            # a host the row names as a slot, or ran on (a named fallback is no loss)
            ran = {*(h for h in scope.assigned if h in scope.named), *before.hosts}
            lost = tuple(sorted(ran.intersection(drained)))
            if lost:
                after = forecast(contract, row, DrainedView(view, drained), inputs)
                walked.append((contract.path, row.stage, lost, before, after))
        assert [(i.path, i.stage, i.lost, i.before, i.after) for i in got.impacts] == walked
        compared += len(walked)
    assert compared > 0
    with pytest.raises(ValueError, match="another queue"):
        what_if(contracts[1:], view, used[:1], inputs, baseline=baseline)


def test_equal_rows_share_their_facts_and_the_facts_are_each_rows_own(tmp_path: Path) -> None:
    """``collect`` makes a row's facts once per distinct row: every item's facts are what
    :func:`row_facts` makes of its rows, and copies share them."""
    from wrk_ansible.report.collect import row_facts

    ledger = Ledger(tmp_path / "evidence")
    queue = tmp_path / "queue"
    queue.mkdir()
    view = placed(load_registry(str(INVENTORY)), None, None)
    checked = [(check_against(str(p), view), None) for p in _queue(queue, ledger, 2)]
    found = collect(checked, view, ledger)
    made = 0
    for (result, _), item in zip(checked, found.items, strict=True):
        if result.contract is None:
            assert item.rows == ()
            continue
        assert item.rows == tuple(row_facts(r, view) for r in result.contract.stages)
        made += len(item.rows)
    shared = {id(r) for item in found.items for r in item.rows}
    assert 0 < len(shared) < made // 2, (len(shared), made)
