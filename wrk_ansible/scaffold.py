"""``wrk init [DIR]``: scaffold a team's repository for wrk.

It writes, each only when missing (never over a file, so a second run changes nothing):

- ``wrk.yml``, commented: every setting a team may choose, with the neutral defaults;
- ``inventory/`` with this machine as a host (``wrk_access: local``, its OS, the tools and
  agent CLIs found on its PATH), written by the same code as ``wrk inventory add``;
- ``queue/pending/WRK-001.md``, an example work item whose execute row gates to pass here;
- ``.gitignore`` lines for wrk's lock and temp files only (appended when missing): evidence
  is meant to be committed and merged through git, so it is never ignored.
"""

from __future__ import annotations

import platform
import re
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from wrk_ansible.atomic import create_file
from wrk_ansible.errors import InputError

#: Tools looked for on PATH (declared as the host's ``wrk_tools`` when found).
TOOLS: Final = (
    "git",
    "python3",
    "make",
    "gcc",
    "g++",
    "cmake",
    "docker",
    "podman",
    "node",
    "npm",
    "gh",
    "java",
    "go",
    "cargo",
    "nvidia-smi",
)
#: Agent CLIs looked for on PATH (declared as the host's ``wrk_agents`` when found).
AGENT_CLIS: Final = ("claude", "codex", "gemini", "agy", "aider", "copilot")
EXAMPLE_ID: Final = "WRK-001"
EXAMPLE_PATH: Final = Path("queue") / "pending" / f"{EXAMPLE_ID}.md"
GITIGNORE_LINES: Final = (
    "# wrk: lock files and the temp files a killed writer leaves. Evidence (.wrk/evidence) is",
    "# committed and merged through git: do not ignore it.",
    ".wrk-inventory.lock",
    ".wrk-*.tmp",
    ".wrk/evidence/**/.lock",
    ".wrk/evidence/.leases.lock",
)
_OS: Final = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}
_HOST: Final = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Machine:
    """What ``wrk init`` declares about this machine."""

    name: str
    os: str | None
    tools: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()


def this_machine(name: str | None = None) -> Machine:
    """This machine: its short hostname (or ``name``), OS, and the tools and agent CLIs on
    its PATH."""
    raw = name or socket.gethostname().split(".")[0] or "this-machine"
    host = _HOST.sub("-", raw).strip("-._")[:63] or "this-machine"
    return Machine(
        name=host,
        os=_OS.get(platform.system()),
        tools=tuple(t for t in TOOLS if shutil.which(t)),
        agents=tuple(a for a in AGENT_CLIS if shutil.which(a)),
    )


@dataclass
class Outcome:
    """What ``wrk init`` did: files created, files kept as they were, lines appended."""

    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    appended: list[Path] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.appended)


def config_text() -> str:
    """The commented ``wrk.yml`` a new repository starts from."""
    return """\
# wrk.yml: this repository's configuration of wrk. wrk finds it by walking up from the current
# folder (or --config FILE, or $WRK_CONFIG). `wrk config show` prints every setting in effect
# and where it came from; `wrk config schema` prints the JSON Schema this file is checked
# against. Relative paths are relative to this file's folder. For every setting, a
# command-line option wins over its environment variable, which wins over this file.
---
version: 1

# The workstation registry: an Ansible inventory. `wrk inventory add HOST --group G` adds one.
inventory: inventory
# The evidence store. Commit it: evidence travels between machines through git.
evidence_dir: .wrk/evidence

# The machine the orchestrator runs on: the resource_intelligence, plan_draft, claim and close
# rows run there. Unset: the host named by --here, else the inventory host this machine is.
# orchestrator_host: build1

# The stage matrix, row by row over the built-in one (`wrk config show` lists all seven
# rows). Reviews run on any host that declares an agent CLI (wrk_agents) unless a row says
# otherwise; for example:
# stages:
#   plan_review:
#     workstations: {group: reviewers, count: 1}
#   plan_draft:
#     primary: claude

# The agents of the fleet; a host lists the ones it runs in wrk_agents.
# agents:
#   - {name: claude, cli: claude, kinds: [plan, execute, review], quota_window: weekly}
#   - {name: codex, cli: codex, quota_window: weekly}

# quota:
#   fresh_hours: 24                       # how old a quota snapshot may be for a claim
#   pacing:
#     weekly: [[0, 0], [5, 90], [7, 100]] # (day, max used %): 90% by day 5
# readiness:
#   fresh_hours: 25                       # how old readiness evidence may be and still count

# routing_policy: config/routing-policy.yml  # Linux first; licensed work on licensed hosts
# routing_rules: config/routing-rules.yml    # which issue labels route to which machines
"""


def example_text(machine: Machine) -> str:
    """An example WRK whose execute row (the only one it writes) gates to pass on
    ``machine``: it runs there and needs a tool ``machine`` has."""
    needs: list[str] = [t for t in ("python3", "git") if t in machine.tools]
    needs = needs or list(machine.tools[:1])
    agent = f"\n    primary: {machine.agents[0]}" if machine.agents else ""
    requirements = (
        f"machine_capability_requirements:\n  execute:\n    tools: [{', '.join(needs)}]\n"
        if needs
        else ""
    )
    return f"""\
---
id: {EXAMPLE_ID}
title: An example work item
status: pending
# Only the execute row is written; the other six come from the matrix (wrk config show).
stage_assignments:
  execute:{agent}
    workstations: [{machine.name}]
{requirements}---

# {EXAMPLE_ID}: an example work item

Gate it: `wrk gate {EXAMPLE_PATH.as_posix()} --stage execute`.
"""


def _create(path: Path, text: str, outcome: Outcome) -> None:
    if path.exists() or path.is_symlink():
        outcome.kept.append(path)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder must go, no permission, ...
        raise InputError(f"cannot make its folder: {exc.strerror or exc}", path=str(path)) from None
    try:
        create_file(path, text.encode("utf-8"))
    except FileExistsError:  # another process made it meanwhile: theirs stands
        outcome.kept.append(path)
        return
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from None
    outcome.created.append(path)


def _gitignore(path: Path, outcome: Outcome) -> None:
    if not path.exists():
        _create(path, "\n".join(GITIGNORE_LINES) + "\n", outcome)
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it to add wrk's lines: {exc}", path=str(path)) from None
    missing = [line for line in GITIGNORE_LINES if line not in text.splitlines()]
    if not [line for line in missing if not line.startswith("#")]:
        outcome.kept.append(path)
        return
    lead = "" if not text or text.endswith("\n") else "\n"
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(lead + "\n".join(missing) + "\n")
    except OSError as exc:
        raise InputError(f"cannot add wrk's lines: {exc.strerror or exc}", path=str(path)) from None
    outcome.appended.append(path)


def _inventory(root: Path, machine: Machine, outcome: Outcome) -> None:
    from wrk_ansible.registry import ops
    from wrk_ansible.registry.edit import edit_inventory

    folder = root / "inventory"
    if folder.exists():
        outcome.kept.append(folder)
        return
    values = [
        "wrk_access=local",
        "ansible_connection=local",
        *([f"wrk_os={machine.os}"] if machine.os else []),
        *([f"wrk_tools=[{','.join(machine.tools)}]"] if machine.tools else []),
        *([f"wrk_agents=[{','.join(machine.agents)}]"] if machine.agents else []),
    ]
    with edit_inventory(str(folder), create=True) as edit:
        ops.add_host(
            edit, machine.name, [machine.os or "workstations"], ops.parse_assignments(values)
        )
        written = list(edit.changed_files())
    outcome.created.extend(written)


#: Where wrk init writes, relative to the root: each must be a file or missing, and the
#: folders above it folders or missing.
_TARGETS: Final = (
    Path("wrk.yml"),
    Path("inventory") / "hosts.yml",
    EXAMPLE_PATH,
    Path(".gitignore"),
)


def _preflight(root: Path) -> None:
    """Refuse before writing anything when a file stands where a folder must go (or a folder
    where a file must), so a refused init changes nothing."""
    for target in _TARGETS:
        path = root / target
        for folder in reversed(path.parents):
            if folder.is_relative_to(root) and folder.exists() and not folder.is_dir():
                raise InputError("is a file where wrk init needs a folder", path=str(folder))
        if path.is_dir():
            raise InputError("is a folder where wrk init needs a file", path=str(path))


def scaffold(root: Path, machine: Machine) -> Outcome:
    """Write what is missing of a wrk repository at ``root`` (see the module docstring)."""
    if root.exists() and not root.is_dir():
        raise InputError("is not a folder", path=str(root))
    _preflight(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot make it: {exc.strerror or exc}", path=str(root)) from None
    outcome = Outcome()
    _create(root / "wrk.yml", config_text(), outcome)
    _inventory(root, machine, outcome)
    _create(root / EXAMPLE_PATH, example_text(machine), outcome)
    _gitignore(root / ".gitignore", outcome)
    return outcome


def shown(paths: Sequence[Path], root: Path) -> list[str]:
    """Paths relative to ``root`` where they are below it."""
    out = []
    for path in paths:
        try:
            out.append(str(path.relative_to(root)))
        except ValueError:
            out.append(str(path))
    return out
