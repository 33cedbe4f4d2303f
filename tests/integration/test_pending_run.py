"""The direct run (wrk_ansible/readiness/runner.py): a real ansible-playbook, started before its
variables are known, with wrk's JSON-lines callback.

A playbook that leaves a marker file shows what ran: a run cancelled before :meth:`finish` ran
nothing on any host and leaves no temporary folder behind; a finished run returns the per-host
counters and the published stats; a timeout and a broken playbook are said as such.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest

from wrk_ansible.errors import WrkError
from wrk_ansible.packaged import content_dir
from wrk_ansible.readiness.gather import unsafe_yaml
from wrk_ansible.readiness.runner import PendingRun, run_playbook

MARKING = """\
- name: Leave a marker
  hosts: "{{ wanted_hosts }}"
  gather_facts: false
  tasks:
    - name: Touch the marker
      ansible.builtin.file:
        path: "{{ marker }}"
        state: touch
        mode: "0600"
    - name: Publish what it did
      ansible.builtin.set_stats:
        data:
          marked: "{{ marker }}"
        per_host: false
    - name: Wait when asked to
      ansible.builtin.command: sleep {{ pause | default(0) }}
      changed_when: false
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    playbook = tmp_path / "mark.yml"
    playbook.write_text(MARKING, encoding="utf-8")
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n",
        encoding="utf-8",
    )
    return playbook, inventory


def scratch_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("wrk-run-*")}


def variables(marker: Path, **more: object) -> str:
    return unsafe_yaml({"wanted_hosts": ["localhost"], "marker": str(marker), **more})


def test_cancelled_before_finish_runs_nothing_and_leaves_nothing(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    playbook, inventory = setup
    before = scratch_folders()
    with PendingRun(playbook, inventory=str(inventory), content_dir=content_dir()) as run:
        process = run._process
        assert process is not None
        assert process.poll() is None  # started, waiting for its variables
    assert process.poll() is not None  # ended by leaving the block
    assert not (tmp_path / "marker").exists()
    assert scratch_folders() == before


def test_finished_run_returns_counters_and_published_stats(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    playbook, inventory = setup
    marker = tmp_path / "marker"
    said: list[tuple[str, str]] = []
    before = scratch_folders()
    with PendingRun(playbook, inventory=str(inventory), content_dir=content_dir()) as run:
        result = run.finish(variables(marker), progress=lambda h, o, m: said.append((h, o)))
        with pytest.raises(WrkError, match="already finished"):
            run.finish(variables(marker))
    assert (result.status, result.rc) == ("successful", 0), result.output
    assert marker.exists()
    assert dict(result.custom_stats) == {"marked": str(marker)}
    [host] = result.hosts.values()
    assert (host.host, host.reachable, host.failed) == ("localhost", True, False)
    assert ("localhost", "done") in said  # the set_stats task's result
    assert result.artifact_dir == ""
    assert scratch_folders() == before


def test_a_timeout_stops_the_run_and_says_so(setup: tuple[Path, Path], tmp_path: Path) -> None:
    playbook, inventory = setup
    result = run_playbook(
        playbook,
        inventory=str(inventory),
        content_dir=content_dir(),
        extra_vars=variables(tmp_path / "marker", pause=60),
        timeout=2,
    )
    assert result.status == "timeout"
    assert result.hosts == {}  # no final counters: the run never ended on its own


def test_a_broken_playbook_is_a_failed_run_with_ansible_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("- hosts: all\n  tasks: [{not_a_module: {}}]\n", encoding="utf-8")
    result = run_playbook(
        broken,
        inventory="localhost,",
        content_dir=content_dir(),
        extra_vars=unsafe_yaml({}),
    )
    assert result.status == "failed"
    assert result.rc != 0
    assert "not_a_module" in result.output
    said = "not in the run (playbook failed: [ERROR]: couldn't resolve module/action"
    assert result.why_not_run().startswith(said)
