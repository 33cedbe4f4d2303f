"""Leases through the real command line, with real processes (docs/capacity.md#leases).

- Eight ``wrk gate ITEM claim`` processes started at once for eight items whose work runs on a
  machine capped at 3: exactly three pass, five pause naming the cap and the holders.
- A pool of one across two hosts: in one clone the second claim pauses; in two clones (real
  ``git`` clones of one work repository, claiming as two inventory hosts) both pass, and once
  merged ``wrk evidence verify`` exits 1 and the report shows the P1 double booking naming both.
- ``wrk heartbeat`` keeps a lease, an expired one is refused and frees its slot, and
  ``wrk outcome`` releases one.

Hosts use ``ansible_connection: local`` (never ssh); wrk.yml and the inventory are the test's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import wrkkit
import yaml
from gitkit import git

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
SLOW = 300  # a hang catcher only
HOSTS = ("box", "box2")
RULES = REPO_ROOT / "tests" / "fixtures" / "github" / "routing-rules-2026-08.yaml"
#: Inventory hosts named as the team's roster machines (by alias), for its rules file's caps.
TEAM_HOSTS = {"win1": "licensed-win-1", "laptop": "macbook-portable"}


def _host() -> dict[str, Any]:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "wrk_access": "local",
        "wrk_os": "linux",
        "wrk_agents": ["claude", "codex"],
    }


def _item(number: int, execute_on: str, licensed: bool | str) -> str:
    execute: dict[str, Any] = {"primary": "codex", "workstations": [execute_on]}
    front: dict[str, Any] = {
        "id": f"WRK-{number}",
        "title": f"lease test {number}",
        "status": "pending",
        "stage_assignments": {
            "claim": {
                "primary": "claude",
                "workstations": [execute_on],
                "gates": ["queue-valid"],
            },
            "execute": execute,
        },
    }
    if licensed:
        feature = (
            licensed if isinstance(licensed, str) else "solver-b" if number % 2 else "solver-a"
        )
        front["machine_capability_requirements"] = {"execute": {"licenses": [{"feature": feature}]}}
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n# lease test\n"


class Work:
    """A work repository: items, wrk.yml (capacity, leases), an inventory of two local hosts;
    evidence under ``.wrk/evidence`` inside it, committed and merged like the team's."""

    def __init__(
        self,
        root: Path,
        capacity: dict[str, Any] | None,
        ttl: float = 90,
        rules: bool = False,
    ) -> None:
        self.root = root
        if capacity is None and not rules:  # a clone of one made before
            return
        (root / "queue" / "pending").mkdir(parents=True)
        git(root, "init", "-q", "-b", "main")
        inventory = root / "inventory"
        inventory.mkdir()
        names = {h: _host() for h in HOSTS}
        if rules:
            names |= {h: {**_host(), "wrk_aliases": [alias]} for h, alias in TEAM_HOSTS.items()}
        hosts = {"all": {"children": {"linux": {"hosts": names}}}}
        (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
        config = {
            "version": 1,
            "inventory": "inventory",
            "agents": [{"name": "claude", "cli": "claude"}, {"name": "codex", "cli": "codex"}],
            "leases": {"ttl_minutes": ttl},
        }
        if capacity is not None:
            config["capacity"] = capacity
        if rules:  # the team's rules file, a copy: its pools, caps and concurrency bind
            shutil.copy(RULES, root / "rules.yml")
            config["routing_rules"] = "rules.yml"
        (root / "wrk.yml").write_text(yaml.safe_dump(config), encoding="utf-8")

    def item(self, number: int, execute_on: str = "box", licensed: bool | str = False) -> str:
        path = self.root / "queue" / "pending" / f"WRK-{number}.md"
        path.write_text(_item(number, execute_on, licensed), encoding="utf-8")
        return str(path.relative_to(self.root))

    def commit(self, message: str) -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)

    def command(self, *args: str) -> list[str]:
        return wrkkit.command(*args)

    def env(self) -> dict[str, str]:
        return wrkkit.environment(self.root / "wrk.yml")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return wrkkit.wrk(self.root, self.root / "wrk.yml", *args)

    def claim(self, item: str, here: str = "box") -> tuple[int, dict[str, Any]]:
        done = self.run("gate", item, "--stage", "claim", "--here", here, "--json")
        assert done.stdout.strip(), done.stderr
        return done.returncode, json.loads(done.stdout)


def capacity_check(gated: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in gated["checks"] if c["name"] == "capacity")


def test_eight_concurrent_claims_under_a_cap_of_three(tmp_path: Path) -> None:
    work = Work(tmp_path / "work", {"wip_caps": {"per_machine": {"box": 3}}})
    items = [work.item(n) for n in range(1, 9)]
    started = [
        subprocess.Popen(
            work.command("gate", item, "--stage", "claim", "--here", "box", "--json"),
            cwd=work.root,
            env=work.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for item in items
    ]
    results = []
    for process in started:
        out, err = process.communicate(timeout=SLOW)
        assert "Traceback" not in err, err
        assert out.strip(), err
        results.append((process.returncode, json.loads(out)))
    passed = [r for rc, r in results if rc == 0]
    paused = [r for rc, r in results if rc == 2]
    assert (len(passed), len(paused)) == (3, 5), [(rc, r["verdict"]) for rc, r in results]
    holders = {r["wrk"] for r in passed}
    leases = [r["evidence"][-1] for r in passed]
    for gated in paused:
        assert gated["verdict"] == "pause"
        (gap,) = [g for g in gated["gaps"] if "over capacity" in g["summary"]]
        assert gap["priority"] == "P1"
        assert "wip_caps.per_machine.box is full (3 of 3)" in gap["summary"]
        for holder, lease in zip(sorted(holders), sorted(leases), strict=True):
            assert f"{holder} claim on box by codex until" in gap["summary"]
            assert lease in gap["summary"]
        assert any(p.startswith("wait: the earliest slot frees at") for p in gap["proposals"])
        assert capacity_check(gated)["outcome"] == "fail"
    for gated in passed:
        assert capacity_check(gated)["found"] in {
            f"wip_caps.per_machine.box {n} of 3" for n in (1, 2, 3)
        }
    verified = work.run("evidence", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_heartbeat_keeps_a_lease_expiry_frees_it_and_an_outcome_releases_it(
    tmp_path: Path,
) -> None:
    work = Work(tmp_path / "work", {"wip_caps": {"per_machine": {"box": 1}}}, ttl=0.05)
    first, second, third = work.item(1), work.item(2), work.item(3)
    rc, _ = work.claim(first)
    assert rc == 0
    done = work.run("heartbeat", first, "--stage", "claim", "--here", "box", "--json")
    assert done.returncode == 0, done.stderr
    beat = json.loads(done.stdout)["heartbeat"]
    assert beat["stage"] == "claim"
    time.sleep(3.5)  # past the TTL of 3 s: the lease expired, its slot is free
    done = work.run("heartbeat", first, "--stage", "claim", "--here", "box")
    assert done.returncode == 1
    assert "expired at" in done.stderr
    assert "claim again" in done.stderr
    # from here on leases last 90 minutes: what follows must not depend on this machine's speed
    config = work.root / "wrk.yml"
    text = config.read_text()
    assert "ttl_minutes: 0.05" in text
    config.write_text(text.replace("ttl_minutes: 0.05", "ttl_minutes: 90"))
    rc, gated = work.claim(second)
    assert rc == 0, gated  # the stale lease no longer holds the machine's one slot

    rc, gated = work.claim(third)
    assert rc == 2
    assert "WRK-2 claim on box" in capacity_check(gated)["reason"]
    # a machine the row names as its fallback, with room, is proposed, never taken silently
    path = work.root / third
    path.write_text(
        path.read_text().replace("    - box\n---", "    - box\n    fallback:\n    - box2\n---"),
        encoding="utf-8",
    )
    rc, gated = work.claim(third)
    assert rc == 2
    (gap,) = [g for g in gated["gaps"] if "over capacity" in g["summary"]]
    assert "claim on box2: it has room and meets the requirements" in gap["proposals"]
    done = work.run(
        "outcome", second, "--stage", "execute", "--exit-code", "0", "--here", "box", "--json"
    )
    assert done.returncode == 0, done.stderr
    released = json.loads(done.stdout)["outcome"]["released"]
    assert released.startswith("WRK-2/box@")
    rc, gated = work.claim(third)
    assert rc == 0, gated


def test_a_pool_of_one_across_two_hosts_and_two_clones(tmp_path: Path) -> None:
    pool = {"solver_pools": {"flex": {"members": ["solver-a", "solver-b"], "max_concurrent": 1}}}
    origin = Work(tmp_path / "origin", pool)
    for number in (1, 2, 3, 4):
        origin.item(number, execute_on=HOSTS[number % 2], licensed=True)
    origin.commit("queue")

    # one folder: the second claim of the pool's only seat pauses, naming the holder
    rc, held = origin.claim("queue/pending/WRK-1.md", here="box2")
    assert rc == 0, held
    rc, paused = origin.claim("queue/pending/WRK-2.md", here="box")
    assert rc == 2
    assert (
        "solver_pools.flex is full (1 of 1): held by WRK-1 claim on box2"
        in (capacity_check(paused)["reason"])
    )
    assert "seat" not in capacity_check(held)["found"]
    done = origin.run(
        "outcome",
        "queue/pending/WRK-1.md",
        "--stage",
        "execute",
        "--exit-code",
        "0",
        "--here",
        "box2",
    )
    assert done.returncode == 0, done.stderr
    origin.commit("WRK-1 done")

    # two clones each take the last seat before they meet: both pass
    one, two = tmp_path / "one", tmp_path / "two"
    for clone in (one, two):
        git(tmp_path, "clone", "-q", str(origin.root), str(clone))
    a, b = Work(one, None), Work(two, None)
    rc, left = a.claim("queue/pending/WRK-3.md", here="box2")
    assert rc == 0, left
    rc, right = b.claim("queue/pending/WRK-4.md", here="box")
    assert rc == 0, right
    a.commit("claim WRK-3 on one")
    b.commit("claim WRK-4 on two")
    git(two, "pull", "-q", "--no-rebase", "--no-edit", str(one), "main")

    verified = b.run("evidence", "verify")
    assert verified.returncode == 1, verified.stdout
    (line,) = [x for x in verified.stdout.splitlines() if "double booking" in x]
    assert "P1 double booking: solver_pools.flex holds 2 live leases over a limit of 1" in line
    assert left["evidence"][-1] in line
    assert right["evidence"][-1] in line
    found = json.loads(b.run("evidence", "verify", "--json").stdout)
    (booking,) = found["double_bookings"]
    assert sorted(booking["leases"]) == sorted([left["evidence"][-1], right["evidence"][-1]])

    report = b.run("report", "queue", "--json", "--output", str(tmp_path / "review.html"))
    assert report.returncode in (0, 1), report.stderr
    gaps = json.loads(report.stdout)["gaps"]
    (double,) = [g for g in gaps if "double booking" in g["summary"]]
    assert double["priority"] == "P1"
    assert "WRK-3" in double["summary"]
    assert "WRK-4" in double["summary"]


def test_the_team_rules_file_pools_and_caps_bind(tmp_path: Path) -> None:
    work = Work(tmp_path / "work", None, rules=True)
    orcaflex = work.item(1, "win1", "orcaflex")
    orcawave = work.item(2, "win1", "orcawave")
    aqwa = [work.item(n, "win1", "aqwa") for n in (3, 4)]
    laptop = [work.item(n, "laptop") for n in (5, 6)]
    assert work.claim(orcaflex, here="win1")[0] == 0
    rc, paused = work.claim(orcawave, here="win1")  # one Orcina seat for both features
    assert rc == 2
    assert (
        "solver_pools.orcina_flex is full (1 of 1): held by WRK-1 claim on win1 by codex"
        in (capacity_check(paused)["reason"])
    )
    assert work.claim(aqwa[0], here="win1")[0] == 0  # licensed-win-1 holds 2 items
    rc, paused = work.claim(aqwa[1], here="win1")
    assert rc == 2
    reason = capacity_check(paused)["reason"]
    assert "wip_caps.per_machine.licensed-win-1 is full (2 of 2)" in reason
    assert work.claim(laptop[0], here="laptop")[0] == 0
    rc, paused = work.claim(laptop[1], here="laptop")  # not listed: the default of 1
    assert rc == 2
    assert "wip_caps.per_machine.default is full (1 of 1)" in capacity_check(paused)["reason"]
