"""A large multi-repository issue export built from the team's two real exports (for the
report's size test and the benchmark): each real issue copied with a new number, and every
other copy with its ``machine:``/``lane:`` labels varied through the values the exports use, so
routing takes every path (label, rule, lane, default). Deterministic: the same ``count`` gives
the same file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "github"
#: The 2026-04-08 export names no repository: its issues are workspace-hub's.
EARLY_REPO = "vamseeachanta/workspace-hub"


def real_issues() -> list[dict[str, Any]]:
    """Both real exports as gh writes them, each issue once (the later export's copy of the
    three both hold), each with a url (the early export's get their repository's)."""
    late = json.loads((FIXTURES / "issues-2026-07-27-sample.json").read_text(encoding="utf-8"))
    early = json.loads((FIXTURES / "issues-2026-04-08-sample.json").read_text(encoding="utf-8"))
    for issue in early:
        issue["url"] = f"https://github.com/{EARLY_REPO}/issues/{issue['number']}"
    unique = {issue["url"].casefold(): issue for issue in early + late}  # 3 are in both
    return list(unique.values())


def _vary(labels: list[dict[str, Any]], n: int, machines: list[str], lanes: list[str]) -> None:
    kept = [x for x in labels if not x["name"].startswith(("machine:", "lane:"))]
    if n % 3 == 1:
        kept.append({"name": f"machine:{machines[n % len(machines)]}"})
    if n % 4 == 1:
        kept.append({"name": f"lane:{lanes[n % len(lanes)]}"})
    labels[:] = kept


def generate(count: int) -> list[dict[str, Any]]:
    """``count`` issues: real ones first, then numbered copies (numbers from 100000)."""
    base = real_issues()
    names = [x["name"] for issue in base for x in issue.get("labels") or ()]
    machines = sorted({n.split(":", 1)[1] for n in names if n.startswith("machine:")} - {"multi"})
    lanes = sorted({n.split(":", 1)[1] for n in names if n.startswith("lane:")})
    out: list[dict[str, Any]] = []
    for n in range(count):
        issue = json.loads(json.dumps(base[n % len(base)]))
        if n >= len(base):
            owner_repo = issue["url"].split("github.com/", 1)[1].rsplit("/issues/", 1)[0]
            number = 100000 + n
            issue["number"] = number
            issue["url"] = f"https://github.com/{owner_repo}/issues/{number}"
            if n % 2:
                _vary(issue.setdefault("labels", []), n, machines, lanes)
        out.append(issue)
    return out


def write(path: Path, count: int) -> Path:
    path.write_text(json.dumps(generate(count), ensure_ascii=False), encoding="utf-8")
    return path
