"""Which recorded observations a gate may reuse instead of probing again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.evidence.readiness import fresh_observation, record_observation
from wrk_ansible.readiness.results import HostObservation, ProbeCheck

REQ = {"tools": [{"name": "git"}]}


def observation(host: str, reachable: bool = True) -> HostObservation:
    check = ProbeCheck("git", "tool", "present", "/usr/bin/git", True, "found")
    return HostObservation(host, reachable, (check,) if reachable else (), {"os": "linux"})


def test_a_recent_probe_run_is_reused_for_the_same_requirements(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    record_observation(ledger, "control", observation("ws1"), REQ)
    found = fresh_observation(ledger, "ws1", REQ)
    assert found is not None
    obs, record = found
    assert obs.ready
    assert obs.source == f"evidence {record.id}"
    assert fresh_observation(ledger, "ws1", {"tools": [{"name": "svn"}]}) is None
    assert fresh_observation(ledger, "ws2", REQ) is None


def test_stale_and_future_dated_records_do_not_count(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    record_observation(ledger, "control", observation("ws1"), REQ)
    later = datetime.now(UTC) + timedelta(hours=26)
    assert fresh_observation(ledger, "ws1", REQ, now=later) is None
    assert fresh_observation(ledger, "ws1", REQ, now=later, max_age_hours=27) is not None
    earlier = datetime.now(UTC) - timedelta(hours=1)  # the record looks an hour ahead
    assert fresh_observation(ledger, "ws1", REQ, now=earlier) is None


def test_an_attestation_stands_only_for_a_host_without_remote_access(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    # `wrk readiness --local --here ws1` run anywhere: it names ws1, any machine can claim that
    record_observation(ledger, "ws1", observation("ws1"), REQ, local=True)
    assert fresh_observation(ledger, "ws1", REQ) is None
    assert fresh_observation(ledger, "ws1", REQ, own_only=True) is not None
    record_observation(ledger, "control", observation("ws2"), REQ)
    assert fresh_observation(ledger, "ws2", REQ, own_only=True) is None


def test_an_unreachable_observation_is_never_reused(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    record_observation(ledger, "control", observation("ws1", reachable=False), REQ)
    assert fresh_observation(ledger, "ws1", REQ) is None
