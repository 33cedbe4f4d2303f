"""Typed evidence: each record kind's body model reads what its real writer wrote, older
records still read and verify, and one query with one tie-break finds the newest."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from _gatekit import NOW, context, registry, write_wrk

from wrk_ansible.agents.quota import Reading, latest_readings, quota_records, snapshot_body
from wrk_ansible.cli.evidence import _listed
from wrk_ansible.decision.outcomes import Outcome, Verdict
from wrk_ansible.evidence import ledger as ledger_module
from wrk_ansible.evidence.chosen import chosen_rows
from wrk_ansible.evidence.handoff import (
    artifact_checks,
    artifact_entry,
    latest_handoff,
    record_handoff,
)
from wrk_ansible.evidence.leases import leases, seats_held
from wrk_ansible.evidence.ledger import Ledger, Record
from wrk_ansible.evidence.query import latest, newest, records_of, select
from wrk_ansible.evidence.readiness import (
    CHAIN,
    KIND_LOCAL,
    KIND_PROBE,
    newest_fresh,
    record_observation,
)
from wrk_ansible.evidence.records import (
    KINDS,
    AttestationBody,
    Body,
    GateBody,
    HandoffBody,
    LeasedSeats,
    QuotaBody,
    ReadinessBody,
    ReviewBody,
    RoutingBody,
    Skipped,
    TypedRecord,
    newest_key,
    typed,
)
from wrk_ansible.evidence.verify import verify
from wrk_ansible.gate import Gate, GateOptions
from wrk_ansible.gates.claim import routing_evidence
from wrk_ansible.gates.reviews import latest_by_agent, record_review, reviews
from wrk_ansible.readiness.results import Observation, parse_probe_result
from wrk_ansible.report.collect import evidence_facts
from wrk_ansible.report.facts import GateFact
from wrk_ansible.report.gaps import latest_gates

LICENSED = (
    "computer: ace-win-1\nprovider: codex\nhandoff_evidence_ref: .wrk/evidence/WRK-900\n"
    "machine_capability_requirements:\n  execute:\n    licenses:\n"
    "      - {feature: orcaflex, seats: 1}\n"
)


def _ready(hosts: Any, _requirements: Any) -> dict[str, Observation]:
    probed = {"schema_version": 2, "mode": "requirements", "facts": {}, "checks": []}
    return {h: parse_probe_result(h, probed, source="probe", observed_at=None) for h in hosts}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)  # repository_root() stops here
    return root


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "evidence")


def _one(found: TypedRecord[Any] | Skipped) -> TypedRecord[Any]:
    assert isinstance(found, TypedRecord), found
    return found


def _id(found: TypedRecord[Any] | Record | None) -> str | None:
    return None if found is None else found.id


def _round_trips(record: Record) -> TypedRecord[Body]:
    """The record reads as its kind's model, and the model dumps exactly the stored body."""
    found = _one(typed(record, KINDS[record.kind]))
    assert found.body.dump() == record.data["body"]
    return found


# -- each writer's body round-trips ------------------------------------------------------------


def test_a_gate_record_and_its_readiness_record_round_trip(
    repo: Path, ledger: Ledger, tmp_path: Path
) -> None:
    path = write_wrk(repo / "queue", LICENSED)
    gate = Gate(registry(), str(tmp_path / "inv"), ledger, GateOptions(here="dev-primary"), print)
    gate.source.prober = _ready  # a probe that finds every host ready, without Ansible
    outcome = gate.run(str(path), "execute")
    assert [d.verdict for d in outcome.decisions] == [Verdict.PASS]

    [stored] = ledger.records("WRK-900")
    found = _round_trips(stored)
    assert isinstance(found.body, GateBody)
    body = found.body
    assert (body.stage, body.verdict, body.for_hosts) == ("execute", Verdict.PASS, ("ace-win-1",))
    assert body.ran_on == "dev-primary"
    assert body.readiness["ace-win-1"].ready is True
    assert all(isinstance(c.outcome, Outcome) for c in body.checks)
    lease = body.lease
    assert lease is not None  # a row needing seats leases them
    assert (lease.for_stage, lease.hosts, lease.provider) == ("execute", ("ace-win-1",), "codex")
    assert lease.features == (LeasedSeats(feature="orcaflex", seats=1),)
    assert (lease.ttl_minutes, lease.caps) == (90, ())  # nothing capped in this registry
    assert "reservations" not in stored.data["body"]
    assert body.readiness_artifacts is None
    assert "readiness_artifacts" not in stored.data["body"]  # absent, as before
    assert seats_held(leases(ledger)) == {("ace-win-1", "orcaflex"): 1}

    [probed] = ledger.records(CHAIN)  # the probe's observation, recorded by the gate
    readiness = _round_trips(probed)
    assert isinstance(readiness.body, ReadinessBody)
    assert readiness.body.host == "ace-win-1"
    assert readiness.body.observation["reachable"] is True


def test_readiness_and_attestation_records_round_trip(ledger: Ledger) -> None:
    observed = _ready(["ws1"], None)["ws1"].as_dict()
    probe = record_observation(ledger, "control", observed, {"tools": [{"name": "git"}]})
    local = record_observation(ledger, "ws1", observed, {}, local=True)
    assert type(probe.body) is ReadinessBody
    assert isinstance(local.body, AttestationBody)
    assert (probe.kind, local.kind) == (KIND_PROBE, KIND_LOCAL)
    for written in (probe, local):
        assert _round_trips(ledger.get(written.id)).body == written.body
    assert _id(newest_fresh(ledger, "ws1", {}, kind=KIND_LOCAL)) == local.id


def test_a_handoff_record_round_trips(repo: Path, ledger: Ledger) -> None:
    (repo / "out.txt").write_text("result\n")
    artifact = artifact_entry(repo, str(repo / "out.txt"))
    ledger.append(
        "WRK-900", "dev-primary", "review", {"stage": "x", "agent": "a", "verdict": "approve"}
    )
    written = record_handoff(
        ledger,
        wrk="WRK-900",
        writer="dev-primary",
        source="dev-primary",
        target="dev-secondary",
        artifacts=[artifact],
        note="over to you",
        stage="execute",
    )
    stored = ledger.get(written.id).data["body"]
    assert set(stored) == {"from", "to", "for_stage", "artifacts", "note", "sender_chain"}
    found = _round_trips(ledger.get(written.id))
    assert isinstance(found.body, HandoffBody)
    assert (found.body.source, found.body.target) == ("dev-primary", "dev-secondary")
    assert found.body.artifacts[0].path == "out.txt"
    assert found.body.sender_chain[0].seq == 1
    assert (
        _id(latest_handoff(ledger, "WRK-900", "DEV-SECONDARY")) == written.id
    )  # hosts match casefolded
    [check] = artifact_checks(ledger, "WRK-900", ["dev-secondary"], repo, "execute")
    assert check.outcome is Outcome.PASS


def test_routing_quota_and_review_records_round_trip(repo: Path, ledger: Ledger) -> None:
    readings = [
        Reading(agent, "weekly", used, NOW + timedelta(days=4), NOW - timedelta(hours=1))
        for agent, used in (("codex", 10.0), ("claude", None))
    ]
    quota = ledger.append(
        "_quota", "dev-primary", "quota", snapshot_body(readings, {"command": "t"})
    )
    found = _round_trips(quota)
    assert isinstance(found.body, QuotaBody)
    assert found.body.origin.command == "t"
    assert [r.used_pct for r in found.body.readings] == [10.0, None]
    assert set(quota.data["body"]["origin"]) == {"command"}

    path = write_wrk(repo / "queue")
    claimed = routing_evidence(context(path, "claim", ledger))
    assert claimed.verdict is Verdict.PASS, claimed.checks
    [routing_id] = claimed.evidence
    routing = _round_trips(ledger.get(routing_id))
    assert isinstance(routing.body, RoutingBody)
    assert (routing.body.for_stage, routing.body.primary) == ("execute", "codex")
    assert routing.body.snapshots[0].id == quota.id

    review = record_review(
        ledger, "WRK-900", "dev-primary", stage="impl_review", agent="claude", verdict="approve"
    )
    assert _round_trips(ledger.get(review.id)).body == review.body
    assert review.body == ReviewBody(
        stage="impl_review", agent="claude", verdict="approve", note=None, ran_on="dev-primary"
    )


# -- older and newer records --------------------------------------------------------------------

#: A gate body as wrk wrote it before this change (and before gates kept readiness, artifact
#: directories or typed check data): the shape of the first gate writer.
OLD_GATE: dict[str, Any] = {
    "stage": "execute",
    "verdict": "pause",
    "reason": "no seat free",
    "for_hosts": [],
    "ran_on": "control",
    "agent": "claude",
    "user": "ops",
    "inventory_sha256": "0" * 64,
    "contract_sha256": "1" * 64,
    "git_revision": None,
    "checks": [
        {
            "host": "ws1",
            "name": "license:orcaflex",
            "kind": "readiness",
            "required": "orcaflex x1",
            "found": "0 free",
            "outcome": "fail",
            "reason": "no seat free",
        }
    ],
    "gaps": [{"priority": "P1", "summary": "WRK-1: no seat", "proposals": ["wait"]}],
    "reservations": [],
}
OLD_HANDOFF: dict[str, Any] = {
    "from": "control",
    "to": "ws1",
    "for_stage": None,
    "artifacts": [{"path": "a.txt", "sha256": "2" * 64, "size": 3}],
    "note": None,
    "sender_chain": [],
}


def test_an_old_record_still_reads_and_verifies(ledger: Ledger) -> None:
    old = ledger.append("WRK-1", "control", "gate", OLD_GATE)
    ledger.append("WRK-1", "control", "handoff", OLD_HANDOFF)
    raw = old.path.read_bytes()
    assert all(not r.problems for r in verify(ledger, "WRK-1"))

    gate = latest(ledger, "WRK-1", GateBody, stage="execute")
    assert gate is not None
    assert gate.id == old.id
    assert gate.body.readiness == {}  # missing in old records: the default
    assert gate.body.readiness_artifacts is None
    assert gate.body.checks[0].spec == gate.body.checks[0].data == {}
    assert gate.body.gaps[0].proposals == ("wait",)
    assert gate.body.dump() == OLD_GATE  # read and dumped again: the stored body
    gates, handoffs, chain = evidence_facts(ledger, "WRK-1", {})
    assert [(g.stage, g.verdict, g.gaps[0].priority) for g in gates] == [("execute", "pause", "P1")]
    assert [(h.source, h.target, h.artifacts) for h in handoffs] == [("control", "ws1", 1)]
    assert not chain.problems
    assert old.path.read_bytes() == raw  # nothing rewritten


def test_a_newer_records_unknown_fields_are_ignored(ledger: Ledger) -> None:
    newer = {**OLD_GATE, "schema_version": 7, "carbon_grams": 3, "checks": []}
    ledger.append("WRK-1", "control", "gate", newer)
    gate = latest(ledger, "WRK-1", GateBody)
    assert gate is not None
    assert gate.body.verdict is Verdict.PAUSE
    assert "carbon_grams" not in gate.body.dump()


# -- one query, one tie-break -----------------------------------------------------------------


@pytest.fixture
def clock_at(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records get the time at the end of the list it gives (append to move the clock)."""
    times = ["2026-03-01T00:00:00.000000Z"]
    monkeypatch.setattr(ledger_module, "utc_now", lambda: times[-1])
    return times


def _gate(ledger: Ledger, writer: str, **body: Any) -> str:
    return ledger.append("WRK-1", writer, "gate", {"stage": "execute", **body}).id


def test_same_time_the_higher_id_wins_and_a_newer_time_wins(
    ledger: Ledger, clock_at: list[str]
) -> None:
    first = _gate(ledger, "b", verdict="pass")
    second = _gate(ledger, "b", verdict="fail")  # same time, same chain: seq 2 > 1
    assert _id(latest(ledger, "WRK-1", GateBody)) == second
    other = _gate(ledger, "c", verdict="pause")  # same time, another writer: "WRK-1/c" > "/b"
    assert _id(latest(ledger, "WRK-1", GateBody)) == other
    clock_at.append("2026-03-01T00:00:01.000000Z")
    newest_one = _gate(ledger, "a", verdict="pass")  # a lower id, but a newer time
    assert _id(latest(ledger, "WRK-1", "gate")) == newest_one
    assert [r.id for r in records_of(ledger, "WRK-1", GateBody)] == [
        first,
        second,
        other,
        newest_one,
    ]
    facts = [
        GateFact(r.body.stage, "x", r.time, r.id) for r in select(ledger.records("WRK-1"), GateBody)
    ]
    assert latest_gates(reversed(facts))["execute"].record == newest_one  # the same rule
    assert newest_key("2026-03-01T00:00:00Z", "b") < newest_key("2026-03-01T00:00:00.5Z", "a")


def test_every_reader_takes_the_same_newest(ledger: Ledger, clock_at: list[str]) -> None:
    routed = {"stage": "claim", "for_stage": "execute", "primary": "codex"}
    ledger.append("WRK-1", "b", "routing", routed)
    later = ledger.append("WRK-1", "c", "routing", {**routed, "primary": "claude"})
    review = {"stage": "impl_review", "agent": "gemini", "verdict": "changes"}
    ledger.append("WRK-1", "b", "review", review)
    approve = ledger.append("WRK-1", "c", "review", {**review, "verdict": "approve"})
    _gate(ledger, "b", verdict="pass", agent="codex", for_hosts=["ws1"])
    gate = _gate(ledger, "c", verdict="fallback", agent="claude", for_hosts=["ws2"])
    execute = chosen_rows(ledger.records("WRK-1"), ["execute"])["execute"]
    assert (execute.gate_record, execute.routing_record) == (gate, later.id)
    assert execute.hosts == ("ws2",)
    assert latest_by_agent(reviews(ledger, "WRK-1", "impl_review"))["gemini"].id == approve.id


def test_match_compares_typed_fields(ledger: Ledger) -> None:
    passed = _gate(ledger, "a", verdict="pass", agent="codex")
    _gate(ledger, "a", verdict="pause", agent="claude")
    closed = ledger.append("WRK-1", "a", "gate", {"stage": "close", "verdict": "pass"}).id
    assert _id(latest(ledger, "WRK-1", GateBody, stage="execute", verdict=Verdict.PASS)) == passed
    by_text = latest(ledger, "WRK-1", GateBody, stage="execute", verdict="pass")  # StrEnum
    assert _id(by_text) == passed
    assert _id(latest(ledger, "WRK-1", GateBody, stage="close")) == closed
    assert latest(ledger, "WRK-1", GateBody, stage="plan_draft") is None
    assert latest(ledger, "WRK-1", GateBody, where=lambda b: b.agent == "claude") is not None
    with pytest.raises(TypeError, match="no field nope"):
        latest(ledger, "WRK-1", GateBody, nope=1)
    with pytest.raises(ValueError, match="no evidence record kind"):
        latest(ledger, "WRK-1", "gates")


# -- a body that does not validate is skipped, with its reason ----------------------------------


def test_a_body_that_does_not_validate_is_skipped_with_a_reason(
    repo: Path, ledger: Ledger, clock_at: list[str]
) -> None:
    good = _gate(ledger, "a", verdict="pass", reservations=[])
    clock_at.append("2026-03-02T00:00:00.000000Z")
    seats = [{"host": "ws1", "feature": "f", "seats": True, "expires": "2099-01-01T00:00:00Z"}]
    bad = _gate(ledger, "a", verdict="pass", for_hosts="ws1", reservations=seats)
    skipped: list[Skipped] = []
    assert _id(latest(ledger, "WRK-1", GateBody, skipped=skipped)) == good
    [why] = skipped
    assert why.record == bad
    assert "for_hosts" in why.reason
    assert "reservations.0.seats" in why.reason
    assert "does not validate" in str(why)
    assert seats_held(leases(ledger)) == {}  # an unreadable gate holds no seats
    gates, _, chain = evidence_facts(ledger, "WRK-1", {})
    assert [g.record for g in gates] == [good]
    assert not chain.problems  # the chain itself is intact
    listed = _listed(ledger.get(bad))
    assert listed["problem"] == why.reason
    assert _listed(ledger.get(good)) == {"stage": "execute", "verdict": "pass", "problem": None}

    # an unreadable handoff cannot say where it went: named in a warning, never blocking
    ledger.append("WRK-1", "a", "handoff", {"from": "a", "to": "ws1", "artifacts": "all"})
    [warned] = artifact_checks(ledger, "WRK-1", ["ws1"], repo)
    assert warned.outcome is Outcome.WARN
    assert "artifacts" in warned.reason
    assert f"WRK-1/{ledger.chain_of('a')}/000003" in warned.reason

    # a quota record with a reading that is not one is no snapshot
    reading = {"agent": "codex", "used_pct": "10%"}
    ledger.append("_quota", "a", "quota", {"schema_version": 1, "readings": [reading]})
    assert latest_readings(quota_records(ledger)) == {}


def test_newest_fresh_skips_an_unreadable_body_and_breaks_ties_by_id(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_module, "utc_now", lambda: "2026-03-01T00:00:00.000000Z")
    observed = _ready(["ws1"], None)["ws1"].as_dict()
    record_observation(ledger, "alpha", observed, {})
    beta = record_observation(ledger, "beta", observed, {})
    ledger.append(CHAIN, "gamma", KIND_PROBE, {"host": "ws1", "requirements_sha256": 5})
    now = NOW.replace(year=2026, month=3, day=1, hour=1)
    assert _id(newest_fresh(ledger, "ws1", {}, kind=KIND_PROBE, now=now)) == beta.id


def test_every_kind_wrk_writes_has_a_model() -> None:
    kinds = {
        "gate",
        "readiness",
        "attestation",
        "handoff",
        "routing",
        "quota",
        "review",
        "label-change",
        "outcome",
        "heartbeat",
        "snapshot",
        "health",
    }
    assert set(KINDS) == kinds
    assert all(kind == model.KIND for kind, model in KINDS.items())
    assert newest([]) is None
    assert json.dumps(HandoffBody(source="a", target="b").dump()) == '{"from": "a", "to": "b"}'


def test_latest_reads_only_the_files_of_its_kind_and_a_misnamed_one_is_left_out(
    ledger: Ledger, clock_at: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lookup of one kind reads no record of another (a gate's handoff lookup used to read
    every gate record of the item); a file named for one kind holding another is no record of
    either, and verify says its kind does not match its place."""
    gate = _gate(ledger, "b", verdict="pass")
    for _ in range(5):
        _gate(ledger, "b", verdict="fail")
    read: list[str] = []
    real = ledger_module.read_record

    def counting(path: Path) -> Record:
        read.append(path.name)
        return real(path)

    monkeypatch.setattr(ledger_module, "read_record", counting)
    assert latest(ledger, "WRK-1", HandoffBody) is None
    assert read == []  # six gate records, none read
    assert latest(ledger, "WRK-1", GateBody) is not None
    assert len(read) == 6
    assert all(name.endswith("-gate.json") for name in read)
    monkeypatch.setattr(ledger_module, "read_record", real)
    # the first gate record renamed as a handoff: neither lookup takes it
    first = ledger.get(gate).path
    first.rename(first.with_name("000001-handoff.json"))
    assert latest(ledger, "WRK-1", HandoffBody) is None
    assert gate not in [r.id for r in records_of(ledger, "WRK-1", GateBody)]
    problems = [p for report in verify(ledger, "WRK-1") for p in report.problems]
    assert any("kind do not match its place" in p.message for p in problems), problems
