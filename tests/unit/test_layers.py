"""The package's structure: no import cycles (modules or subpackages), and the layers hold.

Every import counts, imports inside functions too (a lazy import hides a cycle from Python, not
from a reader); imports under ``if TYPE_CHECKING:`` do not. The graph is built from the source
with :mod:`ast`, and cycles are found with :mod:`graphlib`, so this needs nothing outside the
project (the same rules as the team's ``import-cycles.py``).
"""

from __future__ import annotations

import ast
import graphlib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "wrk_ansible"
PACKAGE = ROOT.name


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            name = getattr(node.test, "id", None) or getattr(node.test, "attr", None)
            if name == "TYPE_CHECKING":
                skip.update(id(sub) for child in node.body for sub in ast.walk(child))
    return skip


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _type_checking_nodes(tree)
    base = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.split(".")[: len(base.split(".")) - (node.level - 1)]
                module = ".".join(anchor + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in known]
            targets = subs if len(subs) == len(node.names) else [module, *subs]
        for target in targets:
            owner = target
            while owner and owner not in known:
                owner = owner.rpartition(".")[0]
            if owner and owner not in (name, PACKAGE):
                found.add(owner)
    return found


@cache
def graph() -> dict[str, frozenset[str]]:
    """module -> the package's modules it imports."""
    files = {_module(p): p for p in sorted(ROOT.rglob("*.py"))}
    known = set(files)
    return {name: frozenset(_imports(path, name, known)) for name, path in files.items()}


def folded(level: int) -> dict[str, set[str]]:
    """The graph with modules folded into their subpackage (``wrk_ansible.contract``)."""
    out: dict[str, set[str]] = {}
    for name, deps in graph().items():
        key = ".".join(name.split(".")[:level])
        out.setdefault(key, set()).update(
            ".".join(d.split(".")[:level]) for d in deps if ".".join(d.split(".")[:level]) != key
        )
    return out


def closure(start: str) -> set[str]:
    """Every module ``start`` (a module or subpackage prefix) reaches, itself excluded."""
    seen: set[str] = set()
    todo = [m for m in graph() if m == start or m.startswith(start + ".")]
    while todo:
        module = todo.pop()
        for dep in graph()[module]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return {m for m in seen if not (m == start or m.startswith(start + "."))}


def test_the_graph_is_read() -> None:
    """A control: the graph sees real edges, lazy ones included, so the checks below can fail."""
    edges = graph()
    assert len(edges) > 50
    assert "wrk_ansible.decision.outcomes" in edges["wrk_ansible.decision.verdict"]
    assert "wrk_ansible.readiness.gather" in edges["wrk_ansible.cli.readiness"]  # a lazy import
    with pytest.raises(graphlib.CycleError):
        tuple(graphlib.TopologicalSorter({"a": {"b"}, "b": {"a"}}).static_order())


@pytest.mark.parametrize("level", [99, 2], ids=["modules", "subpackages"])
def test_no_import_cycles(level: int) -> None:
    try:
        tuple(graphlib.TopologicalSorter(folded(level)).static_order())
    except graphlib.CycleError as exc:
        pytest.fail("import cycle: " + " -> ".join(exc.args[1]))


FORBIDDEN = {
    # The pure core forms every verdict from types it owns: no registry, probe runner, evidence
    # or gates (the probe's version grammar is the one exception, see the test below).
    "wrk_ansible.decision": (
        "wrk_ansible.registry",
        "wrk_ansible.readiness",
        "wrk_ansible.evidence",
        "wrk_ansible.gates",
        "wrk_ansible.agents",
        "wrk_ansible.report",
        "wrk_ansible.cli",
        "wrk_ansible.gate",
    ),
    # The contract knows no inventory and no gate implementation.
    "wrk_ansible.contract": (
        "wrk_ansible.registry",
        "wrk_ansible.names",
        "wrk_ansible.gates",
        "wrk_ansible.decision",
        "wrk_ansible.readiness",
        "wrk_ansible.evidence",
        "wrk_ansible.cli",
    ),
    # Issues are a second source of work items: labels and rules in, the contract's types out.
    # Names resolve through names.py's Directory, never the registry itself; no gate, decision,
    # probe, evidence or command.
    "wrk_ansible.issues": (
        "wrk_ansible.registry",
        "wrk_ansible.gates",
        "wrk_ansible.decision",
        "wrk_ansible.readiness",
        "wrk_ansible.evidence",
        "wrk_ansible.report",
        "wrk_ansible.gate",
        "wrk_ansible.cli",
    ),
    # The report reads evidence and declarations; it never runs a probe.
    "wrk_ansible.report": (
        "wrk_ansible.readiness.gather",
        "wrk_ansible.readiness.runner",
        "wrk_ansible.gate",
        "wrk_ansible.cli",
    ),
    # Evidence is storage: it never reaches up into readiness or the gate.
    "wrk_ansible.evidence": (
        "wrk_ansible.readiness",
        "wrk_ansible.gates",
        "wrk_ansible.gate",
        "wrk_ansible.cli",
    ),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_hold_transitively(layer: str) -> None:
    reached = closure(layer)
    bad = sorted(m for m in reached for f in FORBIDDEN[layer] if m == f or m.startswith(f + "."))
    assert not bad, f"{layer} reaches {bad}"


def test_nothing_below_cli_imports_cli() -> None:
    bad = {
        module: sorted(d for d in deps if d.startswith("wrk_ansible.cli"))
        for module, deps in graph().items()
        if not module.startswith("wrk_ansible.cli") and module != "wrk_ansible.__main__"
    }
    assert not {m: d for m, d in bad.items() if d}


def test_one_seam_to_ansible_runner_and_one_to_the_inventory() -> None:
    def importers(target: str) -> set[str]:
        out = set()
        for path in ROOT.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                if any(n == target or n.startswith(target + ".") for n in names):
                    out.add(_module(path))
        return out

    assert importers("ansible_runner") == {"wrk_ansible.readiness.runner"}
    assert importers("ansible.inventory") == {"wrk_ansible.registry.inventory"}


def test_the_probe_is_a_leaf_the_core_may_read_the_grammar_of() -> None:
    """decision/ reaches the probe file only through versions.py (the one version grammar),
    and the probe imports nothing of the package (it runs on hosts, stdlib only)."""
    assert graph()["wrk_ansible.probe"] == frozenset()
    assert graph()["wrk_ansible.versions"] == frozenset({"wrk_ansible.probe"})
    direct = {m for m, deps in graph().items() if "wrk_ansible.probe" in deps}
    assert direct <= {"wrk_ansible.versions", "wrk_ansible.readiness.gather"}, direct
