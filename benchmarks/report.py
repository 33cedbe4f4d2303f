"""Benchmark ``wrk report`` over a generated queue of 1,200 WRK items.

The items are copies of the real samples (tests/fixtures/work-queue, legacy contracts, and the
three examples with explicit contracts), each with a new id, in the queue's status folders; one
in ten has gate records (and one in fifty a handoff) written by the real ledger, so evidence
is read and verified. The registry is examples/inventory.

Measured: wall time of ``wrk report`` (a fresh process: interpreter start, imports, inventory,
validation, what-if per host, rendering, atomic write), the page's size, and the peak RSS of
the process (``resource.getrusage(RUSAGE_CHILDREN)``). Targets: under 5 s and under 4 MB.

    .venv/bin/python benchmarks/report.py [--items 1200] [--repeat 3]

Writes benchmarks/results/report.json and the report section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from wrk_ansible.evidence.ledger import Ledger  # noqa: E402

SAMPLES = [
    *sorted((REPO / "tests" / "fixtures" / "work-queue").rglob("WRK-*.md")),
    *sorted((REPO / "examples").glob("WRK-*.md")),
]
INVENTORY = REPO / "examples" / "inventory"
RESULTS = REPO / "benchmarks" / "results" / "report.json"
README = REPO / "benchmarks" / "README.md"
START, END = "<!-- report-bench:start -->", "<!-- report-bench:end -->"
TARGET_SECONDS, TARGET_BYTES = 5.0, 4 * 1024 * 1024
#: ``wrk report`` over ``wrk contract validate`` of the same queue, at most.
TARGET_VS_VALIDATE = 2.0
STATUSES = ("pending", "working", "blocked", "done")


def generate(folder: Path, evidence: Path, count: int) -> None:
    """``count`` items copied round-robin from the samples, each with a new id."""
    ledger = Ledger(evidence)
    for n in range(count):
        sample = SAMPLES[n % len(SAMPLES)]
        wrk = f"WRK-{10000 + n}"
        text = sample.read_text(encoding="utf-8")
        text = re.sub(r"^id: .*$", f"id: {wrk}", text, count=1, flags=re.M)
        status = STATUSES[n % len(STATUSES)]
        text = re.sub(r"^status: .*$", f"status: {status}", text, count=1, flags=re.M)
        target = folder / status / f"{wrk}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if n % 10 == 0:
            verdict = ("pass", "pause", "fallback", "fail")[n // 10 % 4]
            gaps = (
                [{"priority": "P1", "summary": f"{wrk} execute: no ready machine", "proposals": []}]
                if verdict == "pause"
                else []
            )
            body = {"stage": "execute", "verdict": verdict, "reason": "benchmark", "gaps": gaps}
            ledger.append(wrk, "dev-primary", "gate", {**body, "for_hosts": ["dev-primary"]})
        if n % 50 == 0:
            body = {"from": "dev-primary", "to": "ace-win-1", "for_stage": "execute"}
            ledger.append(wrk, "dev-primary", "handoff", {**body, "artifacts": []})


def run_report(queue: Path, evidence: Path, out: Path) -> float:
    command = [
        str(REPO / ".venv" / "bin" / "wrk"),
        "report",
        str(queue),
        "-i",
        str(INVENTORY),
        "--evidence-dir",
        str(evidence),
        "-o",
        str(out),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"wrk report failed ({done.returncode}): {done.stderr}")
    return elapsed


def run_validate(queue: Path) -> float:
    """``wrk contract validate`` of the same queue with the same inventory (what the report's
    validation alone costs), exit 1 (an invalid item) accepted."""
    command = [str(REPO / ".venv" / "bin" / "wrk"), "contract", "validate", "--json", str(queue)]
    command += ["-i", str(INVENTORY)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"wrk contract validate failed ({done.returncode}): {done.stderr}")
    return elapsed


def update_readme(result: dict[str, Any]) -> None:
    seconds = result["seconds"]
    section = "\n".join(
        [
            START,
            "## `wrk report` over 1,200 items",
            "",
            "`benchmarks/report.py` generates 1,200 WRK items from the samples (the team's queue "
            "and the three examples; one in ten with gate records, one in fifty with a handoff, "
            "written by the real ledger) and times `wrk report` over them with "
            "`examples/inventory` (a fresh process each run: imports, inventory, validation, "
            "evidence and chain verification, what-if per host, rendering, atomic write). "
            "Raw figures: `results/report.json`.",
            "",
            "| items | wall time (median of "
            f"{len(seconds['samples'])}) | best | page size | peak RSS | targets |",
            "|---:|---:|---:|---:|---:|---|",
            f"| {result['items']} | {seconds['median']:.2f} s | {seconds['best']:.2f} s | "
            f"{result['bytes'] / 1024 / 1024:.2f} MB | {result['peak_rss_mb']:.0f} MB | "
            f"< 5 s, < 4 MB: {'met' if result['targets_met'] else '**missed**'} |",
            "",
            "| `wrk report` (median) | `wrk contract validate` of the same queue and inventory, "
            "interleaved (median) | ratio | target |",
            "|---:|---:|---:|---|",
            f"| {seconds['median']:.2f} s | {result['validate_seconds']['median']:.2f} s | "
            f"**{result['report_vs_validate']:.2f}x** | <= {TARGET_VS_VALIDATE:.1f}x: "
            f"{'met' if result['vs_validate_met'] else '**missed**'} |",
            END,
        ]
    )
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    elif "<!-- readiness-table:start -->" in text:
        # The README ends with the readiness table's two ratio lines: go before its section.
        marker = "## Readiness over"
        head, _, rest = text.partition(marker)
        text = head + section + "\n\n" + marker + rest
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wrk-report-bench-") as tmp:
        root = Path(tmp)
        queue, evidence, out = root / "queue", root / "evidence", root / "review.html"
        generate(queue, evidence, args.items)
        samples, validate = [], []
        for _ in range(args.repeat):  # interleaved: load weighs on both sides alike
            samples.append(run_report(queue, evidence, out))
            validate.append(run_validate(queue))
        size = out.stat().st_size
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = {
        "schema_version": 1,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": args.items,
        "seconds": {
            "samples": [round(s, 3) for s in samples],
            "median": round(statistics.median(samples), 3),
            "best": round(min(samples), 3),
        },
        "validate_seconds": {
            "samples": [round(s, 3) for s in validate],
            "median": round(statistics.median(validate), 3),
            "best": round(min(validate), 3),
        },
        "report_vs_validate": round(statistics.median(samples) / statistics.median(validate), 3),
        "bytes": size,
        "peak_rss_mb": round(rss_kb / 1024, 1),
        "targets": {
            "seconds": TARGET_SECONDS,
            "bytes": TARGET_BYTES,
            "report_vs_validate": TARGET_VS_VALIDATE,
        },
        "vs_validate_met": statistics.median(samples) / statistics.median(validate)
        <= TARGET_VS_VALIDATE,
        "targets_met": statistics.median(samples) < TARGET_SECONDS and size < TARGET_BYTES,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load": [round(x, 2) for x in os.getloadavg()],
        },
    }
    print(json.dumps(result, indent=2))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        update_readme(result)
    return 0 if result["targets_met"] and result["vs_validate_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
