"""The collection wrkansible.wrk as users get it: built with ansible-galaxy, installed from the
tarball into a clean collections path, run by FQCN from an empty folder with no project
ansible.cfg against the SSH fleet, through ``ansible-runner run`` (artifacts), whose artifacts
``wrk gate --from-artifacts`` turns into the same decision as a direct ``wrk gate``. Also
ansible-test sanity on the installed copy and ``ansible-builder create`` (docs/collection.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fleet import TOOL, Fleet

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
TARBALL = f"wrkansible-wrk-{VERSION}.tar.gz"
SLOW = 600  # generous: a hang catcher, never a timed assertion
SOLVER = {"tools": [{"name": TOOL, "min_version": "2.0"}]}
HERE = "control"
SHIPPED = {"MANIFEST.json", "FILES.json", "README.md", "meta", "playbooks", "roles", "plugins"}
SHIPPED |= {"changelogs", "tests"}
SANITY_TESTS = (
    "action-plugin-docs",
    "ansible-doc",
    "changelog",
    "compile",
    "empty-init",
    "ignores",
    "import",
    "line-endings",
    "no-assert",
    "no-get-exception",
    "no-illegal-filenames",
    "no-smart-quotes",
    "pep8",
    "pslint",
    "pylint",
    "replace-urlopen",
    "runtime-metadata",
    "shebang",
    "shellcheck",
    "symlinks",
    "use-argspec-type-path",
    "use-compat-six",
    "validate-modules",
    "yamllint",
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus every ANSIBLE_* and WRK_* setting, the venv's bin first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "WRK_"))}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", os.defpath)])
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=SLOW, check=False
    )


@dataclass(frozen=True)
class Installed:
    tarball: Path
    collections: Path
    empty: Path

    def env(self) -> dict[str, str]:
        """Only the clean collections path; no ansible.cfg anywhere up from ``empty``."""
        return clean_env(ANSIBLE_COLLECTIONS_PATH=str(self.collections))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("collection")
    dist, collections, empty = base / "dist", base / "collections", base / "empty"
    empty.mkdir()
    built = run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist)],
        REPO,
        clean_env(),
    )
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = dist / TARBALL
    assert tarball.is_file(), built.stdout
    done = run(
        [
            str(BIN / "ansible-galaxy"),
            "collection",
            "install",
            "-p",
            str(collections),
            str(tarball),
        ],
        empty,
        clean_env(ANSIBLE_COLLECTIONS_PATH=str(collections)),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (collections / "ansible_collections/wrkansible/wrk/MANIFEST.json").is_file()
    assert not (empty / "ansible.cfg").exists()
    return Installed(tarball, collections, empty)


def test_tarball_holds_the_ansible_content_only(installed: Installed) -> None:
    with tarfile.open(installed.tarball) as tar:
        names = tar.getnames()
        links = [m.name for m in tar.getmembers() if m.issym() or m.islnk()]
        manifest = json.loads(tar.extractfile("MANIFEST.json").read())  # type: ignore[union-attr]
    assert {n.split("/")[0] for n in names} <= SHIPPED, sorted(names)
    assert not links, links  # none of the checkout's links in playbooks/collections
    assert not [n for n in names if n.startswith("playbooks/collections")]
    files = [n for n in names if n.startswith("tests/") and "." in n.rsplit("/", 1)[-1]]
    assert files == ["tests/sanity/ignore-2.19.txt"], files
    for path in (
        "plugins/modules/wrk_probe.py",
        "plugins/action/wrk_probe.py",
        "plugins/module_utils/wrk_probe.py",
        "roles/wrk_readiness/tasks/probe.yml",
        "playbooks/readiness.yml",
        "meta/runtime.yml",
        "meta/execution-environment.yml",
        "changelogs/changelog.yaml",
    ):
        assert path in names, path
    assert not [n for n in names if "molecule" in n or "__pycache__" in n or "wrk_ansible" in n]
    assert manifest["collection_info"]["version"] == VERSION


def in_the_checkout(home: Path, **extra: str) -> dict[str, str]:
    """As a user in the checkout: its ansible.cfg applies (the working directory), no ANSIBLE_*
    setting but an empty ANSIBLE_HOME, so no copy in the developer's ~/.ansible counts."""
    return clean_env(ANSIBLE_HOME=str(home), **extra)


def test_install_with_p_from_inside_the_checkout_installs_into_that_path(
    installed: Installed, tmp_path: Path
) -> None:
    """The checkout is no installed copy for ansible-galaxy: -p DIR installs into DIR."""
    env = in_the_checkout(tmp_path / "home")
    version = run([str(BIN / "ansible-galaxy"), "--version"], REPO, env)
    assert f"config file = {REPO / 'ansible.cfg'}" in version.stdout, version.stdout
    target = tmp_path / "cols"
    install = [str(BIN / "ansible-galaxy"), "collection", "install", "-p", str(target)]
    done = run([*install, str(installed.tarball)], REPO, env)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "Nothing to do" not in out, out
    assert f"wrkansible.wrk:{VERSION} was installed successfully" in done.stdout, out
    root = target / "ansible_collections" / "wrkansible" / "wrk"
    for rel in (
        "MANIFEST.json",
        "FILES.json",
        "README.md",
        "meta/runtime.yml",
        "playbooks/readiness.yml",
        "roles/wrk_readiness/README.md",
        "roles/wrk_readiness/tasks/probe.yml",
        "roles/wrk_readiness/meta/argument_specs.yml",
        "plugins/modules/wrk_probe.py",
        "plugins/action/wrk_probe.py",
        "plugins/module_utils/wrk_probe.py",
    ):
        assert (root / rel).is_file(), rel
    readme = root / "roles" / "wrk_readiness" / "README.md"
    assert readme.read_bytes() == (REPO / "roles" / "wrk_readiness" / "README.md").read_bytes()
    info = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == ("wrkansible", "wrk", VERSION)
    assert not [str(p) for p in root.rglob("*") if p.is_symlink()]
    assert not (root / "playbooks" / "collections").exists()


def test_in_the_checkout_the_checkout_wins_over_an_installed_copy(
    installed: Installed, tmp_path: Path
) -> None:
    """With the collection also installed on the collections path, the checkout's playbook,
    ansible-doc and the role still use the checkout's own files (playbooks/collections)."""
    env = in_the_checkout(tmp_path / "home", ANSIBLE_COLLECTIONS_PATH=str(installed.collections))
    own = REPO / "playbooks" / "collections" / "ansible_collections" / "wrkansible" / "wrk"
    doc = run([str(BIN / "ansible-doc"), "wrkansible.wrk.wrk_probe"], REPO, env)
    assert doc.returncode == 0, doc.stdout + doc.stderr
    assert f"({own / 'plugins' / 'modules' / 'wrk_probe.py'})" in doc.stdout.splitlines()[0]
    extra = json.dumps({"wrk_readiness_requirements": {"tools": [{"name": "python3"}]}})
    playbook = [str(BIN / "ansible-playbook"), "-vvv", "-i", "localhost,", "-c", "local"]
    play = run([*playbook, "-e", extra, "playbooks/readiness.yml"], REPO, env)
    assert play.returncode == 0, play.stdout + play.stderr
    assert "localhost: READY (requirements, 1 checks" in play.stdout
    task_paths = [line for line in play.stdout.splitlines() if line.startswith("task path: ")]
    probe = own / "roles" / "wrk_readiness" / "tasks" / "probe.yml"
    assert task_paths, play.stdout
    assert all(line.startswith(f"task path: {probe}:") for line in task_paths), task_paths


def fleet_inventory(fleet: Fleet, folder: Path) -> Path:
    data = fleet.inventory(["ws_ready", "ws_missing_tool", "ws_unreachable"])
    data["all"]["children"]["local"] = {
        "hosts": {
            HERE: {
                "ansible_connection": "local",
                "ansible_python_interpreter": "/usr/bin/python3",
                "wrk_access": "local",
                "wrk_os": "linux",
                "wrk_agents": ["claude"],
            }
        }
    }
    folder.mkdir(parents=True)
    (folder / "hosts.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


def test_playbook_by_fqcn_from_an_empty_folder_against_the_fleet(
    installed: Installed, fleet: Fleet, tmp_path: Path
) -> None:
    inventory = fleet_inventory(fleet, tmp_path / "inventory")
    done = run(
        [
            str(BIN / "ansible-playbook"),
            "wrkansible.wrk.readiness",
            "-i",
            str(inventory),
            "--limit",
            "ws_ready,ws_missing_tool,ws_unreachable",
            "-e",
            json.dumps({"wrk_readiness_requirements": SOLVER, "ansible_timeout": 5}),
        ],
        installed.empty,
        installed.env(),
    )
    out = done.stdout
    assert done.returncode == 4, out + done.stderr  # 4: a host was unreachable
    assert "ws_ready: READY (requirements, 1 checks" in out
    assert "ws_missing_tool: NOT READY (requirements, 1 checks" in out
    assert "ws_unreachable" in out
    assert "UNREACHABLE" in out
    assert str(REPO) not in out  # nothing came from the checkout


def runner_run(installed: Installed, inventory: Path, private: Path) -> Path:
    """``ansible-runner run`` of the playbook by FQCN; returns the artifact directory."""
    (private / "env").mkdir(parents=True)
    (private / "inventory").mkdir()
    shutil.copy(inventory / "hosts.yml", private / "inventory" / "hosts.yml")
    envvars = {"ANSIBLE_COLLECTIONS_PATH": str(installed.collections)}
    (private / "env" / "envvars").write_text(yaml.safe_dump(envvars), encoding="utf-8")
    extra = {"wrk_readiness_requirements": SOLVER, "wrk_readiness_timeout": 3, "ansible_timeout": 3}
    (private / "env" / "extravars").write_text(yaml.safe_dump(extra), encoding="utf-8")
    done = run(
        [
            str(BIN / "ansible-runner"),
            "run",
            str(private),
            "-p",
            "wrkansible.wrk.readiness",
            "--ident",
            "readiness",
            "--limit",
            "ws_ready,ws_unreachable,ws_missing_tool",
        ],
        installed.empty,
        installed.env(),
    )
    artifacts = private / "artifacts" / "readiness"
    assert (artifacts / "job_events").is_dir(), done.stdout + done.stderr
    assert (artifacts / "status").read_text(encoding="utf-8").strip() in ("failed", "successful")
    return artifacts


def write_wrk(root: Path, wrk_id: str, execute: dict[str, Any]) -> Path:
    front = {
        "id": wrk_id,
        "title": f"collection test {wrk_id}",
        "status": "pending",
        "orchestrator": "claude",
        "provider": "claude",
        "computer": HERE,
        "plan_workstations": [HERE],
        "stage_assignments": {"execute": {"primary": "claude", **execute}},
        "machine_capability_requirements": {"execute": SOLVER},
        "handoff_evidence_ref": f".wrk/evidence/{wrk_id}",
    }
    path = root / f"{wrk_id}.md"
    path.write_text(f"---\n{yaml.safe_dump(front, sort_keys=False)}---\n# {wrk_id}\n", "utf-8")
    return path


def gate(path: Path, inventory: Path, evidence: Path, *extra: str) -> tuple[int, Any, str]:
    cmd = [sys.executable, "-m", "wrk_ansible", "gate", str(path), "--stage", "execute"]
    cmd += ["--here", HERE, "-i", str(inventory), "--evidence-dir", str(evidence)]
    cmd += ["--timeout", "3", "--json", *extra]
    env = clean_env(PYTHONPATH=str(REPO), COLUMNS="200")
    done = run(cmd, path.parent, env)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def decision(out: dict[str, Any]) -> dict[str, Any]:
    """What must match: verdict, hosts, agent, and every check's outcome and found value."""
    checks = sorted((c["host"] or "", c["name"], c["outcome"], c["found"]) for c in out["checks"])
    return {k: out[k] for k in ("verdict", "host", "hosts", "agent")} | {"checks": checks}


def test_gate_from_runner_artifacts_decides_as_a_direct_gate(
    installed: Installed, fleet: Fleet, tmp_path: Path
) -> None:
    inventory = fleet_inventory(fleet, tmp_path / "inventory")
    artifacts = runner_run(installed, inventory, tmp_path / "runner")
    queue = tmp_path / "queue"
    queue.mkdir()
    subprocess.run(["git", "init", "-q", str(queue)], check=True, timeout=60)
    cases = {
        "WRK-9701": ({"workstations": ["ws_ready"]}, "pass"),
        "WRK-9702": ({"workstations": ["ws_unreachable"], "fallback": ["ws_ready"]}, "fallback"),
        "WRK-9703": ({"workstations": ["ws_missing_tool"], "on_unavailable": "defer"}, "pause"),
    }
    for wrk_id, (execute, verdict) in cases.items():
        path = write_wrk(queue, wrk_id, execute)
        rc_direct, direct, err_direct = gate(path, inventory, tmp_path / "ev-direct", "--fresh")
        rc_art, from_art, err_art = gate(
            path, inventory, tmp_path / "ev-artifacts", "--from-artifacts", str(artifacts)
        )
        assert direct["verdict"] == verdict, (direct["reason"], err_direct)
        assert (rc_art, decision(from_art)) == (rc_direct, decision(direct)), err_art
        assert "probing" in err_direct
        assert "probing" not in err_art, err_art  # every candidate came from the artifacts
        assert "from artifacts" in err_art
        (ident,) = from_art["evidence"]
        wrk, writer, seq = ident.split("/")
        (record,) = (tmp_path / "ev-artifacts" / wrk / writer).glob(f"{seq}-gate.json")
        body = json.loads(record.read_text(encoding="utf-8"))["body"]
        assert body["verdict"] == verdict
        assert body["readiness_artifacts"] == str(artifacts)
    store = f"--evidence-dir={tmp_path / 'ev-artifacts'}"
    verify = run(
        [sys.executable, "-m", "wrk_ansible", "evidence", "verify", f"-i={inventory}", store],
        queue,
        clean_env(PYTHONPATH=str(REPO)),
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_hostile_artifacts_exit_1_naming_the_file_and_write_nothing(tmp_path: Path) -> None:
    events = tmp_path / "run" / "job_events"
    events.mkdir(parents=True)
    (events / "1-x.json").write_text('{"event": "runner_on_ok", "event_data": []}', "utf-8")
    queue = tmp_path / "queue"
    queue.mkdir()
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text("all:\n  hosts:\n    control: {}\n", encoding="utf-8")
    path = write_wrk(queue, "WRK-9710", {"workstations": [HERE]})
    evidence = tmp_path / "evidence"
    rc, out, err = gate(path, inventory, evidence, "--from-artifacts", str(tmp_path / "run"))
    assert rc == 1, err
    assert set(out) == {"error"}  # with --json, one error object and nothing else
    assert out["error"]["exit_code"] == 1
    assert out["error"]["file"] == str(events / "1-x.json")  # the event file, by its path
    assert "field event_data must be dict, got list" in out["error"]["message"]
    assert "1-x.json" in err
    assert not evidence.exists()


def test_ansible_test_sanity_passes_on_the_installed_collection(tmp_path: Path) -> None:
    done = run(
        [str(REPO / "scripts" / "collection-sanity.sh"), str(tmp_path / "sanity")],
        tmp_path,
        clean_env(WRK_VENV_BIN=str(BIN)),
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    for name in SANITY_TESTS:
        assert f'Running sanity test "{name}"' in output, name
    assert "Skipping" not in output, output[-5000:]
    installed = tmp_path / "sanity/collections/ansible_collections/wrkansible/wrk"
    assert (installed / "MANIFEST.json").is_file()
    assert not (installed / "wrk_ansible").exists()


def test_ansible_builder_create_makes_the_build_context(
    installed: Installed, tmp_path: Path
) -> None:
    shutil.copy(REPO / "execution-environment.yml", tmp_path / "execution-environment.yml")
    (tmp_path / "build" / "collection").mkdir(parents=True)
    shutil.copy(installed.tarball, tmp_path / "build" / "collection" / TARBALL)
    context = tmp_path / "context"
    options = ["-f=execution-environment.yml", f"--context={context}"]
    done = run(
        [str(BIN / "ansible-builder"), "create", *options, "--output-filename=Containerfile"],
        tmp_path,
        clean_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No matches" not in done.stdout + done.stderr
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert (context / "_build" / "collection" / TARBALL).is_file()
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text("utf-8"))
    assert requirements["collections"] == [{"name": f"/build/collection/{TARBALL}", "type": "file"}]
    assert "ansible-galaxy collection install" in containerfile
    assert "ansible-core>=2.19,<2.20" in containerfile
    assert "ansible-runner" in containerfile
    assert "introspect" in containerfile  # the collection's meta/execution-environment.yml
