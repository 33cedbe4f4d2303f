"""Where the files wrk ships inside its package are: the one owner of that question.

``wrk_ansible/content/`` holds the Ansible content wrk runs and the defaults it falls back on:

- ``ansible.cfg``: the settings of the readiness playbook's runs (``ANSIBLE_CONFIG``);
- ``ansible_collections/wrkansible/wrk/``: the collection (playbooks, roles, plugins, meta),
  so the playbook, role, module and action are called by FQCN as from an installed collection;
- ``routing-policy.yml``: the routing policy used when a team states none.

In a checkout the collection's folders are links to the repository's own ``playbooks/``,
``roles/``, ``plugins/`` and ``meta/`` (the repository root is the collection, see
docs/collection.md); a wheel or sdist holds them as real files. Either way they are found
through :func:`importlib.resources.files`, never by walking up from a source file, so an
installed ``wrk`` runs from any folder. Stdlib only: imported before anything heavy.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Final

from wrk_ansible.errors import WrkError

PACKAGE: Final = "wrk_ansible"
#: The content folder inside the package.
CONTENT: Final = "content"
#: The collection inside the content folder (the content folder is its collections path).
COLLECTION: Final = "ansible_collections/wrkansible/wrk"
PLAYBOOK: Final = f"{COLLECTION}/playbooks/readiness.yml"
INVENTORY_PLUGINS: Final = f"{COLLECTION}/plugins/inventory"
ANSIBLE_CFG: Final = "ansible.cfg"
ROUTING_POLICY: Final = "routing-policy.yml"


def content_dir() -> Path:
    """The package's content folder, as a real directory; WrkError when the install lacks it.

    pip installs the package unzipped, so ``files()`` is a directory on disk; a zipped import
    (zipapp, zipimport) cannot serve ansible-runner, which needs real paths, and is refused by
    name rather than extracted somewhere temporary.
    """
    found = files(PACKAGE) / CONTENT
    if not isinstance(found, Path):
        raise WrkError(
            f"the {PACKAGE} package is not installed as files on disk ({found}); "
            "install it with pip (pip install wrk-ansible, or a wheel)"
        )
    if not (found / PLAYBOOK).is_file() or not (found / ANSIBLE_CFG).is_file():
        raise WrkError(
            f"the {PACKAGE} package is incomplete: {found / PLAYBOOK} or "
            f"{found / ANSIBLE_CFG} is missing; reinstall wrk-ansible"
        )
    return found


def readiness_playbook() -> Path:
    """The readiness playbook (``wrkansible.wrk.readiness``)."""
    return content_dir() / PLAYBOOK


def ansible_cfg() -> Path:
    """The ansible.cfg the playbook runs with (paths in it are relative to it)."""
    return content_dir() / ANSIBLE_CFG


def inventory_plugins() -> Path | None:
    """The collection's inventory plugins folder (wrk_registry), or None when absent.

    Not through :func:`content_dir`: reading an inventory never needs the playbook.
    """
    found = files(PACKAGE) / CONTENT / INVENTORY_PLUGINS
    return found if isinstance(found, Path) and found.is_dir() else None


def default_routing_policy() -> Path:
    """The routing policy shipped with wrk (states no rule, names no machine)."""
    found = files(PACKAGE) / CONTENT / ROUTING_POLICY
    if not isinstance(found, Path) or not found.is_file():
        raise WrkError(
            f"the {PACKAGE} package is incomplete: {found} is missing; reinstall wrk-ansible"
        )
    return found
