"""Nothing of one team in ``wrk_ansible/``: none of this repository's machine names (the
team's inventory hosts and their aliases, the machines of its routing files) and none of its
repositories appear in the package's code, docstrings or shipped content."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "wrk_ansible"


def team_names() -> set[str]:
    names: set[str] = set()
    for path in (REPO / "inventory" / "host_vars").glob("*.yml"):
        names.add(path.stem)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names.update(str(a) for a in data.get("wrk_aliases") or [])
    rules = yaml.safe_load((REPO / "config" / "routing-rules.yml").read_text(encoding="utf-8"))
    names.update(str(m) for m in rules.get("machines", {}) if m != "multi")
    names.update(str(k) for k in rules.get("machine_aliases", {}))
    names.update(str(k) for k in {**rules.get("solver_pools", {}), **rules.get("budget_pools", {})})
    names.update(str(v.get("hostname")) for v in rules["machines"].values() if v.get("hostname"))
    for rule in rules.get("rules", []):
        repo = (rule.get("match") or {}).get("repo")
        if repo:
            names.add(str(repo).split("/")[0])  # the team's GitHub owner
    return {n for n in names if len(n) > 3}


def test_the_team_names_are_read() -> None:
    """Control: the list is the team's real one, so the check below can fail."""
    names = team_names()
    assert {"dev-primary", "ace-linux-1", "licensed-win-1", "gpu-claw"} <= names


def test_the_package_names_none_of_them() -> None:
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(map(re.escape, sorted(team_names()))) + r")(?![\w-])"
    )
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        if (
            path.is_symlink()
            or not path.is_file()
            or path.suffix not in {".py", ".yml", ".cfg", ".j2", ".html"}
        ):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
