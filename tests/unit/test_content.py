"""The Ansible content and defaults wrk ships inside its package (wrk_ansible/packaged.py).

In the checkout, wrk_ansible/content/ansible_collections/wrkansible/wrk links to the
repository's own playbooks/, roles/, plugins/ and meta/ (the root stays the collection); the
wheel holds them as real files (tests/integration/test_wheel.py builds and runs it). No module
finds anything by walking up from its own file.
"""

from __future__ import annotations

import configparser
import os
import re
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from _gatekit import registry, write_wrk

from wrk_ansible import packaged
from wrk_ansible.errors import InputError
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.gates.base import gate_context
from wrk_ansible.gates.routing_policy import ENV, load_routing_policy, policy_path
from wrk_ansible.names import check_against

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "wrk_ansible"
CONTENT = PACKAGE / "content"
COLLECTION = CONTENT / "ansible_collections" / "wrkansible" / "wrk"
LINKED = ("playbooks", "roles", "plugins", "meta")
#: Settings that are paths (relative to their ansible.cfg) or that wrk always passes itself.
#: The collection is found through collections_path in the package's and through playbook_dir
#: (playbooks/collections) in the repository's (tests/unit/test_collection_meta.py).
PATH_KEYS = {"inventory", "roles_path", "collections_path", "playbook_dir", "inventory_plugins"}


def test_the_collection_in_the_package_links_to_the_repository_root() -> None:
    for name in LINKED:
        link = COLLECTION / name
        assert link.is_symlink(), link
        assert not os.path.isabs(os.readlink(link)), f"{link} must be a relative link"
        assert link.resolve() == REPO / name
    assert sorted(p.name for p in COLLECTION.iterdir()) == sorted(LINKED)


def test_content_is_found_through_importlib_resources() -> None:
    found = packaged.content_dir()
    assert found == files("wrk_ansible") / "content"
    assert found.resolve() == CONTENT.resolve()
    assert packaged.readiness_playbook().resolve() == REPO / "playbooks" / "readiness.yml"
    plugins = packaged.inventory_plugins()
    assert plugins is not None
    assert plugins.resolve() == REPO / "plugins" / "inventory"
    assert packaged.ansible_cfg().is_file()


def _settings(path: Path) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return {s: dict(parser.items(s)) for s in parser.sections()}


def test_the_packaged_ansible_cfg_is_the_repositorys_but_for_paths() -> None:
    """One set of settings: the runs wrk starts behave as ansible-playbook in the checkout."""
    root, shipped = _settings(REPO / "ansible.cfg"), _settings(packaged.ansible_cfg())
    strip = {s: {k: v for k, v in kv.items() if k not in PATH_KEYS} for s, kv in root.items()}
    assert strip == {
        s: {k: v for k, v in kv.items() if k not in PATH_KEYS} for s, kv in shipped.items()
    }
    defaults, base = shipped["defaults"], packaged.ansible_cfg().parent
    assert "inventory" not in defaults  # wrk always passes -i
    assert (base / defaults["roles_path"]).resolve() == REPO / "roles"
    assert (base / defaults["inventory_plugins"]).resolve() == REPO / "plugins" / "inventory"
    collections = base / defaults["collections_path"] / "ansible_collections/wrkansible/wrk"
    assert (collections / "playbooks" / "readiness.yml").resolve() == (
        REPO / "playbooks" / "readiness.yml"
    )


WALKING_UP = re.compile(r"parents\[|\.parent\.parent|dirname\(\s*os\.path\.dirname")


def test_no_module_walks_up_from_its_own_file() -> None:
    """Content, config and defaults come from importlib.resources, never from the checkout."""
    offenders = [
        str(path.relative_to(REPO))
        for path in sorted(PACKAGE.rglob("*.py"))  # does not enter the content links
        if WALKING_UP.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders


# --- the routing policy -------------------------------------------------------------------


def test_the_shipped_policy_states_no_rule_and_names_no_team_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    default = packaged.default_routing_policy()
    assert policy_path() == default
    policy = load_routing_policy()
    assert not policy.enforced
    assert policy.licensed_machines == ()
    team = yaml.safe_load((REPO / "config" / "routing-policy.yml").read_text("utf-8"))
    routes = team["policy"]["routing_keywords"]
    machines = {r["machine"] for kind in ("licensed", "linux") for r in routes[kind]}
    machines |= {routes["default"]["machine"]}
    text = default.read_text("utf-8")
    assert machines, "control: the team's file names machines"
    assert not [m for m in machines if m in text]


def test_policy_lookup_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """given (routing_policy in wrk.yml), else $WRK_ROUTING_POLICY, else the default; a
    repository's config/ folder is not searched (the file is named in wrk.yml)."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    own = tmp_path / "config" / "routing-policy.yml"
    own.write_text("policy:\n  linux_first:\n    rule: Linux first\n", encoding="utf-8")
    assert policy_path() == packaged.default_routing_policy()
    assert policy_path(str(own)) == own
    assert load_routing_policy(str(own)).enforced
    named = tmp_path / "named.yml"
    monkeypatch.setenv(ENV, str(named))
    assert policy_path() == named
    assert policy_path(str(own)) == own
    with pytest.raises(InputError, match="no such routing policy"):
        load_routing_policy()  # a file named must exist: no silent fallback


def test_a_gate_context_reads_the_policy_only_when_a_gate_asks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A row without the route-policy gate never depends on a policy file."""
    monkeypatch.setenv(ENV, str(tmp_path / "missing.yml"))
    path = write_wrk(tmp_path / "repo" / "queue")
    reg = registry()
    contract = check_against(str(path), reg).contract
    assert contract is not None
    ctx = gate_context(
        contract,
        contract.stage("execute"),
        registry=reg,
        here=reg.get("dev-primary"),
        ledger=Ledger(tmp_path / "evidence"),
    )
    with pytest.raises(InputError, match=r"missing\.yml"):
        _ = ctx.policy
    monkeypatch.delenv(ENV)
    assert not ctx.policy.enforced  # then the WRK's folder holds none: the shipped default
