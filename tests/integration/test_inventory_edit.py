"""``wrk inventory`` writes, through real processes on real files (copies of a fixture).

One-line diffs, comments and quoting kept, 16 concurrent writers losing nothing, ``kill -9``
mid-write leaving the old or the new file, template text stored inert, refused connection
vars, and bad input changing no byte.
"""

from __future__ import annotations

import difflib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "inventory-edit"
TIMEOUT = 120
ANSIBLE_BIN = Path(sys.executable).parent
Run = Callable[..., "subprocess.CompletedProcess[str]"]
Hash = Callable[[Path], dict[str, str]]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    for name in ("WRK_DEBUG", "WRK_INVENTORY", "ANSIBLE_CONFIG"):
        env.pop(name, None)
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def _wrk(*args: str) -> list[str]:
    return [sys.executable, "-m", "wrk_ansible", *args]


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    target = tmp_path / "inventory"
    shutil.copytree(FIXTURE, target)
    return target


def _content(tree: dict[str, str]) -> dict[str, str]:
    """The tree without the lock file (created by the first locked edit, never content)."""
    return {k: v for k, v in tree.items() if not k.endswith(".wrk-inventory.lock")}


def test_set_of_one_scalar_is_a_one_line_diff(run_wrk: Run, inv: Path) -> None:
    path = inv / "host_vars" / "ws_one.yml"
    before = path.read_text(encoding="utf-8")
    result = run_wrk("inventory", "set", "ws_one", "wrk_access=local", "-i", str(inv))
    assert result.returncode == 0, result.stderr
    after = path.read_text(encoding="utf-8")
    diff = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert diff == [
        "-wrk_access: ssh   # reached over SSH",
        "+wrk_access: local # reached over SSH",
    ]


def test_comments_order_and_quoting_survive(run_wrk: Run, inv: Path) -> None:
    path = inv / "host_vars" / "ws_one.yml"
    before = path.read_text(encoding="utf-8")
    for args in (
        ["set", "ws_one", "wrk_notes=another 'note'", "wrk_agents=claude,gemini"],
        ["set", "ws_one", "ansible_port=2222"],
        ["drain", "ws_one", "--reason", "disk swap"],
        ["resume", "ws_one"],
        ["unset", "ws_one", "ansible_port"],
    ):
        result = run_wrk("inventory", *args, "-i", str(inv))
        assert result.returncode == 0, (args, result.stderr)
    after = path.read_text(encoding="utf-8")
    kept = [line for line in before.splitlines() if "wrk_notes" not in line and "  - " not in line]
    for line in kept:
        assert line in after.splitlines(), line
    assert "wrk_notes: \"another 'note'\"" in after  # the replaced value keeps its quotes
    assert 'wrk_tools: [git, {name: python3, version: "3.11"}]' in after
    keys = [line.split(":")[0] for line in after.splitlines() if line[:1].isalpha()]
    assert keys == [
        "wrk_access",
        "wrk_aliases",
        "wrk_os",
        "wrk_agents",
        "wrk_tools",
        "wrk_storage",
        "wrk_notes",
        "wrk_gpu",
        "wrk_state",  # drain then resume leaves an explicit "active" (a group may say otherwise)
    ]
    assert yaml.safe_load(after)["wrk_agents"] == ["claude", "gemini"]


def test_add_creates_host_vars_and_membership(run_wrk: Run, inv: Path) -> None:
    hosts_before = (inv / "hosts.yml").read_text(encoding="utf-8")
    result = run_wrk(
        "inventory", "add", "ws_new", "--group", "linux", "--group", "gpu",
        "wrk_agents=[codex]", "wrk_gpu=rtx-4090", "--json", "-i", str(inv),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    hosts = yaml.safe_load((inv / "hosts.yml").read_text(encoding="utf-8"))
    assert "ws_new" in hosts["all"]["children"]["linux"]["hosts"]
    assert "ws_new" in hosts["all"]["children"]["gpu"]["hosts"]
    for line in hosts_before.splitlines():
        assert line in (inv / "hosts.yml").read_text(encoding="utf-8").splitlines()
    host_vars = yaml.safe_load((inv / "host_vars" / "ws_new.yml").read_text(encoding="utf-8"))
    assert host_vars == {"wrk_agents": ["codex"], "wrk_gpu": "rtx-4090"}


SIXTEEN_KEYS = [
    "wrk_access=none",
    "wrk_aliases=[win-old]",
    "wrk_os=windows",
    "wrk_agents=[claude]",
    "wrk_tools=[orcaflex]",
    "wrk_licenses=[{feature: orcaflex, kind: flexlm, server: 27000@lic}]",
    "wrk_storage=[{path: 'D:\\work'}]",
    "wrk_gpu=false",
    "wrk_signing_key=ssh-ed25519 AAAA",
    "wrk_notes=concurrent",
    "ansible_host=win.example",
    "ansible_port=2222",
    "ansible_user=ops",
    "ansible_python_interpreter=/usr/bin/python3",
    "ansible_shell_type=powershell",
    "ansible_become=false",
]


def _all_finish(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        _out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err


def test_sixteen_concurrent_sets_on_one_host_all_land(inv: Path) -> None:
    procs = [
        subprocess.Popen(
            _wrk("inventory", "set", "ws_win", assignment, "-i", str(inv)),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for assignment in SIXTEEN_KEYS
    ]
    _all_finish(procs)
    data = yaml.safe_load((inv / "host_vars" / "ws_win.yml").read_text(encoding="utf-8"))
    assert sorted(data) == sorted(a.split("=")[0] for a in SIXTEEN_KEYS)
    assert data["ansible_port"] == 2222
    assert not list(inv.rglob(".wrk-edit-*"))


def test_sixteen_concurrent_adds_all_land(inv: Path) -> None:
    names = [f"ws_add_{n:02d}" for n in range(16)]
    procs = [
        subprocess.Popen(
            _wrk(
                "inventory", "add", name, "--group", "linux", f"wrk_notes=n{name}", "-i", str(inv)
            ),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    _all_finish(procs)
    hosts = yaml.safe_load((inv / "hosts.yml").read_text(encoding="utf-8"))
    linux = hosts["all"]["children"]["linux"]["hosts"]
    assert set(names) <= set(linux)
    assert {"ws_one", "ws_local"} <= set(linux)
    for name in names:
        data = yaml.safe_load((inv / "host_vars" / f"{name}.yml").read_text(encoding="utf-8"))
        assert data == {"wrk_notes": f"n{name}"}


_WRITER = """
import sys
from wrk_ansible.registry import ops
from wrk_ansible.registry.edit import edit_inventory
inv, run, n = sys.argv[1], sys.argv[2], 0
print("ready", flush=True)
while True:
    n += 1
    with edit_inventory(inv) as edit:
        note = f"wrk_notes=write {run}-{n} " + "x" * 20000
        ops.set_vars(edit, "ws_one", ops.parse_assignments([note]))
        ops.add_host(edit, f"ws_loop_{run}_{n}", ["linux"], [])
"""


def test_kill_9_mid_write_leaves_old_or_new_file(inv: Path) -> None:
    rng = random.Random(4)
    notes_seen = set()
    for run in range(20):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(inv), str(run)],
            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))
        writer.send_signal(signal.SIGKILL)
        _, err = writer.communicate(timeout=TIMEOUT)
        assert writer.returncode == -signal.SIGKILL, err  # killed, not crashed
        host_vars = yaml.safe_load((inv / "host_vars" / "ws_one.yml").read_text(encoding="utf-8"))
        note = host_vars["wrk_notes"]
        assert note == "a note with 'quotes' and a # hash" or note.startswith("write ")
        assert note == "a note with 'quotes' and a # hash" or note.endswith("x" * 20000)
        notes_seen.add(note.split(" ")[1])
        hosts = yaml.safe_load((inv / "hosts.yml").read_text(encoding="utf-8"))
        assert "ws_one" in hosts["all"]["children"]["linux"]["hosts"]
    assert len(notes_seen) > 10, "writers rarely completed a write: the test proved little"
    # The next writer is not blocked by the killed one and removes its leftover temp files.
    result = subprocess.run(
        _wrk("inventory", "set", "ws_one", "wrk_notes=after", "-i", str(inv)),
        env=_env(), capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not list(inv.rglob(".wrk-edit-*"))


CANARY_REASON = "{{ lookup('pipe','touch %s') }}"


def _ansible(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ANSIBLE_BIN / args[0]), *args[1:]],
        cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip


def test_template_text_never_runs(run_wrk: Run, inv: Path, tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    reason = CANARY_REASON % canary
    result = run_wrk("inventory", "drain", "ws_local", "--reason", reason, "-i", str(inv))
    assert result.returncode == 0, result.stderr
    text = (inv / "host_vars" / "ws_local.yml").read_text(encoding="utf-8")
    assert "wrk_state_reason: !unsafe" in text
    listed = _ansible("ansible-inventory", "-i", str(inv), "--list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    debug = _ansible(
        "ansible", "-i", str(inv), "ws_local", "-c", "local", "-m", "debug",
        "-a", "var=wrk_state_reason", cwd=tmp_path,
    )  # fmt: skip
    assert debug.returncode == 0, debug.stdout + debug.stderr
    assert "lookup('pipe'" in debug.stdout  # printed as text, not run
    show = run_wrk("inventory", "show", "ws_local", "-i", str(inv), "--json", cwd=tmp_path)
    assert show.returncode == 0, show.stderr
    assert not canary.exists()


def test_the_canary_would_fire_without_unsafe(inv: Path, tmp_path: Path) -> None:
    """The control: the same text stored plainly runs, so the test above can fail."""
    canary = tmp_path / "CANARY"
    path = inv / "host_vars" / "ws_local.yml"
    reason = (CANARY_REASON % canary).replace("'", "''")
    path.write_text(path.read_text() + f"wrk_state_reason: '{reason}'\n", encoding="utf-8")
    debug = _ansible(
        "ansible", "-i", str(inv), "ws_local", "-c", "local", "-m", "debug",
        "-a", "var=wrk_state_reason", cwd=tmp_path,
    )  # fmt: skip
    assert debug.returncode == 0, debug.stdout + debug.stderr
    assert canary.exists()


BAD_INPUT = [
    (["set", "ws_nope", "wrk_access=ssh"], "unknown host 'ws_nope'"),
    (["set", "ws_one", "wrk_bogus=1"], "unknown key wrk_bogus"),
    (["set", "ws_one", "ansible_port=abc"], "ansible_port"),
    (["set", "ws_one", "wrk_access=telnet"], "wrk_access"),
    (["set", "ws_one", "wrk_access=ssh", "wrk_agents=[[x]]"], "wrk_agents"),
    (["set", "ws_one", "wrk_state=active"], "drain/resume/retire"),
    (["set", "ws_one", "wrk_aliases=[old-box]"], "already names host 'ws_retired'"),
    (["set", "ws_one", "ansible_ssh_common_args=-o ProxyCommand=touch x"], "--allow-connection"),
    (["set", "ws_one", "ansible_ssh_extra_args=-v"], "--allow-connection-vars"),
    (["set", "ws_one", "ansible_shell_executable=/bin/evil"], "--allow-connection-vars"),
    (["set", "ws_one", "ansible_become_exe=evil"], "--allow-connection-vars"),
    (["set", "ws_one", "ansible_connection=docker"], "must be one of"),
    (["set", "ws_one", "wrk_tools=[&a x, *a]"], "aliases"),
    (["set", "ws_retired", "wrk_agents=[claude]"], "is retired"),
    (["drain", "ws_retired", "--reason", "x"], "is retired"),
    (["resume", "ws_retired"], "is retired"),
    (["unset", "ws_one", "ansible_port"], "has no ansible_port"),
    (["add", "ws_one", "--group", "linux"], "already exists"),
    (["add", "WS-ONE-OLD", "--group", "linux"], "already exists"),
    (["add", "ws_x", "--group", "bad-group"], "not a group name"),
    (["add", "ws x", "--group", "linux"], "not a host name"),
    (["add", "linux", "--group", "gpu"], "already a group name"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_changes_no_byte(
    run_wrk: Run, tree_hash: Hash, inv: Path, args: list[str], fragment: str
) -> None:
    before = _content(tree_hash(inv))
    result = run_wrk("inventory", *args, "-i", str(inv))
    assert result.returncode == 1, result.stderr
    assert fragment in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert _content(tree_hash(inv)) == before


def test_connection_vars_with_the_flag(run_wrk: Run, inv: Path) -> None:
    result = run_wrk(
        "inventory", "set", "ws_one", "ansible_ssh_common_args=-o ServerAliveInterval=5",
        "--allow-connection-vars", "-i", str(inv),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load((inv / "host_vars" / "ws_one.yml").read_text(encoding="utf-8"))
    assert data["ansible_ssh_common_args"] == "-o ServerAliveInterval=5"


def test_usage_errors_exit_64(run_wrk: Run, inv: Path) -> None:
    result = run_wrk("inventory", "drain", "ws_one", "-i", str(inv))
    assert result.returncode == 64
    assert "--reason" in result.stderr
