"""Reading an ansible-runner artifact directory (wrk_ansible.readiness.artifacts): the events a
real run writes, and hostile directories, which are refused whole with a message naming the
file and the field (docs/awx.md). Directories are made on disk in tmp_path."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.readiness.artifacts import (
    MAX_EVENT_BYTES,
    ArtifactError,
    find_run_dir,
    read_artifacts,
)

NOW = datetime.now(UTC)
CREATED = NOW.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
TOOL_CHECK = {
    "name": "solver",
    "kind": "tool",
    "required": ">= 2.0",
    "found": "2.4.1 at /usr/bin/solver",
    "ok": True,
    "reason": "version 2.4.1 meets >= 2.0",
    "spec": {"name": "solver", "min_version": "2.0"},
    "data": {"version": "2.4.1", "path": "/usr/bin/solver"},
}
SOLVER = StageRequirements.model_validate({"tools": [{"name": "solver", "min_version": "2.0"}]})


def result(*checks: Mapping[str, Any], mode: str = "requirements") -> dict[str, Any]:
    return {
        "schema_version": 2,
        "facts": {"os": "linux", "hostname": "h"},
        "mode": mode,
        "checks": list(checks),
        "ready": all(c["ok"] is True for c in checks),
    }


def event(counter: int, kind: str, **data: Any) -> dict[str, Any]:
    return {
        "uuid": f"u{counter}",
        "counter": counter,
        "event": kind,
        "created": CREATED,
        "event_data": data,
    }


def write_run(root: Path, events: list[Any], *, status: str = "failed", rc: str = "2") -> Path:
    """An artifact dir as ansible-runner writes it: PRIVATE/artifacts/IDENT/{job_events,...}."""
    run = root / "artifacts" / "ident-1"
    (run / "job_events").mkdir(parents=True)
    for index, item in enumerate(events, start=1):
        text = item if isinstance(item, str) else json.dumps(item)
        (run / "job_events" / f"{index}-u{index}.json").write_text(text, encoding="utf-8")
    (run / "status").write_text(status, encoding="utf-8")
    (run / "rc").write_text(rc, encoding="utf-8")
    return run


def standard_events() -> list[Any]:
    return [
        event(1, "playbook_on_start"),
        event(
            2,
            "runner_on_ok",
            host="ws_ready",
            task_action="wrkansible.wrk.wrk_probe",
            res=result(TOOL_CHECK),
        ),
        event(3, "runner_on_unreachable", host="ws_down", res={"msg": "Connection refused"}),
        event(
            4,
            "playbook_on_stats",
            artifact_data={"wrk_readiness": {"ws_ready": result(TOOL_CHECK)}},
            ok={"ws_ready": 1},
            dark={"ws_down": 1},
        ),
    ]


def test_a_run_gives_ready_and_unreachable_observations(tmp_path: Path) -> None:
    write_run(tmp_path, standard_events())
    for given in (tmp_path, tmp_path / "artifacts", tmp_path / "artifacts" / "ident-1"):
        run = read_artifacts(given)
        assert run.directory == str(tmp_path / "artifacts" / "ident-1")
        assert (run.status, run.rc) == ("failed", 2)
        assert set(run.observations) == {"ws_ready", "ws_down"}
        ready, down = run.observations["ws_ready"], run.observations["ws_down"]
        assert ready.ready
        assert ready.source.startswith("artifacts ")
        assert ready.observed_at is not None
        assert ready.observed_at.startswith(NOW.strftime("%Y-%m-%dT%H:%M:%S"))
        assert not down.reachable
        assert "Connection refused" in down.message
        assert run.unusable("ws_ready", SOLVER, 25) is None


def test_other_requirements_or_stale_runs_are_not_used(tmp_path: Path) -> None:
    run = read_artifacts(write_run(tmp_path, standard_events()))
    newer = StageRequirements.model_validate({"tools": [{"name": "solver", "min_version": "3"}]})
    assert "the stage needs tool solver (>= 3)" in (run.unusable("ws_ready", newer, 25) or "")
    assert "declarations" in (run.unusable("ws_ready", None, 25) or "")
    later = NOW + timedelta(hours=30)
    assert "hours ago" in (run.unusable("ws_ready", SOLVER, 25, now=later) or "")
    assert run.unusable("ws_other", SOLVER, 25) is None  # not covered: gated as usual


def test_a_run_of_an_older_probe_has_no_spec_and_is_not_used(tmp_path: Path) -> None:
    old = {k: v for k, v in TOOL_CHECK.items() if k not in ("spec", "data")}
    published = {k: v for k, v in result(old).items() if k != "schema_version"}
    events = [event(1, "playbook_on_stats", artifact_data={"wrk_readiness": {"h1": published}})]
    run = read_artifacts(write_run(tmp_path, events))
    assert "schema 1, with no spec" in (run.unusable("h1", SOLVER, 25) or "")


def test_jinja_in_a_value_stays_inert_text(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    jinja = "{{ lookup('pipe', 'touch " + str(canary) + "') }}"
    check = dict(TOOL_CHECK, reason=jinja, found=jinja)
    events = [event(1, "playbook_on_stats", artifact_data={"wrk_readiness": {"h1": result(check)}})]
    run = read_artifacts(write_run(tmp_path, events))
    (seen,) = run.observations["h1"].checks
    assert seen.reason == jinja  # carried as data, never rendered
    assert not canary.exists()


HOSTILE: dict[str, tuple[list[Any], str]] = {
    "not JSON": (["{not json"], "1-u1.json:1: not JSON"),
    "an array": ([[1, 2]], "1-u1.json:1: an event must be a JSON object"),
    "no event name": ([{"counter": 1}], "1-u1.json:1: field event must be an event name"),
    "counter a string": (
        [dict(event(1, "playbook_on_start"), counter="1")],
        "1-u1.json:1: field counter must be int, got str",
    ),
    "event_data a list": (
        [dict(event(1, "runner_on_ok"), event_data=[1])],
        "1-u1.json:1: field event_data must be dict, got list",
    ),
    "res a string": (
        [event(1, "runner_on_ok", host="h1", res="x")],
        "1-u1.json:1: field res must be dict, got str",
    ),
    "jinja host": (
        [event(1, "runner_on_unreachable", host="{{ lookup('pipe','id') }}")],
        "1-u1.json:1: event_data.host",
    ),
    "jinja host in set_stats": (
        [event(1, "playbook_on_stats", artifact_data={"wrk_readiness": {"{{ x }}": {}}})],
        "1-u1.json:1: artifact_data.wrk_readiness key",
    ),
    "published results a list": (
        [event(1, "playbook_on_stats", artifact_data={"wrk_readiness": ["h1"]})],
        "must map hosts to results",
    ),
    "check with a non-boolean ok": (
        [
            event(
                1,
                "playbook_on_stats",
                artifact_data={"wrk_readiness": {"h1": result(dict(TOOL_CHECK, ok="yes"))}},
            )
        ],
        "checks.0.ok: Input should be a valid boolean",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_events_refuse_the_directory_naming_file_and_field(
    tmp_path: Path, case: str
) -> None:
    events, message = HOSTILE[case]
    write_run(tmp_path, events)
    with pytest.raises(ArtifactError) as exc:
        read_artifacts(tmp_path)
    assert message in str(exc.value)
    assert exc.value.exit_code == 1


def test_an_error_names_the_line_of_the_field_in_a_multi_line_event(tmp_path: Path) -> None:
    """Events are one line as ansible-runner writes them; one written by hand (or by another
    tool) pretty-printed gets the line of the field, and of a JSON syntax error."""
    bad = dict(event(1, "runner_on_ok", host="h1"), counter="one")
    run = write_run(tmp_path / "a", [json.dumps(bad, indent=2, sort_keys=True)])
    text = (run / "job_events" / "1-u1.json").read_text(encoding="utf-8").splitlines()
    with pytest.raises(ArtifactError, match="field counter must be int") as caught:
        read_artifacts(run)
    assert caught.value.line == 1 + next(i for i, t in enumerate(text) if '"counter"' in t)
    assert str(caught.value.path).endswith("ident-1/job_events/1-u1.json")
    broken = write_run(tmp_path / "b", ['{\n  "event": "runner_on_ok",\n  "counter": \n}'])
    with pytest.raises(ArtifactError, match=r"1-u1\.json:4: not JSON") as caught:
        read_artifacts(broken)


def test_a_huge_event_is_refused_without_being_read(tmp_path: Path) -> None:
    run = write_run(tmp_path, standard_events())
    huge = run / "job_events" / "9-huge.json"
    with huge.open("wb") as handle:  # sparse: the size is what counts, not the disk used
        handle.truncate(MAX_EVENT_BYTES * 64)
    with pytest.raises(ArtifactError, match=r"9-huge\.json: \d+ bytes, more than"):
        read_artifacts(tmp_path)


def test_symlinks_and_devices_are_refused(tmp_path: Path) -> None:
    run = write_run(tmp_path, standard_events())
    os.symlink("/dev/zero", run / "job_events" / "9-zero.json")
    with pytest.raises(ArtifactError, match=r"9-zero\.json: not a regular file"):
        read_artifacts(tmp_path)


def test_bad_status_file_and_missing_or_ambiguous_runs(tmp_path: Path) -> None:
    run = write_run(tmp_path / "a", standard_events(), status="{{ x }}")
    with pytest.raises(ArtifactError, match=r"ident-1/status:1: unexpected content"):
        read_artifacts(run)
    with pytest.raises(ArtifactError, match="no job_events"):
        find_run_dir(tmp_path / "a" / "artifacts" / "ident-1" / "job_events")
    with pytest.raises(ArtifactError, match="not a directory"):
        find_run_dir(tmp_path / "nowhere")
    (tmp_path / "a" / "artifacts" / "ident-2" / "job_events").mkdir(parents=True)
    with pytest.raises(ArtifactError, match="holds 2 runs"):
        find_run_dir(tmp_path / "a")
