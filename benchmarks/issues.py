"""Benchmark issues against WRK files, per item, in one run: 5,000 issues vs 1,200 WRK files.

The WRK files are benchmarks/report.py's ``generate()`` (copies of the real samples, each with
a new id, in the queue's status folders); the issues are tests/issuegen.py's ``write()`` (both
real exports, copied with new numbers, every other copy with its ``machine:``/``lane:`` labels
varied), one export file. Both sides run with the same inventory (the repository's
``inventory/``: the WRKs and the issues name the team's machines), the same configuration (the
repository's ``wrk.yml``, found from the repository root, which names the routing rules the
issues need) and the same empty evidence folder: the two then do the same kind of work
(load, resolve, gate forecast, render) and differ only in their source. Evidence is read by
folder name, with the same code for both, so it is left out of the comparison (the generated
ledger records are written to a folder neither command reads).

Measured, each as a fresh ``.venv/bin/wrk`` process, the two sides interleaved (WRK, issues,
WRK, issues, ...) so load changes on the shared machine hit both:

1. load and resolve: ``wrk contract validate DIR`` vs ``wrk contract validate --issues FILE``
   (exit 1 is accepted: some items are invalid; the item counts on stderr are checked);
2. report: ``wrk report DIR -o page.html`` vs ``wrk report --issues FILE -o page.html``.

Per-item seconds are wall time / items with nothing subtracted: the headline ratio and the
target. The fixed cost of a run (interpreter, imports, configuration, inventory: about a second
here) weighs more on the 1,200-item side, which flatters the issue side, so a 1-item run of each
side (the first WRK, the first issue) is timed in the same loop, and the ratio of the marginal
costs, (median N-item - median 1-item) / (N - 1), is given too. Ratio: issue per item / WRK per
item, target <= 1.0, from the medians; also the median and range of the per-pair ratios. Also
the page sizes (target < 4 MiB at 5,000 issues) and each report process's peak RSS (``wait4``
rusage of the process). The package is byte-compiled first, as ``make bench`` does.

    .venv/bin/python benchmarks/issues.py [--wrks 1200] [--issues 5000] [--reps 5]
        [--report-reps 3] [--no-write]

Writes benchmarks/results/issues.json and the issues section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import issuegen  # noqa: E402
import report as report_bench  # noqa: E402

WRK = str(ROOT / ".venv" / "bin" / "wrk")
INVENTORY = ROOT / "inventory"
RESULTS = ROOT / "benchmarks" / "results" / "issues.json"
README = ROOT / "benchmarks" / "README.md"
START, END = "<!-- issues-bench:start -->", "<!-- issues-bench:end -->"
TARGET_RATIO, TARGET_BYTES = 1.0, 4 * 1024 * 1024
TIMEOUT = 900  # a hang fails the benchmark loudly instead of blocking it
VALIDATE_COUNT = re.compile(r"^(\d+) (?:file|item)\(s\): (\d+) valid.*?(\d+) invalid$", re.M)
REPORT_COUNT = re.compile(r"^wrk report: (\d+) item\(s\), (\d+) with contract errors", re.M)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "WRK_"))}


def run(command: list[str], scratch: Path, ok: tuple[int, ...]) -> dict[str, Any]:
    """One fresh process from the repository root: wall seconds, peak RSS, exit code, stderr."""
    out, err = scratch / "stdout", scratch / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = rc = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    text = err.read_text(encoding="utf-8", errors="replace")
    if rc not in ok:
        raise SystemExit(f"{' '.join(command)}: exit {rc}\n{text[-2000:]}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "rc": rc, "stderr": text}


def _validate_counts(stderr: str, expected: int) -> dict[str, int]:
    found = VALIDATE_COUNT.search(stderr)
    if not found or int(found[1]) != expected:
        raise SystemExit(f"validate: expected {expected} items, stderr ends: {stderr[-500:]}")
    return {"items": int(found[1]), "valid": int(found[2]), "invalid": int(found[3])}


def _report_counts(stderr: str, expected: int) -> dict[str, int]:
    found = REPORT_COUNT.search(stderr)
    if not found or int(found[1]) != expected:
        raise SystemExit(f"report: expected {expected} items, stderr ends: {stderr[-500:]}")
    return {"items": int(found[1]), "contract_errors": int(found[2])}


def _stats(samples: list[float], digits: int = 3) -> dict[str, Any]:
    return {
        "samples": [round(s, digits) for s in samples],
        "median": round(statistics.median(samples), digits),
        "best": round(min(samples), digits),
    }


def _machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        model = found[1].strip() if found else ""
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "load": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
    }


def measure(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    queue, empty = scratch / "queue", scratch / "evidence-empty"
    report_bench.generate(queue, scratch / "evidence-unused", args.wrks)
    empty.mkdir()
    export = issuegen.write(scratch / "issues.json", args.issues)
    one_wrk = scratch / "one-wrk"
    one_wrk.mkdir()
    first = min(queue.rglob("WRK-*.md"), key=lambda p: p.name)
    (one_wrk / first.name).write_bytes(first.read_bytes())
    one_issue = scratch / "one-issue.json"
    one_issue.write_text(json.dumps(issuegen.generate(1), ensure_ascii=False), encoding="utf-8")
    inv = ["-i", str(INVENTORY)]
    sides = {
        "wrk": {"items": args.wrks, "source": [str(queue)], "one": [str(one_wrk)]},
        "issues": {
            "items": args.issues,
            "source": ["--issues", str(export)],
            "one": ["--issues", str(one_issue)],
        },
    }
    plans = {
        "validate": (args.reps, lambda src: [WRK, "contract", "validate", *src, *inv]),
        "report": (
            args.report_reps,
            lambda src: [WRK, "report", *src, *inv, "--evidence-dir", str(empty), "-o"],
        ),
    }
    result: dict[str, Any] = {}
    for name, (reps, build) in plans.items():
        runs: dict[str, list[dict[str, Any]]] = {"wrk": [], "issues": []}
        ones: dict[str, list[float]] = {"wrk": [], "issues": []}
        counts: dict[str, Any] = {}
        pages: dict[str, int] = {}
        ok = (0, 1) if name == "validate" else (0,)
        check = _validate_counts if name == "validate" else _report_counts
        for rep in range(reps):
            for side, spec in sides.items():  # interleaved: wrk, issues, wrk, issues, ...
                command = build(spec["source"])
                page = scratch / f"{side}.html"
                if name == "report":
                    command.append(str(page))
                print(f"issues bench: {name} {side} {rep + 1}/{reps}", file=sys.stderr, flush=True)
                done = run(command, scratch, ok)
                counts[side] = check(done["stderr"], spec["items"])
                if name == "report":
                    pages[side] = page.stat().st_size
                runs[side].append(done)
            for side, spec in sides.items():  # the fixed cost: one item, same command
                command = build(spec["one"])
                if name == "report":
                    command.append(str(scratch / "one.html"))
                done = run(command, scratch, ok)
                check(done["stderr"], 1)
                ones[side].append(done["seconds"])
        entry: dict[str, Any] = {}
        for side, spec in sides.items():
            seconds = [r["seconds"] for r in runs[side]]
            entry[side] = {
                **counts[side],
                "exit_codes": sorted({r["rc"] for r in runs[side]}),
                "seconds": _stats(seconds),
                "per_item_ms": _stats([s / spec["items"] * 1000 for s in seconds], 4),
                "peak_rss_mb": _stats([r["rss_mb"] for r in runs[side]], 1),
            }
            if name == "report":
                entry[side]["page_bytes"] = pages[side]
            entry[side]["one_item_seconds"] = _stats(ones[side])
            entry[side]["marginal_per_item_ms"] = round(
                (statistics.median(seconds) - statistics.median(ones[side]))
                / (spec["items"] - 1)
                * 1000,
                4,
            )
        per_item = {side: entry[side]["per_item_ms"]["median"] for side in sides}
        pairs = [
            (i["seconds"] / args.issues) / (w["seconds"] / args.wrks)
            for w, i in zip(runs["wrk"], runs["issues"], strict=True)
        ]
        entry["ratio"] = round(per_item["issues"] / per_item["wrk"], 3)
        entry["pair_ratios"] = _stats(pairs)
        entry["marginal_ratio"] = round(
            entry["issues"]["marginal_per_item_ms"] / entry["wrk"]["marginal_per_item_ms"], 3
        )
        result[name] = entry
    return result


def verdicts(r: dict[str, Any]) -> dict[str, bool]:
    return {
        "validate_ratio": r["validate"]["ratio"] <= TARGET_RATIO,
        "report_ratio": r["report"]["ratio"] <= TARGET_RATIO,
        "issue_page_bytes": r["report"]["issues"]["page_bytes"] < TARGET_BYTES,
    }


def update_readme(r: dict[str, Any]) -> None:
    ok = r["targets_met"]

    def mark(name: str) -> str:
        return "met" if ok[name] else "**missed**"

    v, rep = r["validate"], r["report"]
    w_items, i_items = v["wrk"]["items"], v["issues"]["items"]

    def row(title: str, e: dict[str, Any], target: str) -> str:
        w, i = e["wrk"], e["issues"]
        return (
            f"| {title} | {w['seconds']['median']:.2f} s, {w['per_item_ms']['median']:.2f} ms | "
            f"{i['seconds']['median']:.2f} s, {i['per_item_ms']['median']:.2f} ms | "
            f"**{e['ratio']:.2f}** (pairs: {e['pair_ratios']['median']:.2f}, "
            f"{min(e['pair_ratios']['samples']):.2f}-{max(e['pair_ratios']['samples']):.2f}) | "
            f"{w['one_item_seconds']['median']:.2f} s / {i['one_item_seconds']['median']:.2f} s: "
            f"{w['marginal_per_item_ms']:.2f} / {i['marginal_per_item_ms']:.2f} ms, "
            f"**{e['marginal_ratio']:.2f}** | "
            f"{target} |"
        )

    section = "\n".join(
        [
            START,
            f"## Issues vs WRK files, per item: {i_items:,} issues, {w_items:,} WRKs",
            "",
            "`benchmarks/issues.py` generates "
            f"{w_items:,} WRK files (`report.py`'s `generate()`) and one export of "
            f"{i_items:,} issues (`tests/issuegen.py`: both real exports, copied with new numbers, "
            "every other copy with its `machine:`/`lane:` labels varied) and times, as fresh "
            "`.venv/bin/wrk` processes run from the repository root (its `wrk.yml` and routing "
            "rules) with the repository's `inventory/` and the same empty evidence folder for "
            "both, `wrk contract validate` (load and resolve) and `wrk report -o page.html` "
            "over each, the two sides interleaved. Per item: wall time / items, nothing "
            "subtracted (the target's ratio). The fixed cost of a run weighs more on the "
            "1,200-item side, so a 1-item run of each side is timed in the same loop and the "
            "marginal cost, (N-item - 1-item) / (N - 1), compared too. "
            "Ratio: issue per item / WRK per item, from the medians (and the median and range "
            "of the per-pair ratios). "
            f"{r['machine']['cpus']} CPUs, Python {r['machine']['python']}, load "
            f"{r['load_before'][0]} before, {r['machine']['load'][0]} after; {r['when']}. "
            "Raw samples: `results/issues.json`.",
            "",
            f"| measure (medians: validate of {len(v['wrk']['seconds']['samples'])}, report of "
            f"{len(rep['wrk']['seconds']['samples'])}) | {w_items:,} WRKs: wall, per item | "
            f"{i_items:,} issues: wall, per item | ratio (per pair: median, range) | "
            "1-item run WRK / issue: marginal per item, ratio | target (on the ratio) |",
            "|---|---:|---:|---:|---:|---|",
            row("`wrk contract validate`", v, f"<= 1.0: {mark('validate_ratio')}"),
            row("`wrk report`", rep, f"<= 1.0: {mark('report_ratio')}"),
            "",
            "| `wrk report` | page size | peak RSS (median) | items with contract errors |",
            "|---|---:|---:|---:|",
            f"| {w_items:,} WRKs | {rep['wrk']['page_bytes'] / 1024 / 1024:.2f} MiB | "
            f"{rep['wrk']['peak_rss_mb']['median']:.0f} MB | {rep['wrk']['contract_errors']} |",
            f"| {i_items:,} issues | {rep['issues']['page_bytes'] / 1024 / 1024:.2f} MiB "
            f"(target < 4 MiB: {mark('issue_page_bytes')}) | "
            f"{rep['issues']['peak_rss_mb']['median']:.0f} MB | "
            f"{rep['issues']['contract_errors']} |",
            "",
            "`wrk contract validate` exits 1 when any item is invalid (accepted; the item "
            "counts on its stderr are checked every run): here "
            f"{v['wrk']['invalid']} of the WRKs and {v['issues']['invalid']} of the issues "
            "(the real exports' single-axis label contradictions and their `machine:home-win`, "
            "which the inventory does not hold, in every copy that keeps them).",
            END,
        ]
    )
    text = README.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        marker = "## Readiness over"
        head, _, rest = text.partition(marker)
        text = head + section + "\n\n" + marker + rest
    README.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wrks", type=int, default=1200)
    parser.add_argument("--issues", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=5, help="validate pairs")
    parser.add_argument("--report-reps", type=int, default=3, help="report pairs")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    # As make bench does: with PYTHONDONTWRITEBYTECODE set, every run would compile wrk again.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "wrk_ansible")], check=True
    )
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="wrk-issues-bench-") as tmp:
        result: dict[str, Any] = {"schema_version": 1, **measure(args, Path(tmp))}
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["load_before"] = load_before
    result["machine"] = _machine()
    result["setup"] = {
        "inventory": "inventory/ (the repository's)",
        "config": "wrk.yml at the repository root (cwd)",
        "evidence": "one empty folder, for both sides",
        "interleaved": "wrk, issues, wrk, issues, ... per measure",
        "subtracted": "nothing for ratio; marginal_ratio: the 1-item run's median subtracted",
    }
    result["targets"] = {"ratio_max": TARGET_RATIO, "issue_page_bytes_max": TARGET_BYTES}
    result["targets_met"] = verdicts(result)
    print(json.dumps(result, indent=2))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        update_readme(result)
    return 0 if all(result["targets_met"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
