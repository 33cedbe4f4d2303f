"""The collection's metadata agrees with the Python package: one version everywhere, the same
ansible-core series, and changelog fragments that antsibull-changelog accepts."""

from __future__ import annotations

import configparser
import fnmatch
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def load(name: str) -> dict[str, object]:
    data = yaml.safe_load((REPO / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_collection_version_is_the_python_package_version() -> None:
    galaxy = load("galaxy.yml")
    assert (galaxy["namespace"], galaxy["name"]) == ("wrkansible", "wrk")
    assert galaxy["version"] == PYPROJECT["project"]["version"]
    tarball = f"wrkansible-wrk-{galaxy['version']}.tar.gz"
    ee = (REPO / "execution-environment.yml").read_text(encoding="utf-8")
    assert ee.count(tarball) == 2, "execution-environment.yml names another version"


def test_requires_ansible_is_the_pinned_ansible_core_series() -> None:
    pin = next(d for d in PYPROJECT["project"]["dependencies"] if d.startswith("ansible-core"))
    low, high = re.findall(r"(\d+\.\d+)", pin)[:2]
    runtime = load("meta/runtime.yml")
    assert runtime["requires_ansible"] == f">={low}.0,<{high}.0"


def test_collection_build_ignores_the_python_side() -> None:
    ignored = set(load("galaxy.yml")["build_ignore"])  # type: ignore[arg-type]
    for path in ("wrk_ansible", "tests/unit", "tests/integration", "inventory", ".venv"):
        assert path in ignored, path
    for path in ("plugins/inventory", "roles/*/molecule", "benchmarks", "scripts"):
        assert path in ignored, path
    assert "playbooks/collections" in ignored  # the checkout's playbook-adjacent links


def test_the_checkout_links_itself_as_the_collection() -> None:
    """Beside the playbooks, where Ansible looks first; never on collections_path, where
    ansible-galaxy would count the checkout as installed (tests/integration/test_collection.py
    installs the tarball from the checkout). No link back to playbooks/ or the root: a cycle
    there sends setuptools' package discovery (os.walk, followlinks) into an endless walk."""
    folder = REPO / "playbooks" / "collections" / "ansible_collections" / "wrkansible" / "wrk"
    assert not folder.is_symlink()
    assert sorted(p.name for p in folder.iterdir()) == ["meta", "plugins", "roles"]
    for link in folder.iterdir():
        assert link.is_symlink(), link
        assert not os.path.isabs(os.readlink(link)), f"{link} must be a relative link"
        assert link.resolve() == REPO / link.name
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "ansible.cfg", encoding="utf-8")
    assert parser["defaults"]["playbook_dir"] == "playbooks"
    assert "collections_path" not in parser["defaults"]
    assert "collections_paths" not in parser["defaults"]
    assert not (REPO / ".collections").exists()


def test_the_role_names_the_namespace_of_the_collection() -> None:
    galaxy = load("galaxy.yml")
    for meta in sorted(REPO.glob("roles/*/meta/main.yml")):
        info = yaml.safe_load(meta.read_text(encoding="utf-8"))["galaxy_info"]
        assert info["namespace"] == galaxy["namespace"], meta
        assert info["role_name"] == meta.parents[1].name, meta


def test_the_role_readme_names_every_input_and_what_it_never_changes() -> None:
    role = REPO / "roles" / "wrk_readiness"
    readme = (role / "README.md").read_text(encoding="utf-8")
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    options = {name for spec in specs["argument_specs"].values() for name in spec["options"]}
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text(encoding="utf-8"))
    assert options == set(defaults)
    missing = sorted(name for name in options if f"`{name}`" not in readme)
    assert not missing, f"roles/wrk_readiness/README.md does not name {missing}"
    assert "wrkansible.wrk.wrk_readiness" in readme
    assert "## What it never changes" in readme
    assert "## Example play" in readme
    # it ships in the collection: no build_ignore pattern matches it or a folder above it
    ignored = list(load("galaxy.yml")["build_ignore"])  # type: ignore[call-overload]
    paths = ("roles", "roles/wrk_readiness", "roles/wrk_readiness/README.md")
    assert not [(p, i) for p in paths for i in ignored if fnmatch.fnmatch(p, i)]


def test_changelog_fragments_pass_antsibull_changelog_lint() -> None:
    assert list((REPO / "changelogs" / "fragments").glob("*.yml")), "no fragment"
    tool = Path(sys.executable).parent / "antsibull-changelog"
    done = subprocess.run(
        [str(tool), "lint"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "", done.stdout
