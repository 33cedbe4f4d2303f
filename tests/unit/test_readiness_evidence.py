"""The one readiness source: which recorded observations stand in for a probe, and for whom."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.decision.readiness import Basis
from wrk_ansible.evidence.ledger import Ledger, Signer
from wrk_ansible.evidence.readiness import KIND_PROBE, newest_fresh, record_observation
from wrk_ansible.readiness.results import Observation, parse_probe_result, requirements_data
from wrk_ansible.readiness.source import Mode, ReadinessSource
from wrk_ansible.registry.hostvars import HostVars
from wrk_ansible.registry.workstation import Workstation

REQUIREMENTS = StageRequirements.model_validate({"tools": [{"name": "git"}]})
REQ = requirements_data(REQUIREMENTS)


def result(schema: int = 2) -> dict[str, Any]:
    check = {
        "name": "git",
        "kind": "tool",
        "required": "present",
        "found": "/usr/bin/git",
        "ok": True,
        "reason": "found on PATH",
        "spec": {"name": "git", "min_version": None},
        "data": {"version": None, "path": "/usr/bin/git"},
    }
    return {"schema_version": schema, "mode": "requirements", "facts": {}, "checks": [check]}


def observation(host: str, *, reachable: bool = True, schema: int = 2) -> dict[str, Any]:
    if not reachable:
        return Observation(host=host, reachable=False, message="refused").as_dict()
    return parse_probe_result(host, result(schema), source="probe", observed_at=None).as_dict()


def ws(name: str, **vars: Any) -> Workstation:
    return Workstation.from_host_vars(name, HostVars.model_validate(vars))


class Prober:
    """Records which hosts a source asked to probe; answers them ready."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, hosts: Sequence[str], _req: StageRequirements) -> Mapping[str, Observation]:
        self.asked += hosts
        return {h: parse_probe_result(h, result(), source="probe", observed_at=None) for h in hosts}


def source(ledger: Ledger, tmp_path: Path, **kw: Any) -> tuple[ReadinessSource, Prober]:
    prober = Prober()
    return ReadinessSource(ledger, tmp_path, prober=prober, **kw), prober


def test_a_recent_probe_run_is_reused_for_the_same_requirements(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ev")
    record = record_observation(ledger, "control", observation("ws1"), REQ)
    src, prober = source(ledger, tmp_path)
    seen = src.for_row(REQUIREMENTS, [ws("ws1")])["ws1"]
    assert seen.ready
    assert seen.source == f"evidence {record.id}"
    assert seen.basis is Basis.OBSERVED
    assert prober.asked == []
    other = StageRequirements.model_validate({"tools": ["svn"]})
    src.for_row(other, [ws("ws1"), ws("ws2")])
    assert prober.asked == ["ws1", "ws2"]


def test_stale_and_future_dated_records_do_not_count(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    record_observation(ledger, "control", observation("ws1"), REQ)
    later = datetime.now(UTC) + timedelta(hours=26)
    assert newest_fresh(ledger, "ws1", REQ, kind=KIND_PROBE, now=later) is None
    assert newest_fresh(ledger, "ws1", REQ, kind=KIND_PROBE, now=later, max_age_hours=27)
    earlier = datetime.now(UTC) - timedelta(hours=1)  # the record looks an hour ahead
    assert newest_fresh(ledger, "ws1", REQ, kind=KIND_PROBE, now=earlier) is None


def test_an_attestation_never_stands_for_a_reachable_host(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ev")
    # `wrk readiness --local --here ws1` run anywhere: it names ws1, any machine can claim that
    record_observation(ledger, "ws1", observation("ws1"), REQ, local=True)
    src, prober = source(ledger, tmp_path)
    assert src.for_row(REQUIREMENTS, [ws("ws1")])["ws1"].source == "probe"
    assert prober.asked == ["ws1"]


def test_an_unreachable_observation_or_an_old_schema_is_never_reused(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ev")
    record_observation(ledger, "control", observation("ws1", reachable=False), REQ)
    record_observation(ledger, "control", observation("ws2", schema=1), REQ)
    src, prober = source(ledger, tmp_path)
    src.for_row(REQUIREMENTS, [ws("ws1"), ws("ws2")])
    assert prober.asked == ["ws1", "ws2"]


def test_forecast_mode_never_probes_and_says_it_assumed(tmp_path: Path) -> None:
    src, prober = source(Ledger(tmp_path / "ev"), tmp_path, mode=Mode.FORECAST)
    seen = src.for_row(REQUIREMENTS, [ws("ws1")])["ws1"]
    assert (seen.ready, seen.basis, seen.source) == (True, Basis.ASSUMED, "declarations")
    assert prober.asked == []


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name in ("good", "other"):
        key = tmp_path / name
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
            check=True,
        )
        out[name] = key
    return out


@pytest.mark.parametrize("mode", list(Mode))
def test_a_host_without_access_counts_only_with_its_own_signed_attestation(
    tmp_path: Path, keys: dict[str, Path], mode: Mode
) -> None:
    ledger = Ledger(tmp_path / "ev")
    win = ws("win1", wrk_access="none", wrk_signing_key=str(keys["good"]) + ".pub")
    src, prober = source(ledger, tmp_path, mode=mode)
    missing = src.for_row(REQUIREMENTS, [win])["win1"]
    assert not missing.ready
    assert missing.basis is Basis.NONE
    assert "no fresh attestation" in missing.reason

    # a probe run by someone else, or an attestation in another chain, vouches for nothing
    record_observation(ledger, "control", observation("win1"), REQ)
    record_observation(ledger, "control", observation("win1"), REQ, local=True)
    src, prober = source(ledger, tmp_path, mode=mode)
    assert not src.for_row(REQUIREMENTS, [win])["win1"].ready

    signed = record_observation(
        ledger, "win1", observation("win1"), REQ, local=True, signer=Signer(keys["good"])
    )
    src, prober = source(ledger, tmp_path, mode=mode)
    seen = src.for_row(REQUIREMENTS, [win])["win1"]
    assert seen.ready
    assert seen.source == f"attestation {signed.id}"
    assert prober.asked == []

    rotated = ws("win1", wrk_access="none", wrk_signing_key=str(keys["other"]) + ".pub")
    src, _ = source(ledger, tmp_path, mode=mode)
    after = src.for_row(REQUIREMENTS, [rotated])["win1"]
    assert not after.ready
    assert "signature does not verify" in after.reason


def test_a_wrong_key_attestation_is_refused(tmp_path: Path, keys: dict[str, Path]) -> None:
    ledger = Ledger(tmp_path / "ev")
    win = ws("win1", wrk_access="none", wrk_signing_key=str(keys["good"]) + ".pub")
    record_observation(
        ledger, "win1", observation("win1"), REQ, local=True, signer=Signer(keys["other"])
    )
    src, _ = source(ledger, tmp_path, mode=Mode.FORECAST)
    seen = src.for_row(REQUIREMENTS, [win])["win1"]
    assert not seen.ready
    assert "signature does not verify" in seen.reason
    unsigned = ws("win1", wrk_access="none")
    src, _ = source(ledger, tmp_path, mode=Mode.FORECAST)
    assert "no wrk_signing_key" in src.for_row(REQUIREMENTS, [unsigned])["win1"].reason


def test_no_requirements_hash_alike_everywhere() -> None:
    """A row without requirements, `wrk readiness` without --requirements and `--local` record
    and look up under one key."""
    assert requirements_data(None) == requirements_data(StageRequirements()) == {}


def test_a_forecast_never_calls_a_host_seen_down_ready(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ev")
    record = record_observation(ledger, "control", observation("ws1", reachable=False), REQ)
    src, prober = source(ledger, tmp_path, mode=Mode.FORECAST)
    seen = src.for_row(REQUIREMENTS, [ws("ws1")])["ws1"]
    assert not seen.ready
    assert seen.basis is Basis.OBSERVED
    assert seen.source == f"evidence {record.id}"
    assert prober.asked == []
    gate, prober = source(ledger, tmp_path)  # a gate asks again instead
    assert gate.for_row(REQUIREMENTS, [ws("ws1")])["ws1"].ready
    assert prober.asked == ["ws1"]


def test_non_finite_numbers_in_probe_data_are_refused() -> None:
    bad = result()
    bad["checks"][0]["data"] = {"version": float("nan")}
    with pytest.raises(ValueError, match="finite"):
        parse_probe_result("ws1", bad, source="probe", observed_at=None)


def test_the_signing_keys_public_half_is_read_beside_it(keys: dict[str, Path]) -> None:
    key = keys["good"]
    public = key.with_name("good.pub").read_text(encoding="utf-8").strip()
    assert Signer(key).public_key() == public
    key.with_name("good.pub").unlink()  # then derived from the private key: the same key
    assert Signer(key).public_key().split()[:2] == public.split()[:2]
