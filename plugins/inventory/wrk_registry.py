# Copyright: wrk-ansible contributors
# MIT License
"""Inventory plugin: serve a team's legacy registry.yaml to Ansible as an inventory."""

from __future__ import annotations

DOCUMENTATION = r"""
name: wrk_registry
short_description: Workstations from a legacy wrk registry.yaml
description:
  - Reads a legacy workstation registry (a C(machines:) mapping keyed by logical name) and
    gives the same hosts, groups and C(wrk_*) vars as C(wrk inventory import) would write,
    for teams that keep registry.yaml as their source of truth during a migration.
  - Logical names become hosts; C(hostname) and C(hostname_aliases) become C(wrk_aliases);
    a null C(ssh) becomes C(wrk_access=none); licenses implied by tools, roles and notes become
    C(wrk_licenses) entries marked C(inferred). Groups are linux, windows, macos, licensed,
    ai_capable and gpu.
  - Values are served as data, never as templates.
  - The config file name must end in C(wrk_registry.yml) or C(wrk_registry.yaml).
options:
  plugin:
    description: Marks the file as a config for this plugin.
    required: true
    choices: ['wrk_registry']
  registry:
    description: The legacy registry.yaml; a relative path is relative to this config file.
    required: true
    type: str
"""

EXAMPLES = r"""
# inventory/fleet.wrk_registry.yml
plugin: wrk_registry
registry: ../config/registry.yaml
"""

import os
import sys

import yaml
from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

try:
    from wrk_ansible.errors import WrkError
    from wrk_ansible.registry.legacy_registry import map_registry
except ImportError:
    # The mapping lives in the wrk_ansible package (one source, shared with the importer). wrk
    # installs next to ansible-core, so this import normally works; when Ansible runs from a
    # checkout without wrk installed, use the package from the checkout this plugin sits in.
    _ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if not os.path.isfile(os.path.join(_ROOT, "wrk_ansible", "registry", "legacy_registry.py")):
        raise
    sys.path.append(_ROOT)
    from wrk_ansible.errors import WrkError
    from wrk_ansible.registry.legacy_registry import map_registry

_SUFFIXES = ("wrk_registry.yml", "wrk_registry.yaml")
_MAX_BYTES = 4 * 1024 * 1024


def _read_registry(path):
    """The parsed registry; plain Python data (untrusted by Ansible, so never templated)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise AnsibleParserError(
            "wrk_registry: cannot read %s: %s" % (path, exc.strerror)
        ) from None
    if len(raw) > _MAX_BYTES:
        raise AnsibleParserError("wrk_registry: %s is larger than 4 MiB" % path)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(raw.decode("utf-8"), Loader=loader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise AnsibleParserError("wrk_registry: %s is not valid YAML: %s" % (path, exc)) from None


class InventoryModule(BaseInventoryPlugin):
    """Hosts, groups and wrk_* vars from a legacy registry.yaml."""

    NAME = "wrk_registry"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(_SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        registry = os.path.join(
            os.path.dirname(os.path.abspath(path)), os.path.expanduser(self.get_option("registry"))
        )
        try:
            mapped = map_registry(_read_registry(registry), registry)
        except WrkError as exc:
            raise AnsibleParserError("wrk_registry: %s" % exc) from None
        for group in mapped.groups:
            self.inventory.add_group(group)
        for host, host_vars in mapped.hosts.items():
            self.inventory.add_host(host)
            for key, value in host_vars.items():
                self.inventory.set_variable(host, key, value)
        for group, members in mapped.groups.items():
            for host in members:
                self.inventory.add_child(group, host)
