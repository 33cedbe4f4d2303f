"""Chains are ``HOST@CLONE``; records name their host; chains written before clone ids still count.

The old store is a fixture written by wrk before per-clone chains (``tests/fixtures/evidence-v1``:
chain folders named after their host, envelope schema 1, an attestation signed by ``build1``).
Every reader that asks "which host" must answer from the record's host, never the folder name.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.evidence.handoff import latest_handoff
from wrk_ansible.evidence.leases import leases, seats_held
from wrk_ansible.evidence.ledger import SCHEMA_VERSION, Ledger, host_of
from wrk_ansible.evidence.query import latest
from wrk_ansible.evidence.readiness import KIND_LOCAL, newest_fresh, record_observation
from wrk_ansible.evidence.records import GateBody
from wrk_ansible.evidence.verify import verify
from wrk_ansible.readiness.results import requirements_data
from wrk_ansible.readiness.source import ReadinessSource
from wrk_ansible.registry.hostvars import HostVars
from wrk_ansible.registry.workstation import Workstation

OLD = Path(__file__).resolve().parents[1] / "fixtures" / "evidence-v1"
CLONE = "c10e0001"
REQ = requirements_data(StageRequirements.model_validate({"tools": [{"name": "git"}]}))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return Path(shutil.copytree(OLD / "evidence", tmp_path / "evidence"))


def keys() -> dict[str, str]:
    return {"build1": (OLD / "build1.pub").read_text(encoding="utf-8").strip()}


def problems(ledger: Ledger, signing: dict[str, str] | None = None) -> list[str]:
    return [str(p) for r in verify(ledger, signing_keys=signing) for p in r.problems]


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_an_old_layout_store_verifies_with_its_signature(store: Path) -> None:
    ledger = Ledger(store, clone=CLONE)
    assert sorted(ledger.chains()) == [
        ("WRK-105", "build1"),
        ("WRK-105", "build2"),
        ("_readiness", "build1"),
    ]
    reports = {r.chain: r for r in verify(ledger, signing_keys=keys())}
    assert all(not r.problems for r in reports.values()), reports
    assert (reports["_readiness/build1"].records, reports["_readiness/build1"].signed) == (1, 1)
    assert reports["WRK-105/build1"].records == 2


def test_an_old_layout_store_is_read_by_host(store: Path, tmp_path: Path) -> None:
    ledger = Ledger(store, clone=CLONE)
    gate = latest(ledger, "WRK-105", GateBody, stage="execute")
    assert gate is not None
    assert (gate.id, gate.writer, gate.host) == ("WRK-105/build1/000001", "build1", "build1")
    # a seat reservation written before leases reads as a lease of those seats
    assert seats_held(leases(ledger)) == {("build1", "orcaflex"): 1}
    handoff = latest_handoff(ledger, "WRK-105", "build2")
    assert handoff is not None
    assert handoff.host == "build1"
    attested = newest_fresh(
        ledger, "build1", REQ, kind=KIND_LOCAL, written_by="build1", max_age_hours=1e6
    )
    assert attested is not None
    assert attested.id == "_readiness/build1/000001"
    # a host without remote access is ready through its own signed attestation, as before
    offline = Workstation.from_host_vars(
        "build1",
        HostVars.model_validate({"wrk_access": "none", "wrk_signing_key": str(OLD / "build1.pub")}),
    )
    src = ReadinessSource(ledger, tmp_path, fresh_hours=1e6)
    seen = src.for_row(StageRequirements.model_validate({"tools": ["git"]}), [offline])
    assert seen["build1"].ready, seen["build1"].reason
    assert seen["build1"].source == "attestation _readiness/build1/000001"


def test_a_record_written_now_starts_a_host_at_clone_chain_beside_the_old_one(
    store: Path,
) -> None:
    before = digests(store)
    ledger = Ledger(store, clone=CLONE)
    new = ledger.append("WRK-105", "build1", "gate", {"stage": "close", "verdict": "pass"})
    assert new.path.parent == store / "WRK-105" / f"build1@{CLONE}"
    assert (new.id, new.writer, new.host) == (
        f"WRK-105/build1@{CLONE}/000001",
        f"build1@{CLONE}",
        "build1",
    )
    assert (new.data["schema_version"], new.data["host"]) == (SCHEMA_VERSION, "build1")
    assert {link["writer"] for link in new.data["links"]} == {"build1", "build2"}
    assert all(digests(store)[k] == v for k, v in before.items())  # old chains untouched
    assert problems(ledger) == []
    # build1's key covers every chain of build1: the new, unsigned record is refused
    assert problems(ledger, keys()) == [
        f"WRK-105/build1@{CLONE}/000001: not signed, but its writer has a signing key in the "
        "inventory"
    ]
    assert latest(ledger, "WRK-105", GateBody, stage="close") is not None
    assert host_of(new.writer) == "build1"


def test_a_record_naming_another_host_than_its_chain_is_caught(store: Path) -> None:
    ledger = Ledger(store, clone=CLONE)
    record = ledger.append("WRK-105", "build1", "gate", {"stage": "close"})
    data = json.loads(record.path.read_bytes())
    data["host"] = "build2"  # moved into build1's chain, or edited to speak for build2
    record.path.write_text(json.dumps(data, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    assert any("do not match its place" in p for p in problems(ledger))


def test_an_attestation_counts_only_when_its_host_wrote_it(store: Path) -> None:
    """The "host's own attestation" is the host's (``host`` field and chain), never a record
    that merely sits in, or names, the host."""
    ledger = Ledger(store, clone=CLONE)
    shutil.rmtree(store / "_readiness" / "build1")
    obs = json.loads((OLD / "evidence/_readiness/build1/000001-attestation.json").read_bytes())
    observation = obs["body"]["observation"]
    record_observation(ledger, "build2", observation, REQ, local=True)  # build2 vouching
    assert (
        newest_fresh(ledger, "build1", REQ, kind=KIND_LOCAL, written_by="build1", max_age_hours=1e6)
        is None
    )
    mine = record_observation(ledger, "build1", observation, REQ, local=True)
    found = newest_fresh(
        ledger, "build1", REQ, kind=KIND_LOCAL, written_by="build1", max_age_hours=1e6
    )
    assert found is not None
    assert found.id == mine.id == f"_readiness/build1@{CLONE}/000001"


@pytest.mark.parametrize("name", ["build1", f"build1@{CLONE}", "ws.example.org@0a1b"])
def test_chain_names_old_and_new_are_accepted(tmp_path: Path, name: str) -> None:
    assert Ledger(tmp_path).chain_dir("WRK-1", name).name == name


@pytest.mark.parametrize("name", ["../x", "build1@", "@abc", "build1@x/y", "build1@ABCD!"])
def test_unsafe_chain_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(Exception, match="cannot name an evidence folder"):
        Ledger(tmp_path).chain_dir("WRK-1", name)
