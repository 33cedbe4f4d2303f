"""Benchmark the core speed and memory claims of ``wrk``, in one run on one machine.

- ``wrk --help`` start-up (target < 0.15 s), and that it imports no Ansible (``sys.modules``
  checked in a child that builds the parser and prints the help);
- a gate on fresh evidence (target <= 0.5x ``ansible --version``, the two timed interleaved:
  one of each per repetition, so a change in the machine's load weighs on both alike):
  examples/WRK-640.md, examples/inventory, ``--here dev-primary``, after one warm gate (the
  registry snapshot and fresh readiness evidence exist, so no network and no Ansible import);
- ``wrk contract validate`` over 1,200 generated WRK files on one core (``taskset -c 0``),
  target > 1,000 files/s;
- peak RSS of a 16-host gate (``Fleet.uniform(16)``, the execute row a parallel list of the 16
  hosts, a cold gate that probes them all) and of a 1,200-item ``wrk report``
  (benchmarks/report.py's queue), no worse than 60 and 108 MB (issue 19): each measured
  process runs under a wrapper whose only child it is, and the wrapper reports
  ``getrusage(RUSAGE_CHILDREN).ru_maxrss``
  (the largest process of the tree: wrk, ansible-playbook and its workers);
- the registry snapshot's key: changes with an inventory file, ``ansible.cfg`` and the
  ansible-core version, and is None for plugin or script inventories (also proven by
  tests/integration/test_registry_snapshot.py).

    .venv/bin/python benchmarks/core.py [--reps 7] [--no-fleet] [--no-write]

Writes benchmarks/results/core.json and the core section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))
import report as report_bench  # noqa: E402
from fleet import TOOL, Fleet  # noqa: E402

BIN = Path(sys.executable).parent
WRK = [sys.executable, "-m", "wrk_ansible"]
RESULTS = ROOT / "benchmarks" / "results" / "core.json"
README = ROOT / "benchmarks" / "README.md"
START, END = "<!-- core-bench:start -->", "<!-- core-bench:end -->"
TARGETS = {
    "help_seconds": 0.15,
    "fresh_gate_ratio_to_ansible_version": 0.5,
    "validate_files_per_second": 1000,
    "peak_rss_mb": 200,
    #: Issue 19: no worse than measured before it (59.8 MB and 107.9 MB, 2026-11-26).
    "gate_16_rss_mb": 60,
    "report_rss_mb": 108,
    #: validate files/s over a bare CSafeLoader parse's files/s (whole runs).
    "validate_vs_bare_parse": 0.6,
}
TIMEOUT = 600  # a hang fails the benchmark loudly instead of blocking it
_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
    ".returncode\n"
    "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "WRK_"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _time(command: list[str], cwd: Path, reps: int, ok: tuple[int, ...] = (0,)) -> list[float]:
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        proc = subprocess.run(
            command, cwd=cwd, env=_env(), capture_output=True, timeout=TIMEOUT, check=False
        )
        samples.append(time.perf_counter() - start)
        if proc.returncode not in ok:
            raise SystemExit(f"{command}: exit {proc.returncode}\n{proc.stderr.decode()}")
    return samples


def _peak_rss_mb(command: list[str], cwd: Path, ok: tuple[int, ...]) -> float:
    proc = subprocess.run(
        [sys.executable, "-c", _RSS_WRAPPER, *command],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    rc, kb = (int(x) for x in proc.stdout.split())
    if rc not in ok:
        raise SystemExit(f"{command}: exit {rc}")
    return round(kb / 1024, 1)


def _stats(samples: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(samples), 3),
        "best": round(min(samples), 3),
        "samples": [round(s, 3) for s in samples],
    }


# -- the measurements -------------------------------------------------------------------------


def bench_help(scratch: Path, reps: int) -> dict[str, Any]:
    probe = (
        "import sys, io, contextlib\n"
        "from wrk_ansible.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m == 'ansible' or m.startswith('ansible.')"
        " or m.startswith('ansible_runner')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], env=_env(), capture_output=True, text=True, check=True
    )
    imported = json.loads(proc.stdout.replace("'", '"'))
    return {"seconds": _stats(_time([*WRK, "--help"], scratch, reps)), "ansible_modules": imported}


#: What a fresh gate cannot start without, each timed as a fresh process next to the gate: the
#: interpreter alone, the libraries the project's standards require for its shapes and output
#: (pydantic, rich, filelock, PyYAML) imported, and the gate's own modules imported (nothing
#: run). Their ratios to ``ansible --version`` are the floors under the gate's.
FLOORS = {
    "python": "pass",
    "libraries": "import pydantic, rich.console, rich.table, filelock, yaml",
    "gate_modules": "import wrk_ansible.cli.gate, wrk_ansible.gate",
}
#: Lists, in a child running the gate, every pydantic model whose schema the gate builds.
_LIST_SHAPES = (
    "import contextlib, io, sys\n"
    "import pydantic._internal._model_construction as mc\n"
    "built, complete = [], mc.complete_model_class\n"
    "def hook(cls, *a, **k):\n"
    "    built.append(f'{cls.__module__}:{cls.__qualname__}')\n"
    "    return complete(cls, *a, **k)\n"
    "mc.complete_model_class = hook\n"
    "from wrk_ansible.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
    "    try:\n"
    "        main(sys.argv[1:])\n"
    "    except SystemExit:\n"
    "        pass\n"
    "print(' '.join(built))\n"
)
#: The shapes floor: the libraries, then the modules defining the models the gate builds,
#: each model's schema built (what reading and writing those shapes with pydantic costs).
_BUILD_SHAPES = (
    "import importlib, sys\n"
    "import pydantic, rich.console, rich.table, filelock, yaml\n"
    "for name in sys.argv[1:]:\n"
    "    module, _, qualname = name.partition(':')\n"
    "    cls = importlib.import_module(module)\n"
    "    for part in qualname.split('.'):\n"
    "        cls = getattr(cls, part)\n"
    "    cls.model_rebuild()\n"
)


def bench_fresh_gate(scratch: Path, reps: int) -> dict[str, Any]:
    repo = scratch / "fresh"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(ROOT / "examples" / "inventory", repo / "inventory")
    shutil.copyfile(ROOT / "examples" / "WRK-640.md", repo / "WRK-640.md")
    gate = [*WRK, "gate", "WRK-640.md", "--stage", "execute", "--here", "dev-primary"]
    gate += ["-i", "inventory"]
    _time(gate, repo, 1)  # the warm gate: snapshot written, readiness evidence recorded
    listed = subprocess.run(
        [sys.executable, "-c", _LIST_SHAPES, *gate[len(WRK) :]],
        cwd=repo, env=_env(), capture_output=True, text=True, check=True, timeout=TIMEOUT,
    )  # fmt: skip
    shapes = listed.stdout.split()
    floor_argv = {name: [sys.executable, "-c", code] for name, code in FLOORS.items()}
    floor_argv["shapes"] = [sys.executable, "-c", _BUILD_SHAPES, *shapes]
    ansible: list[float] = []
    fresh: list[float] = []
    floors: dict[str, list[float]] = {name: [] for name in floor_argv}
    for _ in range(reps):  # interleaved: one of each per repetition, same load on all
        fresh += _time(gate, repo, 1)
        ansible += _time([str(BIN / "ansible"), "--version"], repo, 1)
        for name, argv in floor_argv.items():
            floors[name] += _time(argv, repo, 1)
    pairs = [g / a for g, a in zip(fresh, ansible, strict=True)]
    version = statistics.median(ansible)
    return {
        "seconds": _stats(fresh),
        "ansible_version_seconds": _stats(ansible),
        # the target's ratio: from the medians; the per-pair ratios show the spread
        "ratio": round(statistics.median(fresh) / version, 3),
        "pair_ratios": _stats(pairs),
        "shapes": shapes,
        "floors": {
            name: {
                "what": FLOORS.get(name)
                or f"the libraries, then the {len(shapes)} pydantic models the gate builds, built",
                "seconds": _stats(samples),
                "ratio": round(statistics.median(samples) / version, 3),
            }
            for name, samples in floors.items()
        },
    }


#: The baseline validate is compared with: a fresh process of the same interpreter that reads
#: each file, cuts out its frontmatter the simplest way and parses it with libyaml, nothing else.
_BARE_PARSE = (
    "import pathlib, sys, yaml\n"
    "root = pathlib.Path(sys.argv[1])\n"
    "files = [root] if root.is_file() else sorted(root.rglob('WRK-*.md'))\n"
    "for path in files:\n"
    "    text = path.read_text(encoding='utf-8')\n"
    "    yaml.load(text.split('\\n---', 1)[0].removeprefix('---\\n'), Loader=yaml.CSafeLoader)\n"
)


def _marginal(whole: float, one: float, count: int) -> float:
    """Seconds per file beyond the fixed cost: (N-file run - 1-file run) / (N - 1)."""
    return (whole - one) / (count - 1)


def bench_validate(scratch: Path, count: int, reps: int) -> dict[str, Any]:
    queue = scratch / "validate"
    samples = report_bench.SAMPLES
    for n in range(count):
        text = samples[n % len(samples)].read_text(encoding="utf-8")
        lines = text.split("\n")
        lines = [f"id: WRK-{20000 + n}" if ln.startswith("id: ") else ln for ln in lines]
        (queue / f"d{n % 12}").mkdir(parents=True, exist_ok=True)
        (queue / f"d{n % 12}" / f"WRK-{20000 + n}.md").write_text("\n".join(lines), "utf-8")
    one = queue / "d0" / "WRK-20000.md"
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    commands = {
        "validate": [*pin, *WRK, "contract", "validate", "--json", str(queue)],
        "bare": [*pin, sys.executable, "-c", _BARE_PARSE, str(queue)],
        "validate_one": [*pin, *WRK, "contract", "validate", "--json", str(one)],
        "bare_one": [*pin, sys.executable, "-c", _BARE_PARSE, str(one)],
    }
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(reps):  # interleaved: load on the machine weighs on every side alike
        for name, command in commands.items():
            runs[name] += _time(command, scratch, 1, ok=(0, 1))
    med = {name: statistics.median(samples) for name, samples in runs.items()}
    marginal = {
        side: _marginal(med[side], med[f"{side}_one"], count) for side in ("validate", "bare")
    }
    return {
        "files": count,
        "one_core": bool(pin),
        "seconds": _stats(runs["validate"]),
        "files_per_second": round(count / med["validate"]),
        "bare_parse": {
            "what": "fresh python: read each file, split off the frontmatter, "
            "yaml.load(..., Loader=yaml.CSafeLoader)",
            "seconds": _stats(runs["bare"]),
            "files_per_second": round(count / med["bare"]),
        },
        "one_file_seconds": {
            "validate": _stats(runs["validate_one"]),
            "bare": _stats(runs["bare_one"]),
        },
        "marginal_ms_per_file": {side: round(v * 1000, 3) for side, v in marginal.items()},
        "ratio_whole_run": round(med["bare"] / med["validate"], 3),
        "ratio_marginal": round(marginal["bare"] / marginal["validate"], 3),
        # the best whole-run ratio validate could have if each further file cost it no more
        # than the bare parse does (no validation, no resolution, no output): its own 1-file
        # run plus the bare parse's marginal cost per file
        "ratio_ceiling": round(
            med["bare"] / (med["validate_one"] + med["bare"] - med["bare_one"]), 3
        ),
    }


def bench_gate_16(scratch: Path) -> dict[str, Any]:
    fleet = Fleet.uniform(16).start()
    try:
        inventory = fleet.inventory()
        children = inventory["all"]["children"]
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        children["linux"]["hosts"]["control"] = {**local, "wrk_access": "local", "wrk_os": "linux"}
        children["ai_capable"]["hosts"]["control"] = None
        repo = scratch / "gate16"
        (repo / ".git").mkdir(parents=True)
        (repo / "inventory").mkdir()
        (repo / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory), "utf-8")
        hosts = list(fleet.hosts)
        front = {
            "id": "WRK-1616",
            "title": "sixteen hosts in parallel",
            "status": "pending",
            "orchestrator": "claude",
            "provider": "claude",
            "computer": "control",
            "plan_workstations": ["control"],
            "handoff_evidence_ref": ".wrk/evidence/WRK-1616",
            "stage_assignments": {
                "execute": {"primary": "claude", "workstations": hosts, "parallel": True}
            },
            "machine_capability_requirements": {
                "execute": {"tools": [{"name": TOOL, "min_version": "2.0"}]}
            },
        }
        (repo / "WRK-1616.md").write_text(
            "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n", "utf-8"
        )
        gate = [*WRK, "gate", "WRK-1616.md", "--stage", "execute", "--here", "control"]
        gate += ["-i", "inventory", "--fresh"]
        start = time.perf_counter()
        rss = _peak_rss_mb(gate, repo, ok=(0,))
        return {"hosts": 16, "peak_rss_mb": rss, "seconds": round(time.perf_counter() - start, 3)}
    finally:
        fleet.stop()


def bench_report_rss(scratch: Path, count: int) -> dict[str, Any]:
    queue, evidence = scratch / "report-queue", scratch / "report-evidence"
    report_bench.generate(queue, evidence, count)
    command = [*WRK, "report", str(queue), "-i", str(report_bench.INVENTORY)]
    command += ["--evidence-dir", str(evidence), "-o", str(scratch / "review.html")]
    return {"items": count, "peak_rss_mb": _peak_rss_mb(command, scratch, ok=(0,))}


def check_snapshot_key(scratch: Path) -> dict[str, Any]:
    """The key moves with every input that shapes the inventory (no test framework here)."""
    from importlib import metadata

    from wrk_ansible.registry import snapshot

    inv = scratch / "snap" / "inventory"
    shutil.copytree(ROOT / "examples" / "inventory", inv)
    cfg = scratch / "snap" / "ansible.cfg"
    cfg.write_text("[defaults]\nforks = 5\n", "utf-8")
    os.environ["ANSIBLE_CONFIG"] = str(cfg)
    try:
        base = snapshot.snapshot_key(str(inv))
        host_vars = inv / "host_vars" / "dev-primary.yml"
        host_vars.write_text(host_vars.read_text("utf-8") + "wrk_notes: edited\n", "utf-8")
        after_file = snapshot.snapshot_key(str(inv))
        cfg.write_text("[defaults]\nforks = 6\n", "utf-8")
        after_cfg = snapshot.snapshot_key(str(inv))
        real_version = metadata.version
        metadata.version = lambda name: (
            "0.0-other" if name == "ansible-core" else real_version(name)
        )  # type: ignore[assignment]
        try:
            after_core = snapshot.snapshot_key(str(inv))
        finally:
            metadata.version = real_version
        plugin = scratch / "snap" / "plugin"
        plugin.mkdir()
        (plugin / "aws_ec2.yml").write_text("plugin: amazon.aws.aws_ec2\n", "utf-8")
        script = scratch / "snap" / "script"
        script.mkdir()
        (script / "hosts.py").write_text("#!/bin/sh\necho {}\n", "utf-8")
        (script / "hosts.py").chmod(0o755)
    finally:
        del os.environ["ANSIBLE_CONFIG"]
    keys = [base, after_file, after_cfg, after_core]
    return {
        "inventory_file_changes_key": after_file != base,
        "ansible_cfg_changes_key": after_cfg != after_file,
        "ansible_core_version_changes_key": after_core != after_cfg,
        "plugin_inventory_not_snapshotted": snapshot.snapshot_key(str(plugin)) is None,
        "script_inventory_not_snapshotted": snapshot.snapshot_key(str(script)) is None,
        "all_keys_present": all(keys),
        "proven_also_by": "tests/integration/test_registry_snapshot.py",
    }


# -- results ----------------------------------------------------------------------------------


def verdicts(r: dict[str, Any]) -> dict[str, bool]:
    out = {
        "help": r["help"]["seconds"]["median"] < TARGETS["help_seconds"]
        and not r["help"]["ansible_modules"],
        "fresh_gate": r["fresh_gate"]["ratio"] <= TARGETS["fresh_gate_ratio_to_ansible_version"],
        "validate": r["validate"]["files_per_second"] > TARGETS["validate_files_per_second"],
        "validate_vs_bare": r["validate"]["ratio_whole_run"] >= TARGETS["validate_vs_bare_parse"],
        "report_rss": r["report"]["peak_rss_mb"] <= TARGETS["report_rss_mb"],
        "snapshot_key": all(v for k, v in r["snapshot"].items() if k != "proven_also_by"),
    }
    if r.get("gate_16"):
        out["gate_16_rss"] = r["gate_16"]["peak_rss_mb"] <= TARGETS["gate_16_rss_mb"]
    return out


def _bare_row(v: dict[str, Any], verdict: str) -> str:
    bare, one, per = v["bare_parse"], v["one_file_seconds"], v["marginal_ms_per_file"]
    return (
        f"| `wrk contract validate` vs a bare CSafeLoader parse of the same {v['files']:,} "
        "frontmatters (fresh `python -c`, same core, interleaved) | "
        f"{v['files_per_second']:,} vs {bare['files_per_second']:,} files/s: "
        f"**{v['ratio_whole_run']:.2f}x**; 1-file run {one['validate']['median']:.2f} s vs "
        f"{one['bare']['median']:.2f} s, marginal {per['validate']:.2f} vs {per['bare']:.2f} "
        f"ms/file: **{v['ratio_marginal']:.2f}x**; ceiling (its 1-file run plus the bare "
        f"parse's cost per further file): {v['ratio_ceiling']:.2f}x | >= 0.6x (whole run) | "
        f"{verdict} |"
    )


def _floor_row(g: dict[str, Any]) -> str:
    floors = g["floors"]
    parts = [
        f"`{f['what']}` {f['seconds']['median']:.3f} s (**{f['ratio']:.2f}x**)"
        for f in floors.values()
    ]
    return (
        "| floors under the fresh gate, fresh `python -c` processes in the same loop, "
        "vs `ansible --version` | " + "; ".join(parts) + " | (what the gate cannot go "
        "below) | measured |"
    )


def update_readme(r: dict[str, Any]) -> None:
    ok = r["targets_met"]

    def mark(name: str) -> str:
        return "met" if ok.get(name) else ("MISSED" if name in ok else "not run")

    h, g, v, rep = r["help"], r["fresh_gate"], r["validate"], r["report"]
    g16 = r.get("gate_16") or {}
    rows = [
        "| measure | result | target | |",
        "|---|---|---|---|",
        f"| `wrk --help` start-up (median of {len(h['seconds']['samples'])}) | "
        f"{h['seconds']['median']:.3f} s, Ansible modules imported: "
        f"{len(h['ansible_modules'])} | < 0.15 s, none | {mark('help')} |",
        f"| gate on fresh evidence (WRK-640, `--here dev-primary`) vs `ansible --version`, "
        f"interleaved (medians of {len(g['seconds']['samples'])}) | "
        f"{g['seconds']['median']:.3f} s vs {g['ansible_version_seconds']['median']:.3f} s: "
        f"**{g['ratio']:.2f}x** (pairs: {g['pair_ratios']['median']:.2f}, "
        f"{min(g['pair_ratios']['samples']):.2f}-{max(g['pair_ratios']['samples']):.2f}) | "
        f"<= {TARGETS['fresh_gate_ratio_to_ansible_version']}x | {mark('fresh_gate')} |",
        _floor_row(g),
        f"| `wrk contract validate` over {v['files']:,} files "
        f"({'one core, taskset -c 0' if v['one_core'] else 'no taskset'}) | "
        f"{v['files_per_second']:,} files/s ({v['seconds']['median']:.2f} s) | > 1,000 files/s | "
        f"{mark('validate')} |",
        _bare_row(v, mark("validate_vs_bare")),
        f"| peak RSS, 16-host gate (cold, parallel row) | "
        f"{g16.get('peak_rss_mb', '-')} MB | <= {TARGETS['gate_16_rss_mb']} MB (no worse "
        f"than before issue 19) | {mark('gate_16_rss')} |",
        f"| peak RSS, `wrk report` over {rep['items']:,} items | {rep['peak_rss_mb']} MB | "
        f"<= {TARGETS['report_rss_mb']} MB (no worse than before issue 19) | "
        f"{mark('report_rss')} |",
        "| registry snapshot key: inventory files, ansible.cfg, ansible-core version; "
        "plugin/script inventories never cached | "
        f"{'all hold' if ok['snapshot_key'] else 'NOT all hold'} | all hold | "
        f"{mark('snapshot_key')} |",
    ]
    section = "\n".join(
        [
            START,
            "## Core: start-up, fresh gate, validation throughput, memory",
            "",
            f"`make bench` runs `benchmarks/core.py`; results in `benchmarks/results/core.json` "
            f"({r['when']}, Python {r['machine']['python']}, {r['machine']['cpus']} CPUs, "
            f"load {r['machine']['load'][0]}). Peak RSS is the largest process of the measured "
            "command's tree (`getrusage(RUSAGE_CHILDREN)` in a wrapper whose only child it is).",
            "",
            *rows,
            "",
            END,
        ]
    )
    text = README.read_text(encoding="utf-8")
    if START in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        anchor = "## Readiness over"
        before, after = text.split(anchor, 1)
        text = before + section + "\n\n" + anchor + after
    README.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--items", type=int, default=1200)
    parser.add_argument("--no-fleet", action="store_true", help="skip the 16-host gate (no sshd)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    result: dict[str, Any] = {"schema_version": 1}
    with tempfile.TemporaryDirectory(prefix="wrk-core-bench-") as tmp:
        scratch = Path(tmp)
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("help", lambda: bench_help(scratch, args.reps)),
            ("fresh_gate", lambda: bench_fresh_gate(scratch, args.reps)),
            ("validate", lambda: bench_validate(scratch, args.items, max(3, args.reps // 2))),
            ("report", lambda: bench_report_rss(scratch, args.items)),
            ("snapshot", lambda: check_snapshot_key(scratch)),
        ]
        if not args.no_fleet:
            steps.append(("gate_16", lambda: bench_gate_16(scratch)))
        for name, step in steps:
            print(f"core bench: {name}...", file=sys.stderr, flush=True)
            result[name] = step()
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["targets"] = TARGETS
    result["targets_met"] = verdicts(result)
    result["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        update_readme(result)
    return 0 if all(result["targets_met"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
