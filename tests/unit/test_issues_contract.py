"""An issue -> the same ValidationResult and Contract a WRK file yields; the ```wrk block."""

from __future__ import annotations

from dataclasses import replace

import pytest
from _issuekit import april_issue, everything, july_issue, made, rules, team_registry
from hypothesis import given, settings
from hypothesis import strategies as st

from wrk_ansible.contract.stages import STAGE_IDS
from wrk_ansible.issues.block import MAX_BLOCK_BYTES, parse_block
from wrk_ansible.issues.contract import check_issue

_TEAM = __import__("_gatekit").TEAM_MATRIX
DM = "vamseeachanta/digitalmodel"
WH = "vamseeachanta/workspace-hub"


def _check(item, **options):  # type: ignore[no-untyped-def]
    return check_issue(item, rules(), directory=team_registry(), matrix=_TEAM, **options)


def test_every_real_issue_loads_to_a_contract_or_an_error_naming_issue_and_labels() -> None:
    valid = invalid = 0
    for item in everything():
        checked = _check(item)
        result = checked.result
        assert result.wrk_id == str(item.ref) == result.path
        if result.valid:
            valid += 1
            assert result.contract is not None
            assert result.contract.wrk_id == str(item.ref)
            assert [row.stage for row in result.contract.stages] == list(STAGE_IDS)
        else:
            invalid += 1
            for error in result.errors:
                assert any(
                    label in error.message or label in (error.field or "") for label in item.labels
                )
    # The ten contradictions of the July export and April's machine:home-win.
    assert (valid, invalid) == (220 - 11, 11)


def test_a_labelled_issue_is_a_derived_contract_with_origins() -> None:
    checked = _check(july_issue(f"{DM}#1633"))
    contract = checked.result.contract
    assert contract is not None
    assert checked.result.valid
    assert contract.derived
    assert checked.host == "ace-win-1"  # licensed-win-1 is an alias of the inventory's ace-win-1
    execute = contract.stage("execute")
    assert execute.assignment.workstations == ("ace-win-1",)
    assert execute.assignment.primary == "codex"
    assert execute.origin["workstations"] == "rule 2"
    assert execute.origin["primary"] == "label lane:codex"
    assert contract.status == "needs-plan"
    assert contract.title
    # Rows labels do not give come from the team's matrix.
    assert contract.stage("plan_draft").assignment.primary == "codex"
    assert contract.stage("plan_draft").origin["primary"] == "template"


def test_the_owner_runs_claim_and_close() -> None:
    contract = _check(july_issue(f"{WH}#1867")).result.contract
    assert contract is not None
    for stage in ("claim", "close"):
        row = contract.stage(stage)
        assert row.assignment.primary == "codex"
        assert row.origin["primary"] == "label agent:codex"
    assert contract.stage("execute").assignment.primary == "claude"


@pytest.mark.parametrize(
    ("item", "host"),
    [
        (july_issue(f"{WH}#2754"), "dev-primary"),  # machine:ace-linux-1, an inventory alias
        (july_issue(f"{WH}#2709"), "ace-win-1"),  # machine:ace-win-1, the host's own name
        (july_issue(f"{WH}#2757"), "ace-win-2"),  # machine:ace-win-2
        (april_issue(1264), "ace-win-1"),  # machine:licensed-win-1, the alias
        (july_issue(f"{WH}#3499"), "dev-primary"),  # rule 4's dev-primary
    ],
)
def test_machines_resolve_to_the_inventory_host(item, host) -> None:  # type: ignore[no-untyped-def]
    checked = _check(item)
    assert checked.result.valid
    assert checked.host == host
    assert checked.result.contract
    assert checked.result.contract.stage("execute").assignment.workstations == (host,)


def test_cfd_dedicated_finds_gpu_claw_by_its_roster_hostname() -> None:
    real = july_issue(f"{DM}#1517")  # domain:cfd; its two lanes are a contradiction
    assert _check(real).host == "gpu-claw"
    assert not _check(real).result.valid
    one_lane = replace(real, labels=tuple(x for x in real.labels if x != "lane:claude"))
    checked = _check(one_lane)
    assert checked.result.valid
    assert checked.host == "gpu-claw"
    execute = checked.result.contract.stage("execute")  # type: ignore[union-attr]
    assert execute.origin["workstations"] == "rule 3"


def test_an_unknown_machine_names_the_label() -> None:
    result = _check(april_issue(1507)).result  # machine:home-win; the inventory has no such host
    assert not result.valid
    (error,) = result.errors
    assert error.field == "label machine:home-win"
    assert error.message.startswith("unknown machine 'home-win' (not in the inventory)")


def test_without_an_inventory_names_are_not_checked() -> None:
    checked = check_issue(april_issue(1507), rules())
    assert checked.result.valid
    assert checked.host is None
    assert checked.result.contract.stage("execute").assignment.workstations == ("home-win",)  # type: ignore[union-attr]


def test_skipped_issues_still_have_a_contract_and_say_why() -> None:
    result = _check(july_issue(f"{DM}#531")).result  # closed
    assert result.valid
    assert result.contract is not None
    assert any(
        w.message == "not routable: closed: not in routable_states (open)" for w in result.warnings
    )


def test_machine_multi_without_a_block_asks_for_one() -> None:
    result = _check(july_issue(f"{WH}#3524")).result
    assert result.valid
    assert result.contract is not None
    assert result.contract.stage("execute").assignment.workstations is None
    assert any(
        "come from a ```wrk block" in w.message and w.field == "label machine:multi"
        for w in result.warnings
    )


BLOCK = """Some text.

```wrk
stage_assignments:
  execute:
    workstations: [dev-primary, gpu-claw]
    parallel: true
machine_capability_requirements:
  execute:
    tools: [git, {name: python3, min_version: '3.10'}]
handoff_evidence_ref: .wrk/evidence/gh.vamseeachanta.workspace-hub.3524
```
More text.
"""


def test_a_block_gives_a_multi_machine_item_its_machines() -> None:
    item = replace(july_issue(f"{WH}#3524"), body=BLOCK)
    result = _check(item).result
    assert result.valid, result.errors
    contract = result.contract
    assert contract is not None
    assert not contract.derived
    assert contract.source == "wrk block"
    execute = contract.stage("execute")
    assert execute.assignment.workstations == ("dev-primary", "gpu-claw")
    assert execute.origin["workstations"] == "wrk block"
    # The block gives no agent: the labels' provider fills it.
    assert execute.assignment.primary == "codex"
    assert execute.origin["primary"] == "label lane:codex"
    assert [t.name for t in execute.requirements.tools] == ["git", "python3"]
    assert not [w for w in result.warnings if "wrk block" in (w.field or "")]


def test_machine_dev_primary_with_a_block_of_requirements_only() -> None:
    body = "```wrk\nmachine_capability_requirements:\n  execute: {tools: [git]}\n```\n"
    item = replace(july_issue(f"{WH}#1867"), body=body)
    result = _check(item).result
    assert result.valid
    assert result.contract is not None
    execute = result.contract.stage("execute")
    assert execute.assignment.workstations == ("dev-primary",)
    assert execute.origin["workstations"] == "label machine:dev-primary"
    assert [t.name for t in execute.requirements.tools] == ["git"]


def test_a_block_contradicting_a_label_is_a_warning_naming_both_and_the_block_wins() -> None:
    body = (
        "```wrk\nstage_assignments:\n"
        "  execute: {workstations: [licensed-win-1], primary: codex}\n```\n"
    )
    item = replace(july_issue(f"{WH}#1867"), body=body)  # machine:dev-primary, lane:claude
    result = _check(item).result
    assert result.valid
    messages = {w.field: w.message for w in result.warnings}
    assert messages["wrk block: stage_assignments.execute.workstations"] == (
        "the wrk block says [licensed-win-1] but label machine:dev-primary says otherwise; "
        "the block wins"
    )
    assert messages["wrk block: stage_assignments.execute.primary"] == (
        "the wrk block says codex but label lane:claude says otherwise; the block wins"
    )
    assert result.contract
    assert result.contract.stage("execute").assignment.workstations == ("licensed-win-1",)


def test_a_block_naming_the_labelled_machine_by_an_alias_agrees() -> None:
    body = "```wrk\nstage_assignments:\n  execute: {workstations: [ace-linux-1]}\n```\n"
    result = _check(replace(july_issue(f"{WH}#1867"), body=body)).result
    assert result.valid
    assert not [w for w in result.warnings if "wrk block" in (w.field or "")]


@pytest.mark.parametrize(
    ("body", "field", "message", "line"),
    [
        (
            "x\n```wrk\nstage_assignments:\n"
            '  execute: {workstations: [\'{{ lookup("pipe", "id") }}\']}\n```\n',
            "wrk block",
            "looks like a Jinja template",
            4,
        ),
        (
            "```wrk\ncommand: rm -rf /\n```\n",
            "wrk block: command",
            "unknown key 'command'; a wrk block holds stage_assignments",
            2,
        ),
        (
            "```wrk\nstage_assignments: {deploy: {}}\n```\n",
            "wrk block: stage_assignments",
            "unknown stage 'deploy'",
            2,
        ),
        (
            "```wrk\nstage_assignments:\n  execute: {gates: [rm-rf]}\n```\n",
            "stage_assignments.execute.gates",
            "unknown gate 'rm-rf'",
            None,
        ),
        (
            "```wrk\nstage_assignments: {execute: {}}\n```\n```wrk\n{}\n```\n",
            "wrk block",
            "the body holds 2 ```wrk blocks (lines 1, 4)",
            4,
        ),
        ("text\n```wrk\nstage_assignments: {}\n", "wrk block", "the ```wrk block is not closed", 2),
        ("```wrk\na: &x [1]\nb: *x\n```\n", "wrk block", "YAML aliases are not allowed", 2),
        ("```wrk\n- just a list\n```\n", "wrk block", "expected a mapping", 1),
        (
            "```wrk\nhandoff_evidence_ref: a\nhandoff_evidence_ref: b\n```\n",
            "wrk block: handoff_evidence_ref",
            "given twice (lines 2 and 3)",
            3,
        ),
        ("```wrk\nstage_assignments: [\n```\n", "wrk block", "invalid YAML", None),
        (
            "```wrk\n" + "x: " + "a" * MAX_BLOCK_BYTES + "\n```\n",
            "wrk block",
            "larger than the 64 KiB limit",
            1,
        ),
    ],
)
def test_a_broken_block_is_an_error_with_its_body_line(
    body: str, field: str, message: str, line: int | None
) -> None:
    result = _check(made(["machine:dev-primary"], body=body)).result
    assert not result.valid
    error = result.errors[0]
    assert error.field == field, error
    assert message in error.message, error
    if line is not None:
        assert error.line == line


def test_blocks_in_other_fences_are_not_wrk_blocks() -> None:
    assert parse_block("```yaml\nstage_assignments: {}\n```\n```wrkx\n{}\n```\n") is None
    assert parse_block("") is None
    empty = parse_block("```wrk\n```\n")
    assert empty is not None
    assert empty.contract is not None
    assert not empty.errors


def test_a_block_agent_contradicting_the_owner() -> None:
    body = "```wrk\nstage_assignments:\n  close: {primary: claude}\n```\n"
    result = _check(replace(july_issue(f"{WH}#1867"), body=body)).result  # agent:codex
    assert any(
        w.field == "wrk block: stage_assignments.close.primary" and "label agent:codex" in w.message
        for w in result.warnings
    )
    claim = result.contract.stage("claim")  # type: ignore[union-attr]
    assert claim.assignment.primary == "codex"


_LABEL = st.builds(
    lambda p, v: p + v,
    st.sampled_from(["machine:", "lane:", "agent:", "ai:", "status:", "needs:", "domain:", "x"]),
    st.one_of(
        st.sampled_from(["dev-primary", "multi", "home-win", "gpu-claw", "cfd", "hydro"]),
        st.text(max_size=10),
    ),
)
_BODY = st.one_of(
    st.just(""),
    st.builds(lambda t: f"```wrk\n{t}\n```\n", st.text(max_size=80)),
    st.builds(
        lambda ws: f"```wrk\nstage_assignments:\n  execute: {{workstations: [{ws}]}}\n```\n",
        st.text(alphabet="abcdefgh-{}[]:,'\" ", max_size=20),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LABEL, max_size=8), _BODY, st.sampled_from(["OPEN", "CLOSED"]))
def test_any_issue_is_a_contract_or_domain_errors_never_an_exception(
    labels: list[str], body: str, state: str
) -> None:
    result = _check(made(labels, body=body, state=state)).result
    assert result.valid == (not result.errors)
    if result.valid:
        assert result.contract is not None
