"""The team's two real snapshots graded against their real baselines (harness-config.yaml),
per dimension, with expectations worked out by hand from the files:

- dev-primary (schema 4, 2026-08-03T18:47:03): 32 cores and 32037 MiB (31.3 GiB) over a floor of
  16 cores / 16 GiB; every solver absent, as its baseline expects of a Linux dev box; claude,
  codex, gemini and hermes present, as expected: **ok** in every dimension.
- ace-win-1 (schema 5, 2026-07-27T11:18:15): 64 cores, 261848 MiB (255.7 GiB) over 8 / 12: ok;
  its baseline wants every solver **licensed**, the snapshot says orcaflex present, orcawave
  absent, aqwa present, ansys present: all four below; claude and codex present, gemini and
  hermes absent, exactly its thin-host baseline: ok. Overall **below-baseline**, naming the
  solvers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wrk_ansible.errors import InputError
from wrk_ansible.fleet.equality import generated, read_harness_baselines, read_snapshot
from wrk_ansible.fleet.grade import Grade, Observed, grade

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "equality"
BASELINES = read_harness_baselines(str(FIXTURES / "harness-config.yaml"))


def observed(machine: str) -> Observed:
    snap = read_snapshot(str(FIXTURES / f"equality-{machine}.yaml"))
    return Observed(
        machine, generated(snap), snap.reachable, snap.dimensions, f"snapshot {machine}", True
    )


def by_dimension(
    machine: str, hours_later: float = 1
) -> tuple[Grade, dict[str, tuple[Grade, tuple[str, ...]]]]:
    seen = observed(machine)
    graded = grade(machine, BASELINES[machine], seen, seen.at + timedelta(hours=hours_later), 25)
    return graded.grade, {d.name: (d.grade, d.what) for d in graded.dimensions}


def test_the_harness_baselines_load() -> None:
    assert set(BASELINES) >= {"dev-primary", "dev-secondary", "gpu-claw", "ace-win-1", "ace-win-2"}
    win = BASELINES["ace-win-1"]
    assert win.compute_floor is not None
    assert (win.compute_floor.cores_min, win.compute_floor.ram_gib_min) == (8, 12)
    assert win.solvers == {
        "orcaflex": "licensed",
        "orcawave": "licensed",
        "aqwa": "licensed",
        "ansys": "licensed",
    }
    assert win.agents == {
        "claude": "present",
        "codex": "present",
        "gemini": "absent",
        "hermes": "absent",
    }
    assert "home-win" not in BASELINES or BASELINES["home-win"].solvers == {}


def test_dev_primary_is_ok_in_every_dimension() -> None:
    overall, dims = by_dimension("dev-primary")
    assert overall is Grade.OK
    assert dims == {
        "compute": (Grade.OK, ()),
        "solvers": (Grade.OK, ()),
        "agents": (Grade.OK, ()),
    }
    snap = read_snapshot(str(FIXTURES / "equality-dev-primary.yaml"))
    assert snap.dimensions.compute is not None
    assert (snap.dimensions.compute.cores, round(snap.dimensions.compute.ram_gib or 0, 1)) == (
        32,
        31.3,
    )
    assert snap.dimensions.checkout is not None
    assert (snap.dimensions.checkout.dirty, snap.dimensions.checkout.behind) == (False, 0)


def test_ace_win_1_is_below_baseline_on_its_solvers_only() -> None:
    overall, dims = by_dimension("ace-win-1")
    assert overall is Grade.BELOW
    assert dims["compute"] == (Grade.OK, ())
    assert dims["agents"] == (Grade.OK, ())
    assert dims["solvers"] == (
        Grade.BELOW,
        (
            "orcaflex present, expected licensed",
            "orcawave absent, expected licensed",
            "aqwa present, expected licensed",
            "ansys present, expected licensed",
        ),
    )


def test_old_evidence_is_stale_and_no_evidence_too() -> None:
    seen = observed("ace-win-1")
    now = datetime(2026, 8, 4, 12, tzinfo=UTC)
    old = grade("ace-win-1", BASELINES["ace-win-1"], seen, now, 25)
    assert old.grade is Grade.STALE
    assert old.why.startswith("newest evidence 193 h old")
    assert grade("gpu-claw", BASELINES["gpu-claw"], None, now, 25).grade is Grade.STALE


def test_a_bad_snapshot_names_the_file_line_and_field(tmp_path: Path) -> None:
    text = (FIXTURES / "equality-ace-win-1.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "equality-bad.yaml"
    bad.write_text(
        text.replace("{name: orcaflex, status: present", "{name: orcaflex, status: maybe"),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_snapshot(str(bad))
    assert caught.value.path == str(bad)
    assert caught.value.field == "dimensions.solvers.0.status"
    assert caught.value.line == text[: text.index("{name: orcaflex")].count("\n") + 1
    old = tmp_path / "equality-old.yaml"
    old.write_text(text.replace("schema_version: 5", "schema_version: 2"), encoding="utf-8")
    with pytest.raises(InputError, match="schema_version 2 is not read"):
        read_snapshot(str(old))
