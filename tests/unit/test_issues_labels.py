"""Labels + the rules file -> machine, provider and owner, with who chose each.

The pinned expectations are worked out by hand from the text of routing-rules-2026-08.yaml,
not from this code's output: its rules are, in order,
  1. {repo: vamseeachanta/digitalmodel, domain_family: solver} -> licensed-win-1
  2. {repo: vamseeachanta/digitalmodel, domain_family: hydro}  -> licensed-win-1
  3. {gh_label: "domain:cfd"}                                  -> cfd-dedicated
  4. {}                                                        -> dev-primary (machine only)
none of them assigns a provider, defaults.provider is claude, machine_aliases folds
ace-linux-1 -> dev-primary, and skip_if_labeled is wip, blocked, status:plan-review.
"""

from __future__ import annotations

import pytest
from _issuekit import RULES_FILE, april_issue, everything, july, july_issue, made, rules
from hypothesis import given, settings
from hypothesis import strategies as st

from wrk_ansible.issues.labels import route
from wrk_ansible.issues.rules import parse_rules

DM = "vamseeachanta/digitalmodel"
WH = "vamseeachanta/workspace-hub"
WED = "vamseeachanta/worldenergydata"

# (ref, machine, machine_by, provider, provider_by): each with why.
PINNED = [
    # domain:hydro, lane:codex. No machine: label. Rule 1 wants the solver family: hydro is not
    # solver nor solver-*. Rule 2: digitalmodel and hydro itself -> licensed-win-1. No ai:, rule
    # 2 names no provider, so lane:codex.
    (f"{DM}#1633", "licensed-win-1", "rule 2", "codex", "lane"),
    # domain:hydro only: rule 2 as above; no ai:, no provider in the rule, no lane: the default.
    (f"{DM}#328", "licensed-win-1", "rule 2", "claude", "default"),
    # machine:licensed-win-1 (rule 1 would match domain:solver too, but the label comes first);
    # lane:codex.
    (f"{DM}#157", "licensed-win-1", "label", "codex", "lane"),
    # domain:subsea, lane:codex: subsea is neither solver nor hydro family, no domain:cfd label,
    # so the catch-all rule 4 (a rule, not the default) -> dev-primary; lane:codex.
    (f"{DM}#1642", "dev-primary", "rule 4", "codex", "lane"),
    # domain:cfd with lane:codex AND lane:claude: rules 1-2 fail (cfd is no solver/hydro), rule 3
    # matches the label domain:cfd -> cfd-dedicated. The lane contradiction leaves no provider.
    (f"{DM}#1517", "cfd-dedicated", "rule 3", None, None),
    # machine:ace-linux-1 is folded by machine_aliases to dev-primary; lane:claude.
    (f"{WH}#2754", "dev-primary", "label", "claude", "lane"),
    # machine:ace-win-1: not a roster name nor an alias key, kept as written; lane:codex.
    (f"{WH}#2709", "ace-win-1", "label", "codex", "lane"),
    # domain:workstations in workspace-hub: rules 1-2 need the digitalmodel repo, rule 3 needs
    # domain:cfd: rule 4. Nothing names a provider: the default.
    (f"{WH}#3499", "dev-primary", "rule 4", "claude", "default"),
    # machine:dev-primary, lane:claude (agent:codex owns it, it is no provider source).
    (f"{WH}#1867", "dev-primary", "label", "claude", "lane"),
    # domain:subsea in worldenergydata: rules 1-2 are digitalmodel-only, no cfd: rule 4; default.
    (f"{WED}#742", "dev-primary", "rule 4", "claude", "default"),
    # machine:multi (a multi-machine item), lane:codex.
    (f"{WH}#3524", "multi", "label", "codex", "lane"),
    # Two status: labels (a contradiction), lane:claude; machine from rule 4.
    (f"{WH}#3067", "dev-primary", "rule 4", "claude", "lane"),
]
# The April export (workspace-hub, no state: open).
PINNED_APRIL = [
    # machine:licensed-win-1; no lane:, no ai: -> the default provider.
    (1264, "licensed-win-1", "label", "claude", "default"),
    # domain:agent-ux, agent:codex: no machine label, no rule but 4; agent: is the owner, not a
    # provider: the default.
    (12, "dev-primary", "rule 4", "claude", "default"),
    # machine:home-win: a roster machine (the inventory lacks it, see the contract tests).
    (1507, "home-win", "label", "claude", "default"),
]


@pytest.mark.parametrize(("ref", "machine", "machine_by", "provider", "provider_by"), PINNED)
def test_real_issues_route_as_the_rules_file_says(
    ref: str, machine: str, machine_by: str, provider: str | None, provider_by: str | None
) -> None:
    decision = route(july_issue(ref), rules())
    assert decision.machine is not None
    assert (decision.machine.value, decision.machine.by) == (machine, machine_by)
    got = (decision.provider.value, decision.provider.by) if decision.provider else (None, None)
    assert got == (provider, provider_by)


@pytest.mark.parametrize(
    ("number", "machine", "machine_by", "provider", "provider_by"), PINNED_APRIL
)
def test_real_april_issues_route_as_the_rules_file_says(
    number: int, machine: str, machine_by: str, provider: str, provider_by: str
) -> None:
    decision = route(april_issue(number), rules())
    assert decision.machine
    assert (decision.machine.value, decision.machine.by) == (
        machine,
        machine_by,
    )
    assert decision.provider
    assert (decision.provider.value, decision.provider.by) == (
        provider,
        provider_by,
    )


def test_origins_and_reasons_name_the_label_or_rule() -> None:
    hydro = route(july_issue(f"{DM}#1633"), rules())
    assert hydro.machine
    assert hydro.machine.origin == "rule 2"
    assert hydro.machine.reason
    assert hydro.machine.reason.startswith("RAO/QTF/seakeeping")
    assert hydro.provider
    assert hydro.provider.origin == "label lane:codex"
    folded = route(july_issue(f"{WH}#2754"), rules())
    assert folded.machine
    assert folded.machine.origin == "label machine:ace-linux-1"
    assert folded.machine.written == "ace-linux-1"
    owned = route(july_issue(f"{WH}#1867"), rules())
    assert owned.owner
    assert (owned.owner.value, owned.owner.origin) == ("codex", "label agent:codex")


# Every real single-axis contradiction of the July export (the README: ten issues).
CONTRADICTIONS = {
    f"{DM}#1247": [("status:plan-approved", "status:needs-plan"), ("lane:codex", "lane:claude")],
    f"{DM}#1299": [("status:working", "status:plan-approved"), ("lane:codex", "lane:claude")],
    f"{DM}#1517": [("lane:codex", "lane:claude")],
    f"{WH}#2327": [("status:working", "status:plan-approved")],
    f"{WH}#2702": [("status:blocked", "status:plan-approved")],
    f"{WH}#2889": [
        ("status:plan-approved", "status:completeness-verified"),
        ("agent:claude", "agent:codex"),
    ],
    f"{WH}#3067": [("status:plan-review", "status:plan-approved")],
    f"{WH}#3074": [("status:plan-review", "status:plan-approved")],
    f"{WH}#3205": [("status:plan-review", "status:plan-approved")],
    f"{WH}#3214": [("status:plan-review", "status:plan-approved")],
}


def test_every_real_contradiction_is_reported_even_on_skipped_issues() -> None:
    found = {}
    for item in everything():
        decision = route(item, rules())
        if decision.contradictions:
            found[str(item.ref)] = sorted(c.labels for c in decision.contradictions)
            assert not decision.routable
            for c in decision.contradictions:
                assert all(label in c.message for label in c.labels)
    assert found == {ref: sorted(pairs) for ref, pairs in CONTRADICTIONS.items()}
    # Four of the ten are closed or carry a skip label: still reported.
    closed = route(july_issue(f"{WH}#2702"), rules())
    assert closed.skipped[0] == "closed: not in routable_states (open)"
    assert "contradicting labels: status:blocked, status:plan-approved" in closed.skipped[-1]


def test_a_contradiction_message_names_both_labels_and_the_files_reason() -> None:
    (c,) = route(july_issue(f"{WH}#3067"), rules()).contradictions
    assert c.message == (
        "labels status:plan-review and status:plan-approved contradict: status: holds one value "
        "(a position in a state machine — an issue cannot be in two at once); "
        "fix the issue's labels"
    )


def test_skipped_states_say_why() -> None:
    r = rules()
    assert route(july_issue(f"{DM}#531"), r).skipped == ("closed: not in routable_states (open)",)
    assert route(made(["wip"]), r).skipped == ("labelled wip (skip_if_labeled)",)
    assert route(made(["Blocked"]), r).skipped == ("labelled Blocked (skip_if_labeled)",)
    assert route(made(["status:plan-review"]), r).skipped == (
        "labelled status:plan-review (skip_if_labeled)",
    )
    assert route(made(["status:plan-approved"]), r).routable
    assert route(made(["status:blocked"]), r).routable  # not in skip_if_labeled: their choice
    routable = sum(route(item, r).routable for item in july())
    # 84 open issues, less the six open ones with a contradiction (1247, 1299, 1517, 2327, 3067,
    # 3074; the last two are also status:plan-review). No issue carries wip or blocked.
    assert routable == 84 - 6


def test_an_auto_routable_false_provider_is_chosen_only_by_ai() -> None:
    text = RULES_FILE.read_text(encoding="utf-8")
    text = text.replace(
        "    assign: {machine: cfd-dedicated}",
        "    assign: {machine: cfd-dedicated, provider: agy}",
    ).replace(
        "  provider: claude\n  machine: dev-primary", "  provider: agy\n  machine: dev-primary"
    )
    r = parse_rules(text, "rules.yaml")
    # Rule 3 names agy: not auto-routable, so the lane decides.
    by_rule = route(made(["domain:cfd", "lane:codex"]), r)
    assert by_rule.provider
    assert (by_rule.provider.value, by_rule.provider.by) == ("codex", "lane")
    assert any("'agy' from rule 3 is not auto-routable" in note for note in by_rule.notes)
    # A lane and the default naming agy fall through too: nothing auto-routable is left.
    nothing = route(made(["lane:agy"]), r)
    assert nothing.provider is None
    assert len([n for n in nothing.notes if "not auto-routable" in n]) == 2
    # An explicit ai:agy is honoured, over rule and lane.
    chosen = route(made(["domain:cfd", "lane:codex", "ai:agy"]), r)
    assert chosen.provider
    assert (chosen.provider.value, chosen.provider.origin) == (
        "agy",
        "label ai:agy",
    )
    # With the team's own file: lane:agy is never taken, the default claude is.
    team = route(made(["lane:agy"]), rules())
    assert team.provider
    assert (team.provider.value, team.provider.by) == ("claude", "default")


def test_ai_beats_the_rule_which_beats_the_lane() -> None:
    text = RULES_FILE.read_text(encoding="utf-8").replace(
        "    assign: {machine: cfd-dedicated}",
        "    assign: {machine: cfd-dedicated, provider: hermes}",
    )
    r = parse_rules(text, "rules.yaml")
    rule = route(made(["domain:cfd", "lane:codex"]), r)
    assert rule.provider
    assert (rule.provider.value, rule.provider.by) == ("hermes", "rule 3")
    ai = route(made(["domain:cfd", "lane:codex", "ai:claude"]), r)
    assert ai.provider
    assert (ai.provider.value, ai.provider.by) == ("claude", "label")


def test_needs_cross_review_is_recorded_never_routed() -> None:
    decision = route(made(["needs:cross-review", "needs:frontier", "lane:claude"]), rules())
    assert decision.cross_review
    assert decision.needs == ("cross-review", "frontier")
    assert decision.provider
    assert (decision.provider.value, decision.provider.by) == (
        "claude",
        "lane",
    )
    assert decision.machine
    assert decision.machine.by == "rule 4"


def test_machine_multi_marks_a_multi_machine_item() -> None:
    decision = route(july_issue(f"{WH}#3524"), rules())
    assert decision.multi_machine
    assert decision.routable


def test_unreadable_label_values_are_problems_naming_the_label() -> None:
    decision = route(made(["machine:", "agent:two words", "lane:{{x}}"]), rules())
    assert dict(decision.problems) == {
        "machine:": "label 'machine:' has no value",
        "agent:two words": "label 'agent:two words': 'two words' is not a agent name",
        "lane:{{x}}": "label 'lane:{{x}}': '{{x}}' is not a provider name",
    }
    assert decision.machine is None


_PREFIXES = st.sampled_from(
    ["machine:", "lane:", "agent:", "ai:", "status:", "needs:", "domain:", "cat:", "", "Machine:"]
)
_VALUES = st.one_of(
    st.sampled_from(["dev-primary", "multi", "ace-linux-1", "cfd", "hydro-rao", "agy", "wip", ""]),
    st.text(max_size=12),
)
_LABELS = st.lists(st.builds(lambda p, v: p + v, _PREFIXES, _VALUES), max_size=8)


@settings(max_examples=300, deadline=None)
@given(_LABELS, st.sampled_from(["OPEN", "CLOSED"]), st.sampled_from([DM, WH, "a/b"]))
def test_any_label_set_routes_or_reports_never_raises(
    labels: list[str], state: str, repo: str
) -> None:
    from wrk_ansible.issues.contract import check_issue

    item = made(labels, ref=f"{repo}#5", state=state)
    decision = route(item, rules())
    assert all(why.strip() for why in decision.skipped)  # a skip always says why
    if state == "CLOSED":
        assert not decision.routable
    result = check_issue(item, rules()).result
    assert all(issue.message.strip() for issue in (*result.errors, *result.warnings))
    assert (result.contract is None) == bool(result.errors)  # a contract, or why not


def test_two_spellings_of_one_machine_are_no_contradiction() -> None:
    """machine_aliases says ace-linux-1 is dev-primary: labelled both, the issue names one
    machine (the rules file's own alias), never a contradiction."""
    from _issuekit import made

    routing = route(made(["machine:dev-primary", "machine:ace-linux-1"]), rules())
    assert routing.contradictions == ()
    assert routing.machine is not None
    assert routing.machine.value == "dev-primary"
    other = route(made(["machine:dev-primary", "machine:dev-secondary"]), rules())
    assert [c.labels for c in other.contradictions] == [
        ("machine:dev-primary", "machine:dev-secondary")
    ]
