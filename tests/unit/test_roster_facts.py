"""The rules file's machine facts as registry facts, over the team's real files.

The rules file is the team's, copied unchanged (tests/fixtures/github/routing-rules-2026-08.yaml);
the inventory is this repository's (``inventory/``), read as YAML (no Ansible). What the team's
file says, worked out by reading its ``machines:`` by hand:

- ``licensed-win-2`` is ``available: false`` since 2026-07-31T11:00Z, blocked on wh#3721 (host
  down); the inventory host ``ace-win-2`` lists ``licensed-win-2`` as an alias: it is held.
- every other machine is available (``available`` is not written: true): dev-primary,
  dev-secondary, cfd-dedicated (the host ``gpu-claw``: its hostname, and a machine_aliases key),
  licensed-win-1 (``ace-win-1``'s alias), macbook-portable; home-win and multi are no host here.
- so exactly one host of the inventory is held: ace-win-2.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from wrk_ansible.contract.models import StageAssignment, StageRequirements
from wrk_ansible.contract.resolve import ResolvedStage
from wrk_ansible.decision.outcomes import Check, Outcome, Verdict
from wrk_ansible.decision.verdict import Here, HostReadiness, RowInputs, decide
from wrk_ansible.errors import InputError
from wrk_ansible.issues.rules import load_rules
from wrk_ansible.names import row_scope
from wrk_ansible.registry import ops
from wrk_ansible.registry.availability import INVENTORY, Attestation, Unavailable
from wrk_ansible.registry.edit import edit_inventory
from wrk_ansible.registry.hostvars import HostVars
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.roster import lay_over, shown
from wrk_ansible.registry.workstation import Workstation

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "tests" / "fixtures" / "github" / "routing-rules-2026-08.yaml"
SHOWN = "tests/fixtures/github/routing-rules-2026-08.yaml"
#: The file wrk.yml names: the same rules, with a header comment.
CONFIG_RULES = REPO / "config" / "routing-rules.yml"
BLOCKED = (
    "wh#3721 — host DOWN, needs a power cycle. Tailnet pings 1 ms and 22/3389/445/135 all "
    "accept TCP, but SSH stalls exactly at key exchange and RDP is unresponsive: the kernel "
    "accepts while userland cannot service. Resource exhaustion (~2.2 GB free of 16 GB), not a "
    "network or sshd fault — restarting sshd did not help because sshd was never the problem. "
    "A TCP-only reachability probe reports this host UP; that is the trap."
)
HELD_TEXT = (
    f"ace-win-2 is unavailable per {SHOWN} (machines.licensed-win-2): blocked on "
    f"{BLOCKED[:-1]}, since 2026-07-31T11:00Z"
)


def inventory_registry(root: Path = REPO / "inventory") -> Registry:
    """An inventory's hosts with every wrk_* var of their host_vars, and its groups (YAML)."""
    hosts = []
    for path in sorted((root / "host_vars").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        wrk = {k: v for k, v in data.items() if k.startswith("wrk_")}
        hosts.append(Workstation.from_host_vars(path.stem, HostVars.model_validate(wrk)))
    tree = yaml.safe_load((root / "hosts.yml").read_text(encoding="utf-8"))
    groups = {
        name: tuple(group.get("hosts") or {}) for name, group in tree["all"]["children"].items()
    }
    return Registry(source=str(root), workstations=tuple(hosts), groups=groups)


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # source names are shown relative to the current folder


def team(registry: Registry | None = None, rules: Path = RULES) -> Registry:
    return lay_over(registry or inventory_registry(), load_rules(str(rules)), str(rules))


def test_the_team_file_holds_exactly_ace_win_2() -> None:
    laid = team()
    assert [ws.name for ws in laid.workstations if not ws.available] == ["ace-win-2"]
    held = laid.get("ace-win-2")
    assert held.state == "active"  # the inventory itself says nothing against it
    assert held.unavailability == (
        Unavailable(
            source=SHOWN,
            state="unavailable",
            entry="machines.licensed-win-2",
            reason=BLOCKED,
            since="2026-07-31T11:00Z",
        ),
    )
    assert held.unavailable_reason == HELD_TEXT
    # the copy wrk.yml names holds the same host, naming itself
    config = team(rules=CONFIG_RULES).get("licensed-win-2")
    assert [u.source for u in config.unavailability] == ["config/routing-rules.yml"]


def test_control_the_inventory_alone_holds_nothing() -> None:
    assert all(ws.available for ws in inventory_registry().workstations)


def test_roster_machines_resolve_to_their_hosts() -> None:
    laid = team()
    machines = {ws.name: ws.roster.machine for ws in laid.workstations if ws.roster}
    assert machines == {
        "dev-primary": "dev-primary",
        "dev-secondary": "dev-secondary",
        "gpu-claw": "cfd-dedicated",  # by its hostname (and the alias gpu-claw)
        "ace-win-1": "licensed-win-1",  # the host lists licensed-win-1 as an alias
        "ace-win-2": "licensed-win-2",
        "macbook-portable": "macbook-portable",
    }
    assert laid.get("gali-linux-compute-1").roster is None  # no roster machine is it
    assert laid.get("gali-linux-compute-1").as_dict()["roster"] is None


def test_licence_attestations_dispatch_paths_and_shown_facts_are_kept() -> None:
    laid = team()
    win1 = laid.get("ace-win-1").roster
    assert win1 is not None
    assert (win1.source, win1.entry) == (SHOWN, "machines.licensed-win-1")
    assert win1.capabilities == ("orcawave", "aqwa", "orcaflex")
    assert (win1.capacity, win1.shared_tenancy) == ("heavy", True)
    assert [(a.solver, a.at, a.by) for a in win1.licence_verified] == [
        ("aqwa", date(2026, 7, 31), "fleet-session"),
        ("orcaflex", date(2026, 7, 31), "fleet-session"),
        ("orcawave", date(2026, 7, 31), "fleet-session"),
    ]
    assert win1.licence_verified[2].how == "shares the same single Flex seat as orcaflex"
    assert dict(win1.dispatch_path) == {
        "orcaflex": "scheduled-task",
        "orcawave": "scheduled-task",
        "aqwa": "any",
    }
    assert dict(win1.concurrency) == {"aqwa": 2}
    win2 = laid.get("ace-win-2").roster
    assert win2 is not None
    assert (win2.capacity, win2.shared_tenancy) == ("workstation", False)
    assert win2.licence_verified == (
        Attestation(
            "orcawave",
            date(2026, 7, 30),
            "owner",
            "bokalift orcawave-diffraction-solve ran end-to-end",
        ),
    )
    assert win2.dispatch_path == ()
    claw = laid.get("gpu-claw").roster
    assert claw is not None
    assert (claw.capabilities, claw.capacity, claw.licence_verified) == (
        ("cfd", "openfoam"),
        None,
        (),
    )
    shown_json = laid.get("ace-win-1").as_dict()
    assert shown_json["available"] is True
    assert shown_json["unavailable"] == []
    assert shown_json["roster"]["dispatch_path"]["orcaflex"] == "scheduled-task"
    assert shown_json["roster"]["licence_verified"][0]["at"] == "2026-07-31"


# -- precedence: any source that says unavailable wins ------------------------------------------


def test_a_drain_and_the_rules_file_both_hold_and_resume_clears_only_the_drain(
    tmp_path: Path,
) -> None:
    inventory = Path(shutil.copytree(REPO / "inventory", tmp_path / "inventory"))
    with edit_inventory(str(inventory)) as edit:
        ops.drain(edit, "ace-win-2", "disk swap")
    drained = team(inventory_registry(inventory)).get("ace-win-2")
    assert [(u.source, u.state) for u in drained.unavailability] == [
        (INVENTORY, "drained"),
        (SHOWN, "unavailable"),
    ]
    assert drained.unavailable_reason == f"ace-win-2 is drained: disk swap; {HELD_TEXT}"

    with edit_inventory(str(inventory)) as edit:
        ops.resume(edit, "ace-win-2")
    resumed = team(inventory_registry(inventory)).get("ace-win-2")
    assert resumed.state == "active"  # the inventory's own state is cleared...
    assert not resumed.available  # ...and the rules file still holds the host
    assert [u.source for u in resumed.unavailability] == [SHOWN]
    assert resumed.unavailable_reason == HELD_TEXT


def test_a_drain_holds_a_host_the_rules_file_says_nothing_against(tmp_path: Path) -> None:
    inventory = Path(shutil.copytree(REPO / "inventory", tmp_path / "inventory"))
    with edit_inventory(str(inventory)) as edit:
        ops.drain(edit, "ace-win-1", "fan")
    win1 = team(inventory_registry(inventory)).get("ace-win-1")
    assert win1.roster is not None
    assert not win1.unavailable_per
    assert win1.unavailable_reason == "ace-win-1 is drained: fan"


# -- the decision: screened out, the gap names the source ------------------------------------


def _row(**assign: Any) -> ResolvedStage:
    return ResolvedStage(
        stage="execute",
        assignment=StageAssignment.model_validate({"primary": "claude", **assign}),
        requirements=StageRequirements(),
        origin={},
        explicit=True,
    )


def _ready(host: str) -> HostReadiness:
    check = Check(name="tool:git", outcome=Outcome.PASS, reason="found", host=host)
    return HostReadiness(host=host, reachable=True, checks=(check,), source="probe")


def _decide(
    registry: Registry, row: ResolvedStage, ready: tuple[str, ...] = (), here: str = "ace-win-1"
) -> Any:
    return decide(
        RowInputs(
            wrk="WRK-1",
            row=row,
            scope=row_scope(row, registry),
            hosts=registry,
            readiness={name: _ready(name) for name in ready},
            here=Here(name=here, local=None, handoff_ref="ev"),
        )
    )


def test_a_held_host_is_screened_out_and_the_gap_names_the_rules_file() -> None:
    laid = team()
    paused = _decide(laid, _row(workstations=["licensed-win-2"]))
    assert paused.verdict is Verdict.PAUSE
    state = next(c for c in paused.checks if c.name == "state")
    assert (state.outcome, state.host) == (Outcome.FAIL, "ace-win-2")
    assert state.found == f"unavailable per {SHOWN}"
    assert state.reason == HELD_TEXT
    assert state.data == {"unavailable_per": [SHOWN]}
    (gap,) = paused.gaps
    assert gap.summary == f"WRK-1 execute: no ready machine (ace-win-2: {HELD_TEXT})"
    assert not any("ace-win-2" in proposal for proposal in gap.proposals)

    moved = _decide(
        laid, _row(workstations=["licensed-win-2"], fallback=["licensed-win-1"]), ("ace-win-1",)
    )
    assert (moved.verdict, moved.hosts) == (Verdict.FALLBACK, ("ace-win-1",))


def test_control_without_the_rules_file_the_host_runs() -> None:
    plain = inventory_registry()
    ran = _decide(plain, _row(workstations=["licensed-win-2"]), ("ace-win-2",), "ace-win-2")
    assert ran.verdict is Verdict.PASS
    assert not any(c.name == "state" for c in ran.checks)


def test_proposals_skip_a_held_host() -> None:
    laid = team()
    paused = _decide(laid, _row(workstations=["licensed-win-1"]))  # not ready: no readiness
    (gap,) = paused.gaps
    assert not any(p.startswith("assign ace-win-2") for p in gap.proposals)
    plain = _decide(inventory_registry(), _row(workstations=["licensed-win-1"]))
    assert any(p.startswith("assign ace-win-2") for p in plain.gaps[0].proposals)  # control


# -- what cannot be laid over -----------------------------------------------------------------

SMALL_RULES = """\
label_axes:
  single: {"machine:": one machine}
machines:
  cfd-dedicated: {hostname: gpu-claw}
  box-a: {}
  box-b: {available: false, blocked_on: "wh#1"}
rules:
  - match: {}
    assign: {machine: box-a}
defaults: {}
"""


def _small(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(SMALL_RULES, encoding="utf-8")
    return path


def _hosts(*spec: tuple[str, list[str]]) -> Registry:
    return Registry(
        source="inv",
        workstations=tuple(
            Workstation.from_host_vars(name, HostVars.model_validate({"wrk_aliases": aliases}))
            for name, aliases in spec
        ),
        groups={},
    )


def test_a_machine_that_is_two_hosts_is_an_error_naming_file_line_and_machine(
    tmp_path: Path,
) -> None:
    path = _small(tmp_path)
    registry = _hosts(("cfd-dedicated", []), ("gpu-claw", []))
    with pytest.raises(InputError) as caught:
        lay_over(registry, load_rules(str(path)), str(path))
    err = caught.value
    assert (err.path, err.line, err.field) == (str(path), 4, "machines.cfd-dedicated")
    assert "'cfd-dedicated' is host 'cfd-dedicated'" in err.detail
    assert "'gpu-claw' is host 'gpu-claw'" in err.detail


def test_two_machines_that_are_one_host_is_an_error(tmp_path: Path) -> None:
    path = _small(tmp_path)
    registry = _hosts(("box", ["box-a", "box-b"]))
    with pytest.raises(InputError) as caught:
        lay_over(registry, load_rules(str(path)), str(path))
    assert (caught.value.line, caught.value.field) == (6, "machines.box-b")
    assert "machines 'box-a' and 'box-b' are both inventory host 'box'" in str(caught.value)


def test_no_roster_machine_in_the_inventory_changes_nothing(tmp_path: Path) -> None:
    path = _small(tmp_path)
    registry = _hosts(("elsewhere", []))
    assert lay_over(registry, load_rules(str(path)), str(path)) is registry


def test_without_blocked_on_or_since_the_text_is_shorter(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(SMALL_RULES.replace(', blocked_on: "wh#1"', ""), encoding="utf-8")
    held = lay_over(_hosts(("box-b", [])), load_rules(str(path)), str(path)).get("box-b")
    assert (
        held.unavailable_reason == f"box-b is unavailable per {shown(str(path))} (machines.box-b)"
    )


def test_sources_are_shown_relative_to_the_current_folder_only_below_it(tmp_path: Path) -> None:
    assert shown(str(REPO / "config" / "routing-rules.yml")) == "config/routing-rules.yml"
    assert shown(str(tmp_path / "rules.yml")) == str(tmp_path / "rules.yml")
