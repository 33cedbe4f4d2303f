"""Routing -> the label changes ``wrk route`` proposes (wrk_ansible/issues/changes.py).

Expectations are worked out by hand from the text of routing-rules-2026-08.yaml, not from the
code's output. Its rules, in order:
  1. {repo: vamseeachanta/digitalmodel, domain_family: solver} -> licensed-win-1
  2. {repo: vamseeachanta/digitalmodel, domain_family: hydro}  -> licensed-win-1
  3. {gh_label: "domain:cfd"}                                  -> cfd-dedicated
  4. {}                                                        -> dev-primary (machine only)
No rule assigns a provider, so with the team's file no ai: label is ever proposed (the
catch-all's comment: "the ai: label stays ABSENT for default work, written only when a rule or
human chooses a non-default provider"). A machine: label already there is kept as written,
alias or not ("0 cards get relabeled"). Not routable: closed, wip, blocked, status:plan-review,
and contradicting labels.
"""

from __future__ import annotations

import pytest
from _issuekit import RULES_FILE, april_issue, everything, july_issue, made, rules

from wrk_ansible.issues.block import parse_block
from wrk_ansible.issues.changes import Proposal, propose
from wrk_ansible.issues.export import WorkIssue
from wrk_ansible.issues.labels import route
from wrk_ansible.issues.rules import RoutingRules, parse_rules

DM = "vamseeachanta/digitalmodel"
WH = "vamseeachanta/workspace-hub"
WED = "vamseeachanta/worldenergydata"


def _proposal(issue: WorkIssue, with_rules: RoutingRules | None = None) -> Proposal:
    chosen = rules() if with_rules is None else with_rules
    return propose(route(issue, chosen), chosen, parse_block(issue.body))


# (ref, labels added, held: why nothing is proposed, or None)
PINNED = [
    # domain:hydro, lane:codex, no machine: label. Rule 1 wants the solver family (hydro is
    # not); rule 2: digitalmodel + hydro -> licensed-win-1. The provider is the lane's: no ai:.
    (f"{DM}#1633", ["machine:licensed-win-1"], None),
    # domain:hydro alone: rule 2 again; the provider is the default claude: no ai:.
    (f"{DM}#328", ["machine:licensed-win-1"], None),
    # machine:licensed-win-1 already there (a label wins over rule 1): nothing.
    (f"{DM}#157", [], None),
    # domain:subsea, lane:codex: no solver/hydro family, no domain:cfd -> catch-all rule 4.
    (f"{DM}#1642", ["machine:dev-primary"], None),
    # domain:pipeline, no lane: pipeline is not solver or hydro -> rule 4; default provider.
    (f"{DM}#1146", ["machine:dev-primary"], None),
    # domain:naval-architecture: not the hydro family either (it is no hydro- child) -> rule 4.
    (f"{DM}#877", ["machine:dev-primary"], None),
    # lane:codex and lane:claude contradict: not routable, nothing proposed.
    (f"{DM}#1517", [], "contradicting labels"),
    # closed (and no labels at all): only open issues are routable.
    (f"{DM}#1045", [], "not in routable_states"),
    # machine:ace-linux-1 is an alias of dev-primary: kept as the team wrote it.
    (f"{WH}#2754", [], None),
    # machine:ace-win-1 is neither a roster name nor an alias key: a human's label, kept.
    (f"{WH}#2709", [], None),
    # machine:multi: a label, nothing to add.
    (f"{WH}#3524", [], None),
    # domain:workstations in workspace-hub: rules 1-2 are digitalmodel's, no cfd -> rule 4.
    (f"{WH}#3499", ["machine:dev-primary"], None),
    # status:plan-review (skip_if_labeled) and a second status: label: not routable.
    (f"{WH}#3067", [], "status:plan-review (skip_if_labeled)"),
    # domain:subsea in worldenergydata: rules 1-2 need digitalmodel -> rule 4.
    (f"{WED}#742", ["machine:dev-primary"], None),
    # domain:ingest, status:needs-plan (not a skip label) -> rule 4.
    (f"{WED}#713", ["machine:dev-primary"], None),
]
PINNED_APRIL = [
    # machine:licensed-win-1 already there: nothing.
    (1264, [], None),
    # domain:agent-ux, agent:codex (an owner, not a routing label) -> rule 4.
    (12, ["machine:dev-primary"], None),
    # machine:home-win: a roster machine, as labelled: nothing.
    (1507, [], None),
]


def _check(proposal: Proposal, added: list[str], held: str | None) -> None:
    assert proposal.labels() == {"add": added, "remove": []}
    if held is None:
        assert proposal.held is None
    else:
        assert proposal.held is not None
        assert held in proposal.held


@pytest.mark.parametrize(("ref", "added", "held"), PINNED)
def test_real_issues_propose_what_the_rules_file_says(
    ref: str, added: list[str], held: str | None
) -> None:
    _check(_proposal(july_issue(ref)), added, held)


@pytest.mark.parametrize(("number", "added", "held"), PINNED_APRIL)
def test_real_april_issues(number: int, added: list[str], held: str | None) -> None:
    _check(_proposal(april_issue(number)), added, held)


def test_a_change_says_who_chose_it_and_why() -> None:
    (change,) = _proposal(july_issue(f"{DM}#1633")).add
    assert change.by == "rule 2"
    assert "rule 2" in change.why
    assert "RAO/QTF/seakeeping" in change.why


def test_applying_a_proposal_then_routing_again_proposes_nothing() -> None:
    """Idempotence over every real issue: the labels proposed, once on the issue, route to the
    same machine and provider and propose nothing more."""
    changed = 0
    for issue in everything():
        first = _proposal(issue)
        if not first.changes:
            continue
        changed += 1
        labelled = WorkIssue(
            ref=issue.ref,
            title=issue.title,
            state=issue.state,
            labels=issue.labels + tuple(first.labels()["add"]),
            body=issue.body,
            url=issue.url,
            source=issue.source,
        )
        again = _proposal(labelled)
        assert not again.changes, (str(issue.ref), again.labels())
        assert again.held is None
        before, after = first.routing, again.routing
        assert before.machine
        assert after.machine
        assert after.machine.value == before.machine.value
        assert after.machine.by == "label"
        assert before.provider
        assert after.provider
        assert after.provider.value == before.provider.value
    assert changed >= 20  # the control: real issues do get proposals


def test_no_real_issue_gets_an_ai_label_or_a_removal() -> None:
    for issue in everything():
        proposal = _proposal(issue)
        assert not proposal.remove
        assert not any(c.label.startswith("ai:") for c in proposal.add), str(issue.ref)


def test_nothing_is_proposed_on_unroutable_or_unreadable_issues() -> None:
    for labels, state, why in [
        (["wip"], "OPEN", "labelled wip"),
        (["blocked", "domain:cfd"], "OPEN", "labelled blocked"),
        (["domain:cfd"], "CLOSED", "closed"),
        (["machine:dev-primary", "machine:licensed-win-1"], "OPEN", "contradicting"),
        (["ai:codex", "ai:claude"], "OPEN", "contradicting"),
        (["machine:"], "OPEN", "cannot be read: machine:"),
        (["ai:two words"], "OPEN", "cannot be read: ai:two words"),
    ]:
        proposal = _proposal(made(labels, state=state))
        assert not proposal.changes, labels
        assert proposal.held, labels
        assert why in proposal.held, (labels, proposal.held)


# -- a rule that names a provider (the team's file has none) ------------------------------------
def _with_provider(provider: str) -> RoutingRules:
    text = RULES_FILE.read_text(encoding="utf-8").replace(
        "    assign: {machine: cfd-dedicated}",
        f"    assign: {{machine: cfd-dedicated, provider: {provider}}}",
    )
    return parse_rules(text, "rules.yaml")


@pytest.mark.parametrize(
    ("provider", "labels", "added"),
    [
        # rule 3 chooses hermes; the labels alone (no lane) would give the default claude.
        ("hermes", ["domain:cfd"], ["machine:cfd-dedicated", "ai:hermes"]),
        # rule beats lane: the lane says codex, the rule hermes -> ai:hermes records the choice.
        ("hermes", ["domain:cfd", "lane:codex"], ["machine:cfd-dedicated", "ai:hermes"]),
        # the rule agrees with the lane: the labels already say it.
        ("codex", ["domain:cfd", "lane:codex"], ["machine:cfd-dedicated"]),
        # the rule names the default and there is no lane: "ai: stays absent for default work".
        ("claude", ["domain:cfd"], ["machine:cfd-dedicated"]),
        # an explicit ai: label decides: nothing for the provider; machine: label: nothing.
        ("hermes", ["domain:cfd", "ai:claude", "machine:gpu-claw"], []),
        # agy is not auto-routable: the rule's choice falls through to the default.
        ("agy", ["domain:cfd"], ["machine:cfd-dedicated"]),
    ],
)
def test_ai_is_proposed_only_for_a_rule_choosing_otherwise(
    provider: str, labels: list[str], added: list[str]
) -> None:
    proposal = _proposal(made(labels), _with_provider(provider))
    assert proposal.labels() == {"add": added, "remove": []}


def test_a_wrk_block_naming_execute_keeps_its_labels_out() -> None:
    body = (
        "text\n```wrk\nstage_assignments:\n"
        "  execute: {workstations: [box1], primary: claude}\n```\n"
    )
    proposal = _proposal(made(["domain:cfd"], body=body), _with_provider("hermes"))
    assert not proposal.changes
    assert proposal.held is None
    assert any("machines" in n for n in proposal.notes)
    assert any("agent" in n for n in proposal.notes)
    # A block about requirements only leaves the labels to the rules.
    body = "```wrk\nmachine_capability_requirements:\n  execute: {tools: [git]}\n```\n"
    assert _proposal(made([], body=body)).labels()["add"] == ["machine:dev-primary"]


def test_a_broken_block_holds_everything() -> None:
    proposal = _proposal(made([], body="```wrk\nrun: rm -rf /\n```\n"))
    assert not proposal.changes
    assert proposal.held
    assert "wrk block" in proposal.held


def test_same_as_ignores_order_and_case() -> None:
    a = _proposal(made(["domain:cfd"]), _with_provider("hermes"))
    b = _proposal(made(["DOMAIN:CFD"]), _with_provider("hermes"))
    assert a.same_as(b)
    assert not a.same_as(_proposal(made(["domain:ingest"])))


def test_an_invalid_contract_holds_every_label() -> None:
    """A rule choosing a machine no inventory host answers to: the contract check's error
    (wrk route hands it over) holds the proposal, so no label records an ungateable choice."""
    issue = july_issue(f"{DM}#1633")  # rule 2 proposes machine:licensed-win-1
    error = "rule 2: unknown machine 'licensed-win-1' (not in the inventory)"
    held = propose(route(issue, rules()), rules(), parse_block(issue.body), [error])
    assert held.labels() == {"add": [], "remove": []}
    assert held.held == f"its contract is invalid: {error}"
    two = propose(route(issue, rules()), rules(), None, [error, "another"])
    assert two.held == f"its contract is invalid: {error} (and 1 more)"
