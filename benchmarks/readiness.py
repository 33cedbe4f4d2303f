"""Benchmark: readiness over N loopback SSH hosts against Ansible's own baselines.

For N = 1, 4, 16, 32 fleet hosts (``Fleet.uniform``, 127.0.0.101+) it times, in one run, the
median of a few repetitions of:

- ``ansible all -m ping``
- ``ansible all -m setup -a gather_subset=min``
- ``ansible-playbook playbooks/readiness.yml`` (same requirements as wrk)
- ``wrk readiness --no-record`` (wrk running the same playbook)

Every repetition uses fresh ssh connections: a new ControlPath directory each time, whose
persistent masters are told to exit (``ssh -O exit``) after the command. All four use the
repository's ansible.cfg and forks >= N. It also times a hanging host (accepts TCP, never
speaks) with ``wrk readiness --timeout T`` against the same run without it.

    .venv/bin/python benchmarks/readiness.py [--reps 7] [--sizes 1,4,16,32]

Targets (issue 19), ratios of medians measured in the same run: ``wrk readiness`` over ``ansible
-m ping`` (``TARGET_VS_PING``) and over the bare playbook (``TARGET_VS_PLAYBOOK``). Writes
benchmarks/results/readiness.json and the table in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
from fleet import TOOL, Fleet, HostSpec  # noqa: E402

BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results" / "readiness.json"
README = ROOT / "benchmarks" / "README.md"
REQUIREMENTS = {
    "tools": [{"name": TOOL, "min_version": "2.0"}],
    "disk": [{"path": "~", "free_gb": 0.05}],
}
COMMAND_TIMEOUT = 600  # a hang fails the benchmark loudly instead of blocking it
HANG_TIMEOUT = 3  # the --timeout given to wrk for the hanging-host measurement
TABLE_START = "<!-- readiness-table:start -->"
#: hosts -> the most ``wrk readiness`` may take, as a share of ``ansible -m ping``.
TARGET_VS_PING = {1: 1.0, 4: 0.9, 16: 0.8, 32: 0.65}
#: hosts -> the most ``wrk readiness`` may take, as a share of the bare playbook.
TARGET_VS_PLAYBOOK = {1: 1.15, 16: 1.15, 32: 1.15}


def _env(control_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "WRK_"))}
    env.update(
        {
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_dir),
            "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
        }
    )
    return env


def _close_masters(control_dir: Path) -> None:
    """Stop the persistent ssh masters a run left, so the next run connects afresh."""
    for sock in control_dir.iterdir() if control_dir.exists() else []:
        subprocess.run(
            ["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "wrk-bench"],
            capture_output=True,
            timeout=30,
            check=False,
        )


def timed(argv: list[str], scratch: Path, ok: Callable[[int], bool]) -> float:
    """Seconds one command takes with fresh ssh connections; raises if it did not work."""
    control = Path(tempfile.mkdtemp(prefix="cp-", dir=scratch))
    try:
        start = time.perf_counter()
        proc = subprocess.run(
            argv,
            cwd=ROOT,
            env=_env(control),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        elapsed = time.perf_counter() - start
    finally:
        _close_masters(control)
    if not ok(proc.returncode):
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def commands(inventory: Path, requirements: Path, forks: int) -> dict[str, list[str]]:
    inv = ["-i", str(inventory)]
    return {
        "ping": [str(BIN / "ansible"), *inv, "all", "-f", str(forks), "-m", "ping"],
        "setup_min": [
            str(BIN / "ansible"), *inv, "all", "-f", str(forks),
            "-m", "setup", "-a", "gather_subset=min",
        ],
        "playbook": [
            str(BIN / "ansible-playbook"), *inv, "-f", str(forks),
            str(ROOT / "playbooks" / "readiness.yml"),
            "-e", f"wrk_readiness_requirements_file={requirements}",
        ],
        "wrk": [
            str(BIN / "wrk"), "readiness", *inv, "--requirements", str(requirements),
            "--no-record", "--json",
        ],
    }  # fmt: skip


def bench_size(count: int, reps: int, scratch: Path) -> dict[str, Any]:
    fleet = Fleet.uniform(count).start()
    try:
        inventory = fleet.write_inventory(scratch / f"inventory-{count}")
        requirements = scratch / "requirements.yml"
        requirements.write_text(yaml.safe_dump(REQUIREMENTS), encoding="utf-8")
        argvs = commands(inventory, requirements, max(count, 5))
        samples: dict[str, list[float]] = {name: [] for name in argvs}
        timed(argvs["ping"], scratch, lambda rc: rc == 0)  # warm the page cache
        for _ in range(reps):
            for name, argv in argvs.items():  # interleaved, so drift hits all alike
                samples[name].append(timed(argv, scratch, lambda rc: rc == 0))
    finally:
        fleet.stop()
    return {
        "hosts": count,
        "median_s": {name: round(statistics.median(s), 3) for name, s in samples.items()},
        "samples_s": {name: [round(x, 3) for x in s] for name, s in samples.items()},
    }


def bench_hang(reps: int, scratch: Path) -> dict[str, Any]:
    """wrk readiness over a ready host, with and without a host that never speaks."""
    fleet = Fleet([HostSpec("ws_ready"), HostSpec("ws_hangs", listen="hang")], first_octet=101)
    fleet.start()
    try:
        inventory = fleet.write_inventory(scratch / "inventory-hang")
        base = [str(BIN / "wrk"), "readiness", "-i", str(inventory), "--no-record", "--json"]
        base += ["--timeout", str(HANG_TIMEOUT)]
        ready, hangs = [], []
        for _ in range(reps):
            ready.append(timed([*base, "--limit", "ws_ready"], scratch, lambda rc: rc == 0))
            hangs.append(timed(base, scratch, lambda rc: rc == 2))
    finally:
        fleet.stop()
    extra = statistics.median(hangs) - statistics.median(ready)
    return {
        "timeout_s": HANG_TIMEOUT,
        "median_ready_only_s": round(statistics.median(ready), 3),
        "median_with_hanging_host_s": round(statistics.median(hangs), 3),
        "hanging_host_extra_s": round(extra, 3),
        "within_timeout_plus_1s": extra <= HANG_TIMEOUT + 1,
    }


def _ratio(size: dict[str, Any], over: str) -> float:
    """``wrk`` over ``over``, from the medians (the targets' ratio)."""
    m = size["median_s"]
    return float(m["wrk"] / m[over])


def _pair_ratios(size: dict[str, Any], over: str) -> list[float]:
    """``wrk`` over ``over`` for each repetition (the two were run next to each other)."""
    s = size["samples_s"]
    return [w / o for w, o in zip(s["wrk"], s[over], strict=True)]


def _mark(value: float, target: float | None) -> str:
    if target is None:
        return f"{value:.3f}"
    return f"**{value:.3f}** (<= {target:.2f}: {'met' if value <= target else 'missed'})"


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    """Each target of the run: ``wrk/ping@N`` and ``wrk/playbook@N`` -> met."""
    out: dict[str, bool] = {}
    for size in results["sizes"]:
        hosts = size["hosts"]
        for over, targets in (("ping", TARGET_VS_PING), ("playbook", TARGET_VS_PLAYBOOK)):
            if hosts in targets:
                out[f"wrk/{over}@{hosts}"] = _ratio(size, over) <= targets[hosts]
    return out


def table(results: dict[str, Any]) -> str:
    rows = [
        "| hosts | ansible -m ping | setup gather_subset=min | ansible-playbook readiness.yml "
        "| wrk readiness | wrk / ping | wrk / bare playbook | bare playbook / ping "
        "| wrk / setup-min |",
        "|---:|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for size in results["sizes"]:
        m, hosts = size["median_s"], size["hosts"]
        rows.append(
            f"| {hosts} | {m['ping']:.2f} s | {m['setup_min']:.2f} s "
            f"| {m['playbook']:.2f} s | {m['wrk']:.2f} s "
            f"| {_mark(_ratio(size, 'ping'), TARGET_VS_PING.get(hosts))} "
            f"| {_mark(_ratio(size, 'playbook'), TARGET_VS_PLAYBOOK.get(hosts))} "
            f"| {m['playbook'] / m['ping']:.2f} | {_ratio(size, 'setup_min'):.2f} |"
        )
    rows += ["", "Per-repetition ratios (each pair run next to each other): median, range.", ""]
    rows += ["| hosts | wrk / ping | wrk / bare playbook |", "|---:|---:|---:|"]
    for size in results["sizes"]:
        cells = []
        for over in ("ping", "playbook"):
            pairs = _pair_ratios(size, over)
            cells.append(f"{statistics.median(pairs):.2f} ({min(pairs):.2f}-{max(pairs):.2f})")
        rows.append(f"| {size['hosts']} | {cells[0]} | {cells[1]} |")
    hang = results["hanging_host"]
    rows += [
        "",
        f"Hanging host (`wrk readiness --timeout {hang['timeout_s']}`): "
        f"{hang['median_with_hanging_host_s']:.2f} s with it, "
        f"{hang['median_ready_only_s']:.2f} s without: it costs "
        f"{hang['hanging_host_extra_s']:.2f} s (target: at most timeout + 1 s = "
        f"{hang['timeout_s'] + 1} s).",
        "",
        f"Measured {results.get('measured_at', '?')}, {results['repetitions']} repetitions, "
        f"load {results.get('load_before', '?')} before, {results.get('load_after', '?')} after.",
    ]
    return "\n".join(rows)


def write_readme(results: dict[str, Any]) -> None:
    """Replace everything from the table marker on: the README ends with the two ratio lines."""
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    head = text.split(TABLE_START, 1)[0].rstrip("\n")
    README.write_text(f"{head}\n\n{TABLE_START}\n{table(results)}\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=7, help="repetitions per command (median)")
    parser.add_argument("--sizes", default="1,4,16,32", help="fleet sizes, comma-separated")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="wrk-bench-") as folder:
        scratch = Path(folder)
        results: dict[str, Any] = {
            "schema_version": 2,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_before": round(os.getloadavg()[0], 2),
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
            },
            "repetitions": args.reps,
            "requirements": REQUIREMENTS,
            "sizes": [],
        }
        for count in sizes:
            results["sizes"].append(bench_size(count, args.reps, scratch))
            print(json.dumps(results["sizes"][-1]["median_s"]), f"({count} hosts)", flush=True)
        results["hanging_host"] = bench_hang(args.reps, scratch)
        results["load_after"] = round(os.getloadavg()[0], 2)
        results["targets"] = {
            "wrk_vs_ping": TARGET_VS_PING,
            "wrk_vs_playbook": TARGET_VS_PLAYBOOK,
        }
        results["targets_met"] = verdicts(results)
        print(json.dumps(results["hanging_host"]), flush=True)
    print(table(results))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        write_readme(results)
    return 0 if all(results["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
