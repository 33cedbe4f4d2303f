"""wrk as a package: built into a wheel (and an sdist), installed into a fresh venv outside the
checkout, run from an empty folder with nothing pointing back at the repository.

The repository's files (``git ls-files``: tracked and untracked-but-not-ignored, links kept as
links) are copied into tmp_path and built there, so the build never writes ``build/`` or
``*.egg-info`` into the checkout and no stale ``build/lib`` can slip into the wheel. The wheel
must hold the Ansible content (wrk_ansible/content: ansible.cfg, the collection wrkansible.wrk,
the default routing policy) as real files, and ``python -m build`` (sdist, then a wheel from
it) must give the same wheel as ``pip wheel .``. Then, from an empty folder, the installed
``wrk`` gates an execute row on an ``ansible_connection: local`` host (a real probe through
the packaged playbook), observes it with ``wrk readiness``, reads a legacy registry through the
packaged inventory plugin and writes the review page.

One venv per session; pip's cache is used. Without git, the ``build`` module or ensurepip the
test skips, except under CI=true, where it fails.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
HERE = "box"
#: Hang catchers, never timed assertions.
BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 600
RUN_TIMEOUT = 180
COLLECTION = "wrk_ansible/content/ansible_collections/wrkansible/wrk"
#: What the wheel ships of the repository's collection (the root is wrkansible.wrk).
SHIPPED_FROM_ROOT = {
    "meta": lambda rel: rel == "meta/runtime.yml",
    "playbooks": lambda rel: rel.endswith(".yml"),
    "roles": lambda rel: "/molecule/" not in rel,
    "plugins": lambda rel: rel.endswith(".py"),
}


def _require(ok: bool, what: str) -> None:
    if ok:
        return
    message = f"test_wheel needs {what}: run `make test` (pip install -e '.[dev]')"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _run(
    cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"{done.args}: rc {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _repository_files() -> list[str]:
    done = _ok(
        _run(
            [
                "git",
                "-C",
                str(REPO),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            cwd=REPO,
            timeout=60,
        )
    )
    return sorted({name for name in done.stdout.split("\0") if name})


def _copy_repository(dest: Path) -> None:
    for rel in _repository_files():
        source = REPO / rel
        target = dest / rel
        if not source.is_symlink() and not source.exists():
            continue  # deleted in the worktree, not yet in the index
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)


def _members(wheel: Path) -> dict[str, str]:
    """name -> sha256 of every file in the wheel; asserts none is a link."""
    out: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            mode = info.external_attr >> 16
            assert not stat.S_ISLNK(mode), f"{info.filename} is a symlink in {wheel.name}"
            if not info.is_dir():
                out[info.filename] = hashlib.sha256(archive.read(info)).hexdigest()
    return out


def _expected_content() -> set[str]:
    """The wheel's wrk_ansible/content files, from the repository's own tracked files."""
    expected = {"wrk_ansible/content/ansible.cfg", "wrk_ansible/content/routing-policy.yml"}
    for rel in _repository_files():
        top = rel.split("/", 1)[0]
        keep = SHIPPED_FROM_ROOT.get(top)
        if keep is not None and keep(rel) and not (REPO / rel).is_symlink():
            expected.add(f"{COLLECTION}/{rel}")
    return expected


def _clean_env(venv: Path, cache: Path) -> dict[str, str]:
    """No WRK_*/ANSIBLE_* setting, no PYTHONPATH, nothing on PATH inside the checkout."""
    drop = ("WRK_", "ANSIBLE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    path = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p]
    outside = [p for p in path if not Path(p).resolve().is_relative_to(REPO)]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *outside])
    env["WRK_CACHE_DIR"] = str(cache)  # the registry snapshot cache: tmp, never ~/.cache
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    return env


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    site: Path
    env: dict[str, str]

    @property
    def wrk(self) -> str:
        return str(self.venv / "bin" / "wrk")

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    _require(shutil.which("git") is not None, "git")
    for module in ("build", "ensurepip"):
        _require(importlib.util.find_spec(module) is not None, f"the {module} module")
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    _copy_repository(src)
    tree, dist = base / "tree", base / "dist"
    # the wheel from the source tree (pip wheel .), and python -m build: the sdist, then a
    # wheel built from that sdist; both must hold the same files
    wheel_cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", str(src), "-w", str(tree)]
    _ok(_run(wheel_cmd, cwd=base, timeout=BUILD_TIMEOUT))
    build_cmd = [sys.executable, "-m", "build", "--outdir", str(dist), str(src)]
    _ok(_run(build_cmd, cwd=base, timeout=BUILD_TIMEOUT))
    (wheel,) = tree.glob("wrk_ansible-*.whl")
    (rebuilt,) = dist.glob("wrk_ansible-*.whl")
    (sdist,) = dist.glob("wrk_ansible-*.tar.gz")
    assert _members(rebuilt) == _members(wheel), "the sdist does not rebuild the same wheel"
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        assert not [m.name for m in archive.getmembers() if m.issym() or m.islnk()]
    assert any(n.endswith(f"{COLLECTION}/playbooks/readiness.yml") for n in names)

    venv = base / "venv"
    _ok(_run([sys.executable, "-m", "venv", str(venv)], cwd=base, timeout=BUILD_TIMEOUT))
    cache = base / "wrk-cache"
    env = _clean_env(venv, cache)
    # dependencies from the configured index (pip's cache helps); the wheel itself, not the tree
    _ok(
        _run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
            cwd=base,
            env=env,
            timeout=INSTALL_TIMEOUT,
        )
    )
    where = "import importlib.resources as r; print(r.files('wrk_ansible'))"
    found = _ok(_run([str(venv / "bin" / "python"), "-c", where], cwd=base, env=env, timeout=60))
    site = Path(found.stdout.strip())
    return Installed(wheel=wheel, venv=venv, site=site, env=env)


def test_the_wheel_holds_the_content_as_real_files(installed: Installed) -> None:
    members = _members(installed.wheel)
    content = {name for name in members if name.startswith("wrk_ansible/content/")}
    assert content == _expected_content()
    for name in ("playbooks/readiness.yml", "plugins/module_utils/wrk_probe.py"):
        source = REPO / name
        assert members[f"{COLLECTION}/{name}"] == hashlib.sha256(source.read_bytes()).hexdigest()
    probe = (REPO / "plugins" / "module_utils" / "wrk_probe.py").read_bytes()
    assert members["wrk_ansible/probe.py"] == hashlib.sha256(probe).hexdigest()
    assert not [n for n in members if "/molecule/" in n or "__pycache__" in n]
    # the team's routing policy names team machines: it stays in the repository
    assert not [n for n in members if n.endswith("config/routing-policy.yml")]


def test_the_installed_package_lives_in_site_packages_not_the_checkout(
    installed: Installed,
) -> None:
    site = installed.site
    assert site.is_relative_to(installed.venv), site
    assert not site.resolve().is_relative_to(REPO)
    playbook = site / "content" / "ansible_collections/wrkansible/wrk/playbooks/readiness.yml"
    assert playbook.is_file()
    assert not playbook.is_symlink()
    links = [str(p) for p in site.rglob("*") if p.is_symlink()]
    assert not links
    assert not (site / "probe.py").is_symlink()
    # no $WRK_ROUTING_POLICY and no repository: the neutral policy shipped in the package
    code = "from wrk_ansible.gates.routing_policy import policy_path; print(policy_path())"
    where = _ok(
        _run([installed.python, "-c", code], cwd=installed.venv, env=installed.env, timeout=60)
    )
    assert Path(where.stdout.strip()) == site / "content" / "routing-policy.yml"


def _inventory(folder: Path) -> Path:
    """One local host; groups linux and ai_capable (the contract template's default rows)."""
    host: dict[str, Any] = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "wrk_access": "local",
        "wrk_os": "linux",
        "wrk_agents": ["claude", "codex"],
    }
    data = {
        "all": {
            "children": {"linux": {"hosts": {HERE: host}}, "ai_capable": {"hosts": {HERE: None}}}
        }
    }
    folder.mkdir()
    (folder / "hosts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def _wrk_file(folder: Path) -> Path:
    """Every row on HERE (legacy fields); execute by codex, then claude. No route-policy gate."""
    front = {
        "id": "WRK-7001",
        "title": "an installed wrk gates this",
        "status": "pending",
        "computer": HERE,
        "plan_workstations": [HERE],
        "provider": "codex",
        "provider_alt": "claude",
        "orchestrator": "claude",
    }
    path = folder / "WRK-7001.md"
    path.write_text(f"---\n{yaml.safe_dump(front, sort_keys=False)}---\n# WRK-7001\n", "utf-8")
    return path


def test_the_installed_wrk_runs_every_command_from_an_empty_folder(
    installed: Installed, tmp_path: Path
) -> None:
    inventory = _inventory(tmp_path / "inventory")
    (tmp_path / "queue").mkdir()
    wrk_file = _wrk_file(tmp_path / "queue")
    evidence = tmp_path / "evidence"
    empty = tmp_path / "empty"
    empty.mkdir()

    def wrk(*args: str) -> subprocess.CompletedProcess[str]:
        done = _run([installed.wrk, *args], cwd=empty, env=installed.env, timeout=RUN_TIMEOUT)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    where = ["-i", str(inventory), "--evidence-dir", str(evidence)]
    gated = wrk("gate", str(wrk_file), "--stage", "execute", "--here", HERE, "--json", *where)
    assert gated.returncode == 0, f"{gated.stdout}\n{gated.stderr}"
    assert "probing" in gated.stderr, gated.stderr
    out = json.loads(gated.stdout)
    assert out["verdict"] == "pass", out["reason"]
    assert out["readiness"][HERE]["source"] == "probe"
    assert out["readiness"][HERE]["ready"] is True

    observed = wrk("readiness", "--json", "--here", HERE, *where)  # it records: a writer
    assert observed.returncode == 0, observed.stderr
    (host,) = json.loads(observed.stdout)
    assert (host["host"], host["source"], host["ready"]) == (HERE, "probe", True)
    # the probe ran under the installed venv's Python (ansible_playbook_python)
    assert Path(host["facts"]["python_executable"]).is_relative_to(installed.venv)

    # a legacy registry.yaml through the packaged wrk_registry inventory plugin
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "registry.yaml").write_text(
        "machines:\n  old-box:\n    hostname: old-box-1\n    os: linux\n    ssh: null\n",
        encoding="utf-8",
    )
    config = legacy / "fleet.wrk_registry.yml"
    config.write_text("plugin: wrk_registry\nregistry: registry.yaml\n", encoding="utf-8")
    listed = wrk("inventory", "list", "-i", str(config), "--json")
    assert listed.returncode == 0, listed.stderr
    (old,) = json.loads(listed.stdout)["workstations"]
    assert (old["name"], old["aliases"], old["access"]) == ("old-box", ["old-box-1"], "none")

    page = wrk("report", str(wrk_file), *where, "-o", "page.html")
    assert page.returncode == 0, page.stderr
    html = (empty / "page.html").read_text(encoding="utf-8")
    assert "WRK-7001" in html
    assert sorted(p.name for p in empty.iterdir()) == ["page.html"]  # nothing else written here


def test_a_new_team_starts_with_wrk_init(installed: Installed, tmp_path: Path) -> None:
    """The "New team" path of the README, from the wheel, with no variable set: wrk init in
    an empty git repository, a second local host, the example's execute row passes with a
    real probe; claim and close give a fresh repository's verdicts, each naming its fix."""
    repo = tmp_path / "team"
    repo.mkdir()
    _ok(_run(["git", "init", "-q", "-b", "main"], cwd=repo, timeout=60))
    assert not [k for k in installed.env if k.startswith("WRK_") and k != "WRK_CACHE_DIR"]

    def wrk(*args: str) -> subprocess.CompletedProcess[str]:
        done = _run([installed.wrk, *args], cwd=repo, env=installed.env, timeout=RUN_TIMEOUT)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    init = wrk("init", "--json")
    assert init.returncode == 0, init.stderr
    host = json.loads(init.stdout)["host"]
    assert (repo / "wrk.yml").is_file()
    added = wrk(
        "inventory", "add", "build2", "--group", "linux", "wrk_access=local",
        "ansible_connection=local", "wrk_os=linux",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    example = "queue/pending/WRK-001.md"

    gated = wrk("gate", example, "--stage", "execute", "--json")
    assert gated.returncode == 0, f"{gated.stdout}\n{gated.stderr}"
    out = json.loads(gated.stdout)
    assert out["verdict"] == "pass", out["reason"]
    assert out["hosts"] == [host]
    assert out["readiness"][host]["source"] == "probe"
    assert list((repo / ".wrk" / "evidence" / "WRK-001").rglob("*.json"))  # wrk.yml's store

    # claim: the host runs an agent, and the fresh repository has no quota snapshot for it
    declared = wrk("inventory", "set", host, "wrk_agents=[claude]")
    assert declared.returncode == 0, declared.stderr
    claim = wrk("gate", example, "--stage", "claim", "--json")
    assert claim.returncode == 2, f"{claim.stdout}\n{claim.stderr}"
    body = json.loads(claim.stdout)
    assert body["verdict"] == "pause"
    proposals = [p for gap in body["gaps"] for p in gap["proposals"]]
    assert any(p.startswith("wrk quota record claude") for p in proposals), proposals

    # close: everything committed, but the branch has no upstream to compare with
    _ok(_run(["git", "add", "-A"], cwd=repo, timeout=60))
    commit = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-qm",
        "wrk",
    ]
    _ok(_run(commit, cwd=repo, timeout=60))
    close = wrk("gate", example, "--stage", "close", "--json")
    assert close.returncode == 2, f"{close.stdout}\n{close.stderr}"
    body = json.loads(close.stdout)
    outcomes = {c["name"]: c["outcome"] for c in body["checks"]}
    assert outcomes["git-clean"] == "pass"
    assert outcomes["git-upstream"] == "unknown"
    proposals = [p for gap in body["gaps"] for p in gap["proposals"]]
    assert any("git push -u" in p for p in proposals), proposals
