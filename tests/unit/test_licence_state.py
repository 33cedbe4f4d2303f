"""Licence state, three values (wrk_ansible.decision.licence), on a fixed clock, with the team's
rules file laid over a registry: its ``licence_verified`` entries read as attestations on the
machine's ``dispatch_path``, which a probe over SSH cannot satisfy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from _gatekit import registry
from _issuekit import RULES_FILE, rules

from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.decision.licence import Attested, LicenceFacts, apply_licence_state
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.decision.readiness import HostReadiness
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.evidence.licences import licence_facts
from wrk_ansible.registry.roster import lay_over

AUG_5 = datetime(2026, 8, 5, tzinfo=UTC)
AUG_20 = datetime(2026, 8, 20, tzinfo=UTC)


def seen(host: str, feature: str, outcome: Outcome = Outcome.PASS, **data: object) -> HostReadiness:
    check = Check(
        name=f"license:{feature}",
        outcome=outcome,
        reason="checked",
        required="1 seat",
        found="licence file readable",
        host=host,
        spec={"feature": feature, "seats": 1},
        data={"free_seats": None, **data},
    )
    return HostReadiness(host=host, reachable=True, checks=(check,), source="probe")


def needs(**license: object) -> StageRequirements:
    return StageRequirements.model_validate({"licenses": [license]})


def team_facts(tmp_path: Path) -> dict[str, LicenceFacts]:
    laid = lay_over(registry(), rules(), str(RULES_FILE))
    return licence_facts(Ledger(tmp_path / "evidence"), laid.workstations, lambda _w, _r: None)


def judged(
    readiness: HostReadiness, req: StageRequirements, facts: dict[str, LicenceFacts], now: datetime
) -> Check:
    (check,) = apply_licence_state({readiness.host: readiness}, req, facts, now)[
        readiness.host
    ].checks
    return check


def test_the_team_attestations_and_dispatch_paths_load(tmp_path: Path) -> None:
    facts = team_facts(tmp_path)["ace-win-1"]  # the roster's licensed-win-1
    by_feature = {a.feature: a for a in facts.attested}
    assert set(by_feature) == {"aqwa", "orcaflex", "orcawave"}
    orcaflex = by_feature["orcaflex"]
    assert (orcaflex.at, orcaflex.by, orcaflex.dispatch_path) == (
        datetime(2026, 7, 31, tzinfo=UTC),
        "fleet-session",
        "scheduled-task",
    )
    assert orcaflex.source.endswith("machines.licensed-win-1.licence_verified.orcaflex")
    assert by_feature["aqwa"].dispatch_path == "any"
    assert facts.path_of("orcaflex") == "scheduled-task"
    assert facts.path_of("aqwa") is None  # "any" is no constraint


def test_a_scheduled_task_feature_is_licensed_only_by_an_attestation_on_that_path(
    tmp_path: Path,
) -> None:
    facts = team_facts(tmp_path)
    check = judged(seen("ace-win-1", "orcaflex"), needs(feature="orcaflex"), facts, AUG_5)
    assert check.outcome is Outcome.PASS
    assert check.data["licence_state"] == "licensed"
    assert check.data["attestation"]["by"] == "fleet-session"
    assert "attested 2026-07-31 by fleet-session on scheduled-task" in (check.found or "")

    stale = judged(seen("ace-win-1", "orcaflex"), needs(feature="orcaflex"), facts, AUG_20)
    assert stale.outcome is Outcome.FAIL
    assert stale.data["licence_state"] == "present"
    assert "only from the scheduled-task dispatch path" in stale.reason
    assert "a probe over SSH cannot show it" in stale.reason
    assert "20 d old, over its 14 d TTL" in stale.reason
    assert "wrk readiness --local --dispatch-path scheduled-task" in stale.reason

    # an attestation made on another path does not count there
    other = {
        "ace-win-1": LicenceFacts(
            (Attested("orcaflex", AUG_5, "someone", "ran it", "ssh", "attestation X/y/1"),),
            {"orcaflex": "scheduled-task"},
        )
    }
    wrong = judged(seen("ace-win-1", "orcaflex"), needs(feature="orcaflex"), other, AUG_5)
    assert wrong.outcome is Outcome.FAIL
    assert "made on ssh, not on scheduled-task" in wrong.reason


def test_present_is_enough_unless_licensed_is_asked_for() -> None:
    file_only = seen("build1", "solver-a")
    plain = judged(file_only, needs(feature="solver-a"), {}, AUG_5)
    assert (plain.outcome, plain.data["licence_state"]) == (Outcome.PASS, "present")
    asked = judged(file_only, needs(feature="solver-a", state="licensed"), {}, AUG_5)
    assert asked.outcome is Outcome.FAIL
    assert asked.reason == (
        "solver-a is present, not licensed: no license server count of free seats and no "
        "attestation"
    )
    counted = seen("build1", "solver-a", free_seats=3)
    server = judged(counted, needs(feature="solver-a", state="licensed"), {}, AUG_5)
    assert (server.outcome, server.data["licence_state"]) == (Outcome.PASS, "licensed")
    missing = judged(
        seen("build1", "solver-a", Outcome.FAIL),
        needs(feature="solver-a", state="licensed"),
        {},
        AUG_5,
    )
    assert (missing.outcome, missing.data["licence_state"]) == (Outcome.FAIL, "declared")


def test_the_requirement_can_name_the_path_itself() -> None:
    attested = {
        "build1": LicenceFacts(
            (Attested("solver-a", AUG_5, "build1", "ran", "scheduled-task", "attestation A/b/2"),)
        )
    }
    req = needs(feature="solver-a", dispatch_path="scheduled-task")
    ok = judged(seen("build1", "solver-a", free_seats=2), req, attested, AUG_5)
    assert (ok.outcome, ok.data["dispatch_path"]) == (Outcome.PASS, "scheduled-task")
    refused = judged(seen("build1", "solver-a", free_seats=2), req, {}, AUG_5)
    assert refused.outcome is Outcome.FAIL  # a server count over SSH is not that path
